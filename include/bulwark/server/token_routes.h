// POST /v1/tokens, GET /v1/tokens, DELETE /v1/tokens/{id}: the home's API token store
// (identity::TokenStore, <home>/tokens.db: what `bulwark token create|list|revoke` manage) over
// HTTP (docs/server.md "Tokens"). Registered by ServerApp when server.yaml's `auth.token` is
// set, so that a token created here authenticates against the same server.
//
// Every route is the action `admin` on the resource "tokens" (a grant or policy must allow it),
// runs under the route guard (authorize, fail closed when the audit log cannot record, exactly
// one audit record: token.create, token.list, token.revoke, never the token), and answers with
// the `bulwark token list --format json` shape of a token. The token itself appears once, in
// the 201 response of POST (with Cache-Control: no-store). Bad bodies are 400 naming the field
// (name, roles, namespaces, ttl, no_expiry); a name in use is 409; an unknown id or name 404.
#ifndef BULWARK_SERVER_TOKEN_ROUTES_H_
#define BULWARK_SERVER_TOKEN_ROUTES_H_

#include <memory>

#include "bulwark/core/runtime.h"
#include "bulwark/identity/token_store.h"
#include "bulwark/server/routes.h"

namespace bulwark::server {

Status AddTokenRoutes(Router& router, const ApiDeps& deps, std::shared_ptr<identity::TokenStore> store,
                      std::shared_ptr<Clock> clock);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_TOKEN_ROUTES_H_
