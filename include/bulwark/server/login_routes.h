// POST /v1/auth/ldap/login {"username", "password"}: a directory user signs in once and gets a
// short-lived API token from the server's token store (as Vault's LDAP login does; docs/server.md
// "LDAP login"). Registered by ServerApp when server.yaml's `auth` has both `ldap` (the identity
// module's section) and `token` (the store the token goes to and is checked against).
//
// Why a login route and not HTTP Basic on every request: the password crosses the wire once per
// session instead of with every call, a request costs no directory bind (a busy client cannot
// turn the server into a password-guessing or load amplifier against the directory), and what
// the client keeps is revocable (`DELETE /v1/tokens/{id}`, `bulwark token revoke`) and expires.
//
// The route is public (it is the authentication). Contract:
//   - 200 {"token", "expires_at", "principal", "roles", "id"} (Cache-Control: no-store): the
//     directory accepted the password; the token is named `ldap-<user>-<8 hex>`, carries the
//     roles the `ldap` section maps from the user's groups, and lives `login.token_ttl`
//     (default 1h); its principal is `token:<name>` and its created_by the LDAP principal.
//   - 401 "invalid credentials" for a wrong password, an unknown user, an empty password or a
//     malformed name (one message); 400 naming `username` or `password` for a body that is not
//     {username: string, password: string}; 429 (Retry-After) past `login.attempts_per_minute`
//     per source address or per user name (every attempt counts); 503 when the directory, the
//     token store or the audit log cannot answer (no token is issued unaudited).
//   - One audit record per attempt: operation auth.login, outcome success (paths token:<id>) or
//     failure (the claimed principal ldap:<name>, the reason), never the password or the token.
#ifndef BULWARK_SERVER_LOGIN_ROUTES_H_
#define BULWARK_SERVER_LOGIN_ROUTES_H_

#include <chrono>
#include <memory>

#include "bulwark/core/runtime.h"
#include "bulwark/identity/authenticator.h"
#include "bulwark/identity/token_store.h"
#include "bulwark/server/routes.h"

namespace bulwark::server {

struct LdapLoginOptions {
  std::shared_ptr<const identity::Authenticator> ldap;  // the identity module's "ldap" method
  std::shared_ptr<identity::TokenStore> store;
  std::shared_ptr<Clock> clock;
  std::shared_ptr<SecureRandom> random;  // the token name's suffix
  std::chrono::seconds token_ttl{3600};
  unsigned attempts_per_minute = 10;  // per source address and per user name
};

Status AddLdapLoginRoute(Router& router, const ApiDeps& deps, LdapLoginOptions options);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_LOGIN_ROUTES_H_
