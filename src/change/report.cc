#include "bulwark/change/report.h"

#include "bulwark/config/format.h"

namespace bulwark::change {
namespace {

using json = nlohmann::ordered_json;

json ValueJson(const config::Value& v) {
  auto text = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
  if (!text) return nullptr;
  return json::parse(*text, nullptr, false);
}

json NotesJson(const std::vector<Note>& notes) {
  json arr = json::array();
  for (const auto& n : notes) arr.push_back({{"by", n.by}, {"at", FormatRfc3339(n.at)}, {"comment", n.text}});
  return arr;
}

}  // namespace

json ViewJson(const ChangeView& v) {
  const ChangeRequest& r = v.request;
  json j;
  j["id"] = r.id;
  j["namespace"] = r.ns;
  j["kind"] = r.emergency ? "emergency" : "normal";
  j["state"] = StateName(v.state);
  j["base_version"] = r.base_version;
  j["latest_version"] = v.latest_version;
  j["change_hash"] = r.change_hash;
  j["requester"] = r.requester;
  j["justification"] = r.justification;
  j["rollback_plan"] = r.rollback_plan;
  j["tags"] = r.tags;
  j["created_at"] = FormatRfc3339(r.created_at);
  j["expires_at"] = FormatRfc3339(r.expires_at);
  j["policy"] = v.policy;
  j["approvals_required"] = v.approvals_required;
  j["approvals_counting"] = v.approvals_counting;
  j["missing"] = v.missing;
  j["impact"] = {{"level", r.impact.level},
                 {"reasons", r.impact.reasons},
                 {"paths", r.impact.paths},
                 {"sensitive_paths", r.impact.sensitive_paths},
                 {"compliance_before", r.impact.compliance_before},
                 {"compliance_after", r.impact.compliance_after},
                 {"blocking_rules", r.impact.blocking_rules},
                 {"unoverridden", v.unoverridden}};
  json approvals = json::array();
  for (const auto& a : r.approvals) {
    approvals.push_back({{"by", a.by},
                         {"roles", a.roles},
                         {"at", FormatRfc3339(a.at)},
                         {"expires_at", FormatRfc3339(a.expires_at)},
                         {"comment", a.comment},
                         {"overrides", a.overrides},
                         {"current", a.change_hash == r.change_hash && a.base_version == r.base_version}});
  }
  j["approvals"] = std::move(approvals);
  j["rejections"] = NotesJson(r.rejections);
  j["comments"] = NotesJson(r.comments);
  if (r.applied_version) {
    j["applied"] = {{"by", r.applied_by.value_or("")},
                    {"at", FormatRfc3339(r.applied_at.value_or(TimePoint{}))},
                    {"version", *r.applied_version}};
  }
  if (r.review) {
    j["review"] = {{"required", r.review->required},
                   {"deadline", FormatRfc3339(r.review->deadline)},
                   {"reviews", NotesJson(r.review->reviews)},
                   {"closed", r.review->closed_at.has_value()},
                   {"overdue", v.review_overdue}};
  }
  return j;
}

json DiffJson(const std::vector<DiffLine>& lines) {
  json arr = json::array();
  for (const auto& l : lines) {
    json o;
    o["kind"] = l.kind == DiffLine::Kind::kAdded     ? "added"
                : l.kind == DiffLine::Kind::kRemoved ? "removed"
                                                     : "changed";
    o["path"] = l.path;
    o["sensitive"] = l.sensitive;
    if (!l.sensitive && l.old_value) o["old"] = ValueJson(*l.old_value);
    if (!l.sensitive && l.new_value) o["new"] = ValueJson(*l.new_value);
    arr.push_back(std::move(o));
  }
  return arr;
}

bool IsComplianceGateRefusal(const Error& e) {
  if (e.code() != ErrorCode::kFailedPrecondition) return false;
  // The messages of ChangeService::Apply (change_service.cc) and of the service's gate
  // (config_service.cc).
  return e.message().find("breaks critical compliance rule") != std::string::npos ||
         e.message().find("compliance gate:") != std::string::npos;
}

}  // namespace bulwark::change
