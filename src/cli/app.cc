#include "bulwark/cli/app.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli/agent_commands.h"
#include "cli/command.h"
#include "cli/verbatim_args.h"

namespace bulwark::cli {

int CommandContext::Fail(const Error& e) const {
  io.err << "bulwark: " << e.ToString() << "\n";
  return ExitCodeFor(e.code());
}

void BuildCli(CLI::App& app, CommandContext& ctx) {
  app.name("bulwark");
  app.description("Bulwark: secure configuration and secrets management");
  app.set_version_flag("--version", std::string("bulwark ") + BULWARK_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  app.footer(
      "Exit codes: 0 ok, 1 problems found, 2 bad usage or input, 3 access denied, 4 not found,\n"
      "5 unavailable or internal error. Run 'bulwark COMMAND --help' for a command's options.");

  RegisterConfigCommands(app, ctx);
  RegisterExprCommands(app, ctx);
  RegisterKeyCommands(app, ctx);
  RegisterFileCommands(app, ctx);
  RegisterStoreCommands(app, ctx);
  RegisterCheckCommands(app, ctx);
  RegisterAuditCommands(app, ctx);
  RegisterScanCommands(app, ctx);
  RegisterTokenCommands(app, ctx);
  RegisterAccessCommands(app, ctx);
  RegisterMonitorCommands(app, ctx);
  RegisterServeCommands(app, ctx);
  RegisterDriftCommands(app, ctx);
  RegisterChangeCommands(app, ctx);
  RegisterLifecycleCommands(app, ctx);
  RegisterIntegrityCommands(app, ctx);
  RegisterAgentCommands(app, ctx);
  // Last, so that it reaches every option of every command (cli/verbatim_args.h).
  RestoreArgsInEveryOption(app);
}

void ParseCli(CLI::App& app, const std::vector<std::string>& args) {
  // Every argument byte for byte, whatever CLI11 does with bracketed values.
  const std::vector<std::string> protected_args = ProtectArgs(args);
  std::vector<std::string> reversed(protected_args.rbegin(), protected_args.rend());
  app.parse(reversed);
}

int RunCli(const std::vector<std::string>& args, CliIo io, const CliOptions& options) {
  if (IsRemoteInvocation(args)) return RunRemoteCli(args, io);
  CLI::App app;
  CommandContext ctx{io, {}, options};
  BuildCli(app, ctx);
  try {
    ParseCli(app, args);
  } catch (const CLI::CallForHelp& e) {
    io.out << app.help();
    return exit_code::kOk;
  } catch (const CLI::CallForAllHelp& e) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return exit_code::kOk;
  } catch (const CLI::CallForVersion& e) {
    io.out << e.what() << "\n";
    return exit_code::kOk;
  } catch (const CLI::ParseError& e) {
    // Help requested on a subcommand arrives as CallForHelp from that subcommand's parse.
    if (e.get_exit_code() == 0) {
      io.out << UnprotectMessage(e.what()) << "\n";
      return exit_code::kOk;
    }
    io.err << "bulwark: " << UnprotectMessage(e.what()) << "\n"
           << "Run 'bulwark --help' for usage.\n";
    return exit_code::kBadInput;
  }
  if (!ctx.action) {
    io.err << "bulwark: no command given\n";
    return exit_code::kBadInput;
  }
  try {
    return ctx.action();
  } catch (const std::exception& e) {
    // Library adapters convert exceptions to errors; reaching here is a bug. The message of a
    // standard exception never carries our secrets, but we still print only its type-level text.
    io.err << "bulwark: internal: unexpected exception: " << e.what() << "\n";
    return exit_code::kUnavailable;
  }
}

}  // namespace bulwark::cli
