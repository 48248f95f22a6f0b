// The identity module's authentication methods as server authenticators (docs/server.md,
// "Authentication"): server.yaml's `auth` section may hold the identity module's `token` (the
// home's tokens.db, `bulwark token create|list|revoke`) and `jwt` (OIDC/JWT bearer tokens checked
// against a JWKS file or URL) sections, read by identity::BuildAuthenticationMethods (one parser),
// each wrapped by this adapter and put in the server's chain before its tokens file and mTLS.
//
// Contract of the adapter's Authenticate:
//   - kNotFound ("not mine, ask the next") when there is no bearer token or the method does not
//     take it: the token method takes only tokens of the exact tokens.db shape
//     (bwk_<16>_<52>), so the tokens file's bwk_ tokens still reach the tokens file; the JWT
//     method takes three dot-separated parts.
//   - kUnauthenticated "invalid or expired token" for every refusal of the method (unknown,
//     revoked, expired, bad signature, alg none, wrong issuer or audience): one message whatever
//     the cause, as the tokens file answers.
//   - kUnavailable (and any other error) as the method gives it: a JWKS endpoint or the token
//     database that cannot answer fails closed; no other method is tried.
// Failed authentications are audited by the server (auth.login), not by the identity chain.
// Thread-safe (the identity methods are).
#ifndef BULWARK_SERVER_IDENTITY_AUTH_H_
#define BULWARK_SERVER_IDENTITY_AUTH_H_

#include <memory>
#include <vector>

#include "bulwark/identity/authenticator.h"
#include "bulwark/server/authenticator.h"

namespace bulwark::server {

std::unique_ptr<Authenticator> NewIdentityAuthenticator(std::unique_ptr<identity::Authenticator> method);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_IDENTITY_AUTH_H_
