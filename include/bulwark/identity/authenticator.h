// The authentication seam: a credential in, a service::Principal (who, of which kind, with which
// roles and attributes) or a typed failure out. The access engine authorizes the principal; the
// server builds one RequestContext per request from it.
//
// Implementations (one per method, each in its own header):
//   ApiTokenAuthenticator     "token"  bwk_ API tokens from the home's tokens.db
//   (api_token_authenticator.h) JwtAuthenticator          "jwt"    OIDC/JWT bearer tokens checked
//   against a JWKS (jwt_authenticator.h) LdapAuthenticator         "ldap"   user name + password
//   bound against a directory (ldap_authenticator.h) CertificateAuthenticator  "mtls"   a verified
//   client certificate's subject and SANs (certificate_authenticator.h)
// AuthenticatorChain (authenticator_chain.h) composes the configured ones and audits failures.
//
// Contract of Authenticate:
//   - OK: the principal. `kind` is the method's principal kind ("token", "oidc", "ldap", "mtls"),
//     `id` is prefixed with it, `attributes.method` names the method, `attributes.mfa` is a bool.
//   - kUnauthenticated: the credential is not valid (bad signature, expired, wrong password,
//     unknown user or token, revoked). The message is safe to show to the caller: it never holds
//     the token, the password or key material, and it does not say whether a user or token
//     exists ("invalid credentials" for both).
//   - kUnavailable: the method's backend (directory, JWKS URL, token database) cannot answer. Fail
//     closed: the caller is not authenticated, and no other method is tried in its place.
//   - kInternal: a bug or an unexpected library failure.
// Authenticate never throws and is thread-safe (the server calls it from several threads).
#ifndef BULWARK_IDENTITY_AUTHENTICATOR_H_
#define BULWARK_IDENTITY_AUTHENTICATOR_H_

#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/identity/credential.h"
#include "bulwark/service/request_context.h"

namespace bulwark::identity {

class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // The method's name: "token", "jwt", "ldap", "mtls" (audit records, configuration).
  virtual std::string_view method() const = 0;

  // Whether this method handles the credential at all (its kind and shape, e.g. a bearer token
  // starting with "bwk_"), without checking it. Cheap and side-effect free.
  virtual bool Accepts(const Credential& credential) const = 0;

  // See the contract above.
  virtual Result<service::Principal> Authenticate(const Credential& credential) const = 0;

  // Who the credential claims to be, for the audit record of a failed attempt: "token:<id>",
  // "oidc:<iss>|<sub>" (unverified), "ldap:<user>", "mtls:<subject>"; "" when nothing can be read.
  // Never the secret.
  virtual std::string ClaimedId(const Credential& credential) const = 0;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_AUTHENTICATOR_H_
