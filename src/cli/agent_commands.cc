// bulwark agent start|stop|lock|status: the key agent (docs/agent.md). The work is in
// node/key_agent.h (authorized, audited as key.agent.*); these commands parse, prompt and print.
#include "cli/agent_commands.h"

#include <fmt/format.h>

#include <ostream>

#include "bulwark/core/duration.h"
#include "bulwark/node/key_agent.h"
#include "cli/cli_node.h"

namespace bulwark::cli {
namespace {

struct AgentArgs {
  KeyArgs keys;
  std::string idle_timeout = "15m";
  bool foreground = false;
  bool allow_swap = false;
};

int WithNode(CommandContext& ctx, const AgentArgs& a,
             const std::function<Status(node::Node&)>& body) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto n, OpenNode(ctx, a.keys));
    Status s = body(*n);
    if (auto c = n->Close(); s && !c) s = c;
    return s;
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

int RunStart(CommandContext& ctx, const AgentArgs& a) {
  auto idle = ParseDuration(a.idle_timeout);
  if (!idle) return ctx.Fail(idle.error().WithContext("--idle-timeout"));
  return WithNode(ctx, a, [&](node::Node& n) -> Status {
    node::AgentStartOptions o{.idle_timeout = *idle, .foreground = a.foreground,
                              .allow_swap = a.allow_swap};
    auto print = [&](const node::AgentStarted& s) {
      if (s.replaced_locked) ctx.io.err << "bulwark: replaced the locked agent\n";
      if (s.removed_stale_socket && !s.replaced_locked) {
        ctx.io.err << fmt::format("bulwark: removed the stale socket {}\n", s.socket.string());
      }
      if (s.memory_locked && !s.memory_scope.empty()) {
        ctx.io.err << fmt::format("bulwark: note: locked in memory: the agent's {}\n",
                                  s.memory_scope);
      }
      if (!s.memory_locked) {
        ctx.io.err << fmt::format(
            "bulwark: warning: the agent's memory is not locked ({}): keys may reach swap\n",
            s.memory_error);
      }
      ctx.io.out << fmt::format("agent started for {} (pid {}, socket {}, locks after {} idle{})\n",
                                n.home().dir.string(), s.pid, s.socket.string(),
                                FormatDuration(*idle), a.foreground ? "; in the foreground" : "");
      ctx.io.out.flush();
    };
    BULWARK_ASSIGN_OR_RETURN(node::AgentStarted s, node::StartAgent(n, n.LocalContext(), o, print));
    if (a.foreground) ctx.io.out << "agent stopped\n";
    (void)s;
    return OkStatus();
  });
}

int RunStatus(CommandContext& ctx, const AgentArgs& a) {
  return WithNode(ctx, a, [&](node::Node& n) -> Status {
    BULWARK_ASSIGN_OR_RETURN(agent::AgentStatus s, node::QueryAgent(n));
    ctx.io.out << fmt::format("agent: running (pid {}) for {}\n", s.pid, s.home);
    if (s.unlocked) {
      ctx.io.out << fmt::format("state: unlocked (locks after {} idle; in {})\n",
                                FormatDuration(Seconds(s.idle_timeout_s)),
                                FormatDuration(Seconds(s.idle_remaining_s)));
    } else {
      ctx.io.out << fmt::format("state: locked ({})\n", s.lock_reason);
    }
    ctx.io.out << fmt::format("keystore generation: {}\nmemory locked: {}\n", s.generation,
                              s.memory_locked ? "yes" : "no");
    return OkStatus();
  });
}

int RunLock(CommandContext& ctx, const AgentArgs& a) {
  return WithNode(ctx, a, [&](node::Node& n) -> Status {
    BULWARK_RETURN_IF_ERROR(node::LockAgent(n, n.LocalContext()));
    ctx.io.out << "agent locked: its keys are wiped; commands ask for the passphrase\n";
    return OkStatus();
  });
}

int RunStop(CommandContext& ctx, const AgentArgs& a) {
  return WithNode(ctx, a, [&](node::Node& n) -> Status {
    BULWARK_RETURN_IF_ERROR(node::StopAgent(n, n.LocalContext()));
    ctx.io.out << "agent stopped\n";
    return OkStatus();
  });
}

}  // namespace

void RegisterAgentCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* agent = app.add_subcommand(
      "agent", "The key agent: unlock the keystore once for later commands (docs/agent.md)");
  agent->require_subcommand(1);
  auto add = [&](const char* name, const char* help, int (*run)(CommandContext&, const AgentArgs&))
      -> std::pair<CLI::App*, std::shared_ptr<AgentArgs>> {
    auto args = std::make_shared<AgentArgs>();
    CLI::App* cmd = agent->add_subcommand(name, help);
    AddKeyOptions(cmd, args->keys);
    cmd->callback([&ctx, args, run] { ctx.action = [&ctx, args, run] { return run(ctx, *args); }; });
    return {cmd, args};
  };
  auto [start, start_args] =
      add("start", "Ask the passphrase once and keep the keystore open in a background agent",
          RunStart);
  start->add_option("--idle-timeout", start_args->idle_timeout,
                    "Wipe the keys after this long without use (default 15m; e.g. 30s, 1h)");
  start->add_flag("--foreground", start_args->foreground,
                  "Serve in this process until stopped instead of detaching");
  start->add_flag("--allow-swap", start_args->allow_swap,
                  "Start even when the memory cannot be locked (ulimit -l)");
  add("status", "Whether an agent serves this home, locked or not", RunStatus);
  add("lock", "Wipe the agent's keys (it keeps running; commands ask the passphrase)", RunLock);
  add("stop", "Wipe the agent's keys and stop it", RunStop);
}

}  // namespace bulwark::cli
