// The API token format: random bearer tokens for scripts and services.
//
//   bwk_<id>_<secret>      e.g. bwk_k3x7q2m9a4b5c6d7_<52 characters>
//   id:     16 characters of lowercase RFC 4648 base32 (a-z, 2-7): 80 random bits, public, names
//           the token in `bulwark token list|revoke` and in audit records
//   secret: 52 characters of the same alphabet: 256 random bits (32 bytes from SecureRandom)
// 73 characters in all. The fixed prefix and shape let secret scanners find a leaked token with
// the pattern `bwk_[a-z2-7]{16}_[a-z2-7]{52}` (docs/identity.md).
//
// Only SHA-256 of the whole token string is stored (TokenStore). A fast hash is enough because
// the token carries 256 random bits: no dictionary or brute force applies, unlike passwords.
// Verification compares digests in constant time (CRYPTO_memcmp).
#ifndef BULWARK_IDENTITY_API_TOKEN_H_
#define BULWARK_IDENTITY_API_TOKEN_H_

#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::identity {

inline constexpr std::string_view kApiTokenPrefix = "bwk_";
inline constexpr std::size_t kApiTokenIdLength = 16;
inline constexpr std::size_t kApiTokenSecretLength = 52;
inline constexpr std::size_t kApiTokenLength =
    kApiTokenPrefix.size() + kApiTokenIdLength + 1 + kApiTokenSecretLength;

struct GeneratedApiToken {
  std::string id;
  SecretBytes token;  // the whole "bwk_..." string; shown to the user once
};

// kUnavailable when the random source fails (nothing partial is returned).
Result<GeneratedApiToken> GenerateApiToken(SecureRandom& random);

// The id of a well-formed token; kUnauthenticated "malformed API token" (no detail, no echo) when
// the string does not have the exact shape above.
Result<std::string> ApiTokenId(std::string_view token);

// Whether the string starts like an API token (the chain routes bearer tokens on this).
bool LooksLikeApiToken(std::string_view token);

// SHA-256 of the token string: what TokenStore keeps.
crypto::Sha256Digest HashApiToken(std::string_view token);

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_API_TOKEN_H_
