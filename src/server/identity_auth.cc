#include "bulwark/server/identity_auth.h"

#include <string>

#include "bulwark/identity/api_token.h"
#include "bulwark/identity/credential.h"

namespace bulwark::server {
namespace {

class IdentityAuthenticator final : public Authenticator {
 public:
  explicit IdentityAuthenticator(std::unique_ptr<identity::Authenticator> m)
      : m_(std::move(m)), name_(m_->method()) {}

  Result<service::Principal> Authenticate(const Credentials& c) const override {
    if (!c.bearer_token) return NotFoundError("no bearer token");
    identity::Credential cred =
        identity::Credential::Bearer(c.bearer_token->RevealAsString(), c.source_address);
    if (!m_->Accepts(cred)) return NotFoundError("not this method's token");
    // The tokens file's bwk_ tokens are shorter than the token store's: leave them to it.
    if (name_ == "token" && !identity::ApiTokenId(cred.secret.RevealAsString())) {
      return NotFoundError("not a token store token");
    }
    auto r = m_->Authenticate(cred);
    if (!r && r.error().code() == ErrorCode::kUnauthenticated) {
      return UnauthenticatedError("invalid or expired token");
    }
    return r;
  }
  std::string_view method() const override { return name_; }

 private:
  std::unique_ptr<identity::Authenticator> m_;
  std::string name_;
};

}  // namespace

std::unique_ptr<Authenticator> NewIdentityAuthenticator(std::unique_ptr<identity::Authenticator> method) {
  return std::make_unique<IdentityAuthenticator>(std::move(method));
}

}  // namespace bulwark::server
