#include "bulwark/identity/credential.h"

namespace bulwark::identity {

std::string_view CredentialKindName(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::kBearerToken:
      return "bearer token";
    case CredentialKind::kPassword:
      return "password";
    case CredentialKind::kClientCertificate:
      return "client certificate";
  }
  return "credential";
}

Credential Credential::Bearer(std::string_view token, std::string source_address) {
  Credential c;
  c.kind = CredentialKind::kBearerToken;
  c.secret = SecretBytes::FromString(token);
  c.source_address = std::move(source_address);
  return c;
}

Credential Credential::Password(std::string username, std::string_view password,
                                std::string source_address) {
  Credential c;
  c.kind = CredentialKind::kPassword;
  c.username = std::move(username);
  c.secret = SecretBytes::FromString(password);
  c.source_address = std::move(source_address);
  return c;
}

Credential Credential::ClientCertificate(std::vector<std::uint8_t> der,
                                         std::string source_address) {
  Credential c;
  c.kind = CredentialKind::kClientCertificate;
  c.certificate_der = std::move(der);
  c.source_address = std::move(source_address);
  return c;
}

}  // namespace bulwark::identity
