// The machine-readable form of an access decision, shared by `bulwark access check|explain --json`
// and the server's /v1/access/check|explain (docs/access.md, docs/server.md "Access").
//
// {allowed, reason, statement: {id, effect, location} | null, principal, action, resource,
//  describe} and, for an explanation, effective_roles, resource_environment, isolation?,
//  deciding: [statement], candidates: [{id, effect, location, pattern, condition, holds, when?,
//  failed_conjunct?, missing_attribute?, error?}], text.
#ifndef BULWARK_ACCESS_REPORT_H_
#define BULWARK_ACCESS_REPORT_H_

#include <nlohmann/json.hpp>

#include "bulwark/access/decision.h"
#include "bulwark/access/policy_set.h"
#include "bulwark/access/request.h"

namespace bulwark::access {

// {id, effect, location}, or null for no statement.
nlohmann::ordered_json StatementJson(const Statement* statement);

// The decision on `request` (the explanation's parts only when `explain`).
nlohmann::ordered_json DecisionJson(const OwnedRequest& request, const Explanation& explanation,
                                    bool explain);

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_REPORT_H_
