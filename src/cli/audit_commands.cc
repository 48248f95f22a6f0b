// bulwark audit verify | checkpoint | prove | consistency | export | verifier-key | log | hash |
// status: the tamper-evident audit log of a home (docs/audit.md).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bulwark/audit/archive.h"
#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/proof.h"
#include "bulwark/core/encoding.h"
#include "cli/audit_home.h"
#include "cli/command.h"
#include "cli/home.h"

namespace bulwark::cli {
namespace fs = std::filesystem;

Result<HomeAuditLog> OpenHomeAuditLog(const Runtime& rt, const fs::path& home) {
  BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home, kPrivateDir));
  HomeAuditLog h;
  BULWARK_ASSIGN_OR_RETURN(h.keys, audit::LoadOrCreateLogKeys(rt, home / "audit-log.key"));
  audit::AuditLogOptions o;
  o.path = home / "audit.db";
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
    BULWARK_ASSIGN_OR_RETURN(audit::ArchiveResult r, audit::ArchiveLog(*o.h.log, verifier, opt));
    if (!r.archived) {
      ctx.io.out << fmt::format("nothing to archive: the log starts at event {}\n", r.start);
      return OkStatus();
    }
    ctx.io.out << fmt::format("archived events [{}, {}) into {} (sha256 {}){}\n", r.start, r.end,
                              r.file.string(), r.sha256_hex,
                              a.keep ? "; --keep: the events stay in the log"
                                     : fmt::format("; the log now starts at event {}", r.end));
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

std::string CefEscapeHeader(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '|') o += '\\';
    o += c;
  }
  return o;
}
std::string CefEscapeValue(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '=') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

int ImpactSeverity(const std::string& level, bool syslog) {
  // CEF 0..10 / syslog severity (2 critical, 3 error, 4 warning, 6 informational).
  if (level == "critical") return syslog ? 2 : 10;
  if (level == "high") return syslog ? 3 : 8;
  if (level == "medium") return syslog ? 4 : 5;
  return syslog ? 6 : 3;
}

Status ExportLine(CommandContext& ctx, const std::string& format, const audit::StoredEvent& e,
                  const std::string& host) {
  nlohmann::json ev = nlohmann::json::parse(e.leaf, nullptr, false);
  if (ev.is_discarded()) return DataLossError(fmt::format("audit event {}: not JSON", e.index));
  if (format == "jsonl") {
    nlohmann::ordered_json j;
    j["index"] = e.index;
    j["leaf"] = Base64Encode(e.leaf);
    j["event"] = ev;
    ctx.io.out << j.dump() << "\n";
  } else if (format == "cloudevents") {
    ctx.io.out << e.leaf << "\n";
  } else {
    const auto& d = ev.contains("data") ? ev["data"] : nlohmann::json::object();
    auto str = [](const nlohmann::json& j, const char* k) {
      return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    std::string level = d.contains("impact") ? str(d["impact"], "level") : "low";
    std::string actor = d.contains("actor") ? str(d["actor"], "id") : "";
    if (format == "cef") {
      std::string paths;
      if (d.contains("paths")) {
        for (const auto& p : d["paths"]) paths += (paths.empty() ? "" : ",") + p.get<std::string>();
      }
      ctx.io.out << fmt::format(
          "CEF:0|Bulwark|bulwark|" BULWARK_VERSION
          "|{}|{}|{}|rt={} suser={} act={} outcome={} "
          "cs1Label=namespace cs1={} cs2Label=paths cs2={} cs3Label=impact cs3={} "
          "cn1Label=index cn1={} externalId={}\n",
          CefEscapeHeader(str(ev, "type")), CefEscapeHeader(str(d, "operation")),
          ImpactSeverity(level, false), e.time_us / 1000, CefEscapeValue(actor),
          CefEscapeValue(str(d, "action")), CefEscapeValue(str(d, "outcome")),
          CefEscapeValue(str(d, "namespace")), CefEscapeValue(paths), CefEscapeValue(level),
          e.index, CefEscapeValue(str(ev, "id")));
    } else {  // syslog RFC 5424, facility 13 (log audit)
      ctx.io.out << fmt::format(
          "<{}>1 {} {} bulwark - {} [bulwark@32473 index=\"{}\" impact=\"{}\"] {}\n",
          13 * 8 + ImpactSeverity(level, true), str(ev, "time"), host, str(ev, "type"), e.index,
          level, e.leaf);
    }
  }
  return OkStatus();
}

int Export(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    if (a.format != "jsonl" && a.format != "cloudevents" && a.format != "cef" &&
        a.format != "syslog") {
      return InvalidArgumentError(
          fmt::format("--format {}: expected jsonl, cloudevents, cef or syslog", a.format));
    }
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    audit::EventFilter f;
    BULWARK_ASSIGN_OR_RETURN(f.since_us, TimeArg(a.since));
    BULWARK_ASSIGN_OR_RETURN(f.until_us, TimeArg(a.until));
    char host[256] = "localhost";
    ::gethostname(host, sizeof(host) - 1);
    return o.h.log->Query(
        f, [&](const audit::StoredEvent& e) { return ExportLine(ctx, a.format, e, host); });
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
    return o.h.log->Query(f, [&](const audit::StoredEvent& e) -> Status {
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
    });
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

int StatusCmd(CommandContext& ctx, const AuditArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Opened o, Open(a));
    BULWARK_ASSIGN_OR_RETURN(audit::TreeState st, o.h.log->State());
    BULWARK_ASSIGN_OR_RETURN(auto latest, o.h.log->LatestCheckpoint());
    nlohmann::ordered_json j;
    j["database"] = (o.home / "audit.db").string();
    j["origin"] = o.h.keys.origin;
    j["events"] = st.size;
    j["checkpoint_size"] = latest ? latest->size : 0;
    j["checkpoint_time"] =
        latest ? FormatRfc3339(TimePoint(std::chrono::microseconds(latest->time_us)))
               : std::string();
    j["unsigned_events"] = st.size - (latest ? std::min(latest->size, st.size) : 0);
    j["signers"] = nlohmann::json::array();
    for (const auto& v : o.h.keys.verifiers()) j["signers"].push_back(v.VerifierKey());
    j["writable"] = static_cast<bool>(o.h.log->HealthCheck());
    ctx.io.out << j.dump(2) << "\n";
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
  }
  {
    auto [c, a] = make("hash", "HMAC of a value (stdin) as audit output references it", Hash);
    c->add_option("NS_PATH", a->positional, "NS PATH")->expected(2)->required();
  }
  make("status", "Log size, checkpoints, signers", StatusCmd);
}

}  // namespace bulwark::cli
