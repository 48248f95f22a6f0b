// bulwark audit verify | checkpoint | prove | consistency | export | verifier-key | log | hash |
// status | archive | verify-archive | ship: the tamper-evident audit log of a home and its
// shipping to sinks (docs/audit.md). The log and everything done with it is the node's
// AuditTrail (bulwark/node/audit_trail.h); these commands parse arguments and print.
#include <fmt/format.h>
#include <signal.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <mutex>
#include <thread>

#include "bulwark/auditship/format.h"
#include "bulwark/core/encoding.h"
#include "bulwark/core/stop_signal.h"
#include "bulwark/node/audit_trail.h"
#include "cli/cli_node.h"
#include "cli/command.h"

namespace bulwark::cli {
namespace fs = std::filesystem;

namespace {

struct AuditArgs {
  std::string home;
  std::string checkpoint_file;
  std::string out;
  std::uint64_t index = 0, old_size = 0, new_size = 0;
  std::string format = "jsonl";
  std::string since, until, actor, ns, path, action, outcome, impact, operation;
  bool json = false;
  bool follow = false, once = false, prometheus = false;
  std::uint64_t max_events = 0;
  std::uint64_t poll_ms = 200;
  std::string sink;
  std::vector<std::string> positional;
  // audit archive / verify-archive / verify --archive
  std::string before;
  std::optional<std::uint64_t> before_index;
  bool keep = false;
  std::vector<std::string> archives;
  // audit rotate-key
  std::vector<std::string> previous_verifiers;
};

// The home's node and its audit trail.
struct Opened {
  std::unique_ptr<node::Node> node;
  node::AuditTrail* trail = nullptr;
  request::RequestContext request;
};

Result<Opened> Open(CommandContext& ctx, const AuditArgs& a) {
  Opened o;
  BULWARK_ASSIGN_OR_RETURN(o.node, OpenNode(ctx, KeyArgs{a.home, "", ""}));
  BULWARK_ASSIGN_OR_RETURN(o.trail, o.node->Audit());
  o.request = o.node->LocalContext();
  return o;
}

Result<std::optional<std::int64_t>> TimeArg(const std::string& s) {
  if (s.empty()) return std::optional<std::int64_t>();
  BULWARK_ASSIGN_OR_RETURN(TimePoint t, ParseRfc3339(s));
  return std::optional<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

std::string B64(const audit::Hash& h) { return Base64Encode(h); }

// Runs `run` and turns its error into an exit code.
int Run(CommandContext& ctx, const std::function<Status()>& run) {
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

// ---- retention: audit archive, audit verify-archive (docs/audit.md "Retention") ----------------

int Archive(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    audit::ArchiveOptions opt;
    opt.out = a.out;
    opt.prune = !a.keep;
    opt.before_index = a.before_index;
    BULWARK_ASSIGN_OR_RETURN(opt.before_us, TimeArg(a.before));
    if (opt.before_us.has_value() == opt.before_index.has_value()) {
      return InvalidArgumentError("audit archive: give exactly one of --before or --before-index");
    }
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(node::ArchiveOutcome out, o.trail->Archive(o.request, opt));
    const audit::ArchiveResult& r = out.result;
    const std::string cap =
        r.capped ? fmt::format(
                       " (capped at event {}: sink '{}' has not acknowledged the events "
                       "from there on; `bulwark audit status` shows its lag)",
                       *out.cap, out.cap_sink)
                 : "";
    if (!r.archived) {
      ctx.io.out << fmt::format("nothing to archive: the log starts at event {}{}\n", r.start, cap);
      return OkStatus();
    }
    ctx.io.out << fmt::format("archived events [{}, {}) into {} (sha256 {}){}\n", r.start, r.end,
                              r.file.string(), r.sha256_hex,
                              a.keep
                                  ? "; --keep: the events stay in the log"
                                  : fmt::format("; the log now starts at event {}{}", r.end, cap));
    return OkStatus();
  });
}

std::vector<fs::path> Paths(const std::vector<std::string>& files) {
  return {files.begin(), files.end()};
}

int VerifyArchive(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(auto all, o.trail->VerifyArchives(o.request, Paths(a.positional)));
    bool clean = true;
    for (const auto& av : all) {
      clean = clean && av.clean();
      ctx.io.out << av.Summary();
    }
    return clean ? exit_code::kOk : exit_code::kProblemsFound;
  };
  auto r = run();
  if (!r) return ctx.Fail(r.error());
  return *r;
}

int Verify(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    node::VerifyRequest req;
    req.archives = Paths(a.archives);
    if (!a.checkpoint_file.empty()) {
      BULWARK_ASSIGN_OR_RETURN(std::string c, NewLocalFileSystem()->ReadFile(a.checkpoint_file));
      req.checkpoint = std::move(c);
    }
    BULWARK_ASSIGN_OR_RETURN(node::VerifyOutcome v, o.trail->Verify(o.request, req));
    ctx.io.out << v.Summary();
    if (v.record_error) {
      ctx.io.err << "bulwark: audit verify: could not record the result: "
                 << v.record_error->message() << "\n";
    }
    return v.clean() ? exit_code::kOk : exit_code::kProblemsFound;
  };
  auto r = run();
  if (!r) return ctx.Fail(r.error());
  return *r;
}

int Checkpoint(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(std::string note, o.trail->PublishCheckpoint(o.request));
    if (!a.out.empty()) {
      return NewLocalFileSystem()->WriteFileAtomic(
          a.out, note,
          fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
              fs::perms::others_read);
    }
    ctx.io.out << note;
    return OkStatus();
  });
}

int Prove(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(node::InclusionProof p, o.trail->Prove(o.request, a.index));
    nlohmann::ordered_json j;
    j["index"] = p.index;
    j["tree_size"] = p.tree_size;
    j["leaf_hash"] = B64(p.leaf_hash);
    j["proof"] = nlohmann::json::array();
    for (const auto& h : p.proof) j["proof"].push_back(B64(h));
    j["checkpoint"] = p.checkpoint;
    ctx.io.out << j.dump(2) << "\n";
    return OkStatus();
  });
}

int Consistency(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(node::ConsistencyProof p,
                             o.trail->Consistency(o.request, a.old_size, a.new_size));
    nlohmann::ordered_json j;
    j["old_size"] = p.old_size;
    j["new_size"] = p.new_size;
    j["old_root"] = B64(p.old_root);
    j["new_root"] = B64(p.new_root);
    j["proof"] = nlohmann::json::array();
    for (const auto& h : p.proof) j["proof"].push_back(B64(h));
    ctx.io.out << j.dump(2) << "\n";
    return OkStatus();
  });
}

int Export(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    auto format = auditship::ParseEventFormat(a.format);
    if (!format) return InvalidArgumentError("--format: " + format.error().message());
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    audit::EventFilter f;
    BULWARK_ASSIGN_OR_RETURN(f.since_us, TimeArg(a.since));
    BULWARK_ASSIGN_OR_RETURN(f.until_us, TimeArg(a.until));
    const auditship::FormatContext fc = node::ExportFormatContext();
    return o.trail->Search(o.request, f, [&](const audit::StoredEvent& e) -> Status {
      BULWARK_ASSIGN_OR_RETURN(std::string line, auditship::FormatEvent(*format, e, fc));
      ctx.io.out << line << "\n";
      return OkStatus();
    });
  });
}

int VerifierKey(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    for (const auto& v : o.trail->keys().verifiers()) ctx.io.out << v.VerifierKey() << "\n";
    return OkStatus();
  });
}

Status PrintLogLine(CommandContext& ctx, const AuditArgs& a, const audit::StoredEvent& e) {
  if (a.json) {
    ctx.io.out << e.leaf << "\n";
    return OkStatus();
  }
  nlohmann::json ev = nlohmann::json::parse(e.leaf, nullptr, false);
  if (ev.is_discarded() || !ev.contains("data")) {
    ctx.io.out << fmt::format("{:>8}  (unreadable event)\n", e.index);
    return OkStatus();
  }
  const auto& d = ev["data"];
  std::string paths;
  for (const auto& p : d.value("paths", nlohmann::json::array())) {
    paths += (paths.empty() ? "" : ",") + p.get<std::string>();
  }
  // The subject: the namespace, or the file / key / keyring the operation acted on.
  std::string subject = d.value("namespace", "");
  if (subject.empty()) subject = ev.value("subject", "");
  ctx.io.out << fmt::format("{:>8}  {}  {:<8}  {:<18} {:<8} {:<20} {:<16} {}\n", e.index,
                            ev.value("time", ""), d["impact"].value("level", ""),
                            d.value("operation", ""), d.value("outcome", ""),
                            d["actor"].value("id", ""), subject, paths);
  return OkStatus();
}

int Log(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    audit::EventFilter f;
    auto opt = [](const std::string& s) {
      return s.empty() ? std::optional<std::string>() : std::optional<std::string>(s);
    };
    f.actor = opt(a.actor);
    f.namespace_name = opt(a.ns);
    f.path = opt(a.path);
    f.action = opt(a.action);
    f.outcome = opt(a.outcome);
    if (!a.operation.empty()) f.type = "dev.bulwark." + a.operation;
    if (!a.impact.empty()) {
      BULWARK_ASSIGN_OR_RETURN(f.min_impact, audit::ParseImpactLevel(a.impact));
    }
    BULWARK_ASSIGN_OR_RETURN(f.since_us, TimeArg(a.since));
    BULWARK_ASSIGN_OR_RETURN(f.until_us, TimeArg(a.until));
    if (a.max_events > 0 && !a.follow) {
      return InvalidArgumentError("--max-events: only with --follow");
    }
    std::uint64_t printed = 0;
    std::uint64_t next = 0;  // every event below `next` was examined
    auto print = [&](const audit::StoredEvent& e) -> Status {
      BULWARK_RETURN_IF_ERROR(PrintLogLine(ctx, a, e));
      next = std::max(next, e.index + 1);
      ++printed;
      if (a.follow) ctx.io.out.flush();
      if (a.max_events > 0 && printed >= a.max_events) {
        return FailedPreconditionError("max-events");  // stops the scan; not an error
      }
      return OkStatus();
    };
    auto query = [&]() -> Result<bool> {  // true: --max-events reached
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, o.trail->Size(o.request));
      Status s = o.trail->Search(o.request, f, print);
      if (!s) {
        if (a.max_events > 0 && printed >= a.max_events) return true;
        return std::unexpected(s.error());
      }
      next = std::max(next, size);
      return false;
    };
    BULWARK_ASSIGN_OR_RETURN(bool done, query());
    if (!a.follow) return OkStatus();
    // --follow: poll the log for events appended after the ones examined, like tail -f, until
    // interrupted (or --max-events were printed).
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(a.poll_ms));
      f.from_index = next;
      BULWARK_ASSIGN_OR_RETURN(done, query());
    }
    return OkStatus();
  });
}

int Hash(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    if (a.positional.size() != 2)
      return InvalidArgumentError("usage: bulwark audit hash NS PATH < value");
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    std::ostringstream ss;
    ss << ctx.io.in.rdbuf();
    std::string value = ss.str();
    if (!value.empty() && value.back() == '\n') value.pop_back();
    auto h = o.trail->HashValue(o.request, a.positional[0], a.positional[1], value);
    SecureZero(value);
    if (!h) return std::unexpected(h.error());
    ctx.io.out << *h << "\n";
    return OkStatus();
  });
}

int StatusCmd(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    BULWARK_ASSIGN_OR_RETURN(node::AuditStatus st, o.trail->StatusReport(o.request));
    ctx.io.out << (a.prometheus ? st.Prometheus() : st.Json());
    return OkStatus();
  });
}

int Ship(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(ctx, a));
    std::mutex err_mu;
    auditship::ShipperOptions opts;
    opts.on_failure = [&](const std::string& sink, const Error& e,
                          std::chrono::milliseconds retry) {
      std::lock_guard lock(err_mu);
      ctx.io.err << fmt::format("bulwark: audit ship: {}; sink '{}' retries in {} ms\n",
                                e.message(), sink, retry.count());
      ctx.io.err.flush();
    };
    BULWARK_ASSIGN_OR_RETURN(
        node::HomeShipper hs,
        o.trail->OpenShipper(o.request, a.sink, a.once ? auditship::ShipperOptions{} : opts));
    if (hs.shipper->sinks().empty()) {
      return FailedPreconditionError(
          fmt::format("no audit sinks configured in {} (audit.sinks)", hs.config_file.string()));
    }
    BULWARK_ASSIGN_OR_RETURN(FileLock lock, o.trail->LockShipping(o.request));
    if (a.once) {
      std::optional<Error> first;
      for (const auto& c : hs.shipper->sinks()) {
        auto n = hs.shipper->Drain(c.name);
        if (!n) {
          ctx.io.err << fmt::format("bulwark: audit ship: {}\n", n.error().message());
          if (!first) first = n.error();
          continue;
        }
        ctx.io.out << fmt::format("{}: shipped {} events\n", c.name, *n);
      }
      if (first) {
        return std::unexpected(Error(first->code(), fmt::format("audit ship: not every sink is "
                                                                "caught up (first: {})",
                                                                first->message())));
      }
      return OkStatus();
    }
    // Daemon: ship until SIGINT or SIGTERM (taken synchronously: no handler runs concurrently
    // with the shipper).
    RunUntilStopSignal([&](std::stop_token st) { hs.shipper->Run(st); },
                       [&] {
                         ctx.io.err << fmt::format(
                             "bulwark: audit ship: shipping to {} sink(s); SIGINT/SIGTERM stops\n",
                             hs.shipper->sinks().size());
                         ctx.io.err.flush();
                       });
    return OkStatus();
  });
}

// audit rotate-key: a new signing key, the rotation recorded in the log and signed by it.
int RotateKey(CommandContext& ctx, const AuditArgs& a) {
  return Run(ctx, [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto node, OpenNode(ctx, KeyArgs{a.home, "", ""}));
    BULWARK_ASSIGN_OR_RETURN(node::RotatedAuditKey r,
                             node->RotateAuditKey(node->LocalContext(), a.previous_verifiers));
    ctx.io.out << fmt::format("new signing key for {}; verifier key:\n{}\n", r.origin,
                              r.verifier_key);
    if (r.kind == audit::RotationKind::kReplacedLost && a.previous_verifiers.empty()) {
      ctx.io.err << "bulwark: checkpoints signed by the lost key verify only with its verifier "
                    "key: rerun with --previous-verifier KEY if you have it\n";
    }
    return node->Close();
  });
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* audit = app.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  auto make = [&](const char* name, const char* help, auto fn) {
    auto a = std::make_shared<AuditArgs>();
    CLI::App* c = audit->add_subcommand(name, help);
    c->add_option("--home", a->home, "Bulwark home (default $BULWARK_HOME or ~/.bulwark)");
    c->callback([&ctx, a, fn] { ctx.action = [&ctx, a, fn] { return fn(ctx, *a); }; });
    return std::pair{c, a};
  };
  {
    auto [c, a] = make("verify", "Recompute and check the whole log; exit 1 on tampering", Verify);
    c->add_option("--checkpoint", a->checkpoint_file, "A signed checkpoint the log must match");
    c->add_option("--archive", a->archives, "Also verify this archive file (repeatable)");
  }
  {
    auto [c, a] = make("archive", "Move the oldest events into a self-verifying file", Archive);
    c->add_option("--before", a->before, "Archive the events older than this RFC 3339 time");
    c->add_option("--before-index", a->before_index, "Archive the events below this index");
    c->add_option("--out", a->out, "Archive file to write")->required();
    c->add_flag("--keep", a->keep, "Write and verify the file but keep the events in the log");
  }
  {
    auto [c, a] =
        make("verify-archive", "Verify archive files; exit 1 on tampering", VerifyArchive);
    c->add_option("FILE", a->positional, "Archive file(s)")->required();
  }
  {
    auto [c, a] = make("checkpoint", "Sign and print a checkpoint of the current log", Checkpoint);
    c->add_option("--out", a->out, "Write the signed checkpoint to FILE");
  }
  {
    auto [c, a] = make("prove", "Inclusion proof of event INDEX in a fresh checkpoint", Prove);
    c->add_option("INDEX", a->index)->required();
  }
  {
    auto [c, a] =
        make("consistency", "Consistency proof between tree sizes OLD and NEW", Consistency);
    c->add_option("OLD", a->old_size)->required();
    c->add_option("NEW", a->new_size)->required();
  }
  {
    auto [c, a] = make("export", "Export events", Export);
    c->add_option("--format", a->format, "jsonl (verifiable) | cloudevents | cef | syslog");
    c->add_option("--since", a->since, "RFC 3339 time (inclusive)");
    c->add_option("--until", a->until, "RFC 3339 time (exclusive)");
  }
  make("verifier-key", "Print the log's signed-note verifier key(s)", VerifierKey);
  {
    auto [c, a] = make("rotate-key",
                       "Start signing checkpoints with a new key (also after the key file was "
                       "lost); recorded in the log",
                       RotateKey);
    c->add_option("--previous-verifier", a->previous_verifiers,
                  "A verifier key of the lost key (as `audit verifier-key` printed it), so that "
                  "its checkpoints keep verifying (repeatable)");
  }
  {
    auto [c, a] = make("log", "Query events", Log);
    c->add_option("--actor", a->actor, "Actor id");
    c->add_option("--ns", a->ns, "Namespace");
    c->add_option("--path", a->path, "Path (or any path below it)");
    c->add_option("--action", a->action, "read, reveal, write, delete, rotate, admin, ...");
    c->add_option("--operation", a->operation,
                  "Operation: config.get, file.decrypt, key.destroy, ... (docs/node.md)");
    c->add_option("--outcome", a->outcome, "success, denied, failure");
    c->add_option("--impact", a->impact, "Minimum impact: low, medium, high, critical");
    c->add_option("--since", a->since, "RFC 3339 time (inclusive)");
    c->add_option("--until", a->until, "RFC 3339 time (exclusive)");
    c->add_flag("--json", a->json, "One CloudEvents JSON object per line");
    c->add_flag("--follow,-f", a->follow,
                "Keep running and print matching events as they are appended (like tail -f)");
    c->add_option("--max-events", a->max_events,
                  "With --follow: exit after printing N events (scripts, tests)");
    c->add_option("--poll-ms", a->poll_ms, "With --follow: how often to look for new events")
        ->check(CLI::Range(10, 60000));
  }
  {
    auto [c, a] = make("hash", "HMAC of a value (stdin) as audit output references it", Hash);
    c->add_option("NS_PATH", a->positional, "NS PATH")->expected(2)->required();
  }
  {
    auto [c, a] =
        make("status", "Log size, checkpoints, signers, sink lag and errors (JSON)", StatusCmd);
    c->add_flag("--prometheus", a->prometheus, "Prometheus text exposition format instead");
  }
  {
    auto [c, a] = make("ship", "Ship the log to the sinks of <home>/config.yaml", Ship);
    c->add_flag("--once", a->once, "Ship what is there to every sink and exit (1 sink failing: 5)");
    c->add_option("--sink", a->sink, "Only this sink");
  }
}

}  // namespace bulwark::cli
