// Method "token": authenticates bwk_ API tokens (api_token.h) against a TokenStore.
//
// Accepts bearer tokens that start with "bwk_". The principal:
//   id "token:<name>", kind "token", roles = the token's roles,
//   attributes {method: "token", mfa: false, token_id, namespaces: [..] (the token's scope;
//   absent when unscoped), expires_at (RFC 3339, when set)}.
// Failures are kUnauthenticated "invalid API token" whether the token is malformed, unknown, or its
// secret is wrong (an unknown id costs the same hash and constant-time compare as a known one, so
// neither message nor timing says whether the id exists); "API token expired" / "API token
// revoked" only once the secret matched (then the caller holds the real token). kUnavailable when
// the store cannot be read.
#ifndef BULWARK_IDENTITY_API_TOKEN_AUTHENTICATOR_H_
#define BULWARK_IDENTITY_API_TOKEN_AUTHENTICATOR_H_

#include <memory>

#include "bulwark/core/runtime.h"
#include "bulwark/identity/authenticator.h"
#include "bulwark/identity/token_store.h"

namespace bulwark::identity {

class ApiTokenAuthenticator final : public Authenticator {
 public:
  ApiTokenAuthenticator(std::shared_ptr<TokenStore> store, std::shared_ptr<Clock> clock)
      : store_(std::move(store)), clock_(std::move(clock)) {}

  std::string_view method() const override { return "token"; }
  bool Accepts(const Credential& credential) const override;
  Result<service::Principal> Authenticate(const Credential& credential) const override;
  std::string ClaimedId(const Credential& credential) const override;

 private:
  std::shared_ptr<TokenStore> store_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_API_TOKEN_AUTHENTICATOR_H_
