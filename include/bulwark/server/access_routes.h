// POST /v1/access/check, POST /v1/access/explain, GET /v1/access/who-can: the decisions of the
// server's access policies (authorization.policies) over HTTP, as `bulwark access check --json`,
// `access explain --json` and `access who-can --json` print them (docs/server.md "Access").
// Registered by ServerApp only when the server decides with the access engine (with role grants
// there is no policy set to ask).
//
// A check or explain asks about `principal` (with the given kind, roles, groups, attributes) or,
// when it is omitted, about the caller as it authenticated (its id, kind, roles, attributes,
// MFA); the facts are the server's time (or `time`), `source` and `mfa` as given. Each route is
// the action `read` on the resource policy:decisions (what the policies allow is itself policy
// information), under the route guard: authorized, fail closed when the audit log cannot record,
// one audit record (access.check, access.explain, access.who_can). Bad bodies or queries are 400
// naming the field (action, resource, principal, roles, groups, attributes, resource_attributes,
// context, source, mfa, time).
#ifndef BULWARK_SERVER_ACCESS_ROUTES_H_
#define BULWARK_SERVER_ACCESS_ROUTES_H_

#include <memory>

#include "bulwark/access/authorizer.h"
#include "bulwark/core/runtime.h"
#include "bulwark/server/routes.h"

namespace bulwark::server {

Status AddAccessRoutes(Router& router, const ApiDeps& deps,
                       std::shared_ptr<const access::PolicyAuthorizer> engine, std::shared_ptr<Clock> clock);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_ACCESS_ROUTES_H_
