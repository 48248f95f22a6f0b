// bulwark audit verify | checkpoint | prove | consistency | export | verifier-key | log | hash |
// status: the tamper-evident audit log of a home (docs/audit.md).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/proof.h"
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
  std::vector<std::string> positional;
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
    if (!v.clean()) {
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
    BULWARK_ASSIGN_OR_RETURN(auto proof, audit::InclusionProof(*o.h.log, a.index, cp.size));
    std::vector<audit::Hash> leaf;
    BULWARK_RETURN_IF_ERROR(o.h.log->ReadLeafHashes(a.index, a.index + 1, leaf));
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
    BULWARK_ASSIGN_OR_RETURN(auto proof, audit::ConsistencyProof(*o.h.log, a.old_size, a.new_size));
    BULWARK_ASSIGN_OR_RETURN(audit::Hash r1, audit::RootAt(*o.h.log, a.old_size));
    BULWARK_ASSIGN_OR_RETURN(audit::Hash r2, audit::RootAt(*o.h.log, a.new_size));
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
