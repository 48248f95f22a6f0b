#include "bulwark/identity/api_token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

namespace bulwark::identity {
namespace {

constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";

// RFC 4648 base32, lowercase, no padding.
void AppendBase32(std::string& out, std::span<const std::uint8_t> bytes) {
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
}

bool IsBase32(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  }
  return true;
}

}  // namespace

Result<GeneratedApiToken> GenerateApiToken(SecureRandom& random) {
  std::array<std::uint8_t, 10> id_bytes{};
  BULWARK_RETURN_IF_ERROR(random.Fill(id_bytes));
  BULWARK_ASSIGN_OR_RETURN(SecretBytes secret, random.Secret(32));
  GeneratedApiToken out;
  AppendBase32(out.id, id_bytes);
  std::string text;
  text.reserve(kApiTokenLength);
  text.append(kApiTokenPrefix);
  text.append(out.id);
  text.push_back('_');
  AppendBase32(text, secret.Reveal());
  out.token = SecretBytes::FromString(text);
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

Result<std::string> ApiTokenId(std::string_view token) {
  if (token.size() != kApiTokenLength || !token.starts_with(kApiTokenPrefix) ||
      token[kApiTokenPrefix.size() + kApiTokenIdLength] != '_') {
    return UnauthenticatedError("malformed API token");
  }
  std::string_view id = token.substr(kApiTokenPrefix.size(), kApiTokenIdLength);
  std::string_view secret = token.substr(kApiTokenPrefix.size() + kApiTokenIdLength + 1);
  if (!IsBase32(id) || !IsBase32(secret)) return UnauthenticatedError("malformed API token");
  return std::string(id);
}

bool LooksLikeApiToken(std::string_view token) { return token.starts_with(kApiTokenPrefix); }

crypto::Sha256Digest HashApiToken(std::string_view token) {
  crypto::Sha256Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
  return d;
}

}  // namespace bulwark::identity
