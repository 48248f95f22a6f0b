// Internal plumbing shared by the CLI command groups.
//
// Each group registers its subcommands on the root CLI11 app. A subcommand's callback does not run
// the command directly: it stores the action in `CommandContext::action`, which RunCli invokes
// after parsing succeeded, so that every command returns an exit code the same way.
#ifndef BULWARK_CLI_COMMAND_H_
#define BULWARK_CLI_COMMAND_H_

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bulwark/cli/app.h"
#include "bulwark/core/error.h"

namespace bulwark::cli {

// A validator accepting decimal integers in [min, max].
inline CLI::Validator WholeNumberIn(std::int64_t min, std::int64_t max, std::string what) {
  return CLI::Validator(
      [min, max, what](std::string& v) -> std::string {
        std::int64_t n = 0;
        const char* end = v.data() + v.size();
        auto [p, ec] = std::from_chars(v.data(), end, n);
        if (v.empty() || ec != std::errc() || p != end || n < min || n > max)
          return "expected " + what + ", got '" + v + "'";
        return {};
      },
      what);
}

struct CommandContext {
  CliIo io;
  std::function<int()> action;
  CliOptions options;

  // Prints "bulwark: <error>" to stderr and returns its exit code.
  int Fail(const Error& e) const;
};

// The whole command tree on `app` (every command group registered, arguments protected as
// cli/verbatim_args.h describes); `ctx` receives the chosen command's action. RunCli uses it,
// and tests that inspect what the parser hands each option.
void BuildCli(CLI::App& app, CommandContext& ctx);

// Parses `args` (without the program name) into an app made by BuildCli. Throws what
// CLI::App::parse throws; runs no command.
void ParseCli(CLI::App& app, const std::vector<std::string>& args);

// Validators for numeric options whose message says what is expected (CLI11's own name a
// floating-point range). Both refuse signs, blanks and anything that is not a whole decimal
// number; CLI11 reports the failure as "OPTION: MESSAGE" (exit 2).
// A version number: 1 or more.
inline CLI::Validator VersionNumber() {
  return WholeNumberIn(1, INT64_MAX, "a version number (1 or more)");
}
// The latest version a write expects: 0 (the namespace must be new) or more.
inline CLI::Validator ExpectedVersion() {
  return WholeNumberIn(0, INT64_MAX, "a version number (0: the namespace must be new)");
}

// Registration functions, one per command group (see app.cc for the list).
void RegisterConfigCommands(CLI::App& app, CommandContext& ctx);
void RegisterExprCommands(CLI::App& app, CommandContext& ctx);
void RegisterFileCommands(CLI::App& app, CommandContext& ctx);
void RegisterKeyCommands(CLI::App& app, CommandContext& ctx);
void RegisterStoreCommands(CLI::App& app, CommandContext& ctx);
void RegisterCheckCommands(CLI::App& app, CommandContext& ctx);
void RegisterAuditCommands(CLI::App& app, CommandContext& ctx);
void RegisterScanCommands(CLI::App& app, CommandContext& ctx);
void RegisterTokenCommands(CLI::App& app, CommandContext& ctx);
void RegisterAccessCommands(CLI::App& app, CommandContext& ctx);
void RegisterMonitorCommands(CLI::App& app, CommandContext& ctx);
void RegisterServeCommands(CLI::App& app, CommandContext& ctx);
void RegisterDriftCommands(CLI::App& app, CommandContext& ctx);
void RegisterChangeCommands(CLI::App& app, CommandContext& ctx);
// secret meta|show|get, secrets due, rotate, status (lifecycle_commands.cc).
void RegisterLifecycleCommands(CLI::App& app, CommandContext& ctx);

// Client mode (remote_commands.cc): whether `args` name a command that runs against a server
// (--server URL or $BULWARK_ADDR set, and a store, check, audit or keys command), and running it.
bool IsRemoteInvocation(const std::vector<std::string>& args);
int RunRemoteCli(const std::vector<std::string>& args, CliIo io);

// bulwark verify-store [NS] [--fix] (integrity_commands.cc).
void RegisterIntegrityCommands(CLI::App& app, CommandContext& ctx);

}  // namespace bulwark::cli

#endif  // BULWARK_CLI_COMMAND_H_
