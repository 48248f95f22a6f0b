#include "bulwark/scan/run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "bulwark/scan/tree.h"

namespace bulwark::scan {
namespace {

// Size and binary test of a file target; false if it cannot be opened (the scanner reports why).
bool Probe(const Target& t, std::uint64_t& size, bool& binary) {
  const int fd = ::open(t.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  struct stat st {};
  size = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  char head[8000];
  const ssize_t n = S_ISREG(st.st_mode) ? ::read(fd, head, sizeof head) : 0;
  ::close(fd);
  binary = n > 0 && LooksBinary(std::string_view(head, static_cast<std::size_t>(n)));
  return true;
}

}  // namespace

RunResult RunScan(const std::vector<const Scanner*>& scanners, const std::vector<Target>& targets,
                  const RunOptions& options) {
  RunResult result;
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  auto worker = [&]() {
    std::vector<Finding> local;
    std::vector<ScanError> errors;
    std::uint64_t bytes = 0, scanned = 0, binaries = 0;
    for (std::size_t i = next++; i < targets.size(); i = next++) {
      const Target& t = targets[i];
      std::uint64_t size = t.content.size();
      bool binary = false;
      if (t.kind == Target::Kind::kFile) Probe(t, size, binary);
      if (binary && options.skip_binary) {
        ++binaries;
      } else {
        ++scanned;
        bytes += size;
        for (const Scanner* s : scanners) {
          auto st = s->Scan(t, local);
          if (!st) {
            errors.push_back(ScanError{t.name, std::string(s->name()) + ": " + st.error().message(),
                                       ExitCodeFor(st.error().code())});
          }
        }
      }
      if (options.progress) {
        std::lock_guard lock(mu);
        options.progress(++done, targets.size(), bytes);
      }
    }
    std::lock_guard lock(mu);
    result.findings.insert(result.findings.end(), std::make_move_iterator(local.begin()),
                           std::make_move_iterator(local.end()));
    result.errors.insert(result.errors.end(), errors.begin(), errors.end());
    result.bytes += bytes;
    result.targets += scanned;
    result.skipped_binary += binaries;
  };
  unsigned n = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  n = static_cast<unsigned>(std::min<std::size_t>(n, std::max<std::size_t>(1, targets.size())));
  if (n <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned k = 0; k < n; ++k) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }
  SortFindings(result.findings);
  std::sort(result.errors.begin(), result.errors.end(),
            [](const ScanError& a, const ScanError& b) { return a.target < b.target; });
  return result;
}

}  // namespace bulwark::scan
