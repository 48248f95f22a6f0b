// bulwark audit verify | checkpoint | prove | consistency | export | verifier-key | log | hash |
// status | ship: the tamper-evident audit log of a home and its shipping to sinks (docs/audit.md).
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bulwark/audit/archive.h"
#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/proof.h"
#include "bulwark/auditship/format.h"
#include "bulwark/auditship/shipper.h"
#include "bulwark/auditship/sink_config.h"
#include "bulwark/auditship/sink_state.h"
#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"
#include "cli/audit_home.h"
#include "cli/command.h"
#include "cli/home.h"

namespace bulwark::cli {
namespace fs = std::filesystem;

Result<std::string> AuditStoreUrl(const Runtime& rt, const fs::path& home) {
  if (const char* e = std::getenv("BULWARK_AUDIT_STORE"); e != nullptr && *e != '\0') return e;
  const fs::path file = home / "config.yaml";
  BULWARK_ASSIGN_OR_RETURN(bool exists, rt.fs->Exists(file));
  if (exists) {
    BULWARK_ASSIGN_OR_RETURN(config::Document doc,
                             config::LoadFile(*rt.fs, file, config::Format::kYaml));
    if (const config::Value* a = doc.root.Get("audit")) {
      const config::Value* st = a->is_map() ? a->Get("store") : nullptr;
      if (st != nullptr) {
        if (!st->is_string() || st->AsString().empty()) {
          return InvalidArgumentError(fmt::format(
              "{}: audit.store: a store URL (sqlite:PATH or postgresql://...)", file.string()));
        }
        return st->AsString();
      }
    }
  }
  return "sqlite:" + (home / "audit.db").string();
}

Result<HomeAuditLog> OpenHomeAuditLog(const Runtime& rt, const fs::path& home) {
  BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home, kPrivateDir));
  HomeAuditLog h;
  BULWARK_ASSIGN_OR_RETURN(h.keys, audit::LoadOrCreateLogKeys(rt, home / "audit-log.key"));
  audit::AuditLogOptions o;
  o.path = home / "audit.db";
  BULWARK_ASSIGN_OR_RETURN(o.url, AuditStoreUrl(rt, home));
  o.origin = h.keys.origin;
  o.signers = h.keys.signers;
  o.runtime = rt;
  if (const char* e = std::getenv("BULWARK_AUDIT_CHECKPOINT_EVERY"); e != nullptr && *e != '\0') {
    o.checkpoint_every = std::max<std::uint64_t>(1, std::strtoull(e, nullptr, 10));
  }
  BULWARK_ASSIGN_OR_RETURN(auto log, audit::AuditLog::Open(std::move(o)));
  h.log = std::move(log);
  return h;
}

Result<std::unique_ptr<service::AuditSink>> OpenHomeAuditSink(const Runtime& rt,
                                                              const fs::path& home) {
  BULWARK_ASSIGN_OR_RETURN(HomeAuditLog h, OpenHomeAuditLog(rt, home));
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  return std::unique_ptr<service::AuditSink>(std::make_unique<audit::LogAuditSink>(
      h.log, audit::ImpactClassifier::Default(), fmt::format("bulwark://{}/config", host), rt));
}

namespace {

struct AuditArgs {
  std::string home;
  std::string checkpoint_file;
  std::string out;
  std::uint64_t index = 0, old_size = 0, new_size = 0;
  std::string format = "jsonl";
  std::string since, until, actor, ns, path, action, outcome, impact;
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
};

struct Opened {
  Runtime rt;
  fs::path home;
  HomeAuditLog h;
};

Result<Opened> Open(const AuditArgs& a) {
  Opened o{Runtime::System(), {}, {}};
  BULWARK_ASSIGN_OR_RETURN(o.home, ResolveHome(a.home));
  BULWARK_ASSIGN_OR_RETURN(o.h, OpenHomeAuditLog(o.rt, o.home));
  return o;
}

Result<audit::CheckpointVerifier> VerifierOf(const HomeAuditLog& h) {
  return audit::CheckpointVerifier::Create(h.keys.origin, h.keys.verifiers());
}

Result<std::optional<std::int64_t>> TimeArg(const std::string& s) {
  if (s.empty()) return std::optional<std::int64_t>();
  BULWARK_ASSIGN_OR_RETURN(TimePoint t, ParseRfc3339(s));
  return std::optional<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

std::string B64(const audit::Hash& h) { return Base64Encode(h); }

// ---- retention: audit archive, audit verify-archive (docs/audit.md "Retention") ----------------

// FailedPrecondition naming the archive file when event `index` was archived.
Status NotArchived(const audit::AuditLog& log, std::uint64_t index) {
  BULWARK_ASSIGN_OR_RETURN(auto records, log.Archives());
  for (const auto& r : records) {
    if (index >= r.start && index < r.end) {
      return FailedPreconditionError(fmt::format(
          "audit event {} is archived in {} (events [{}, {}), sha256 {}); check it there with "
          "`bulwark audit verify-archive {}`",
          index, r.file, r.start, r.end, HexEncode(r.sha256), r.file));
    }
  }
  return OkStatus();
}

// Verifies archive files; with `require_recorded` each must be the file the log recorded for its
// range, otherwise only files whose range the log recorded are compared. Prints one summary per
// file; false when any has findings.
Result<bool> VerifyArchiveFiles(CommandContext& ctx, const std::vector<std::string>& files,
                                const audit::CheckpointVerifier& verifier,
                                const std::vector<audit::ArchiveRecord>& records,
                                bool require_recorded) {
  std::vector<audit::ArchiveVerification> all;
  for (const auto& f : files) {
    BULWARK_ASSIGN_OR_RETURN(audit::ArchiveVerification av, audit::VerifyArchiveFile(f, verifier));
    const bool recorded =
        std::any_of(records.begin(), records.end(), [&](const auto& r) { return r.end == av.end; });
    if (av.end > 0 && (require_recorded || recorded)) audit::CheckArchiveRecorded(records, av);
    all.push_back(std::move(av));
  }
  audit::CheckArchiveChain(all);
  bool clean = true;
  for (const auto& av : all) {
    clean = clean && av.clean();
    ctx.io.out << av.Summary();
  }
  return clean;
}

int Archive(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    audit::ArchiveOptions opt;
    opt.out = a.out;
    opt.prune = !a.keep;
    opt.before_index = a.before_index;
    BULWARK_ASSIGN_OR_RETURN(opt.before_us, TimeArg(a.before));
    if (opt.before_us.has_value() == opt.before_index.has_value()) {
      return InvalidArgumentError("audit archive: give exactly one of --before or --before-index");
    }
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(auto verifier, VerifierOf(o.h));
    // Retention never removes events a configured sink has not acknowledged (the log is the
    // sinks' spool): the boundary is capped at the lowest sink cursor.
    std::string behind;
    if (opt.prune) {
      BULWARK_ASSIGN_OR_RETURN(auto sinks,
                               auditship::LoadSinkConfigs(*o.rt.fs, o.home / "config.yaml"));
      if (!sinks.empty()) {
        BULWARK_ASSIGN_OR_RETURN(auto states,
                                 auditship::SinkStateStore::Open(o.home / "audit-sinks.db"));
        for (const auto& c : sinks) {
          BULWARK_ASSIGN_OR_RETURN(auditship::SinkState st, states->Get(c.name));
          if (!opt.max_end || st.cursor < *opt.max_end) {
            opt.max_end = st.cursor;
            behind = c.name;
          }
        }
      }
    }
    BULWARK_ASSIGN_OR_RETURN(audit::ArchiveResult r, audit::ArchiveLog(*o.h.log, verifier, opt));
    const std::string cap =
        r.capped ? fmt::format(
                       " (capped at event {}: sink '{}' has not acknowledged the events "
                       "from there on; `bulwark audit status` shows its lag)",
                       *opt.max_end, behind)
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
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int VerifyArchive(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(auto verifier, VerifierOf(o.h));
    BULWARK_ASSIGN_OR_RETURN(auto records, o.h.log->Archives());
    BULWARK_ASSIGN_OR_RETURN(bool clean,
                             VerifyArchiveFiles(ctx, a.positional, verifier, records, false));
    return clean ? exit_code::kOk : exit_code::kProblemsFound;
  };
  auto r = run();
  if (!r) return ctx.Fail(r.error());
  return *r;
}

int Verify(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(auto verifier, VerifierOf(o.h));
    const fs::path trusted_path = o.home / "audit-trusted-checkpoint";
    std::optional<std::string> trusted;
    BULWARK_ASSIGN_OR_RETURN(bool have_trusted, o.rt.fs->Exists(trusted_path));
    if (have_trusted) {
      BULWARK_ASSIGN_OR_RETURN(std::string t, o.rt.fs->ReadFile(trusted_path));
      trusted = std::move(t);
    }
    std::vector<std::string> extra;
    if (!a.checkpoint_file.empty()) {
      BULWARK_ASSIGN_OR_RETURN(std::string c, o.rt.fs->ReadFile(a.checkpoint_file));
      extra.push_back(std::move(c));
    }
    BULWARK_ASSIGN_OR_RETURN(audit::AuditVerification v,
                             audit::VerifyAuditLog(*o.h.log, verifier, trusted, extra));
    BULWARK_ASSIGN_OR_RETURN(bool archives_clean,
                             VerifyArchiveFiles(ctx, a.archives, verifier, v.archives, true));
    if (!v.clean() || !archives_clean) {
      ctx.io.out << v.Summary();
      return exit_code::kProblemsFound;
    }
    ctx.io.out << v.Summary();
    if (v.newest_checkpoint) {
      BULWARK_RETURN_IF_ERROR(
          o.rt.fs->WriteFileAtomic(trusted_path, *v.newest_checkpoint, kPrivateFile));
    }
    return exit_code::kOk;
  };
  auto r = run();
  if (!r) return ctx.Fail(r.error());
  return *r;
}

int Checkpoint(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(std::string note, o.h.log->PublishCheckpoint());
    if (!a.out.empty()) {
      return o.rt.fs->WriteFileAtomic(
          a.out, note, kPrivateFile | fs::perms::group_read | fs::perms::others_read);
    }
    ctx.io.out << note;
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int Prove(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(std::string note, o.h.log->PublishCheckpoint());
    BULWARK_ASSIGN_OR_RETURN(auto verifier, VerifierOf(o.h));
    BULWARK_ASSIGN_OR_RETURN(audit::Checkpoint cp, verifier.Open(note));
    if (a.index >= cp.size) {
      return NotFoundError(fmt::format("audit event {}: the log has {} events", a.index, cp.size));
    }
    BULWARK_ASSIGN_OR_RETURN(auto reader, audit::ArchivedTreeReader::ForLog(*o.h.log));
    BULWARK_RETURN_IF_ERROR(NotArchived(*o.h.log, a.index));
    BULWARK_ASSIGN_OR_RETURN(auto proof, audit::InclusionProof(reader, a.index, cp.size));
    std::vector<audit::Hash> leaf;
    BULWARK_RETURN_IF_ERROR(reader.ReadLeafHashes(a.index, a.index + 1, leaf));
    nlohmann::ordered_json j;
    j["index"] = a.index;
    j["tree_size"] = cp.size;
    j["leaf_hash"] = B64(leaf[0]);
    j["proof"] = nlohmann::json::array();
    for (const auto& h : proof) j["proof"].push_back(B64(h));
    j["checkpoint"] = note;
    ctx.io.out << j.dump(2) << "\n";
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int Consistency(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(auto reader, audit::ArchivedTreeReader::ForLog(*o.h.log));
    BULWARK_ASSIGN_OR_RETURN(auto proof, audit::ConsistencyProof(reader, a.old_size, a.new_size));
    BULWARK_ASSIGN_OR_RETURN(audit::Hash r1, audit::RootAt(reader, a.old_size));
    BULWARK_ASSIGN_OR_RETURN(audit::Hash r2, audit::RootAt(reader, a.new_size));
    nlohmann::ordered_json j;
    j["old_size"] = a.old_size;
    j["new_size"] = a.new_size;
    j["old_root"] = B64(r1);
    j["new_root"] = B64(r2);
    j["proof"] = nlohmann::json::array();
    for (const auto& h : proof) j["proof"].push_back(B64(h));
    ctx.io.out << j.dump(2) << "\n";
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

std::string HostName() {
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  host[sizeof(host) - 1] = '\0';
  return host;
}

auditship::FormatContext FormatContextOf() {
  auditship::FormatContext f;
  f.hostname = HostName();
  f.product_version = BULWARK_VERSION;
  return f;
}

int Export(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    auto format = auditship::ParseEventFormat(a.format);
    if (!format) return InvalidArgumentError("--format: " + format.error().message());
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    audit::EventFilter f;
    BULWARK_ASSIGN_OR_RETURN(f.since_us, TimeArg(a.since));
    BULWARK_ASSIGN_OR_RETURN(f.until_us, TimeArg(a.until));
    const auditship::FormatContext fc = FormatContextOf();
    return o.h.log->Query(f, [&](const audit::StoredEvent& e) -> Status {
      BULWARK_ASSIGN_OR_RETURN(std::string line, auditship::FormatEvent(*format, e, fc));
      ctx.io.out << line << "\n";
      return OkStatus();
    });
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int VerifierKey(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    for (const auto& v : o.h.keys.verifiers()) ctx.io.out << v.VerifierKey() << "\n";
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
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
  ctx.io.out << fmt::format("{:>8}  {}  {:<8}  {:<18} {:<8} {:<20} {:<16} {}\n", e.index,
                            ev.value("time", ""), d["impact"].value("level", ""),
                            d.value("operation", ""), d.value("outcome", ""),
                            d["actor"].value("id", ""), d.value("namespace", ""), paths);
  return OkStatus();
}

int Log(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    audit::EventFilter f;
    auto opt = [](const std::string& s) {
      return s.empty() ? std::optional<std::string>() : std::optional<std::string>(s);
    };
    f.actor = opt(a.actor);
    f.namespace_name = opt(a.ns);
    f.path = opt(a.path);
    f.action = opt(a.action);
    f.outcome = opt(a.outcome);
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
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, o.h.log->LeafCount());
      Status s = o.h.log->Query(f, print);
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
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

int Hash(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    if (a.positional.size() != 2)
      return InvalidArgumentError("usage: bulwark audit hash NS PATH < value");
    Runtime rt = Runtime::System();
    BULWARK_ASSIGN_OR_RETURN(fs::path home, ResolveHome(a.home));
    BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home, kPrivateDir));
    BULWARK_ASSIGN_OR_RETURN(SecretBytes key,
                             audit::LoadOrCreateAuditHmacKey(rt, home / "audit-hmac.key"));
    std::ostringstream ss;
    ss << ctx.io.in.rdbuf();
    std::string value = ss.str();
    if (!value.empty() && value.back() == '\n') value.pop_back();
    auto h = audit::AuditValueHash(key, a.positional[0], a.positional[1], value);
    SecureZero(value);
    if (!h) return std::unexpected(h.error());
    ctx.io.out << *h << "\n";
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

std::string TimeOrEmpty(std::int64_t us) {
  return us == 0 ? std::string() : FormatRfc3339(TimePoint(std::chrono::microseconds(us)));
}

// The shipper of a home: sinks from <home>/config.yaml (only `only` if named), cursors in
// <home>/audit-sinks.db.
struct HomeShipper {
  std::filesystem::path config_file;
  std::unique_ptr<auditship::Shipper> shipper;
};

Result<HomeShipper> OpenShipper(const Opened& o, const std::string& only,
                                auditship::ShipperOptions options = {}) {
  HomeShipper h;
  h.config_file = o.home / "config.yaml";
  BULWARK_ASSIGN_OR_RETURN(auto sinks, auditship::LoadSinkConfigs(*o.rt.fs, h.config_file));
  if (!only.empty()) {
    std::erase_if(sinks, [&](const auditship::SinkConfig& c) { return c.name != only; });
    if (sinks.empty()) {
      return NotFoundError(
          fmt::format("--sink {}: no such sink in {} (audit.sinks)", only, h.config_file.string()));
    }
  }
  BULWARK_ASSIGN_OR_RETURN(auto states, auditship::SinkStateStore::Open(o.home / "audit-sinks.db"));
  auditship::SinkEnvironment env;
  env.format = FormatContextOf();
  env.runtime = o.rt;
  options.runtime = o.rt;
  BULWARK_ASSIGN_OR_RETURN(
      h.shipper,
      auditship::Shipper::Create(
          o.h.log, std::shared_ptr<auditship::SinkStateStore>(std::move(states)), std::move(sinks),
          [env](const auditship::SinkConfig& c) { return auditship::CreateSink(c, env); },
          std::move(options)));
  return h;
}

std::string PromLabel(std::string_view v) {
  std::string o;
  for (char c : v) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

int StatusCmd(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(audit::TreeState st, o.h.log->State());
    BULWARK_ASSIGN_OR_RETURN(auto latest, o.h.log->LatestCheckpoint());
    BULWARK_ASSIGN_OR_RETURN(HomeShipper hs, OpenShipper(o, ""));
    BULWARK_ASSIGN_OR_RETURN(auto sinks, hs.shipper->Statuses());
    const std::int64_t now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(o.rt.clock->Now().time_since_epoch())
            .count();
    const std::uint64_t unsigned_events = st.size - (latest ? std::min(latest->size, st.size) : 0);
    auto age_s = [&](const auditship::SinkStatus& s) {
      return s.oldest_unshipped_us ? std::max<double>(0, (now_us - *s.oldest_unshipped_us) / 1e6)
                                   : 0.0;
    };
    if (a.prometheus) {
      auto& out = ctx.io.out;
      auto metric = [&](const char* name, const char* type, const char* help) {
        out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
      };
      metric("bulwark_audit_events", "gauge", "Events in the audit log.");
      out << "bulwark_audit_events " << st.size << "\n";
      metric("bulwark_audit_unsigned_events", "gauge", "Events after the newest checkpoint.");
      out << "bulwark_audit_unsigned_events " << unsigned_events << "\n";
      struct M {
        const char* name;
        const char* type;
        const char* help;
        std::function<std::string(const auditship::SinkStatus&)> value;
      };
      const std::vector<M> ms = {
          {"bulwark_audit_sink_lag_events", "gauge", "Events not yet acknowledged by the sink.",
           [](const auto& s) { return std::to_string(s.lag); }},
          {"bulwark_audit_sink_oldest_unshipped_age_seconds", "gauge",
           "Age of the oldest event not yet acknowledged (0 when caught up).",
           [&](const auto& s) { return fmt::format("{:.3f}", age_s(s)); }},
          {"bulwark_audit_sink_shipped_events_total", "counter", "Events acknowledged.",
           [](const auto& s) { return std::to_string(s.state.shipped); }},
          {"bulwark_audit_sink_failures_total", "counter", "Failed delivery attempts.",
           [](const auto& s) { return std::to_string(s.state.failures); }},
          {"bulwark_audit_sink_consecutive_failures", "gauge",
           "Failed attempts since the last success.",
           [](const auto& s) { return std::to_string(s.state.consecutive_failures); }},
          {"bulwark_audit_sink_last_success_timestamp_seconds", "gauge",
           "Time of the last acknowledged batch.",
           [](const auto& s) { return fmt::format("{:.3f}", s.state.last_success_us / 1e6); }},
      };
      for (const auto& m : ms) {
        if (sinks.empty()) break;
        metric(m.name, m.type, m.help);
        for (const auto& s : sinks) {
          out << m.name << "{sink=\"" << PromLabel(s.name) << "\",type=\""
              << auditship::SinkTypeName(s.type) << "\"} " << m.value(s) << "\n";
        }
      }
      return OkStatus();
    }
    nlohmann::ordered_json j;
    BULWARK_ASSIGN_OR_RETURN(std::string url, AuditStoreUrl(o.rt, o.home));
    // Never print a password of a PostgreSQL URL.
    if (auto at = url.find('@'); url.starts_with("postgres") && at != std::string::npos) {
      const auto scheme = url.find("://");
      url = url.substr(0, scheme + 3) + "***" + url.substr(at);
    }
    j["database"] = url.starts_with("sqlite:") ? url.substr(7) : url;
    j["origin"] = o.h.keys.origin;
    j["events"] = st.size;
    j["checkpoint_size"] = latest ? latest->size : 0;
    j["checkpoint_time"] =
        latest ? FormatRfc3339(TimePoint(std::chrono::microseconds(latest->time_us)))
               : std::string();
    j["unsigned_events"] = unsigned_events;
    j["signers"] = nlohmann::json::array();
    for (const auto& v : o.h.keys.verifiers()) j["signers"].push_back(v.VerifierKey());
    j["writable"] = static_cast<bool>(o.h.log->HealthCheck());
    j["sinks"] = nlohmann::json::array();
    for (const auto& s : sinks) {
      nlohmann::ordered_json k;
      k["name"] = s.name;
      k["type"] = auditship::SinkTypeName(s.type);
      k["cursor"] = s.state.cursor;
      k["lag"] = s.lag;
      k["oldest_unshipped_time"] =
          s.oldest_unshipped_us ? TimeOrEmpty(*s.oldest_unshipped_us) : std::string();
      k["oldest_unshipped_age_seconds"] = age_s(s);
      k["shipped"] = s.state.shipped;
      k["batches"] = s.state.batches;
      k["failures"] = s.state.failures;
      k["consecutive_failures"] = s.state.consecutive_failures;
      k["last_error"] = s.state.last_error;
      k["last_error_time"] = TimeOrEmpty(s.state.last_error_us);
      k["last_success_time"] = TimeOrEmpty(s.state.last_success_us);
      k["next_attempt_time"] = TimeOrEmpty(s.state.next_attempt_us);
      j["sinks"].push_back(std::move(k));
    }
    ctx.io.out << j.dump(2) << "\n";
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

// One shipper per home at a time: an exclusive lock on <home>/audit-ship.lock, held until exit.
class ShipLock {
 public:
  static Result<ShipLock> Take(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return UnavailableError(fmt::format("{}: cannot open", file.string()));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return FailedPreconditionError(fmt::format(
          "another 'bulwark audit ship' is running for this home (it holds {})", file.string()));
    }
    return ShipLock(fd);
  }
  ShipLock(ShipLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  ShipLock& operator=(ShipLock&&) = delete;
  ~ShipLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit ShipLock(int fd) : fd_(fd) {}
  int fd_;
};

int Ship(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    std::mutex err_mu;
    auditship::ShipperOptions opts;
    opts.on_failure = [&](const std::string& sink, const Error& e,
                          std::chrono::milliseconds retry) {
      std::lock_guard lock(err_mu);
      ctx.io.err << fmt::format("bulwark: audit ship: {}; sink '{}' retries in {} ms\n",
                                e.message(), sink, retry.count());
      ctx.io.err.flush();
    };
    BULWARK_ASSIGN_OR_RETURN(HomeShipper hs,
                             OpenShipper(o, a.sink, a.once ? auditship::ShipperOptions{} : opts));
    if (hs.shipper->sinks().empty()) {
      return FailedPreconditionError(
          fmt::format("no audit sinks configured in {} (audit.sinks)", hs.config_file.string()));
    }
    BULWARK_ASSIGN_OR_RETURN(ShipLock lock, ShipLock::Take(o.home / "audit-ship.lock"));
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
    // Daemon: ship until SIGINT or SIGTERM. The signals are blocked in every thread and taken
    // synchronously here, so no handler runs concurrently with the shipper.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::jthread worker([&](std::stop_token st) { hs.shipper->Run(st); });
    ctx.io.err << fmt::format("bulwark: audit ship: shipping to {} sink(s); SIGINT/SIGTERM stops\n",
                              hs.shipper->sinks().size());
    ctx.io.err.flush();
    int sig = 0;
    sigwait(&set, &sig);
    worker.request_stop();
    worker.join();
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    return OkStatus();
  };
  if (auto s = run(); !s) return ctx.Fail(s.error());
  return exit_code::kOk;
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
    auto [c, a] = make("log", "Query events", Log);
    c->add_option("--actor", a->actor, "Actor id");
    c->add_option("--ns", a->ns, "Namespace");
    c->add_option("--path", a->path, "Path (or any path below it)");
    c->add_option("--action", a->action, "read, write, delete, ...");
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
