// The machine-readable form of change requests, shared by the CLI (`--json`) and the server
// (docs/change.md section 5, docs/server.md "Change requests"), and the class of a refusal.
//
// Nothing here carries a value of a change-set: a view names the changed paths and the sensitive
// ones, and a diff withholds sensitive values (DiffLine::sensitive), so a report never echoes a
// secret back.
#ifndef BULWARK_CHANGE_REPORT_H_
#define BULWARK_CHANGE_REPORT_H_

#include <nlohmann/json.hpp>
#include <vector>

#include "bulwark/change/change_service.h"

namespace bulwark::change {

// {id, namespace, kind, state, base_version, latest_version, change_hash, requester,
//  justification, rollback_plan, tags, created_at, expires_at, policy, approvals_required,
//  approvals_counting, missing, impact{...}, approvals[...], rejections[...], comments[...],
//  applied{by, at, version}?, review{required, deadline, reviews, closed, overdue}?}
nlohmann::ordered_json ViewJson(const ChangeView& v);

// [{kind: added|removed|changed, path, sensitive, old?, new?}]; old/new only when not sensitive.
nlohmann::ordered_json DiffJson(const std::vector<DiffLine>& lines);

// Whether `e` is a refusal by a compliance gate: a blocking critical rule no approval overrides
// (docs/change.md section 4) or the home's own gate on the write. The message names the rules.
bool IsComplianceGateRefusal(const Error& e);

}  // namespace bulwark::change

#endif  // BULWARK_CHANGE_REPORT_H_
