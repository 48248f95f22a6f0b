// Runs scanners over targets on several threads and collects a deterministic result.
//
// Files are scanned in parallel by `threads` workers (0: one per core); each target is scanned
// by every scanner; an error on one target is recorded in `errors` and the rest goes on. The
// findings are sorted (SortFindings), so the result does not depend on scheduling.
//
// Thread safety: RunScan may be called from any thread; the scanners must be thread-safe
// (Scanner's contract).
#ifndef BULWARK_SCAN_RUN_H_
#define BULWARK_SCAN_RUN_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "bulwark/scan/finding.h"
#include "bulwark/scan/scanner.h"

namespace bulwark::scan {

struct RunOptions {
  unsigned threads = 0;
  bool skip_binary = true;  // files with a NUL in their first 8000 bytes are not scanned
  // Called from worker threads (serialized) after each target: targets done, total, bytes read.
  std::function<void(std::size_t, std::size_t, std::uint64_t)> progress;
};

struct RunResult {
  std::vector<Finding> findings;
  std::vector<ScanError> errors;
  std::uint64_t targets = 0;         // scanned
  std::uint64_t bytes = 0;           // of the scanned targets
  std::uint64_t skipped_binary = 0;  // binary files not scanned
};

RunResult RunScan(const std::vector<const Scanner*>& scanners, const std::vector<Target>& targets,
                  const RunOptions& options = {});

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_RUN_H_
