// Method "mtls": a client certificate, already verified by the server's TLS handshake against its
// client CA, mapped to a principal by rules.
//
// The server passes the leaf certificate's DER (Credential::ClientCertificate). This method does
// not verify chains or revocation (the TLS layer does); it parses the certificate, checks that the
// injected clock's time is inside its validity period (defence in depth for a misconfigured
// server), and maps:
//   - the id: the first subjectAltName of the configured kind (URI, DNS, email) or the subject CN,
//     restricted to names starting with `id_prefix` when one is set (the prefix is stripped):
//     "spiffe://example.org/ns/payments/sa/deployer" with prefix "spiffe://example.org/" gives
//     principal id "mtls:ns/payments/sa/deployer";
//   - the groups: the subject's OU values (roles_from: ou), mapped by `roles` (role_mapping.h);
//   - attributes: subject attributes by short name (o, ou, l, st, c, cn, serialNumber).
// Principal: id "mtls:<name>", kind "mtls", attributes {method: "mtls", mfa: false, subject
// (RFC 2253), issuer (RFC 2253), serial (hex), sans: [..], configured attributes}.
// Failures are kUnauthenticated: "client certificate is malformed", "... is not valid at this
// time", "client certificate has no usable name" (no name of the kind / prefix, or a name holding
// a NUL or control character).
//
// Configuration (docs/identity.md "mTLS"):
//   mtls:
//     id_from: san_uri            # san_uri | san_dns | san_email | cn
//     id_prefix: "spiffe://example.org/"
//     roles_from: ou              # ou | none
//     roles: {groups: {payments: [operator-payments]}}
//     attributes: {tenant: o}
#ifndef BULWARK_IDENTITY_CERTIFICATE_AUTHENTICATOR_H_
#define BULWARK_IDENTITY_CERTIFICATE_AUTHENTICATOR_H_

#include <map>
#include <memory>
#include <string>

#include "bulwark/config/value.h"
#include "bulwark/core/runtime.h"
#include "bulwark/identity/authenticator.h"
#include "bulwark/identity/role_mapping.h"

namespace bulwark::identity {

struct CertificateMapping {
  enum class IdSource { kSanUri, kSanDns, kSanEmail, kCommonName };
  IdSource id_from = IdSource::kSanUri;
  std::string id_prefix;
  bool roles_from_ou = true;
  RoleMapping roles;
  std::map<std::string, std::string> attributes;  // principal attribute -> subject short name
};

class CertificateAuthenticator final : public Authenticator {
 public:
  // kInvalidArgument for an attribute naming an unknown subject field or a reserved attribute.
  static Result<std::unique_ptr<CertificateAuthenticator>> Create(CertificateMapping mapping,
                                                                  std::shared_ptr<Clock> clock);
  static Result<std::unique_ptr<CertificateAuthenticator>> FromConfig(const config::Value& section,
                                                                      std::string_view where,
                                                                      std::shared_ptr<Clock> clock);

  std::string_view method() const override { return "mtls"; }
  bool Accepts(const Credential& credential) const override;
  Result<service::Principal> Authenticate(const Credential& credential) const override;
  std::string ClaimedId(const Credential& credential) const override;

 private:
  CertificateAuthenticator(CertificateMapping mapping, std::shared_ptr<Clock> clock)
      : mapping_(std::move(mapping)), clock_(std::move(clock)) {}
  CertificateMapping mapping_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_CERTIFICATE_AUTHENTICATOR_H_
