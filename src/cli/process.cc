#include "cli/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace bulwark::cli {
namespace fs = std::filesystem;

char** ProcessEnvironmentBlock() { return environ; }

Result<std::unique_ptr<PrivateTempFile>> PrivateTempFile::Create(const std::string& extension) {
  std::string base;
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x != nullptr && fs::is_directory(x)) {
    base = x;
  } else if (fs::is_directory("/dev/shm")) {
    base = "/dev/shm";
  } else {
    base = fs::temp_directory_path().string();
  }
  std::string dir_template = base + "/bulwark-edit-XXXXXX";
  if (::mkdtemp(dir_template.data()) == nullptr) {
    return UnavailableError(fmt::format("create a private temporary directory in {}: {}", base,
                                        std::strerror(errno)));
  }
  auto t = std::unique_ptr<PrivateTempFile>(new PrivateTempFile());
  t->dir_ = dir_template;
  t->file_ = t->dir_ / ("plaintext" + extension);
  const int fd = ::open(t->file_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("create the private temporary file");
  ::close(fd);
  return t;
}

PrivateTempFile::~PrivateTempFile() {
  std::error_code ec;
  const auto size = fs::file_size(file_, ec);
  if (!ec) {
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      std::vector<char> zeros(std::min<std::uintmax_t>(size, 1 << 20), '\0');
      std::uintmax_t left = size;
      while (left > 0) {
        const auto n = ::write(fd, zeros.data(), std::min<std::uintmax_t>(left, zeros.size()));
        if (n <= 0) break;
        left -= static_cast<std::uintmax_t>(n);
      }
      ::fsync(fd);
      ::close(fd);
    }
  }
  fs::remove_all(dir_, ec);
}

Status PrivateTempFile::Write(std::string_view data) const {
  const int fd = ::open(file_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return UnavailableError("open the private temporary file");
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      return UnavailableError("write the private temporary file");
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

Result<int> RunChild(const std::vector<std::string>& argv, char** envp) {
  std::vector<char*> args;
  for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return UnavailableError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::execvpe(args[0], args.data(), envp);
    const std::string msg =
        fmt::format("bulwark: cannot run '{}': {}\n", argv[0], std::strerror(errno));
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return UnavailableError(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace bulwark::cli
