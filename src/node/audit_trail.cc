#include "bulwark/node/audit_trail.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bulwark/audit/proof.h"
#include "bulwark/auditship/sink.h"
#include "bulwark/auditship/sink_config.h"
#include "bulwark/auditship/sink_state.h"
#include "bulwark/core/encoding.h"

namespace bulwark::node {
namespace fs = std::filesystem;

std::string_view Version() { return BULWARK_VERSION; }

namespace {

std::string HostName() {
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  host[sizeof(host) - 1] = '\0';
  return host;
}

std::string TimeOrEmpty(std::int64_t us) {
  return us == 0 ? std::string() : FormatRfc3339(TimePoint(std::chrono::microseconds(us)));
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
// range, otherwise only files whose range the log recorded are compared.
Result<std::vector<audit::ArchiveVerification>> VerifyArchiveFiles(
    const std::vector<fs::path>& files, const audit::CheckpointVerifier& verifier,
    const std::vector<audit::ArchiveRecord>& records, bool require_recorded) {
  std::vector<audit::ArchiveVerification> all;
  for (const auto& f : files) {
    BULWARK_ASSIGN_OR_RETURN(audit::ArchiveVerification av, audit::VerifyArchiveFile(f, verifier));
    const bool recorded =
        std::any_of(records.begin(), records.end(), [&](const auto& r) { return r.end == av.end; });
    if (av.end > 0 && (require_recorded || recorded)) audit::CheckArchiveRecorded(records, av);
    all.push_back(std::move(av));
  }
  audit::CheckArchiveChain(all);
  return all;
}

}  // namespace

std::string EventSource() { return fmt::format("bulwark://{}/config", HostName()); }

auditship::FormatContext ExportFormatContext() {
  auditship::FormatContext f;
  f.hostname = HostName();
  f.product_version = std::string(Version());
  return f;
}

namespace {

// The home log's options, without its keys.
Result<audit::AuditLogOptions> HomeLogOptions(const Runtime& rt, const Home& home,
                                              const Environment& env) {
  audit::AuditLogOptions o;
  o.path = home.audit_db();
  BULWARK_ASSIGN_OR_RETURN(o.url, ResolveAuditStoreUrl(env, *rt.fs, home));
  o.runtime = rt;
  if (auto e = env("BULWARK_AUDIT_CHECKPOINT_EVERY"); e && !e->empty()) {
    o.checkpoint_every = std::max<std::uint64_t>(1, std::strtoull(e->c_str(), nullptr, 10));
  }
  return o;
}

}  // namespace

Result<HomeAuditLog> OpenHomeAuditLog(const Runtime& rt, const Home& home, const Environment& env) {
  BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home.dir, kPrivateDir));
  HomeAuditLog h;
  BULWARK_ASSIGN_OR_RETURN(audit::AuditLogOptions o, HomeLogOptions(rt, home, env));
  // A missing key is recreated only for an empty log (a lost key is rotated on purpose:
  // `bulwark audit rotate-key`).
  BULWARK_ASSIGN_OR_RETURN(h.keys, audit::LoadOrCreateLogKeysFor(rt, home.audit_log_key(), o));
  o.origin = h.keys.origin;
  o.signers = h.keys.signers;
  BULWARK_ASSIGN_OR_RETURN(auto log, audit::AuditLog::Open(std::move(o)));
  h.log = std::move(log);
  return h;
}

Result<RotatedAuditKey> RotateHomeAuditKey(const Runtime& rt, const Home& home,
                                           const Environment& env,
                                           const request::Authorizer& authorizer,
                                           const request::RequestContext& ctx,
                                           const std::vector<std::string>& previous_verifiers) {
  request::Resource resource;
  resource.kind = request::ResourceKind::kAudit;
  resource.name = home.audit_log_key().string();
  const request::Decision d = authorizer.Authorize(ctx, request::Action::kAdmin, resource);
  if (!d.allowed) {
    Error denied(ErrorCode::kPermissionDenied, fmt::format("audit rotate-key: {}", d.reason));
    // Recorded when the log can be opened with its current key (not after the key was lost).
    if (auto h = OpenHomeAuditLog(rt, home, env)) {
      audit::LogAuditSink sink(h->log, audit::ImpactClassifier::Default(), EventSource(), rt);
      request::AuditRecord r;
      r.time = rt.clock->Now();
      r.operation = "audit.rotate_key";
      r.action = request::Action::kAdmin;
      r.outcome = request::Outcome::kDenied;
      r.reason = d.reason;
      r.context = ctx;
      r.resource_kind = request::ResourceKind::kAudit;
      r.resource_name = h->keys.origin;
      if (Status s = sink.Append(r); !s) {
        return std::unexpected(denied.WithContext(s.error().message()));
      }
    }
    return std::unexpected(denied);
  }
  BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home.dir, kPrivateDir));
  BULWARK_ASSIGN_OR_RETURN(audit::AuditLogOptions o, HomeLogOptions(rt, home, env));
  RotatedAuditKey out;
  BULWARK_ASSIGN_OR_RETURN(
      audit::LogKeys keys,
      audit::RotateLogKeys(rt, home.audit_log_key(), o, previous_verifiers, &out.kind));
  out.origin = keys.origin;
  out.verifier_key = keys.signers.front()->Verifier().VerifierKey();
  o.origin = keys.origin;
  o.signers = keys.signers;
  BULWARK_ASSIGN_OR_RETURN(auto opened, audit::AuditLog::Open(std::move(o)));
  std::shared_ptr<audit::AuditLog> log = std::move(opened);
  audit::LogAuditSink sink(log, audit::ImpactClassifier::Default(), EventSource(), rt);
  request::AuditRecord rec;
  rec.time = rt.clock->Now();
  rec.operation = "audit.rotate_key";
  rec.action = request::Action::kAdmin;
  rec.outcome = request::Outcome::kSuccess;
  rec.context = ctx;
  rec.resource_kind = request::ResourceKind::kAudit;
  rec.resource_name = keys.origin;
  rec.paths = {out.verifier_key};
  rec.reason = out.kind == audit::RotationKind::kRetired
                   ? "signing key rotated; the previous keys now only verify"
                   : fmt::format("the previous signing key was lost; a new key signs from here on "
                                 "({} previous verifier key(s) given)",
                                 previous_verifiers.size());
  BULWARK_RETURN_IF_ERROR(sink.Append(rec));
  BULWARK_RETURN_IF_ERROR(log->PublishCheckpoint());
  return out;
}

bool VerifyOutcome::clean() const {
  return log.clean() && std::all_of(archives.begin(), archives.end(),
                                    [](const auto& a) { return a.clean(); });
}

std::string VerifyOutcome::Summary() const {
  std::string out;
  for (const auto& a : archives) out += a.Summary();
  out += log.Summary();
  return out;
}

double AuditStatus::OldestUnshippedAgeSeconds(const auditship::SinkStatus& s) const {
  return s.oldest_unshipped_us ? std::max<double>(0, (now_us - *s.oldest_unshipped_us) / 1e6)
                               : 0.0;
}

std::string AuditStatus::Json() const {
  nlohmann::ordered_json j;
  j["database"] = database;
  j["origin"] = origin;
  j["events"] = state.size;
  j["checkpoint_size"] = latest_checkpoint ? latest_checkpoint->size : 0;
  j["checkpoint_time"] =
      latest_checkpoint
          ? FormatRfc3339(TimePoint(std::chrono::microseconds(latest_checkpoint->time_us)))
          : std::string();
  j["unsigned_events"] = unsigned_events;
  j["signers"] = verifier_keys;
  j["writable"] = writable;
  j["sinks"] = nlohmann::json::array();
  for (const auto& s : sinks) {
    nlohmann::ordered_json k;
    k["name"] = s.name;
    k["type"] = auditship::SinkTypeName(s.type);
    k["cursor"] = s.state.cursor;
    k["lag"] = s.lag;
    k["oldest_unshipped_time"] =
        s.oldest_unshipped_us ? TimeOrEmpty(*s.oldest_unshipped_us) : std::string();
    k["oldest_unshipped_age_seconds"] = OldestUnshippedAgeSeconds(s);
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
  return j.dump(2) + "\n";
}

std::string AuditStatus::Prometheus() const {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  metric("bulwark_audit_events", "gauge", "Events in the audit log.");
  out += fmt::format("bulwark_audit_events {}\n", state.size);
  metric("bulwark_audit_unsigned_events", "gauge", "Events after the newest checkpoint.");
  out += fmt::format("bulwark_audit_unsigned_events {}\n", unsigned_events);
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
       [&](const auto& s) { return fmt::format("{:.3f}", OldestUnshippedAgeSeconds(s)); }},
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
      out += fmt::format("{}{{sink=\"{}\",type=\"{}\"}} {}\n", m.name, PromLabel(s.name),
                         auditship::SinkTypeName(s.type), m.value(s));
    }
  }
  return out;
}

AuditTrail::AuditTrail(Home home, Runtime runtime, HomeAuditLog log,
                       std::shared_ptr<const request::Authorizer> authorizer,
                       std::shared_ptr<request::AuditSink> sink)
    : home_(std::move(home)),
      rt_(std::move(runtime)),
      log_(std::move(log)),
      authorizer_(std::move(authorizer)),
      sink_(std::move(sink)) {}

Status AuditTrail::Authorize(const request::RequestContext& ctx, std::string_view call,
                             request::Action action) const {
  request::Resource resource;
  resource.kind = request::ResourceKind::kAudit;
  resource.name = log_.keys.origin;
  const request::Decision d = authorizer_->Authorize(ctx, action, resource);
  if (d.allowed) return OkStatus();
  request::AuditRecord r;
  r.time = rt_.clock->Now();
  r.operation = fmt::format("audit.{}", call);
  r.action = action;
  r.outcome = request::Outcome::kDenied;
  r.reason = d.reason;
  r.context = ctx;
  r.resource_kind = request::ResourceKind::kAudit;
  r.resource_name = log_.keys.origin;
  Status appended = sink_ ? sink_->Append(r) : OkStatus();
  Error denied(ErrorCode::kPermissionDenied, fmt::format("audit {}: {}", call, d.reason));
  if (!appended) return std::unexpected(denied.WithContext(appended.error().message()));
  return std::unexpected(denied);
}

Result<audit::CheckpointVerifier> AuditTrail::Verifier() const {
  return audit::CheckpointVerifier::Create(log_.keys.origin, log_.keys.verifiers());
}

Status AuditTrail::Search(const request::RequestContext& ctx, const audit::EventFilter& filter,
                          const std::function<Status(const audit::StoredEvent&)>& fn) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "search", request::Action::kAuditRead));
  return log_.log->Query(filter, fn);
}

Result<std::uint64_t> AuditTrail::Size(const request::RequestContext& ctx) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "search", request::Action::kAuditRead));
  return log_.log->LeafCount();
}

Result<VerifyOutcome> AuditTrail::Verify(const request::RequestContext& ctx,
                                         const VerifyRequest& request) {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "verify", request::Action::kAuditRead));
  BULWARK_ASSIGN_OR_RETURN(auto verifier, Verifier());
  const fs::path trusted_path = home_.audit_trusted_checkpoint();
  std::optional<std::string> trusted;
  BULWARK_ASSIGN_OR_RETURN(bool have_trusted, rt_.fs->Exists(trusted_path));
  if (have_trusted) {
    BULWARK_ASSIGN_OR_RETURN(std::string t, rt_.fs->ReadFile(trusted_path));
    trusted = std::move(t);
  }
  std::vector<std::string> extra;
  if (request.checkpoint) extra.push_back(*request.checkpoint);
  VerifyOutcome out;
  BULWARK_ASSIGN_OR_RETURN(out.log, audit::VerifyAuditLog(*log_.log, verifier, trusted, extra));
  BULWARK_ASSIGN_OR_RETURN(out.archives,
                           VerifyArchiveFiles(request.archives, verifier, out.log.archives, true));
  if (out.clean() && out.log.newest_checkpoint) {
    BULWARK_RETURN_IF_ERROR(
        rt_.fs->WriteFileAtomic(trusted_path, *out.log.newest_checkpoint, kPrivateFile));
  }
  if (sink_) {
    request::AuditRecord r;
    r.time = rt_.clock->Now();
    r.operation = "audit.verify";
    r.action = request::Action::kAuditRead;
    r.context = ctx;
    r.resource_kind = request::ResourceKind::kAudit;
    r.resource_name = log_.keys.origin;
    if (out.clean()) {
      r.outcome = request::Outcome::kSuccess;
    } else {
      r.outcome = request::Outcome::kFailure;
      std::size_t findings = out.log.problems.size() + out.log.report.findings.size();
      std::size_t bad_archives = 0;
      for (const auto& a : out.archives) bad_archives += a.clean() ? 0 : 1;
      r.reason = out.log.first_bad_index
                     ? fmt::format("{} finding(s), first bad index {}", findings,
                                   *out.log.first_bad_index)
                     : fmt::format("{} finding(s)", findings);
      if (bad_archives > 0) r.reason += fmt::format("; {} archive(s) do not verify", bad_archives);
    }
    if (Status s = sink_->Append(r); !s) out.record_error = s.error();
  }
  return out;
}

Result<std::vector<audit::ArchiveVerification>> AuditTrail::VerifyArchives(
    const request::RequestContext& ctx, const std::vector<fs::path>& files) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "verify", request::Action::kAuditRead));
  BULWARK_ASSIGN_OR_RETURN(auto verifier, Verifier());
  BULWARK_ASSIGN_OR_RETURN(auto records, log_.log->Archives());
  return VerifyArchiveFiles(files, verifier, records, false);
}

Result<std::string> AuditTrail::PublishCheckpoint(const request::RequestContext& ctx) {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "checkpoint", request::Action::kAuditRead));
  return log_.log->PublishCheckpoint();
}

Result<InclusionProof> AuditTrail::Prove(const request::RequestContext& ctx, std::uint64_t index) {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "prove", request::Action::kAuditRead));
  BULWARK_ASSIGN_OR_RETURN(std::string note, log_.log->PublishCheckpoint());
  BULWARK_ASSIGN_OR_RETURN(auto verifier, Verifier());
  BULWARK_ASSIGN_OR_RETURN(audit::Checkpoint cp, verifier.Open(note));
  if (index >= cp.size) {
    return NotFoundError(fmt::format("audit event {}: the log has {} events", index, cp.size));
  }
  BULWARK_ASSIGN_OR_RETURN(auto reader, audit::ArchivedTreeReader::ForLog(*log_.log));
  BULWARK_RETURN_IF_ERROR(NotArchived(*log_.log, index));
  InclusionProof p;
  p.index = index;
  p.tree_size = cp.size;
  p.checkpoint = std::move(note);
  BULWARK_ASSIGN_OR_RETURN(p.proof, audit::InclusionProof(reader, index, cp.size));
  std::vector<audit::Hash> leaf;
  BULWARK_RETURN_IF_ERROR(reader.ReadLeafHashes(index, index + 1, leaf));
  p.leaf_hash = leaf.at(0);
  return p;
}

Result<ConsistencyProof> AuditTrail::Consistency(const request::RequestContext& ctx,
                                                 std::uint64_t old_size,
                                                 std::uint64_t new_size) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "prove", request::Action::kAuditRead));
  BULWARK_ASSIGN_OR_RETURN(auto reader, audit::ArchivedTreeReader::ForLog(*log_.log));
  ConsistencyProof p;
  p.old_size = old_size;
  p.new_size = new_size;
  BULWARK_ASSIGN_OR_RETURN(p.proof, audit::ConsistencyProof(reader, old_size, new_size));
  BULWARK_ASSIGN_OR_RETURN(p.old_root, audit::RootAt(reader, old_size));
  BULWARK_ASSIGN_OR_RETURN(p.new_root, audit::RootAt(reader, new_size));
  return p;
}

Result<std::string> AuditTrail::HashValue(const request::RequestContext& ctx, std::string_view ns,
                                          std::string_view path, std::string_view value) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "hash", request::Action::kAuditRead));
  BULWARK_ASSIGN_OR_RETURN(SecretBytes key,
                           audit::LoadOrCreateAuditHmacKey(rt_, home_.audit_hmac_key()));
  return audit::AuditValueHash(key, ns, path, value);
}

Result<HomeShipper> AuditTrail::OpenShipper(const request::RequestContext& ctx,
                                            const std::string& only,
                                            auditship::ShipperOptions options) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "ship", request::Action::kAuditRead));
  HomeShipper h;
  h.config_file = home_.config_file();
  BULWARK_ASSIGN_OR_RETURN(auto sinks, auditship::LoadSinkConfigs(*rt_.fs, h.config_file));
  if (!only.empty()) {
    std::erase_if(sinks, [&](const auditship::SinkConfig& c) { return c.name != only; });
    if (sinks.empty()) {
      return NotFoundError(
          fmt::format("--sink {}: no such sink in {} (audit.sinks)", only, h.config_file.string()));
    }
  }
  BULWARK_ASSIGN_OR_RETURN(auto states, auditship::SinkStateStore::Open(home_.audit_sinks_db()));
  auditship::SinkEnvironment env;
  env.format = ExportFormatContext();
  env.runtime = rt_;
  options.runtime = rt_;
  BULWARK_ASSIGN_OR_RETURN(
      h.shipper,
      auditship::Shipper::Create(
          log_.log, std::shared_ptr<auditship::SinkStateStore>(std::move(states)),
          std::move(sinks),
          [env](const auditship::SinkConfig& c) { return auditship::CreateSink(c, env); },
          std::move(options)));
  return h;
}

Result<FileLock> AuditTrail::LockShipping(const request::RequestContext& ctx) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "ship", request::Action::kAuditRead));
  const fs::path file = home_.audit_ship_lock();
  BULWARK_ASSIGN_OR_RETURN(std::optional<FileLock> lock, FileLock::TryAcquire(file, "audit ship"));
  if (!lock) {
    return FailedPreconditionError(fmt::format(
        "another 'bulwark audit ship' is running for this home (it holds {})", file.string()));
  }
  return std::move(*lock);
}

Result<AuditStatus> AuditTrail::StatusReport(const request::RequestContext& ctx) const {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "status", request::Action::kAuditRead));
  AuditStatus s;
  BULWARK_ASSIGN_OR_RETURN(s.state, log_.log->State());
  BULWARK_ASSIGN_OR_RETURN(s.latest_checkpoint, log_.log->LatestCheckpoint());
  BULWARK_ASSIGN_OR_RETURN(HomeShipper hs, OpenShipper(ctx, ""));
  BULWARK_ASSIGN_OR_RETURN(s.sinks, hs.shipper->Statuses());
  s.now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(rt_.clock->Now().time_since_epoch())
          .count();
  s.unsigned_events =
      s.state.size -
      (s.latest_checkpoint ? std::min(s.latest_checkpoint->size, s.state.size) : 0);
  const std::string url = log_.log->options().url.empty()
                              ? "sqlite:" + log_.log->options().path.string()
                              : log_.log->options().url;
  s.database = DisplayUrl(url);
  s.origin = log_.keys.origin;
  for (const auto& v : log_.keys.verifiers()) s.verifier_keys.push_back(v.VerifierKey());
  s.writable = static_cast<bool>(log_.log->HealthCheck());
  return s;
}

Result<ArchiveOutcome> AuditTrail::Archive(const request::RequestContext& ctx,
                                           audit::ArchiveOptions options) {
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, "archive", request::Action::kAdmin));
  BULWARK_ASSIGN_OR_RETURN(auto verifier, Verifier());
  ArchiveOutcome out;
  // Retention never removes events a configured sink has not acknowledged (the log is the
  // sinks' spool): the boundary is capped at the lowest sink cursor.
  if (options.prune) {
    BULWARK_ASSIGN_OR_RETURN(auto sinks,
                             auditship::LoadSinkConfigs(*rt_.fs, home_.config_file()));
    if (!sinks.empty()) {
      BULWARK_ASSIGN_OR_RETURN(auto states,
                               auditship::SinkStateStore::Open(home_.audit_sinks_db()));
      for (const auto& c : sinks) {
        BULWARK_ASSIGN_OR_RETURN(auditship::SinkState st, states->Get(c.name));
        if (!options.max_end || st.cursor < *options.max_end) {
          options.max_end = st.cursor;
          out.cap_sink = c.name;
        }
      }
    }
  }
  out.cap = options.max_end;
  BULWARK_ASSIGN_OR_RETURN(out.result, audit::ArchiveLog(*log_.log, verifier, options));
  return out;
}

}  // namespace bulwark::node
