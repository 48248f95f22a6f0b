#include "bulwark/server/authenticator.h"

#include <fmt/format.h>

namespace bulwark::server {
namespace {

class MtlsAuthenticator final : public Authenticator {
 public:
  explicit MtlsAuthenticator(MtlsMapping m) : m_(m) {}
  Result<service::Principal> Authenticate(const Credentials& c) const override {
    if (!c.peer) return NotFoundError("no client certificate");
    const PeerCertificate& p = *c.peer;
    std::string name;
    switch (m_.name) {
      case MtlsMapping::Name::kCommonName: name = p.common_name; break;
      case MtlsMapping::Name::kSanDns: name = p.dns_names.empty() ? "" : p.dns_names[0]; break;
      case MtlsMapping::Name::kSanUri: name = p.uris.empty() ? "" : p.uris[0]; break;
      case MtlsMapping::Name::kSanEmail: name = p.emails.empty() ? "" : p.emails[0]; break;
    }
    if (name.empty()) {
      return UnauthenticatedError("client certificate lacks the name that identifies the principal");
    }
    service::Principal principal;
    principal.id = "mtls:" + name;
    principal.kind = "mtls";
    if (m_.roles_from_ou) principal.roles = p.organizational_units;
    principal.attributes.AsMap().Set("certificate_sha256", config::Value(p.fingerprint_sha256));
    return principal;
  }
  std::string_view method() const override { return "mtls"; }

 private:
  MtlsMapping m_;
};

class ChainAuthenticator final : public Authenticator {
 public:
  explicit ChainAuthenticator(std::vector<std::unique_ptr<Authenticator>> a) : a_(std::move(a)) {}
  Result<service::Principal> Authenticate(const Credentials& c) const override {
    if (!c.bearer_token && !c.peer) return UnauthenticatedError("no credentials");
    if (c.bearer_token) {
      // A token decides alone: a wrong token is not rescued by a certificate.
      Credentials token_only;
      token_only.bearer_token = c.bearer_token->Clone();
      token_only.source_address = c.source_address;
      for (const auto& a : a_) {
        auto r = a->Authenticate(token_only);
        if (r || r.error().code() != ErrorCode::kNotFound) return r;
      }
      return UnauthenticatedError("invalid or expired token");
    }
    Credentials cert_only;
    cert_only.peer = c.peer;
    cert_only.source_address = c.source_address;
    for (const auto& a : a_) {
      auto r = a->Authenticate(cert_only);
      if (r || r.error().code() != ErrorCode::kNotFound) return r;
    }
    return UnauthenticatedError("client certificates are not accepted as credentials here");
  }
  Status Reload() override {
    for (const auto& a : a_) BULWARK_RETURN_IF_ERROR(a->Reload());
    return OkStatus();
  }
  std::string_view method() const override { return "chain"; }

 private:
  std::vector<std::unique_ptr<Authenticator>> a_;
};

}  // namespace

std::unique_ptr<Authenticator> NewMtlsAuthenticator(MtlsMapping mapping) {
  return std::make_unique<MtlsAuthenticator>(mapping);
}

std::unique_ptr<Authenticator> NewChainAuthenticator(
    std::vector<std::unique_ptr<Authenticator>> authenticators) {
  return std::make_unique<ChainAuthenticator>(std::move(authenticators));
}

}  // namespace bulwark::server
