#include "bulwark/access/report.h"

#include "bulwark/access/action.h"

namespace bulwark::access {

using json = nlohmann::ordered_json;

json StatementJson(const Statement* s) {
  if (s == nullptr) return nullptr;
  return {{"id", s->QualifiedId()},
          {"effect", EffectName(s->effect)},
          {"location", s->location.ToString()}};
}

json DecisionJson(const OwnedRequest& r, const Explanation& ex, bool explain) {
  const Decision& d = ex.decision;
  json out = {{"allowed", d.allowed},
              {"reason", ReasonName(d.reason)},
              {"statement", StatementJson(d.statement)},
              {"principal", r.principal.id},
              {"action", ActionName(r.action)},
              {"resource", r.resource.ToString()},
              {"describe", d.Describe()}};
  if (!explain) return out;
  out["effective_roles"] = ex.effective_roles;
  out["resource_environment"] = ex.resource_environment;
  if (!ex.isolation.empty()) out["isolation"] = ex.isolation;
  out["deciding"] = json::array();
  for (const Statement* s : ex.deciding) out["deciding"].push_back(StatementJson(s));
  out["candidates"] = json::array();
  for (const Candidate& c : ex.candidates) {
    json j = StatementJson(c.statement);
    j["pattern"] = c.pattern;
    j["condition"] = ConditionOutcomeName(c.condition);
    j["holds"] = c.holds;
    if (!c.statement->when.empty()) j["when"] = c.statement->when;
    if (!c.failed_conjunct.empty()) j["failed_conjunct"] = c.failed_conjunct;
    if (!c.missing_attribute.empty()) j["missing_attribute"] = c.missing_attribute;
    if (!c.error.empty()) j["error"] = c.error;
    out["candidates"].push_back(std::move(j));
  }
  out["text"] = ex.ToText();
  return out;
}

}  // namespace bulwark::access
