// The `bulwark` command-line interface as a library, so that tests run it in-process.
//
// `RunCli` parses arguments, runs one command and returns the process exit code (see
// bulwark/core/error.h, namespace exit_code). It never calls exit() and never throws; all output
// goes to the given streams. Secrets are printed only by commands that were asked to (--reveal).
#ifndef BULWARK_CLI_APP_H_
#define BULWARK_CLI_APP_H_

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {
class Clock;
}  // namespace bulwark

namespace bulwark::cli {

struct CliIo {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  // Whether stdin is a terminal (prompts for passphrases only then).
  bool interactive = false;
};

// How the CLI runs, besides its arguments. The shipped binary passes nothing.
struct CliOptions {
  // Test builds only (node::NodeOptions::crash_point): the crash-test binary ends the process at
  // a named point of a multi-step key operation (docs/node.md section 6).
  std::function<void(std::string_view point)> crash_point;
  // Tests only: the node's clock (null: the system's), so that schedules, grace periods and due
  // dates can be crossed without waiting.
  std::shared_ptr<Clock> clock;
};

// `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, CliIo io, const CliOptions& options = {});

}  // namespace bulwark::cli

#endif  // BULWARK_CLI_APP_H_
