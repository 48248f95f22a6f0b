// bulwark agent start|stop|lock|status (agent_commands.cc; docs/agent.md).
#ifndef BULWARK_SRC_CLI_AGENT_COMMANDS_H_
#define BULWARK_SRC_CLI_AGENT_COMMANDS_H_

#include "cli/command.h"

namespace bulwark::cli {
void RegisterAgentCommands(CLI::App& app, CommandContext& ctx);
}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_AGENT_COMMANDS_H_
