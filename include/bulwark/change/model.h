// Change requests as data: the record, its state machine and the approval policies
// (docs/change.md). Pure functions over values; no I/O, no clock of their own (the caller passes
// `now`), so the state machine can be tested exhaustively.
//
// Thread safety: plain values; ApprovalPolicies is immutable after Parse.
#ifndef BULWARK_CHANGE_MODEL_H_
#define BULWARK_CHANGE_MODEL_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::change {

// One operation of a change-set (the operations of put/set/unset/rollback).
struct ChangeOp {
  enum class Kind : std::uint8_t { kPut, kSet, kUnset, kRollback };
  Kind kind = Kind::kSet;
  std::string path;       // kSet, kUnset: canonical dotted path
  // kSet: the value; kPut: the document. Stored, sensitive leaves are ENC tokens bound to the
  // request (ChangeService); never plaintext.
  config::Value value;
  bool secret = false;    // input only (kSet): encrypt even if nothing says the path is sensitive
  std::int64_t to = 0;    // kRollback: the version restored
};
std::string_view OpKindName(ChangeOp::Kind kind);

struct Approval {
  std::string by;
  std::vector<std::string> roles;  // the approver's effective roles when approving
  TimePoint at;
  TimePoint expires_at;
  std::string comment;
  std::vector<std::string> overrides;  // compliance rule ids overridden
  std::string change_hash;             // what was approved
  std::int64_t base_version = 0;
};

struct Note {  // a rejection, a comment or a review
  std::string by;
  TimePoint at;
  std::string text;
};

struct Impact {
  std::string level = "low";  // the audit impact classifier's level
  std::vector<std::string> reasons;
  std::vector<std::string> paths;            // changed, canonical dotted
  std::vector<std::string> sensitive_paths;  // the changed paths that are sensitive
  std::vector<std::string> compliance_before;  // failing rule ids ("SEC_001 critical")
  std::vector<std::string> compliance_after;
  std::vector<std::string> blocking_rules;  // critical rules failing after but not before
};

struct Review {
  std::int64_t required = 0;
  TimePoint deadline;
  std::vector<Note> reviews;
  std::optional<TimePoint> closed_at;
};

enum class StoredState : std::uint8_t { kOpen, kApplied, kRejected };
// What a reader sees (docs/change.md "States").
enum class State : std::uint8_t { kOpen, kApproved, kApplied, kRejected, kStale, kExpired };
std::string_view StateName(State s);
std::optional<State> ParseState(std::string_view name);

struct ChangeRequest {
  std::string id;
  std::string ns;
  bool emergency = false;
  StoredState stored = StoredState::kOpen;
  std::vector<ChangeOp> ops;
  std::int64_t base_version = 0;
  std::string change_hash;
  std::string requester;
  std::string justification;
  std::string rollback_plan;
  std::vector<std::string> tags;
  TimePoint created_at;
  TimePoint expires_at;
  std::string policy;  // the approval policy's name; "" when none covered the namespace
  Impact impact;
  std::vector<Approval> approvals;
  std::vector<Note> rejections;
  std::vector<Note> comments;
  std::optional<std::string> applied_by;
  std::optional<TimePoint> applied_at;
  std::optional<std::int64_t> applied_version;
  std::optional<Review> review;  // emergency only
};

// The record as a JSON document (docs/change.md); From refuses a malformed one (kDataLoss naming
// the field: records come from the store and were written by us).
config::Value ToValue(const ChangeRequest& r);
Result<ChangeRequest> FromValue(const config::Value& v);

// SHA-256 hex of the canonical JSON of {namespace, base_version, ops}.
Result<std::string> ChangeHash(const ChangeRequest& r);

// ---- Approval policies ----
struct ApprovalPolicy {
  std::string name;
  std::vector<std::string> namespaces;    // globs, access/glob.h with '/'
  std::vector<std::string> environments;  // first segments
  std::int64_t approvals = 1;
  std::vector<std::string> approver_roles;  // empty: anyone the authorizer lets approve
  std::map<std::string, std::int64_t> require_roles;
  std::chrono::seconds approval_ttl{72 * 3600};
  std::chrono::seconds request_ttl{7 * 24 * 3600};
  std::vector<std::string> emergency_roles{"emergency-responder"};
  std::int64_t review_approvals = 0;  // 0: `approvals`
  std::chrono::seconds review_deadline{24 * 3600};
};

class ApprovalPolicies {
 public:
  // The YAML of <home>/approval-policies.yaml; kInvalidArgument "<source>:<line>:<col>:
  // policies[i].<field>: ..." for anything malformed (unknown fields included).
  static Result<ApprovalPolicies> Parse(std::string_view text, std::string_view source);
  // The first policy covering `ns`; nullptr when none.
  const ApprovalPolicy* Find(std::string_view ns) const;
  const std::vector<ApprovalPolicy>& policies() const { return policies_; }

 private:
  std::vector<ApprovalPolicy> policies_;
};

// The policy of a namespace no policy covers: one approval, anyone the authorizer allows.
ApprovalPolicy DefaultPolicy();

// Who is acting: the effective principal id and its effective roles (sorted).
struct Identity {
  std::string id;
  std::vector<std::string> roles;
  bool Holds(std::string_view role) const;
  bool HoldsAny(const std::vector<std::string>& roles) const;
};

// ---- The state machine ----
// The approvals that count now (docs/change.md "States"), at most one per principal.
std::vector<const Approval*> CountingApprovals(const ChangeRequest& r, const ApprovalPolicy& p,
                                               TimePoint now);
// Whether the counting approvals meet the policy: "" when they do, else what is missing
// ("1 more approval", "1 more approval by security-admin").
std::string MissingQuorum(const ChangeRequest& r, const ApprovalPolicy& p, TimePoint now);
// The state a reader sees, given the namespace's latest version.
State StateOf(const ChangeRequest& r, const ApprovalPolicy& p, TimePoint now,
              std::int64_t latest_version);
// Blocking rules no counting approval overrides.
std::vector<std::string> UnoverriddenRules(const ChangeRequest& r, const ApprovalPolicy& p,
                                           TimePoint now);
// Whether `who` may approve (or review) under `p`: OK, or kPermissionDenied saying why.
Status CheckApprover(const ChangeRequest& r, const ApprovalPolicy& p, const Identity& who);
// An emergency review that is not closed and past its deadline.
bool ReviewOverdue(const ChangeRequest& r, TimePoint now);

}  // namespace bulwark::change

#endif  // BULWARK_CHANGE_MODEL_H_
