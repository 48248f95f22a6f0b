// JSON Web Keys (RFC 7517) for verifying JWT signatures: the public keys of an OIDC issuer.
//
// Accepted keys, each tied to exactly one signature algorithm (RFC 7518, RFC 8037):
//   kty RSA (n, e; modulus of 2048 bits or more)         -> RS256
//   kty EC, crv P-256 (x, y; the point must be on the curve) -> ES256
//   kty OKP, crv Ed25519 (x)                              -> EdDSA
// A key's `alg`, when present, must name that algorithm; `use`, when present, must be "sig".
// Keys of other types or algorithms (oct, RSA-OAEP encryption keys, P-384, Ed448) are skipped, so
// that a provider's full JWKS loads; in particular no symmetric ("oct") key is ever used, which
// rules out HS256-with-a-public-key confusion at the source. A key holding private members (d, p,
// q, ...) is refused: a JWKS to verify with must publish public keys only.
//
// Signatures are verified with OpenSSL 3's EVP interface: neither Debian's libjwt 1.10 (no EdDSA,
// no JWKS) nor libcjose 0.6 (no OKP/Ed25519 keys) covers all three algorithms (docs/identity.md).
//
// Thread safety: Jwk and JwkSet are immutable after parsing and safe to share between threads.
#ifndef BULWARK_IDENTITY_JWK_H_
#define BULWARK_IDENTITY_JWK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::identity {

enum class JwsAlgorithm : std::uint8_t { kRs256, kEs256, kEdDsa };
// "RS256", "ES256", "EdDSA".
std::string_view JwsAlgorithmName(JwsAlgorithm alg);
// The algorithm of a JOSE `alg` name; nullopt for every other name (none, HS256, PS256, ...).
std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);

class Jwk {
 public:
  const std::string& kid() const { return kid_; }  // "" when the key has none
  JwsAlgorithm algorithm() const { return alg_; }

  // Verifies a JWS signature over `signing_input` (ASCII header.payload). ES256 signatures are the
  // 64-byte R || S of RFC 7518 s3.4. OK, or kUnauthenticated "token signature is invalid";
  // kInternal for an OpenSSL failure.
  Status Verify(std::string_view signing_input, std::span<const std::uint8_t> signature) const;

 private:
  friend class JwkSet;
  struct Key;
  std::string kid_;
  JwsAlgorithm alg_ = JwsAlgorithm::kRs256;
  std::shared_ptr<const Key> key_;
};

class JwkSet {
 public:
  // Parses {"keys": [...]} (or a single JWK object). `source` names the file or URL in errors.
  // kInvalidArgument "<source>: keys[2].n: ..." for malformed JSON, a malformed accepted key, a
  // private key, or a set with no usable signing key.
  static Result<JwkSet> Parse(std::string_view json, std::string_view source);

  // The keys that may verify a token with header `kid` (may be empty) and `alg`: with a kid, the
  // key of that kid if its algorithm is `alg`; without one, every key of algorithm `alg`.
  std::vector<const Jwk*> Candidates(std::string_view kid, JwsAlgorithm alg) const;
  bool HasKid(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }
  // How many keys of the document were skipped (unsupported type, algorithm or use).
  std::size_t skipped() const { return skipped_; }

 private:
  std::vector<Jwk> keys_;
  std::size_t skipped_ = 0;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_JWK_H_
