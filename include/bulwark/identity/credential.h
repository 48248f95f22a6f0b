// What a caller presents to prove who it is: a bearer token (an API token or a JWT), a user name
// and password (LDAP), or the client certificate of a TLS connection (mTLS).
//
// A Credential owns its secret (SecretBytes: zeroized when the credential goes away, printed as
// [redacted]); it is move-only. Nothing in the identity module copies the secret into an error,
// an audit record or a log line.
//
// Thread safety: a value type; distinct objects may be used from distinct threads.
#ifndef BULWARK_IDENTITY_CREDENTIAL_H_
#define BULWARK_IDENTITY_CREDENTIAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/secret_bytes.h"

namespace bulwark::identity {

enum class CredentialKind : std::uint8_t { kBearerToken, kPassword, kClientCertificate };
// "bearer token", "password", "client certificate".
std::string_view CredentialKindName(CredentialKind kind);

struct Credential {
  CredentialKind kind = CredentialKind::kBearerToken;
  // kPassword: the user name as typed (untrusted: authenticators escape it before any use).
  std::string username;
  // kBearerToken: the token; kPassword: the password. Empty for certificates.
  SecretBytes secret;
  // kClientCertificate: the DER of the leaf certificate that the TLS layer has already verified
  // against the configured client CA (the identity module maps it, it does not verify chains).
  std::vector<std::uint8_t> certificate_der;
  // The peer address ("203.0.113.7:51234", "local"); recorded in failure audit records.
  std::string source_address;

  static Credential Bearer(std::string_view token, std::string source_address);
  static Credential Password(std::string username, std::string_view password,
                             std::string source_address);
  static Credential ClientCertificate(std::vector<std::uint8_t> der, std::string source_address);
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_CREDENTIAL_H_
