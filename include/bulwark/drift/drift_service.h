// The drift operations as the node composes them (docs/drift.md): recording a namespace's approved
// baseline and checking a live source against it. Both go through the configuration service
// (authorized and audited reads) and record one audit event of their own ("drift.baseline",
// "drift.check"), also when they are denied or fail.
//
//   RecordBaseline  authorize kApprove on the namespace -> read the version with reveal (audited
//                   config.get) -> fingerprint its sensitive values -> write the record under the
//                   lock -> audit drift.baseline.
//   Check           the record (kNotFound: no baseline) -> read the baseline version without reveal
//                   (audited config.get; kDataLoss if its content hash is not the recorded one) ->
//                   read the live side (kUnavailable when it cannot be read) -> compare -> audit
//                   drift.check with the drifted paths (never values).
//
// Errors: kNotFound for an unknown namespace, version or a namespace without a baseline;
// kPermissionDenied from the authorizer; kUnavailable for an unreadable live side or audit sink;
// kInvalidArgument for a live document that does not parse; kDataLoss for a damaged record file.
//
// Thread safety: safe for concurrent use; concurrent RecordBaseline calls in several processes
// serialize on the lock file.
#ifndef BULWARK_DRIFT_DRIFT_SERVICE_H_
#define BULWARK_DRIFT_DRIFT_SERVICE_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/environment.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/drift/baseline_record.h"
#include "bulwark/drift/compare.h"
#include "bulwark/drift/ignore.h"
#include "bulwark/drift/source.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"
#include "bulwark/request/context.h"
#include "bulwark/service/config_service.h"

namespace bulwark::drift {

struct DriftServiceDeps {
  Runtime runtime;
  service::ConfigService* config = nullptr;  // not owned; outlives the drift service
  std::shared_ptr<const request::Authorizer> authorizer;
  std::shared_ptr<request::AuditSink> audit;
  std::filesystem::path records_file;  // <home>/drift-baselines.json
  std::filesystem::path lock_file;     // <home>/drift-baselines.lock
  // The fingerprint key (asked for on first use; the node loads or creates
  // <home>/drift-fingerprint.key).
  std::function<Result<SecretBytes>()> fingerprint_key;
  // encfile: the decrypted document of a deployed encrypted file (the node decrypts through the
  // file service, audited as file.decrypt). Null: encfile sources are kFailedPrecondition.
  std::function<Result<config::Document>(const request::RequestContext&,
                                         const std::filesystem::path&)>
      decrypt_file;
  // env: the variables to read (null: this process's environment).
  std::function<std::vector<config::EnvVar>()> environment;
};

struct BaselineResult {
  std::string namespace_name;
  BaselineRecord record;
};

struct CheckRequest {
  SourceSpec source;
  IgnoreRules ignore;
  UrlOptions url;  // for url: sources
  bool keep_live = false;  // CheckResult::live keeps the live document (adopt remediation)
};

struct CheckResult {
  std::string namespace_name;
  std::int64_t baseline_version = 0;
  std::string source;  // SourceSpec::ToString()
  SourceKind source_kind = SourceKind::kFile;
  DriftReport report;
  // With CheckRequest::keep_live: the live document as read. It may hold secrets in clear: it is
  // for PlanAdopt only, never printed, logged or audited.
  std::optional<config::Value> live;
};

// The change-set that brings a namespace from its baseline to the live side (docs/drift.md,
// "Remediation"): `set` for every added or changed unit (its live value), `unset` for every
// removed one, in the report's path order.
struct AdoptStep {
  config::Path path;
  bool unset = false;
  bool sensitive = false;
  config::Value value;  // the live value (set only); a secret in clear when `sensitive`
};
struct AdoptPlan {
  std::vector<AdoptStep> steps;
  // Sensitive units whose live value cannot be adopted, each "PATH: why" (a url: source is
  // compared by fingerprint only; a redacted live value): left out of `steps`.
  std::vector<std::string> refused;
  // A keyed digest (the fingerprint key) of the steps with their values: equal for the same
  // change-set, different when any value differs; reveals nothing.
  std::string digest;
};

// A baseline read once through the configuration service (one audited config.get), for checks
// that run again and again (drift watch).
struct PreparedBaseline {
  std::string namespace_name;
  BaselineRecord record;
  Baseline baseline;
  std::shared_ptr<const config::Schema> schema;  // the namespace's, or null
};

class DriftService {
 public:
  // kInvalidArgument when a dependency is missing.
  static Result<std::unique_ptr<DriftService>> Create(DriftServiceDeps deps);

  // `version`: the version to approve (default: the latest).
  Result<BaselineResult> RecordBaseline(const request::RequestContext& ctx, std::string_view ns,
                                        std::optional<std::int64_t> version);
  // The recorded baselines (kDataLoss for a damaged file; empty when there is none).
  Result<BaselineRecords> Baselines() const;
  // One check, audited as drift.check.
  Result<CheckResult> Check(const request::RequestContext& ctx, std::string_view ns,
                            const CheckRequest& request);

  // The pieces of Check, for drift watch: reading the baseline (audited as config.get only) and
  // comparing a live source with it (no audit event of its own: the watch records changes).
  Result<std::shared_ptr<const PreparedBaseline>> Prepare(const request::RequestContext& ctx,
                                                          std::string_view ns);
  Result<CheckResult> Compare(const request::RequestContext& ctx, const PreparedBaseline& baseline,
                              const CheckRequest& request);
  // A keyed digest of a report's entries (kinds, paths, fingerprints of both sides' values): equal
  // for the same drift, different when anything in it changed; reveals nothing without the key.
  Result<std::string> Digest(const DriftReport& report);
  // The adopt change-set of a drifted check made with keep_live (kFailedPrecondition without it).
  // Sensitive live values are taken in clear only from file:, env: and encfile: sources.
  Result<AdoptPlan> PlanAdopt(const CheckResult& result);

 private:
  explicit DriftService(DriftServiceDeps deps) : deps_(std::move(deps)) {}
  Result<const Fingerprinter*> Fingerprints();
  Result<config::Document> ReadLive(const request::RequestContext& ctx, const CheckRequest& request,
                                    const config::Value& baseline, const config::Schema* schema);
  DriftServiceDeps deps_;
  std::mutex mu_;
  std::optional<Fingerprinter> fingerprinter_;
};

}  // namespace bulwark::drift

#endif  // BULWARK_DRIFT_DRIFT_SERVICE_H_
