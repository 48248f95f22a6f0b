// Change requests (docs/change.md): propose a change-set against one namespace, approve it under
// the namespace's approval policy, apply it atomically; emergency break-glass with a follow-up
// review.
//
// Every operation is authorized (deps.authorizer, on the namespace: propose/apply/rebase as
// `write`, approve/reject/review as `approve`, list/show/diff as `read`, emergency as `approve`
// and `write`, comment as `approve` or `write`) and writes exactly one audit record (`change.<operation>`, resource kind
// change_request, name = the id), also when denied or failed; changes are refused (kUnavailable)
// when the audit sink cannot record. Requests live in the reserved store namespace
// `.bulwark/changes/<id>`, one version per transition, compare-and-set, each version sealed under
// the store's MAC key and verified on read (kDataLoss otherwise).
//
// Errors: kInvalidArgument naming the field (`justification`, `ops[1].path`, `--override`),
// kNotFound (unknown request or version), kPermissionDenied (authorizer, self-approval, missing
// role), kFailedPrecondition (a transition the state does not allow: stale, expired, not
// approved, a blocking compliance rule not overridden), kAlreadyExists (approved twice),
// kConflict (another process changed the namespace or the request first), kUnavailable.
//
// An apply that wrote the namespace but ended before recording it (a crash) is recognized by the
// `change:<id>` tag of the version after the base, and the record is completed when next read.
//
// Thread safety: safe for concurrent use; several processes may share one store.
#ifndef BULWARK_CHANGE_CHANGE_SERVICE_H_
#define BULWARK_CHANGE_CHANGE_SERVICE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/auditlog/event.h"
#include "bulwark/change/guard.h"
#include "bulwark/change/model.h"
#include "bulwark/compliance/engine.h"
#include "bulwark/core/runtime.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/service/value_cipher.h"
#include "bulwark/store/config_store.h"

namespace bulwark::change {

struct ChangeServiceDeps {
  Runtime runtime;
  service::ConfigService* config = nullptr;  // reads and the apply's write
  std::shared_ptr<store::ConfigStore> store;  // the records, and latest versions
  std::shared_ptr<const service::StoreMacKey> store_mac;
  std::shared_ptr<const service::ValueCipher> cipher;  // sensitive values of change-sets
  // The authorizer without the direct-write guard (guard.h), for the module's own decisions.
  std::shared_ptr<const request::Authorizer> authorizer;
  std::shared_ptr<request::AuditSink> audit;
  std::shared_ptr<const Result<ApprovalPolicies>> policies;
  // The effective principal and roles of a request (access policies, local users).
  std::function<Identity(const request::RequestContext&)> identify;
  std::shared_ptr<const compliance::Engine> compliance;  // optional
  audit::ImpactClassifier classifier = audit::ImpactClassifier::Default();
};

struct ProposeRequest {
  std::string ns;
  std::vector<ChangeOp> ops;  // plaintext values; `secret` marks a set to encrypt
  std::string justification;
  std::string rollback_plan;
  std::vector<std::string> tags;
};

struct ApproveRequest {
  std::string comment;
  std::vector<std::string> overrides;  // blocking compliance rule ids
};

// A request as a reader sees it now.
struct ChangeView {
  ChangeRequest request;
  State state = State::kOpen;
  std::int64_t latest_version = 0;  // of the namespace
  std::string policy;               // the policy in force ("" for the default)
  std::int64_t approvals_required = 1;
  std::int64_t approvals_counting = 0;
  std::string missing;                    // MissingQuorum
  std::vector<std::string> unoverridden;  // blocking rules no approval overrides
  bool review_overdue = false;
};

struct DiffLine {
  enum class Kind : std::uint8_t { kAdded, kRemoved, kChanged };
  std::string path;
  Kind kind = Kind::kChanged;
  bool sensitive = false;                 // values withheld
  std::optional<config::Value> old_value;  // non-sensitive only
  std::optional<config::Value> new_value;
};

class ChangeService {
 public:
  static Result<std::unique_ptr<ChangeService>> Create(ChangeServiceDeps deps);
  ~ChangeService();

  Result<ChangeView> Propose(const request::RequestContext& ctx, const ProposeRequest& req);
  // Requests whose namespace is under `prefix` (all when empty) that ctx may read, newest first;
  // `state` filters.
  Result<std::vector<ChangeView>> List(const request::RequestContext& ctx, std::string_view prefix,
                                       std::optional<State> state);
  Result<ChangeView> Show(const request::RequestContext& ctx, std::string_view id);
  // The base version against the change applied to it, sensitive values withheld (no reveal).
  Result<std::vector<DiffLine>> Diff(const request::RequestContext& ctx, std::string_view id);
  Result<ChangeView> Approve(const request::RequestContext& ctx, std::string_view id,
                             const ApproveRequest& req);
  Result<ChangeView> Reject(const request::RequestContext& ctx, std::string_view id,
                            std::string_view comment);
  Result<ChangeView> Apply(const request::RequestContext& ctx, std::string_view id);
  Result<ChangeView> Rebase(const request::RequestContext& ctx, std::string_view id);
  Result<ChangeView> Emergency(const request::RequestContext& ctx, const ProposeRequest& req);
  Result<ChangeView> Review(const request::RequestContext& ctx, std::string_view id,
                            std::string_view comment);
  // A comment kept with the request (any state), by whoever may approve or write the namespace.
  Result<ChangeView> Comment(const request::RequestContext& ctx, std::string_view id,
                             std::string_view text);

  struct Impl;

 private:
  explicit ChangeService(std::unique_ptr<Impl> impl);
  // The scope in which the direct-write guard lets the apply write `ns` (guard.h).
  static std::unique_ptr<ApplyScope> OpenApplyScope(std::string ns);
  std::unique_ptr<Impl> impl_;
};

// The reserved namespace of a request.
std::string RecordNamespace(std::string_view id);

}  // namespace bulwark::change

#endif  // BULWARK_CHANGE_CHANGE_SERVICE_H_
