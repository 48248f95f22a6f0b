#include "bulwark/change/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "bulwark/access/glob.h"
#include "bulwark/config/field_reader.h"
#include "bulwark/config/format.h"
#include "bulwark/config/path.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::change {
namespace {

using json = nlohmann::ordered_json;
constexpr std::string_view kFormat = "bulwark-change/v1";

json ValueJson(const config::Value& v) {
  auto text = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
  if (!text) return json();
  return json::parse(*text, nullptr, /*allow_exceptions=*/false);
}

Result<config::Value> JsonValue(const json& j) {
  BULWARK_ASSIGN_OR_RETURN(config::Document doc,
                           config::ParseDocument(j.dump(), config::Format::kJson,
                                                 {.source_name = "change request",
                                                  .track_locations = false}));
  return std::move(doc.root);
}

json Strings(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

json NoteJson(const Note& n) {
  return json{{"by", n.by}, {"at", FormatRfc3339(n.at)}, {"text", n.text}};
}

// Reading: every accessor fails with kDataLoss naming the field.
struct Reader {
  Error Bad(std::string_view field, std::string_view what) const {
    return Error(ErrorCode::kDataLoss, fmt::format("change request record: {}: {}", field, what));
  }
  Result<std::string> Str(const json& o, std::string_view key, bool required = true) const {
    auto it = o.find(std::string(key));
    if (it == o.end()) {
      if (required) return std::unexpected(Bad(key, "missing"));
      return std::string();
    }
    if (!it->is_string()) return std::unexpected(Bad(key, "expected a string"));
    return it->get<std::string>();
  }
  Result<std::int64_t> Int(const json& o, std::string_view key) const {
    auto it = o.find(std::string(key));
    if (it == o.end() || !it->is_number_integer()) return std::unexpected(Bad(key, "expected an integer"));
    return it->get<std::int64_t>();
  }
  Result<TimePoint> Time(const json& o, std::string_view key) const {
    BULWARK_ASSIGN_OR_RETURN(std::string s, Str(o, key));
    auto t = ParseRfc3339(s);
    if (!t) return std::unexpected(Bad(key, "expected an RFC 3339 time"));
    return *t;
  }
  Result<std::vector<std::string>> List(const json& o, std::string_view key) const {
    std::vector<std::string> out;
    auto it = o.find(std::string(key));
    if (it == o.end()) return out;
    if (!it->is_array()) return std::unexpected(Bad(key, "expected a list"));
    for (const auto& e : *it) {
      if (!e.is_string()) return std::unexpected(Bad(key, "expected strings"));
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  Result<std::vector<Note>> Notes(const json& o, std::string_view key) const {
    std::vector<Note> out;
    auto it = o.find(std::string(key));
    if (it == o.end()) return out;
    if (!it->is_array()) return std::unexpected(Bad(key, "expected a list"));
    for (const auto& e : *it) {
      if (!e.is_object()) return std::unexpected(Bad(key, "expected objects"));
      Note n;
      BULWARK_ASSIGN_OR_RETURN(n.by, Str(e, "by"));
      BULWARK_ASSIGN_OR_RETURN(n.at, Time(e, "at"));
      BULWARK_ASSIGN_OR_RETURN(n.text, Str(e, "text", false));
      out.push_back(std::move(n));
    }
    return out;
  }
};

json OpJson(const ChangeOp& op) {
  json o{{"op", OpKindName(op.kind)}};
  switch (op.kind) {
    case ChangeOp::Kind::kPut:
      o["document"] = ValueJson(op.value);
      break;
    case ChangeOp::Kind::kSet:
      o["path"] = op.path;
      o["value"] = ValueJson(op.value);
      break;
    case ChangeOp::Kind::kUnset:
      o["path"] = op.path;
      break;
    case ChangeOp::Kind::kRollback:
      o["to"] = op.to;
      break;
  }
  return o;
}

json OpsJson(const std::vector<ChangeOp>& ops) {
  json a = json::array();
  for (const auto& op : ops) a.push_back(OpJson(op));
  return a;
}

}  // namespace

std::string_view OpKindName(ChangeOp::Kind kind) {
  switch (kind) {
    case ChangeOp::Kind::kPut:
      return "put";
    case ChangeOp::Kind::kSet:
      return "set";
    case ChangeOp::Kind::kUnset:
      return "unset";
    case ChangeOp::Kind::kRollback:
      return "rollback";
  }
  return "set";
}

std::string_view StateName(State s) {
  switch (s) {
    case State::kOpen:
      return "open";
    case State::kApproved:
      return "approved";
    case State::kApplied:
      return "applied";
    case State::kRejected:
      return "rejected";
    case State::kStale:
      return "stale";
    case State::kExpired:
      return "expired";
  }
  return "open";
}

std::optional<State> ParseState(std::string_view name) {
  for (State s : {State::kOpen, State::kApproved, State::kApplied, State::kRejected, State::kStale,
                  State::kExpired}) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

config::Value ToValue(const ChangeRequest& r) {
  json j;
  j["format"] = kFormat;
  j["id"] = r.id;
  j["namespace"] = r.ns;
  j["kind"] = r.emergency ? "emergency" : "normal";
  j["state"] = r.stored == StoredState::kOpen      ? "open"
               : r.stored == StoredState::kApplied ? "applied"
                                                   : "rejected";
  j["ops"] = OpsJson(r.ops);
  j["base_version"] = r.base_version;
  j["change_hash"] = r.change_hash;
  j["requester"] = r.requester;
  j["justification"] = r.justification;
  j["rollback_plan"] = r.rollback_plan;
  j["tags"] = Strings(r.tags);
  j["created_at"] = FormatRfc3339(r.created_at);
  j["expires_at"] = FormatRfc3339(r.expires_at);
  j["policy"] = r.policy;
  j["impact"] = json{{"level", r.impact.level},
                     {"reasons", Strings(r.impact.reasons)},
                     {"paths", Strings(r.impact.paths)},
                     {"sensitive_paths", Strings(r.impact.sensitive_paths)},
                     {"compliance_before", Strings(r.impact.compliance_before)},
                     {"compliance_after", Strings(r.impact.compliance_after)},
                     {"blocking_rules", Strings(r.impact.blocking_rules)}};
  json approvals = json::array();
  for (const Approval& a : r.approvals) {
    approvals.push_back(json{{"by", a.by},
                             {"roles", Strings(a.roles)},
                             {"at", FormatRfc3339(a.at)},
                             {"expires_at", FormatRfc3339(a.expires_at)},
                             {"comment", a.comment},
                             {"overrides", Strings(a.overrides)},
                             {"change_hash", a.change_hash},
                             {"base_version", a.base_version}});
  }
  j["approvals"] = std::move(approvals);
  json rejections = json::array();
  for (const Note& n : r.rejections) rejections.push_back(NoteJson(n));
  j["rejections"] = std::move(rejections);
  json comments = json::array();
  for (const Note& n : r.comments) comments.push_back(NoteJson(n));
  j["comments"] = std::move(comments);
  if (r.applied_version) {
    j["applied"] = json{{"by", r.applied_by.value_or("")},
                        {"at", FormatRfc3339(r.applied_at.value_or(TimePoint{}))},
                        {"version", *r.applied_version}};
  }
  if (r.review) {
    json reviews = json::array();
    for (const Note& n : r.review->reviews) reviews.push_back(NoteJson(n));
    json rv{{"required", r.review->required},
            {"deadline", FormatRfc3339(r.review->deadline)},
            {"reviews", std::move(reviews)}};
    if (r.review->closed_at) rv["closed_at"] = FormatRfc3339(*r.review->closed_at);
    j["review"] = std::move(rv);
  }
  auto v = JsonValue(j);
  return v ? std::move(*v) : config::Value::EmptyMap();
}

Result<ChangeRequest> FromValue(const config::Value& v) {
  const json j = ValueJson(v);
  Reader rd;
  if (!j.is_object()) return std::unexpected(rd.Bad("record", "expected an object"));
  BULWARK_ASSIGN_OR_RETURN(std::string format, rd.Str(j, "format"));
  if (format != kFormat) return std::unexpected(rd.Bad("format", "expected " + std::string(kFormat)));
  ChangeRequest r;
  BULWARK_ASSIGN_OR_RETURN(r.id, rd.Str(j, "id"));
  BULWARK_ASSIGN_OR_RETURN(r.ns, rd.Str(j, "namespace"));
  BULWARK_ASSIGN_OR_RETURN(std::string kind, rd.Str(j, "kind"));
  if (kind != "normal" && kind != "emergency") return std::unexpected(rd.Bad("kind", "unknown"));
  r.emergency = kind == "emergency";
  BULWARK_ASSIGN_OR_RETURN(std::string state, rd.Str(j, "state"));
  if (state == "open") {
    r.stored = StoredState::kOpen;
  } else if (state == "applied") {
    r.stored = StoredState::kApplied;
  } else if (state == "rejected") {
    r.stored = StoredState::kRejected;
  } else {
    return std::unexpected(rd.Bad("state", "unknown"));
  }
  auto ops = j.find("ops");
  if (ops == j.end() || !ops->is_array()) return std::unexpected(rd.Bad("ops", "expected a list"));
  for (const auto& o : *ops) {
    if (!o.is_object()) return std::unexpected(rd.Bad("ops", "expected objects"));
    ChangeOp op;
    BULWARK_ASSIGN_OR_RETURN(std::string name, rd.Str(o, "op"));
    if (name == "put") {
      op.kind = ChangeOp::Kind::kPut;
      auto d = o.find("document");
      if (d == o.end() || !d->is_object()) return std::unexpected(rd.Bad("ops.document", "expected an object"));
      BULWARK_ASSIGN_OR_RETURN(op.value, JsonValue(*d));
    } else if (name == "set") {
      op.kind = ChangeOp::Kind::kSet;
      BULWARK_ASSIGN_OR_RETURN(op.path, rd.Str(o, "path"));
      auto val = o.find("value");
      if (val == o.end()) return std::unexpected(rd.Bad("ops.value", "missing"));
      BULWARK_ASSIGN_OR_RETURN(op.value, JsonValue(*val));
    } else if (name == "unset") {
      op.kind = ChangeOp::Kind::kUnset;
      BULWARK_ASSIGN_OR_RETURN(op.path, rd.Str(o, "path"));
    } else if (name == "rollback") {
      op.kind = ChangeOp::Kind::kRollback;
      BULWARK_ASSIGN_OR_RETURN(op.to, rd.Int(o, "to"));
    } else {
      return std::unexpected(rd.Bad("ops.op", "unknown operation"));
    }
    r.ops.push_back(std::move(op));
  }
  BULWARK_ASSIGN_OR_RETURN(r.base_version, rd.Int(j, "base_version"));
  BULWARK_ASSIGN_OR_RETURN(r.change_hash, rd.Str(j, "change_hash"));
  BULWARK_ASSIGN_OR_RETURN(r.requester, rd.Str(j, "requester"));
  BULWARK_ASSIGN_OR_RETURN(r.justification, rd.Str(j, "justification", false));
  BULWARK_ASSIGN_OR_RETURN(r.rollback_plan, rd.Str(j, "rollback_plan", false));
  BULWARK_ASSIGN_OR_RETURN(r.tags, rd.List(j, "tags"));
  BULWARK_ASSIGN_OR_RETURN(r.created_at, rd.Time(j, "created_at"));
  BULWARK_ASSIGN_OR_RETURN(r.expires_at, rd.Time(j, "expires_at"));
  BULWARK_ASSIGN_OR_RETURN(r.policy, rd.Str(j, "policy", false));
  auto imp = j.find("impact");
  if (imp == j.end() || !imp->is_object()) return std::unexpected(rd.Bad("impact", "expected an object"));
  BULWARK_ASSIGN_OR_RETURN(r.impact.level, rd.Str(*imp, "level"));
  BULWARK_ASSIGN_OR_RETURN(r.impact.reasons, rd.List(*imp, "reasons"));
  BULWARK_ASSIGN_OR_RETURN(r.impact.paths, rd.List(*imp, "paths"));
  BULWARK_ASSIGN_OR_RETURN(r.impact.sensitive_paths, rd.List(*imp, "sensitive_paths"));
  BULWARK_ASSIGN_OR_RETURN(r.impact.compliance_before, rd.List(*imp, "compliance_before"));
  BULWARK_ASSIGN_OR_RETURN(r.impact.compliance_after, rd.List(*imp, "compliance_after"));
  BULWARK_ASSIGN_OR_RETURN(r.impact.blocking_rules, rd.List(*imp, "blocking_rules"));
  if (auto a = j.find("approvals"); a != j.end()) {
    if (!a->is_array()) return std::unexpected(rd.Bad("approvals", "expected a list"));
    for (const auto& e : *a) {
      if (!e.is_object()) return std::unexpected(rd.Bad("approvals", "expected objects"));
      Approval ap;
      BULWARK_ASSIGN_OR_RETURN(ap.by, rd.Str(e, "by"));
      BULWARK_ASSIGN_OR_RETURN(ap.roles, rd.List(e, "roles"));
      BULWARK_ASSIGN_OR_RETURN(ap.at, rd.Time(e, "at"));
      BULWARK_ASSIGN_OR_RETURN(ap.expires_at, rd.Time(e, "expires_at"));
      BULWARK_ASSIGN_OR_RETURN(ap.comment, rd.Str(e, "comment", false));
      BULWARK_ASSIGN_OR_RETURN(ap.overrides, rd.List(e, "overrides"));
      BULWARK_ASSIGN_OR_RETURN(ap.change_hash, rd.Str(e, "change_hash"));
      BULWARK_ASSIGN_OR_RETURN(ap.base_version, rd.Int(e, "base_version"));
      r.approvals.push_back(std::move(ap));
    }
  }
  BULWARK_ASSIGN_OR_RETURN(r.rejections, rd.Notes(j, "rejections"));
  BULWARK_ASSIGN_OR_RETURN(r.comments, rd.Notes(j, "comments"));
  if (auto a = j.find("applied"); a != j.end()) {
    if (!a->is_object()) return std::unexpected(rd.Bad("applied", "expected an object"));
    BULWARK_ASSIGN_OR_RETURN(std::string by, rd.Str(*a, "by"));
    BULWARK_ASSIGN_OR_RETURN(TimePoint at, rd.Time(*a, "at"));
    BULWARK_ASSIGN_OR_RETURN(std::int64_t version, rd.Int(*a, "version"));
    r.applied_by = by;
    r.applied_at = at;
    r.applied_version = version;
  }
  if (auto rv = j.find("review"); rv != j.end()) {
    if (!rv->is_object()) return std::unexpected(rd.Bad("review", "expected an object"));
    Review review;
    BULWARK_ASSIGN_OR_RETURN(review.required, rd.Int(*rv, "required"));
    BULWARK_ASSIGN_OR_RETURN(review.deadline, rd.Time(*rv, "deadline"));
    BULWARK_ASSIGN_OR_RETURN(review.reviews, rd.Notes(*rv, "reviews"));
    if (rv->contains("closed_at")) {
      BULWARK_ASSIGN_OR_RETURN(TimePoint closed, rd.Time(*rv, "closed_at"));
      review.closed_at = closed;
    }
    r.review = std::move(review);
  }
  return r;
}

Result<std::string> ChangeHash(const ChangeRequest& r) {
  json j{{"namespace", r.ns}, {"base_version", r.base_version}, {"ops", OpsJson(r.ops)}};
  BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Digest d, crypto::Sha256(j.dump()));
  return HexEncode(std::span<const std::uint8_t>(d.data(), d.size()));
}

// ---- Policies ----

ApprovalPolicy DefaultPolicy() {
  ApprovalPolicy p;
  p.name = "";
  p.approvals = 1;
  return p;
}

Result<ApprovalPolicies> ApprovalPolicies::Parse(std::string_view text, std::string_view source) {
  BULWARK_ASSIGN_OR_RETURN(config::Document doc,
                           config::ParseDocument(text, config::Format::kYaml,
                                                 {.source_name = std::string(source)}));
  config::FieldReader rd(doc);
  ApprovalPolicies out;
  if (doc.root.is_null()) return out;
  const config::Path root;
  BULWARK_RETURN_IF_ERROR(rd.OnlyKnown(doc.root, root, {"policies"}));
  const config::Value* list = doc.root.Get("policies");
  if (list == nullptr) return out;
  const config::Path at_list = root.Key("policies");
  if (!list->is_list()) return std::unexpected(rd.Bad(at_list, "expected a list of policies"));
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->AsList().size(); ++i) {
    const config::Value& m = list->AsList()[i];
    const config::Path at = at_list.Index(i);
    BULWARK_RETURN_IF_ERROR(rd.OnlyKnown(
        m, at,
        {"name", "namespaces", "environments", "approvals", "approver_roles", "require_roles",
         "approval_ttl", "request_ttl", "emergency_roles", "review_approvals",
         "review_deadline"}));
    ApprovalPolicy p;
    BULWARK_ASSIGN_OR_RETURN(p.name, rd.String(m, at, "name", /*required=*/true));
    if (!names.insert(p.name).second) {
      return std::unexpected(rd.Bad(at.Key("name"), fmt::format("duplicate policy name '{}'", p.name)));
    }
    BULWARK_ASSIGN_OR_RETURN(p.namespaces, rd.StringList(m, at, "namespaces"));
    for (std::size_t k = 0; k < p.namespaces.size(); ++k) {
      auto g = access::Glob::Compile(p.namespaces[k], '/', /*classes=*/true);
      if (!g) return std::unexpected(rd.Bad(at.Key("namespaces").Index(k), g.error().message()));
    }
    BULWARK_ASSIGN_OR_RETURN(p.environments, rd.StringList(m, at, "environments"));
    if (p.namespaces.empty() && p.environments.empty()) {
      return std::unexpected(rd.Bad(at, "a policy needs namespaces or environments"));
    }
    BULWARK_ASSIGN_OR_RETURN(p.approvals, rd.Int(m, at, "approvals", 1, 1, 20));
    BULWARK_ASSIGN_OR_RETURN(p.approver_roles, rd.StringList(m, at, "approver_roles"));
    if (const config::Value* req = m.Get("require_roles"); req != nullptr) {
      const config::Path rat = at.Key("require_roles");
      if (!req->is_map()) return std::unexpected(rd.Bad(rat, "expected a map of role: count"));
      std::int64_t total = 0;
      for (const config::MapEntry& e : req->AsMap()) {
        BULWARK_ASSIGN_OR_RETURN(std::int64_t n, rd.Int(*req, rat, e.key, 1, 1, 20));
        p.require_roles[e.key] = n;
        total += n;
      }
      if (total > p.approvals) {
        return std::unexpected(rd.Bad(rat, "requires more approvals than `approvals`"));
      }
    }
    using std::chrono::seconds;
    BULWARK_ASSIGN_OR_RETURN(p.approval_ttl, rd.Duration(m, at, "approval_ttl", p.approval_ttl,
                                                         seconds(1), seconds(366LL * 86400)));
    BULWARK_ASSIGN_OR_RETURN(p.request_ttl, rd.Duration(m, at, "request_ttl", p.request_ttl,
                                                        seconds(1), seconds(366LL * 86400)));
    if (m.Get("emergency_roles") != nullptr) {
      BULWARK_ASSIGN_OR_RETURN(p.emergency_roles, rd.StringList(m, at, "emergency_roles"));
    }
    BULWARK_ASSIGN_OR_RETURN(p.review_approvals,
                             rd.Int(m, at, "review_approvals", p.approvals, 1, 20));
    BULWARK_ASSIGN_OR_RETURN(p.review_deadline, rd.Duration(m, at, "review_deadline", p.review_deadline,
                                                            seconds(1), seconds(366LL * 86400)));
    out.policies_.push_back(std::move(p));
  }
  return out;
}

const ApprovalPolicy* ApprovalPolicies::Find(std::string_view ns) const {
  const std::string_view env = ns.substr(0, ns.find('/'));
  for (const ApprovalPolicy& p : policies_) {
    for (const std::string& e : p.environments) {
      if (e == env) return &p;
    }
    for (const std::string& pattern : p.namespaces) {
      auto g = access::Glob::Compile(pattern, '/', /*classes=*/true);
      if (g && g->Matches(ns)) return &p;
    }
  }
  return nullptr;
}

bool Identity::Holds(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Identity::HoldsAny(const std::vector<std::string>& wanted) const {
  for (const auto& r : wanted) {
    if (Holds(r)) return true;
  }
  return false;
}

// ---- State machine ----

std::vector<const Approval*> CountingApprovals(const ChangeRequest& r, const ApprovalPolicy& p,
                                               TimePoint now) {
  std::vector<const Approval*> out;
  std::set<std::string> seen;
  for (const Approval& a : r.approvals) {
    if (a.change_hash != r.change_hash || a.base_version != r.base_version) continue;
    if (now >= a.expires_at) continue;
    if (a.by == r.requester) continue;
    if (!p.approver_roles.empty()) {
      Identity who{a.by, a.roles};
      if (!who.HoldsAny(p.approver_roles)) continue;
    }
    if (!seen.insert(a.by).second) continue;
    out.push_back(&a);
  }
  return out;
}

std::string MissingQuorum(const ChangeRequest& r, const ApprovalPolicy& p, TimePoint now) {
  const auto counting = CountingApprovals(r, p, now);
  const auto n = static_cast<std::int64_t>(counting.size());
  for (const auto& [role, want] : p.require_roles) {
    std::int64_t have = 0;
    for (const Approval* a : counting) {
      if (std::find(a->roles.begin(), a->roles.end(), role) != a->roles.end()) ++have;
    }
    if (have < want) {
      return fmt::format("{} more approval{} by {}", want - have, want - have == 1 ? "" : "s", role);
    }
  }
  if (n < p.approvals) {
    return fmt::format("{} more approval{}", p.approvals - n, p.approvals - n == 1 ? "" : "s");
  }
  return "";
}

State StateOf(const ChangeRequest& r, const ApprovalPolicy& p, TimePoint now,
              std::int64_t latest_version) {
  if (r.stored == StoredState::kApplied) return State::kApplied;
  if (r.stored == StoredState::kRejected) return State::kRejected;
  if (now >= r.expires_at) return State::kExpired;
  if (latest_version != r.base_version) return State::kStale;
  return MissingQuorum(r, p, now).empty() ? State::kApproved : State::kOpen;
}

std::vector<std::string> UnoverriddenRules(const ChangeRequest& r, const ApprovalPolicy& p,
                                           TimePoint now) {
  std::vector<std::string> out;
  const auto counting = CountingApprovals(r, p, now);
  for (const std::string& rule : r.impact.blocking_rules) {
    bool overridden = false;
    for (const Approval* a : counting) {
      if (std::find(a->overrides.begin(), a->overrides.end(), rule) != a->overrides.end()) {
        overridden = true;
      }
    }
    if (!overridden) out.push_back(rule);
  }
  return out;
}

Status CheckApprover(const ChangeRequest& r, const ApprovalPolicy& p, const Identity& who) {
  if (who.id == r.requester) {
    return PermissionDeniedError(
        fmt::format("{} requested change {} and cannot approve it", who.id, r.id));
  }
  if (!p.approver_roles.empty() && !who.HoldsAny(p.approver_roles)) {
    std::string roles;
    for (const auto& role : p.approver_roles) roles += (roles.empty() ? "" : ", ") + role;
    return PermissionDeniedError(fmt::format(
        "{} holds none of the approver roles of policy {} ({})", who.id, p.name, roles));
  }
  return OkStatus();
}

bool ReviewOverdue(const ChangeRequest& r, TimePoint now) {
  return r.review && !r.review->closed_at && now >= r.review->deadline;
}

}  // namespace bulwark::change
