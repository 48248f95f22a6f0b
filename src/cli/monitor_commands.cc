// bulwark monitor [rules | check | status]: alert rules and anomaly detection over the home's
// audit log (docs/monitor.md).
#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bulwark/core/duration.h"
#include "bulwark/core/file_lock.h"
#include "bulwark/core/stop_signal.h"
#include "bulwark/monitor/monitor.h"
#include "bulwark/monitor/monitor_config.h"
#include "bulwark/node/audit_trail.h"
#include "bulwark/node/node.h"
#include "cli/cli_node.h"
#include "cli/command.h"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;

struct MonitorArgs {
  std::string home;
  bool once = false, from_start = false, dry_run = false, json = false;
  std::uint64_t poll_ms = 500;
  std::vector<std::string> files;
};

// A home's node and the `monitor:` section of its config.yaml (the audit log opens when used).
struct HomeMonitor {
  std::unique_ptr<node::Node> node;
  request::RequestContext request;
  monitor::MonitorConfig config;
  const Runtime& rt() const { return node->runtime(); }
  const node::Home& home() const { return node->home(); }
};

Result<HomeMonitor> OpenHome(CommandContext& ctx, const MonitorArgs& a) {
  HomeMonitor h;
  node::NodeOptions options = NodeOptionsFor(ctx, KeyArgs{a.home, "", ""});
  options.client = std::string("bulwark-monitor/") + BULWARK_VERSION;
  BULWARK_ASSIGN_OR_RETURN(h.node, node::Node::Open(std::move(options)));
  h.request = h.node->LocalContext();
  BULWARK_ASSIGN_OR_RETURN(h.config,
                           monitor::LoadMonitorConfig(*h.rt().fs, h.home().config_file()));
  return h;
}

// One monitor per home: <home>/monitor.lock, held until exit.
Result<FileLock> LockMonitor(const HomeMonitor& h) {
  const fs::path file = h.home().monitor_lock();
  BULWARK_ASSIGN_OR_RETURN(std::optional<FileLock> lock,
                           FileLock::TryAcquire(file, "bulwark monitor"));
  if (!lock) {
    return FailedPreconditionError(fmt::format(
        "another 'bulwark monitor' is running for this home (it holds {})", file.string()));
  }
  return std::move(*lock);
}

// The monitor of a home: its audit log, the rules and detectors of `monitor:` in config.yaml,
// its channels (none in a dry run) and the node's audit sink (alerts are audit events).
Result<std::unique_ptr<monitor::Monitor>> OpenMonitor(const HomeMonitor& h, const MonitorArgs& a) {
  // Reading the log is audit.read: asked once here, as `audit log` does.
  BULWARK_ASSIGN_OR_RETURN(node::AuditTrail * trail, h.node->Audit());
  BULWARK_RETURN_IF_ERROR(trail->Size(h.request));
  BULWARK_ASSIGN_OR_RETURN(monitor::EvaluatorOptions eo,
                           monitor::EvaluatorOptionsFor(h.config, *h.rt().fs));
  BULWARK_ASSIGN_OR_RETURN(auto evaluator, monitor::Evaluator::Create(std::move(eo)));
  monitor::DispatcherOptions d;
  d.hostname = node::ExportFormatContext().hostname;
  d.runtime = h.rt();
  if (!a.dry_run) {
    monitor::ChannelEnvironment env;
    env.hostname = d.hostname;
    env.runtime = h.rt();
    for (const auto& c : h.config.channels) {
      BULWARK_ASSIGN_OR_RETURN(auto channel, monitor::CreateChannel(c, env));
      d.channels.push_back(std::move(channel));
    }
    d.audit = h.node->audit_sink();
    d.context = h.request;
  }
  BULWARK_ASSIGN_OR_RETURN(auto dispatcher, monitor::Dispatcher::Create(std::move(d)));
  monitor::MonitorOptions mo;
  mo.log = trail->log();
  mo.state_file = h.home().monitor_state();
  mo.history = h.config.history;
  mo.from_start = a.from_start;
  mo.dry_run = a.dry_run;
  mo.poll = std::chrono::milliseconds(a.poll_ms);
  mo.runtime = h.rt();
  return monitor::Monitor::Create(std::move(mo), std::move(evaluator), std::move(dispatcher));
}

void PrintAlert(CommandContext& ctx, const MonitorArgs& a, const monitor::DeliveryReport& r) {
  const monitor::Alert& al = r.alert;
  if (a.json) {
    nlohmann::json j =
        r.suppressed ? nlohmann::json::object() : nlohmann::json::parse(r.json, nullptr, false);
    if (r.suppressed) {
      j = {{"id", al.id},
           {"data", {{"rule", al.rule}, {"group", al.group}, {"summary", al.summary}}}};
    }
    j["delivery"] = {{"suppressed", r.suppressed}, {"delivered", r.delivered}};
    j["delivery"]["failed"] = nlohmann::json::array();
    for (const auto& [name, e] : r.failed) {
      j["delivery"]["failed"].push_back({{"channel", name}, {"error", e.message()}});
    }
    ctx.io.out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::string line = fmt::format("{} {} {}{}{}: {}", r.suppressed ? "suppressed" : "ALERT",
                                   monitor::SeverityName(al.severity), al.rule,
                                   al.group.empty() ? "" : " ", al.group, al.summary);
    if (!r.suppressed && (!r.delivered.empty() || !r.failed.empty())) {
      std::string to;
      for (const auto& d : r.delivered) to += (to.empty() ? "" : ", ") + d;
      line += fmt::format(" [delivered: {}]", to.empty() ? "none" : to);
    }
    ctx.io.out << line << "\n";
  }
  for (const auto& [name, e] : r.failed) {
    ctx.io.err << fmt::format("bulwark: monitor: alert {}: {}\n", al.id, e.message());
  }
  if (r.audit_error) {
    ctx.io.err << fmt::format("bulwark: monitor: alert {} delivered but not audited: {}\n", al.id,
                              r.audit_error->message());
  }
  ctx.io.out.flush();
  ctx.io.err.flush();
}

int Run(CommandContext& ctx, const MonitorArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(HomeMonitor h, OpenHome(ctx, a));
    // Dry runs write nothing and take no lock.
    std::optional<FileLock> lock;
    if (!a.dry_run) {
      BULWARK_ASSIGN_OR_RETURN(lock, LockMonitor(h));
    }
    BULWARK_ASSIGN_OR_RETURN(auto m, OpenMonitor(h, a));
    std::uint64_t failures = 0;
    auto on_alert = [&](const monitor::DeliveryReport& r) {
      failures += r.failed.size();
      PrintAlert(ctx, a, r);
    };
    if (a.once) {
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t n, m->RunOnce(on_alert));
      const auto st = m->Stats();
      ctx.io.err << fmt::format(
          "bulwark: monitor: evaluated {} events ({} alerts, {} suppressed); cursor {}\n", n,
          st.alerts - st.suppressed, st.suppressed, st.cursor);
      if (failures > 0) {
        return UnavailableError(fmt::format("monitor: {} alert deliveries failed", failures));
      }
      return OkStatus();
    }
    RunUntilStopSignal(
        [&](std::stop_token st) {
          m->Run(st, on_alert, [&](const Error& e) {
            ctx.io.err << "bulwark: monitor: " << e.message() << "\n";
            ctx.io.err.flush();
          });
        },
        [&] {
          ctx.io.err << fmt::format(
              "bulwark: monitor: following the audit log from event {}; SIGINT/SIGTERM stops\n",
              m->Stats().cursor);
          ctx.io.err.flush();
        });
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int Rules(CommandContext& ctx, const MonitorArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(HomeMonitor h, OpenHome(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(auto rules, monitor::EffectiveRules(h.config, *h.rt().fs));
    BULWARK_ASSIGN_OR_RETURN(monitor::EvaluatorOptions eo,
                             monitor::EvaluatorOptionsFor(h.config, *h.rt().fs));
    const monitor::AnomalyOptions& an = *eo.anomalies;
    const std::vector<std::pair<std::string, bool>> detectors = {
        {"anomaly.new_source", an.new_source.enabled},
        {"anomaly.unusual_hour", an.unusual_hour.enabled},
        {"anomaly.rate_spike", an.rate_spike.enabled},
        {"anomaly.mass_read", an.mass_read.enabled}};
    if (a.json) {
      nlohmann::json j;
      j["rules"] = nlohmann::json::array();
      for (const auto& r : rules) {
        nlohmann::json rj = {{"id", r.id},
                             {"title", r.title},
                             {"severity", std::string(monitor::SeverityName(r.severity))},
                             {"condition", r.condition},
                             {"enabled", r.enabled},
                             {"source", r.source},
                             {"channels", r.channels}};
        if (r.window) {
          rj["window_seconds"] = r.window->count();
          rj["threshold"] = r.threshold;
        }
        if (!r.group_by.empty()) rj["group_by"] = r.group_by;
        rj["cooldown_seconds"] = r.cooldown.value_or(h.config.cooldown).count();
        j["rules"].push_back(std::move(rj));
      }
      j["detectors"] = nlohmann::json::array();
      for (const auto& [name, on] : detectors)
        j["detectors"].push_back({{"id", name}, {"enabled", on}});
      j["channels"] = nlohmann::json::array();
      for (const auto& c : h.config.channels) {
        j["channels"].push_back(
            {{"name", c.name},
             {"type", std::string(monitor::ChannelTypeName(c.type))},
             {"min_severity", std::string(monitor::SeverityName(c.min_severity))}});
      }
      ctx.io.out << j.dump(2) << "\n";
      return OkStatus();
    }
    for (const auto& r : rules) {
      std::string what =
          r.window ? fmt::format("more than {} in {}", r.threshold, FormatDuration(*r.window))
                   : "each match";
      ctx.io.out << fmt::format("{:<28} {:<8} {:<8} {:<24} {}\n", r.id,
                                monitor::SeverityName(r.severity),
                                r.enabled ? "enabled" : "disabled", what, r.source);
    }
    for (const auto& [name, on] : detectors) {
      ctx.io.out << fmt::format("{:<28} {:<8} {:<8} {:<24} {}\n", name, "",
                                on ? "enabled" : "disabled", "anomaly detector", "builtin");
    }
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int Check(CommandContext& ctx, const MonitorArgs& a) {
  auto run = [&]() -> Status {
    auto fs = NewLocalFileSystem();
    for (const std::string& f : a.files) {
      BULWARK_ASSIGN_OR_RETURN(auto rules, monitor::LoadAlertRulesFile(*fs, f));
      ctx.io.out << fmt::format("{}: {} rule(s) OK\n", f, rules.size());
    }
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int Status_(CommandContext& ctx, const MonitorArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(HomeMonitor h, OpenHome(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(node::AuditTrail * trail, h.node->Audit());
    BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, trail->Size(h.request));
    auto read = monitor::ReadMonitorState(*h.rt().fs, h.home().monitor_state());
    if (!read) return std::unexpected(read.error());
    const monitor::MonitorState* state = read->has_value() ? &**read : nullptr;
    nlohmann::json j;
    j["log_size"] = size;
    j["started"] = state != nullptr;
    if (state) {
      j["cursor"] = state->cursor;
      j["lag"] = size > state->cursor ? size - state->cursor : 0;
      j["cooldowns"] = nlohmann::json::array();
      for (const auto& c : state->cooldowns) {
        j["cooldowns"].push_back(
            {{"rule", c.rule},
             {"group", c.group},
             {"until", FormatRfc3339(TimePoint(std::chrono::microseconds(c.until_us)))},
             {"suppressed", c.suppressed}});
      }
    }
    j["channels"] = nlohmann::json::array();
    for (const auto& c : h.config.channels) j["channels"].push_back(c.name);
    if (a.json) {
      ctx.io.out << j.dump(2) << "\n";
    } else if (!state) {
      ctx.io.out << fmt::format("monitor: never started for this home; the log has {} events\n",
                                size);
    } else {
      ctx.io.out << fmt::format(
          "monitor: cursor {} of {} events (lag {}), {} cool-down(s), {} channel(s)\n",
          state->cursor, size, j["lag"].get<std::uint64_t>(), state->cooldowns.size(),
          h.config.channels.size());
    }
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

}  // namespace

void RegisterMonitorCommands(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<MonitorArgs>();
  CLI::App* m = app.add_subcommand(
      "monitor", "Alert rules and anomaly detection over the audit log (docs/monitor.md)");
  m->require_subcommand(0, 1);
  m->add_option("--home", args->home, "Bulwark home (default $BULWARK_HOME or ~/.bulwark)");
  m->add_flag("--once", args->once, "Evaluate what the log holds now, then exit");
  m->add_flag("--from-start", args->from_start,
              "On the first start, evaluate the whole log instead of only new events");
  m->add_flag("--dry-run", args->dry_run, "Print alerts instead of delivering them; keep no state");
  m->add_flag("--json", args->json, "One JSON object per alert");
  m->add_option("--poll-ms", args->poll_ms, "How often to look for new events")
      ->check(CLI::Range(10, 60000));
  m->callback([&ctx, m, args] {
    if (m->get_subcommands().empty()) ctx.action = [&ctx, args] { return Run(ctx, *args); };
  });
  auto sub = [&](const char* name, const char* help, auto fn) {
    auto a = std::make_shared<MonitorArgs>();
    CLI::App* c = m->add_subcommand(name, help);
    c->add_option("--home", a->home, "Bulwark home (default $BULWARK_HOME or ~/.bulwark)");
    c->callback([&ctx, a, fn] { ctx.action = [&ctx, a, fn] { return fn(ctx, *a); }; });
    return std::pair{c, a};
  };
  {
    auto [c, a] = sub("rules", "List the rules and detectors in effect", Rules);
    c->add_flag("--json", a->json, "JSON output");
  }
  {
    auto [c, a] = sub("check", "Validate alert rule files (exit 2 naming the first error)", Check);
    c->add_option("FILE", a->files, "Rule file(s)")->required();
  }
  {
    auto [c, a] = sub("status", "Cursor, lag and cool-downs of the home's monitor", Status_);
    c->add_flag("--json", a->json, "JSON output");
  }
}

}  // namespace bulwark::cli
