// Running a hook command: argv (no shell), extra environment, bytes on stdin, a deadline, and its
// stdout captured into a zeroizing buffer. Used by alert command channels (docs/monitor.md) and
// by secret rotation's generator, verification and revoke hooks (docs/rotation.md), which pass
// and receive secret values through stdin/stdout only (never argv or the environment: other
// users may read those through /proc).
//
// The child runs in its own process group; at the deadline the whole group is killed (SIGKILL)
// and the result says timed_out. The child's stdin gets `stdin_data` and is then closed; stdout
// is read up to `max_stdout` bytes (more kills the child and is reported as output_truncated);
// the last 4 KiB of stderr are kept for diagnostics. Writing stdin never raises SIGPIPE in the
// caller (a child that exits without reading is fine).
//
// Errors: kInvalidArgument for an empty argv; kUnavailable naming argv[0] when the program cannot
// be started (not found, not executable) or the system refuses pipes/fork. A non-zero exit, a
// signal or a timeout are results, not errors.
//
// Thread safety: thread-safe (fork from a multithreaded process: the child only calls
// async-signal-safe functions before exec).
#ifndef BULWARK_CORE_SUBPROCESS_H_
#define BULWARK_CORE_SUBPROCESS_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark {

struct SubprocessOptions {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in PATH
  // Added to the inherited environment (replacing variables of the same name). Never secrets.
  std::vector<std::pair<std::string, std::string>> env;
  SecretBytes stdin_data;
  std::chrono::milliseconds timeout{10000};
  std::size_t max_stdout = std::size_t{1} << 20;
  std::filesystem::path working_directory;  // empty: the caller's
};

struct SubprocessResult {
  int exit_code = -1;  // the exit status when the child exited, else -1
  int signal = 0;      // the signal that ended it, else 0
  bool timed_out = false;
  bool output_truncated = false;
  SecretBytes stdout_data;
  // The end of what the child wrote to stderr. It may contain anything the child printed:
  // callers decide whether it can be shown (never for hooks that handle secrets).
  std::string stderr_tail;

  bool ok() const { return exit_code == 0 && !timed_out && !output_truncated; }
  // "exit status 3", "killed by signal 9", "timed out after 10s", "output over N bytes".
  std::string Describe(std::chrono::milliseconds timeout) const;
};

Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options);

}  // namespace bulwark

#endif  // BULWARK_CORE_SUBPROCESS_H_
