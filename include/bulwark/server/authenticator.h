// The server's authentication step: the credentials of one request -> a service::Principal.
//
// The server collects what the client presented (a bearer token from the Authorization header,
// the subject of a client certificate that the TLS layer has already verified against the
// configured client CA) and asks its Authenticator. Implementations: TokenFileAuthenticator
// (api_tokens.h: API tokens stored as hashes), MtlsAuthenticator (below), ChainAuthenticator
// (the first that recognizes the credential decides); the identity module's JWT/OIDC and LDAP
// authenticators plug in here through an adapter.
//
// Contract: kUnauthenticated with a reason that is safe to show the client and to audit (never
// the token or any part of it; the same reason whether a token is unknown, expired or malformed,
// so that failures do not tell which tokens exist); kNotFound when the authenticator does not
// handle this kind of credential (the chain then asks the next one); kUnavailable when a
// dependency (a directory, a JWKS endpoint) cannot be reached (fail closed). Thread-safe.
#ifndef BULWARK_SERVER_AUTHENTICATOR_H_
#define BULWARK_SERVER_AUTHENTICATOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/service/request_context.h"

namespace bulwark::server {

// A client certificate verified by the TLS handshake.
struct PeerCertificate {
  std::string common_name;
  std::vector<std::string> organizational_units;
  std::vector<std::string> dns_names, uris, emails;  // subjectAltName entries
  std::string fingerprint_sha256;                     // hex, of the DER certificate
};

struct Credentials {
  std::optional<SecretBytes> bearer_token;   // from "Authorization: Bearer ..."
  std::optional<PeerCertificate> peer;       // verified client certificate
  std::string source_address;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Result<service::Principal> Authenticate(const Credentials& credentials) const = 0;
  // Re-reads files (tokens, keys) after SIGHUP. Keeps the old state on failure.
  virtual Status Reload() { return OkStatus(); }
  // The method name for metrics and audit ("token", "mtls", "jwt").
  virtual std::string_view method() const = 0;
};

// Which certificate name becomes the principal id ("mtls:<name>") and where roles come from.
struct MtlsMapping {
  enum class Name { kCommonName, kSanDns, kSanUri, kSanEmail };
  Name name = Name::kCommonName;
  bool roles_from_ou = true;
};

// Principal {id "mtls:<name>", kind "mtls", roles = OUs (when configured), attributes
// {"certificate_sha256": ...}}; kUnauthenticated when the certificate lacks the configured name.
std::unique_ptr<Authenticator> NewMtlsAuthenticator(MtlsMapping mapping);

// Tries each authenticator in order for the credential it handles: a bearer token is decided by
// the first authenticator that does not answer kNotFound, and only when there is no token is a
// client certificate asked about. No credential at all: kUnauthenticated "no credentials".
std::unique_ptr<Authenticator> NewChainAuthenticator(
    std::vector<std::unique_ptr<Authenticator>> authenticators);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_AUTHENTICATOR_H_
