#include "bulwark/identity/api_token_authenticator.h"

#include <openssl/crypto.h>

#include "bulwark/identity/api_token.h"
#include "identity/internal/principal.h"

namespace bulwark::identity {
bool ApiTokenAuthenticator::Accepts(const Credential& credential) const {
  return credential.kind == CredentialKind::kBearerToken &&
         LooksLikeApiToken(credential.secret.RevealAsString());
}

std::string ApiTokenAuthenticator::ClaimedId(const Credential& credential) const {
  auto id = ApiTokenId(credential.secret.RevealAsString());
  return id ? "token:" + *id : "";
}

Result<service::Principal> ApiTokenAuthenticator::Authenticate(const Credential& credential) const {
  if (credential.kind != CredentialKind::kBearerToken) {
    return UnauthenticatedError("invalid API token");
  }
  const std::string_view token = credential.secret.RevealAsString();
  auto id = ApiTokenId(token);
  if (!id) return UnauthenticatedError("invalid API token");
  const crypto::Sha256Digest presented = HashApiToken(token);

  auto record = store_->FindById(*id);
  if (!record && record.error().code() != ErrorCode::kNotFound) {
    return std::unexpected(record.error());
  }
  // An unknown id is compared with a digest no token has, so that it costs what a known one does.
  static constexpr crypto::Sha256Digest kNoToken{};
  const crypto::Sha256Digest& stored = record ? record->hash : kNoToken;
  const bool match = CRYPTO_memcmp(presented.data(), stored.data(), stored.size()) == 0;
  if (!record || !match) return UnauthenticatedError("invalid API token");

  const TimePoint now = clock_->Now();
  if (record->revoked()) return UnauthenticatedError("API token revoked");
  if (record->expired(now)) return UnauthenticatedError("API token expired");
  // Last-used is advisory: a busy database does not refuse a valid token.
  (void)store_->MarkUsed(*record, now);

  service::Principal p =
      internal::NewPrincipal("token", "token:" + record->name, record->roles, "token", false);
  auto& attrs = p.attributes.AsMap();
  attrs.Set("token_id", config::Value(record->id));
  if (!record->namespaces.empty())
    attrs.Set("namespaces", internal::StringListValue(record->namespaces));
  if (record->expires_at)
    attrs.Set("expires_at", config::Value(FormatRfc3339(*record->expires_at)));
  return p;
}

}  // namespace bulwark::identity
