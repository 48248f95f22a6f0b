// bulwark drift baseline|check (docs/drift.md): which stored version of a namespace is the
// approved baseline, and whether a live source (file, environment, HTTPS URL, encrypted file)
// has drifted from it. Exit codes: 0 no drift, 1 drift, 2 bad usage, 4 unknown namespace or no
// baseline, 5 live source unreachable.
#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>

#include "bulwark/config/format.h"
#include "bulwark/core/duration.h"
#include "bulwark/core/stop_signal.h"
#include "bulwark/drift/drift_service.h"
#include "bulwark/drift/watch.h"
#include "bulwark/node/remediate.h"
#include "cli/command.h"
#include "cli/store_commands.h"

namespace bulwark::cli {
namespace {

struct DriftArgs {
  StoreArgs store;
  std::string ns;
  std::int64_t version = 0;
  std::string against;
  std::vector<std::string> ignore;
  std::string ignore_file;
  std::string format = "text";
  std::string token_file;
  std::string ca_file;
  std::string timeout = "10s";
  std::string targets;
  std::string interval = "60s";
  bool once = false;
  std::string remediate;  // "", adopt, restore
};

Result<std::optional<node::RemediateMode>> RemediateModeOf(const DriftArgs& a) {
  if (a.remediate.empty()) return std::optional<node::RemediateMode>();
  auto m = node::ParseRemediateMode(a.remediate);
  if (!m) {
    return InvalidArgumentError(fmt::format("--remediate '{}': expected adopt or restore", a.remediate));
  }
  return std::optional<node::RemediateMode>(*m);
}

nlohmann::ordered_json RemediationJson(const node::Remediation& r) {
  nlohmann::ordered_json j;
  j["mode"] = r.mode == node::RemediateMode::kAdopt ? "adopt" : "restore";
  j["change"] = r.request ? nlohmann::ordered_json(r.request->request.id) : nlohmann::ordered_json(nullptr);
  j["state"] = r.request ? nlohmann::ordered_json(change::StateName(r.request->state)) : nlohmann::ordered_json(nullptr);
  j["reused"] = r.reused;
  j["refused"] = r.refused;
  j["redeploy"] = r.redeploy;
  j["note"] = r.note;
  return j;
}

// The remediation under the report: the request, what was refused, what to redeploy.
void PrintRemediation(std::ostream& out, const node::Remediation& r, std::string_view prefix = "") {
  if (!r.note.empty()) out << prefix << "remediation: " << r.note << "\n";
  for (const auto& x : r.refused) out << prefix << "  refused " << x << "\n";
  if (!r.redeploy.empty()) {
    std::string paths;
    for (const auto& x : r.redeploy) paths += (paths.empty() ? "" : ", ") + x;
    out << prefix << "  redeploy: " << paths << "\n";
  }
}

// A value as JSON text on one line ("db1", 5432, true, {"a":1}).
std::string ValueJson(const config::Value& v) {
  auto text = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
  if (!text) return drift::CanonicalText(v);
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return *text;
}

nlohmann::json ValueToJson(const config::Value& v) {
  return nlohmann::json::parse(ValueJson(v), nullptr, /*allow_exceptions=*/false);
}

void PrintText(std::ostream& out, const drift::CheckResult& r) {
  const drift::DriftReport& rep = r.report;
  if (!rep.drifted()) {
    out << fmt::format("no drift: {} matches baseline version {} ({} values compared", r.namespace_name,
                       r.baseline_version, rep.compared);
    if (rep.ignored > 0) out << fmt::format(", {} differences ignored", rep.ignored);
    out << ")\n";
    return;
  }
  out << fmt::format("drift: {} (baseline version {}) against {}\n", r.namespace_name,
                     r.baseline_version, r.source);
  for (const drift::DriftEntry& e : rep.entries) {
    std::string what;
    switch (e.kind) {
      case drift::ChangeKind::kAdded:
        what = fmt::format("  + added    {}", e.path.ToString());
        if (e.sensitive) {
          what += " (sensitive)";
        } else if (e.live) {
          what += " = " + ValueJson(*e.live);
        }
        break;
      case drift::ChangeKind::kRemoved:
        what = fmt::format("  - removed  {}", e.path.ToString());
        if (e.sensitive) {
          what += " (sensitive)";
        } else if (e.baseline) {
          what += " (was " + ValueJson(*e.baseline) + ")";
        }
        break;
      case drift::ChangeKind::kChanged:
        what = fmt::format("  ~ changed  {}", e.path.ToString());
        if (e.sensitive) {
          what += " (sensitive)";
        } else if (e.baseline && e.live) {
          what += ": " + ValueJson(*e.baseline) + " -> " + ValueJson(*e.live);
        }
        break;
    }
    if (!e.provenance.empty() && e.kind != drift::ChangeKind::kRemoved) {
      what += "    [" + e.provenance + "]";
    }
    out << what << "\n";
  }
  out << fmt::format("{} difference{}", rep.entries.size(), rep.entries.size() == 1 ? "" : "s");
  if (rep.ignored > 0) out << fmt::format(" ({} ignored)", rep.ignored);
  out << "\n";
}

void PrintJson(std::ostream& out, const drift::CheckResult& r,
               const std::optional<node::Remediation>& remediation = std::nullopt) {
  nlohmann::ordered_json j;
  j["namespace"] = r.namespace_name;
  j["baseline_version"] = r.baseline_version;
  j["source"] = r.source;
  j["drift"] = r.report.drifted();
  j["compared"] = r.report.compared;
  j["ignored"] = r.report.ignored;
  j["entries"] = nlohmann::ordered_json::array();
  for (const drift::DriftEntry& e : r.report.entries) {
    nlohmann::ordered_json o;
    o["kind"] = drift::ChangeKindName(e.kind);
    o["path"] = e.path.ToString();
    o["sensitive"] = e.sensitive;
    if (e.baseline) o["baseline"] = ValueToJson(*e.baseline);
    if (e.live) o["live"] = ValueToJson(*e.live);
    o["provenance"] = e.provenance;
    j["entries"].push_back(std::move(o));
  }
  if (remediation) j["remediation"] = RemediationJson(*remediation);
  out << j.dump(2) << "\n";
}

Result<drift::CheckRequest> CheckRequestFrom(const DriftArgs& a) {
  drift::CheckRequest req;
  BULWARK_ASSIGN_OR_RETURN(req.source, drift::ParseSource(a.against));
  BULWARK_ASSIGN_OR_RETURN(req.ignore, drift::IgnoreRules::Create(a.ignore));
  auto fs = NewLocalFileSystem();
  if (!a.ignore_file.empty()) {
    BULWARK_ASSIGN_OR_RETURN(std::string text, fs->ReadFile(a.ignore_file));
    BULWARK_ASSIGN_OR_RETURN(auto rules, drift::IgnoreRules::Parse(text, a.ignore_file));
    req.ignore.Merge(rules);
  }
  BULWARK_ASSIGN_OR_RETURN(Seconds timeout, ParseDuration(a.timeout));
  if (timeout.count() <= 0) return InvalidArgumentError("--timeout: must be positive");
  req.url.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  if (!a.token_file.empty()) {
    if (req.source.kind != drift::SourceKind::kUrl) {
      return InvalidArgumentError("--token-file: only for url: sources");
    }
    BULWARK_ASSIGN_OR_RETURN(req.url.token, drift::ReadTokenFile(*fs, a.token_file));
  }
  if (!a.ca_file.empty()) req.url.ca_file = a.ca_file;
  return req;
}

int RunCheck(CommandContext& ctx, const DriftArgs& a) {
  if (a.format != "text" && a.format != "json") {
    return ctx.Fail(Error(ErrorCode::kInvalidArgument,
                          fmt::format("--format '{}': expected text or json", a.format)));
  }
  auto req = CheckRequestFrom(a);  // bad usage before anything is opened
  if (!req) return ctx.Fail(req.error());
  auto mode = RemediateModeOf(a);
  if (!mode) return ctx.Fail(mode.error());
  req->keep_live = *mode == node::RemediateMode::kAdopt;
  auto session = OpenSession(ctx, a.store);
  if (!session) return ctx.Fail(session.error());
  std::optional<Result<node::Remediation>> remediation;
  auto result = [&]() -> Result<drift::CheckResult> {
    BULWARK_ASSIGN_OR_RETURN(drift::DriftService * drift, session->node->Drift());
    BULWARK_ASSIGN_OR_RETURN(drift::CheckResult r, drift->Check(session->request, a.ns, *req));
    if (*mode && r.report.drifted()) {
      remediation = node::RemediateDrift(*session->node, session->request, r, **mode);
    }
    r.live.reset();  // the live document (secrets in clear) is not kept past the remediation
    return r;
  }();
  Status closed = session->Close();
  if (!result) return ctx.Fail(result.error());
  if (!closed) return ctx.Fail(closed.error());
  std::optional<node::Remediation> done;
  if (remediation && *remediation) done = **remediation;
  if (a.format == "json") {
    PrintJson(ctx.io.out, *result, done);
  } else {
    PrintText(ctx.io.out, *result);
    if (done) PrintRemediation(ctx.io.out, *done);
  }
  if (remediation && !*remediation) return ctx.Fail(remediation->error().WithContext("--remediate"));
  return result->report.drifted() ? exit_code::kProblemsFound : exit_code::kOk;
}

int RunBaseline(CommandContext& ctx, const DriftArgs& a) {
  auto session = OpenSession(ctx, a.store);
  if (!session) return ctx.Fail(session.error());
  auto result = [&]() -> Result<drift::BaselineResult> {
    BULWARK_ASSIGN_OR_RETURN(drift::DriftService * drift, session->node->Drift());
    std::optional<std::int64_t> version;
    if (a.version > 0) version = a.version;
    return drift->RecordBaseline(session->request, a.ns, version);
  }();
  Status closed = session->Close();
  if (!result) return ctx.Fail(result.error());
  if (!closed) return ctx.Fail(closed.error());
  ctx.io.out << fmt::format("baseline of {}: version {} ({} sensitive values fingerprinted)\n",
                            result->namespace_name, result->record.version,
                            result->record.fingerprints.size());
  return exit_code::kOk;
}

void PrintOutcome(std::ostream& out, const drift::WatchOutcome& o, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["target"] = o.target;
    j["state"] = o.state.substr(0, o.state.find(':'));
    j["changed"] = o.changed;
    if (o.result) {
      j["namespace"] = o.result->namespace_name;
      j["baseline_version"] = o.result->baseline_version;
      j["differences"] = o.result->report.entries.size();
      nlohmann::ordered_json paths = nlohmann::ordered_json::array();
      for (const auto& e : o.result->report.entries) paths.push_back(e.path.ToString());
      j["paths"] = std::move(paths);
    } else {
      j["error"] = o.error;
    }
    out << j.dump() << "\n";
    return;
  }
  const std::string what = o.state.substr(0, o.state.find(':'));
  std::string line = fmt::format("{}: {}", o.target, what == "drift" ? "drift" : what);
  if (o.result && o.result->report.drifted()) {
    line += fmt::format(" ({} differences:", o.result->report.entries.size());
    std::size_t n = 0;
    for (const auto& e : o.result->report.entries) {
      if (n++ == 5) {
        line += " ...";
        break;
      }
      line += " " + e.path.ToString();
    }
    line += ")";
  }
  if (!o.error.empty()) line += ": " + o.error;
  if (o.changed) line += " [changed, audited]";
  out << line << "\n";
}

int RunWatch(CommandContext& ctx, const DriftArgs& a) {
  auto interval = ParseDuration(a.interval);
  if (!interval) return ctx.Fail(interval.error());
  if (interval->count() <= 0) {
    return ctx.Fail(Error(ErrorCode::kInvalidArgument, "--interval: must be positive"));
  }
  if (a.format != "text" && a.format != "json") {
    return ctx.Fail(Error(ErrorCode::kInvalidArgument,
                          fmt::format("--format '{}': expected text or json", a.format)));
  }
  auto mode = RemediateModeOf(a);
  if (!mode) return ctx.Fail(mode.error());
  auto fs = NewLocalFileSystem();
  auto targets = drift::ParseWatchTargets(*fs, a.targets);
  if (!targets) return ctx.Fail(targets.error());
  for (auto& t : *targets) t.request.keep_live = *mode == node::RemediateMode::kAdopt;
  auto session = OpenSession(ctx, a.store);
  if (!session) return ctx.Fail(session.error());
  auto run = [&]() -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(drift::DriftService * drift, session->node->Drift());
    drift::WatchDeps deps;
    deps.runtime = session->node->runtime();
    deps.drift = drift;
    deps.audit = session->node->audit_sink();
    deps.context = session->request;
    deps.state_file = session->node->home().drift_watch_state();
    const std::size_t count = targets->size();
    BULWARK_ASSIGN_OR_RETURN(auto watcher,
                             drift::DriftWatcher::Create(std::move(deps), std::move(*targets)));
    const bool json = a.format == "json";
    // --remediate: a target whose drift is new (or changed), and every drifting target on the
    // first round of this process, gets its request (reused while it stays the same drift).
    std::set<std::string> remediated;
    auto remediate = [&](drift::WatchOutcome& o) {
      if (!*mode || !o.result || !o.result->report.drifted()) return;
      if (!o.changed && remediated.contains(o.target)) return;
      remediated.insert(o.target);
      auto r = node::RemediateDrift(*session->node, session->request, *o.result, **mode);
      o.result->live.reset();
      if (json) {
        nlohmann::ordered_json j;
        j["target"] = o.target;
        j["remediation"] = r ? RemediationJson(*r) : nlohmann::ordered_json(nullptr);
        if (!r) j["error"] = r.error().message();
        ctx.io.out << j.dump() << "\n";
      } else if (r) {
        PrintRemediation(ctx.io.out, *r, o.target + ": ");
      } else {
        ctx.io.out << o.target << ": remediation failed: " << r.error().message() << "\n";
      }
    };
    if (a.once) {
      BULWARK_ASSIGN_OR_RETURN(auto outcomes, watcher->Tick());
      int code = exit_code::kOk;
      for (auto& o : outcomes) {
        PrintOutcome(ctx.io.out, o, json);
        remediate(o);
        if (o.state.starts_with("drift:") && code == exit_code::kOk) code = exit_code::kProblemsFound;
        if (!o.result) code = exit_code::kUnavailable;
      }
      return code;
    }
    RunUntilStopSignal(
        [&](std::stop_token st) {
          std::mutex mu;
          std::condition_variable_any cv;
          while (!st.stop_requested()) {
            auto outcomes = watcher->Tick();
            if (!outcomes) {
              ctx.io.err << "bulwark: drift watch: " << outcomes.error().message() << "\n";
            } else {
              for (auto& o : *outcomes) {
                if (o.changed) PrintOutcome(ctx.io.out, o, json);
                remediate(o);
              }
            }
            ctx.io.out.flush();
            ctx.io.err.flush();
            std::unique_lock l(mu);
            cv.wait_for(l, st, *interval, [] { return false; });
          }
        },
        [&] {
          ctx.io.err << fmt::format(
              "bulwark: drift watch: {} targets every {}; SIGINT/SIGTERM stops\n",
              count, FormatDuration(*interval));
          ctx.io.err.flush();
        });
    return exit_code::kOk;
  };
  auto code = run();
  Status closed = session->Close();
  if (!code) return ctx.Fail(code.error());
  if (!closed) return ctx.Fail(closed.error());
  return *code;
}

}  // namespace

void RegisterDriftCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* drift = app.add_subcommand(
      "drift", "Compare what is live (files, environment, a service's URL) with an approved version");
  drift->require_subcommand(1);
  {
    auto a = std::make_shared<DriftArgs>();
    CLI::App* c = drift->add_subcommand(
        "baseline", "Approve a stored version of NS as the baseline drift is measured against");
    c->add_option("namespace", a->ns)->required();
    c->add_option("--version", a->version, "The version to approve (default: the latest)");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunBaseline(ctx, *a); }; });
  }
  {
    auto a = std::make_shared<DriftArgs>();
    CLI::App* c = drift->add_subcommand(
        "check", "Compare a live source with NS's baseline (exit 1 on drift, 5 if unreachable)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("--against", a->against,
                  "file:PATH | env:PREFIX | url:https://HOST/PATH | encfile:PATH")
        ->required();
    c->add_option("--ignore", a->ignore, "A path glob to ignore (* in a segment, ** across)");
    c->add_option("--ignore-file", a->ignore_file, "A file of path globs, one per line");
    c->add_option("--format", a->format, "text (default) or json");
    c->add_option("--token-file", a->token_file, "url: a bearer token, read from this file");
    c->add_option("--ca-file", a->ca_file, "url: trust these CA certificates (PEM)");
    c->add_option("--timeout", a->timeout, "url: the whole fetch, e.g. 10s (default)");
    c->add_option("--remediate", a->remediate,
                  "On drift, propose a change request: adopt (the live values become the "
                  "namespace's) or restore (roll the store back to the baseline; else list what to redeploy)");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunCheck(ctx, *a); }; });
  }
  {
    auto a = std::make_shared<DriftArgs>();
    CLI::App* c = drift->add_subcommand(
        "watch", "Check many targets at an interval; audit (and alert on) each change once");
    c->add_option("--targets", a->targets, "A YAML/JSON file of targets (docs/drift.md)")->required();
    c->add_option("--interval", a->interval, "Time between rounds, e.g. 60s (default), 5m");
    c->add_flag("--once", a->once,
                "One round, then exit: 0 all match, 1 drift, 5 a target could not be checked");
    c->add_option("--format", a->format, "text (default) or json (one object per target per line)");
    c->add_option("--remediate", a->remediate,
                  "adopt or restore: a change request for each new drift (reused while it is the same)");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunWatch(ctx, *a); }; });
  }
}

}  // namespace bulwark::cli
