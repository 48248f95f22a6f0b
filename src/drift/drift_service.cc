#include "bulwark/drift/drift_service.h"

#include <fmt/format.h>

#include <array>
#include <set>

#include "bulwark/core/encoding.h"

#include "bulwark/config/sensitivity.h"
#include "bulwark/core/file_lock.h"

namespace bulwark::drift {
namespace {

constexpr auto kPrivate = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

request::AuditRecord NewRecord(const Runtime& rt, const request::RequestContext& ctx,
                               std::string operation, request::Action action, std::string_view ns) {
  request::AuditRecord r;
  r.time = rt.clock->Now();
  r.operation = std::move(operation);
  r.action = action;
  r.namespace_name = std::string(ns);
  r.context = ctx;
  if (r.context.request_id.empty()) {
    std::array<std::uint8_t, 16> id{};
    if (rt.random && rt.random->Fill(id)) r.context.request_id = HexEncode(id);
  }
  return r;
}

// Appends `record` with the outcome of `result`; an append failure after a successful operation
// is returned (the caller learns that it could not be audited).
template <typename T>
Result<T> Finish(request::AuditSink& audit, request::AuditRecord record, Result<T> result) {
  if (!result) {
    record.outcome = result.error().code() == ErrorCode::kPermissionDenied
                         ? request::Outcome::kDenied
                         : request::Outcome::kFailure;
    record.reason = result.error().message();
    (void)audit.Append(record);  // the operation's own error is the one to report
    return result;
  }
  BULWARK_RETURN_IF_ERROR(audit.Append(record));
  return result;
}

std::vector<config::Path> Union(std::vector<config::Path> a, const std::vector<config::Path>& b) {
  std::set<config::Path> s(a.begin(), a.end());
  s.insert(b.begin(), b.end());
  return {s.begin(), s.end()};
}

}  // namespace

Result<std::unique_ptr<DriftService>> DriftService::Create(DriftServiceDeps deps) {
  if (deps.config == nullptr || !deps.authorizer || !deps.audit || !deps.fingerprint_key ||
      deps.records_file.empty() || deps.lock_file.empty() || !deps.runtime.fs ||
      !deps.runtime.clock) {
    return InvalidArgumentError("drift service: missing dependency");
  }
  return std::unique_ptr<DriftService>(new DriftService(std::move(deps)));
}

Result<const Fingerprinter*> DriftService::Fingerprints() {
  std::lock_guard l(mu_);
  if (!fingerprinter_) {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes key, deps_.fingerprint_key());
    BULWARK_ASSIGN_OR_RETURN(Fingerprinter f, Fingerprinter::Create(std::move(key)));
    fingerprinter_.emplace(std::move(f));
  }
  return &*fingerprinter_;
}

Result<BaselineRecords> DriftService::Baselines() const {
  BULWARK_ASSIGN_OR_RETURN(bool exists, deps_.runtime.fs->Exists(deps_.records_file));
  if (!exists) return BaselineRecords{};
  BULWARK_ASSIGN_OR_RETURN(std::string text, deps_.runtime.fs->ReadFile(deps_.records_file));
  return ParseBaselineRecords(text, deps_.records_file.string());
}

Result<BaselineResult> DriftService::RecordBaseline(const request::RequestContext& ctx,
                                                    std::string_view ns,
                                                    std::optional<std::int64_t> version) {
  request::AuditRecord record =
      NewRecord(deps_.runtime, ctx, "drift.baseline", request::Action::kApprove, ns);
  auto run = [&]() -> Result<BaselineResult> {
    request::Resource resource;
    resource.namespace_name = std::string(ns);
    const request::Decision d = deps_.authorizer->Authorize(ctx, request::Action::kApprove, resource);
    if (!d.allowed) {
      return PermissionDeniedError(
          fmt::format("drift baseline {}: approving a baseline is denied: {}", ns, d.reason));
    }
    BULWARK_RETURN_IF_ERROR(deps_.audit->HealthCheck());
    service::ReadRequest read;
    read.version = version ? store::VersionRef::Number(*version) : store::VersionRef::Latest();
    read.reveal = true;
    BULWARK_ASSIGN_OR_RETURN(service::ReadResult doc, deps_.config->Get(ctx, ns, read));
    BULWARK_ASSIGN_OR_RETURN(std::optional<config::Value> schema_doc, deps_.config->SchemaOf(ctx, ns));
    std::unique_ptr<config::Schema> schema;
    if (schema_doc) {
      BULWARK_ASSIGN_OR_RETURN(schema, config::Schema::Create(*schema_doc, std::string(ns)));
    }
    BULWARK_ASSIGN_OR_RETURN(auto classifier, config::SensitivityClassifier::Create(schema.get(), {}));
    const std::vector<config::Path> sensitive =
        Union(std::vector<config::Path>(doc.sensitive.begin(), doc.sensitive.end()),
              classifier.Classify(doc.value));
    BULWARK_ASSIGN_OR_RETURN(const Fingerprinter* fp, Fingerprints());
    BaselineRecord rec;
    rec.version = doc.info.version;
    rec.content_hash = doc.info.content_hash;
    rec.recorded_at = FormatRfc3339(deps_.runtime.clock->Now());
    rec.recorded_by = ctx.principal.id;
    rec.fingerprints = FingerprintSensitive(doc.value, sensitive, *fp);
    record.version_after = rec.version;
    for (const auto& [p, f] : rec.fingerprints) record.paths.push_back(p.ToString());
    record.sensitive_paths = record.paths;
    {
      BULWARK_ASSIGN_OR_RETURN(FileLock lock,
                               FileLock::Acquire(deps_.lock_file, "the drift baselines"));
      BULWARK_ASSIGN_OR_RETURN(BaselineRecords all, Baselines());
      all[std::string(ns)] = rec;
      BULWARK_RETURN_IF_ERROR(deps_.runtime.fs->WriteFileAtomic(
          deps_.records_file, SerializeBaselineRecords(all), kPrivate));
    }
    return BaselineResult{std::string(ns), std::move(rec)};
  };
  auto result = run();  // before the record is handed over: run() fills it in
  return Finish(*deps_.audit, std::move(record), std::move(result));
}

Result<config::Document> DriftService::ReadLive(const request::RequestContext& ctx,
                                                const CheckRequest& request,
                                                const config::Value& baseline,
                                                const config::Schema* schema) {
  const SourceSpec& src = request.source;
  switch (src.kind) {
    case SourceKind::kFile:
      return LoadFileSource(*deps_.runtime.fs, src.target);
    case SourceKind::kEnv: {
      const std::vector<config::EnvVar> vars =
          deps_.environment ? deps_.environment() : config::ReadProcessEnvironment();
      return LoadEnvSource(vars, src.target, &baseline, schema);
    }
    case SourceKind::kUrl:
      return FetchUrlSource(src.target, request.url);
    case SourceKind::kEncFile:
      if (!deps_.decrypt_file) {
        return FailedPreconditionError("drift check: encfile sources need the home's keys");
      }
      return deps_.decrypt_file(ctx, src.target);
  }
  return InvalidArgumentError("drift check: unknown source kind");
}

Result<std::shared_ptr<const PreparedBaseline>> DriftService::Prepare(
    const request::RequestContext& ctx, std::string_view ns) {
  BULWARK_ASSIGN_OR_RETURN(BaselineRecords all, Baselines());
  auto it = all.find(ns);
  if (it == all.end()) {
    return NotFoundError(fmt::format(
        "drift check {}: no baseline recorded; approve one with `bulwark drift baseline {}`", ns,
        ns));
  }
  auto out = std::make_shared<PreparedBaseline>();
  out->namespace_name = std::string(ns);
  out->record = it->second;
  const BaselineRecord& rec = out->record;
  service::ReadRequest read;
  read.version = store::VersionRef::Number(rec.version);
  BULWARK_ASSIGN_OR_RETURN(service::ReadResult doc, deps_.config->Get(ctx, ns, read));
  if (!rec.content_hash.empty() && doc.info.content_hash != rec.content_hash) {
    return DataLossError(fmt::format(
        "drift check {}: version {} no longer has the content recorded as its baseline", ns,
        rec.version));
  }
  for (const config::Path& p : doc.sensitive) {
    if (!rec.fingerprints.contains(p)) {
      return FailedPreconditionError(fmt::format(
          "drift check {}: the baseline record has no fingerprint for the sensitive value {}; "
          "record the baseline again",
          ns, p.ToString()));
    }
  }
  BULWARK_ASSIGN_OR_RETURN(std::optional<config::Value> schema_doc, deps_.config->SchemaOf(ctx, ns));
  if (schema_doc) {
    BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<config::Schema> schema,
                             config::Schema::Create(*schema_doc, std::string(ns)));
    out->schema = std::move(schema);
  }
  BULWARK_ASSIGN_OR_RETURN(auto classifier,
                           config::SensitivityClassifier::Create(out->schema.get(), {}));
  out->baseline.document = std::move(doc.value);
  out->baseline.sensitive =
      Union(std::vector<config::Path>(doc.sensitive.begin(), doc.sensitive.end()),
            classifier.Classify(out->baseline.document));
  out->baseline.fingerprints = rec.fingerprints;
  return out;
}

Result<CheckResult> DriftService::Compare(const request::RequestContext& ctx,
                                          const PreparedBaseline& prepared,
                                          const CheckRequest& request) {
  BULWARK_ASSIGN_OR_RETURN(auto classifier,
                           config::SensitivityClassifier::Create(prepared.schema.get(), {}));
  BULWARK_ASSIGN_OR_RETURN(const Fingerprinter* fp, Fingerprints());
  Live live;
  live.source = request.source.ToString();
  BULWARK_ASSIGN_OR_RETURN(live.document, ReadLive(ctx, request, prepared.baseline.document,
                                                   prepared.schema.get()));
  live.sensitive = classifier.Classify(live.document.root);
  CheckResult out;
  out.namespace_name = prepared.namespace_name;
  out.baseline_version = prepared.record.version;
  out.source = live.source;
  out.source_kind = request.source.kind;
  out.report = drift::Compare(prepared.baseline, live, request.ignore, *fp);
  if (request.keep_live) out.live = std::move(live.document.root);
  return out;
}

namespace {

// A live value a service redacted instead of showing (it cannot be adopted).
bool LooksRedacted(const config::Value& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.AsString();
  if (s.empty()) return false;
  if (s == "[redacted]" || s == "<redacted>" || s == "REDACTED" || s.starts_with("ENC[")) return true;
  return s.find_first_not_of('*') == std::string::npos;
}

}  // namespace

Result<AdoptPlan> DriftService::PlanAdopt(const CheckResult& result) {
  if (!result.live) {
    return FailedPreconditionError("drift remediation: the check did not keep the live document");
  }
  BULWARK_ASSIGN_OR_RETURN(const Fingerprinter* fp, Fingerprints());
  AdoptPlan plan;
  config::ValueList items;
  for (const DriftEntry& e : result.report.entries) {
    AdoptStep step;
    step.path = e.path;
    step.sensitive = e.sensitive;
    if (e.kind == ChangeKind::kRemoved) {
      // Unset the outermost ancestor the live side lacks too, so that no empty parent is left
      // behind (a live file without `feature` at all, not one with `feature: {}`).
      step.unset = true;
      while (step.path.size() > 1) {
        auto parent = config::Get(*result.live, step.path.Parent());
        if (parent && *parent != nullptr) break;
        step.path = step.path.Parent();
      }
      if (!plan.steps.empty() && plan.steps.back().unset && plan.steps.back().path == step.path) continue;
    } else if (!e.sensitive) {
      if (!e.live) continue;  // cannot happen: an added or changed unit has a live side
      step.value = *e.live;
    } else {
      if (result.source_kind == SourceKind::kUrl) {
        plan.refused.push_back(fmt::format(
            "{}: sensitive, and a url: source is compared by fingerprint only (its value is not "
            "taken from the network); propose it with --set-secret",
            e.path.ToString()));
        continue;
      }
      auto v = config::Get(*result.live, e.path);
      if (!v || *v == nullptr) {
        plan.refused.push_back(fmt::format("{}: sensitive, and not readable in the live document", e.path.ToString()));
        continue;
      }
      if (LooksRedacted(**v)) {
        plan.refused.push_back(fmt::format(
            "{}: sensitive, and the live side shows it redacted (only its fingerprint is known); "
            "propose it with --set-secret",
            e.path.ToString()));
        continue;
      }
      step.value = **v;
    }
    config::ValueList item;
    item.push_back(config::Value(std::string(step.unset ? "unset" : "set")));
    item.push_back(config::Value(step.path.ToString()));
    item.push_back(step.unset ? config::Value(std::string()) : config::Value(fp->Of(step.value)));
    items.push_back(config::Value(std::move(item)));
    plan.steps.push_back(std::move(step));
  }
  plan.digest = fp->Of(config::Value(std::move(items)));
  return plan;
}

Result<std::string> DriftService::Digest(const DriftReport& report) {
  BULWARK_ASSIGN_OR_RETURN(const Fingerprinter* fp, Fingerprints());
  config::ValueList items;
  for (const DriftEntry& e : report.entries) {
    config::ValueList item;
    item.push_back(config::Value(std::string(ChangeKindName(e.kind))));
    item.push_back(config::Value(e.path.ToString()));
    item.push_back(config::Value(e.baseline ? fp->Of(*e.baseline) : std::string()));
    item.push_back(config::Value(e.live ? fp->Of(*e.live) : e.live_fingerprint));
    items.push_back(config::Value(std::move(item)));
  }
  return fp->Of(config::Value(std::move(items)));
}

Result<CheckResult> DriftService::Check(const request::RequestContext& ctx, std::string_view ns,
                                        const CheckRequest& request) {
  request::AuditRecord record =
      NewRecord(deps_.runtime, ctx, "drift.check", request::Action::kRead, ns);
  auto run = [&]() -> Result<CheckResult> {
    BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<const PreparedBaseline> prepared, Prepare(ctx, ns));
    record.version_before = prepared->record.version;
    BULWARK_ASSIGN_OR_RETURN(CheckResult out, Compare(ctx, *prepared, request));
    std::vector<std::string> sensitive_paths;
    for (const DriftEntry& e : out.report.entries) {
      record.paths.push_back(e.path.ToString());
      if (e.sensitive) sensitive_paths.push_back(e.path.ToString());
    }
    record.sensitive_paths = std::move(sensitive_paths);
    if (out.report.drifted()) {
      // A check that found drift is recorded as a failure (the monitor's drift-detected rule).
      record.outcome = request::Outcome::kFailure;
      record.reason = fmt::format("{} differences against {}", out.report.entries.size(), out.source);
    }
    return out;
  };
  auto result = run();  // before the record is handed over: run() fills it in
  return Finish(*deps_.audit, std::move(record), std::move(result));
}

}  // namespace bulwark::drift
