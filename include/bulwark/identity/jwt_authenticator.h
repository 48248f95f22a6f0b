// Method "jwt": OIDC / JWT bearer tokens verified against each trusted issuer's JWKS.
//
// Accepts bearer tokens shaped like a JWS (two dots, not "bwk_"). Authenticate:
//   1. ParseJwt (jwt.h); the unverified `iss` picks the issuer configuration (an unknown issuer is
//      "token issuer is not accepted");
//   2. VerifyJwt against the issuer's current JWKS; on "unknown signing key" the JWKS is refreshed
//      (rate limited, jwks_source.h) and the token verified once more;
//   3. the principal: id "oidc:<iss>|<sub>", kind "oidc", roles = RoleMapping of the groups claim,
//      attributes {method: "jwt", mfa, issuer, subject, groups: [..], amr: [..], expires_at, and
//      each configured attribute claim (tenant, team, clearance, ...) copied as it is}.
// `mfa` is true when the `amr` claim (RFC 8176) holds one of `mfa_amr` (default: mfa, mca, otp,
// hwk, sc, sms, tel, fpt, face, iris, retina, vbm: a factor beyond the password).
// A token without a non-empty string subject claim is refused. Failures: kUnauthenticated with
// jwt.h's reasons; kUnavailable when the JWKS cannot be loaded at all.
//
// Configuration (one entry per trusted issuer; docs/identity.md "JWT / OIDC"):
//   jwt:
//     issuers:
//       - issuer: https://idp.example.com/          # exact match with the iss claim
//         audiences: [bulwark]                      # aud must contain one
//         jwks_url: https://idp.example.com/jwks    # or jwks_file: /etc/bulwark/idp.jwks.json
//         jwks_ca_file: /etc/ssl/idp-ca.pem         # optional, for jwks_url
//         algorithms: [RS256, ES256, EdDSA]         # optional subset
//         leeway: 60s                               # clock skew on exp/nbf/iat
//         require_exp: true
//         jwks_min_refresh: 60s                     # rate limit of unknown-kid refreshes
//         jwks_max_age: 1h                          # scheduled reload
//         claims: {subject: sub, groups: groups, amr: amr}
//         attributes: {tenant: tenant, team: "https://example.com/claims/team"}
//         mfa_amr: [mfa, otp, hwk]
//         roles: {default: [], groups: {platform-admins: [global-admin]}}
//
// Thread safety: Authenticate may be called concurrently.
#ifndef BULWARK_IDENTITY_JWT_AUTHENTICATOR_H_
#define BULWARK_IDENTITY_JWT_AUTHENTICATOR_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/runtime.h"
#include "bulwark/identity/authenticator.h"
#include "bulwark/identity/jwks_source.h"
#include "bulwark/identity/jwt.h"
#include "bulwark/identity/role_mapping.h"

namespace bulwark::identity {

struct JwtIssuerConfig {
  JwtValidation validation;
  std::shared_ptr<JwksCache> jwks;
  std::string subject_claim = "sub";
  std::string groups_claim = "groups";
  std::string amr_claim = "amr";
  std::map<std::string, std::string> attribute_claims;  // attribute name -> claim name
  std::vector<std::string> mfa_amr = {"mfa", "mca", "otp",  "hwk",  "sc",     "sms",
                                      "tel", "fpt", "face", "iris", "retina", "vbm"};
  RoleMapping roles;
};

class JwtAuthenticator final : public Authenticator {
 public:
  // kInvalidArgument: no issuer, an issuer twice, an empty issuer or audience list, no JWKS.
  static Result<std::unique_ptr<JwtAuthenticator>> Create(std::vector<JwtIssuerConfig> issuers,
                                                          std::shared_ptr<Clock> clock);
  // From the `jwt` section above; `where` names it in errors ("server.yaml: authentication.jwt").
  // Relative jwks_file paths are relative to `base_dir`. The JWKS is not fetched here (first use).
  static Result<std::unique_ptr<JwtAuthenticator>> FromConfig(
      const config::Value& section, std::string_view where, const Runtime& runtime,
      const std::filesystem::path& base_dir);

  std::string_view method() const override { return "jwt"; }
  bool Accepts(const Credential& credential) const override;
  Result<service::Principal> Authenticate(const Credential& credential) const override;
  std::string ClaimedId(const Credential& credential) const override;

 private:
  JwtAuthenticator(std::vector<JwtIssuerConfig> issuers, std::shared_ptr<Clock> clock)
      : issuers_(std::move(issuers)), clock_(std::move(clock)) {}
  const JwtIssuerConfig* FindIssuer(const config::Value& claims) const;

  std::vector<JwtIssuerConfig> issuers_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_JWT_AUTHENTICATOR_H_
