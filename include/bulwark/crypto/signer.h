// Digital signatures: the Signer / Verifier interfaces and their Ed25519 implementations.
//
// Signer and Verifier are the two tiny interfaces every signing user (the audit log's checkpoints,
// signed exports) depends on; the algorithm is chosen where the object is created. Ed25519 is
// implemented over OpenSSL 3's EVP interface (RFC 8032 "pure" Ed25519, no prehash, no context).
//
// Keys:
//  - A private key is its 32-byte RFC 8032 seed, held only in a SecretBytes. The 64-byte "expanded"
//    forms some libraries use are not accepted.
//  - A public key is the 32-byte RFC 8032 encoding of the point A. It is not secret.
//  - A signature is 64 bytes: R (32) || S (32).
//
// Errors: Create* returns kInvalidArgument for a key of the wrong length (the message names the
// length, never the bytes) and kInternal if OpenSSL fails unexpectedly. Verify returns kDataLoss
// for any signature that does not verify (wrong length, non-canonical S, wrong key or message):
// a bad signature is an integrity failure.
//
// Thread safety: Sign and Verify are const and safe to call concurrently on one object.
#ifndef BULWARK_CRYPTO_SIGNER_H_
#define BULWARK_CRYPTO_SIGNER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::crypto {

class Signer {
 public:
  virtual ~Signer() = default;
  // Returns the signature of `msg`. Deterministic for Ed25519.
  virtual Result<std::vector<std::uint8_t>> Sign(std::span<const std::uint8_t> msg) const = 0;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // OK if `sig` is a valid signature of `msg` under this verifier's key, else kDataLoss.
  virtual Status Verify(std::span<const std::uint8_t> sig,
                        std::span<const std::uint8_t> msg) const = 0;
};

inline constexpr std::size_t kEd25519SeedSize = 32;
inline constexpr std::size_t kEd25519PublicKeySize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;

using Ed25519PublicKey = std::array<std::uint8_t, kEd25519PublicKeySize>;

class Ed25519Signer final : public Signer {
 public:
  // `seed` must be exactly 32 bytes. The seed is copied into OpenSSL's key object; the caller keeps
  // ownership of `seed`.
  static Result<std::unique_ptr<Ed25519Signer>> Create(const SecretBytes& seed);
  // Draws a fresh 32-byte seed from `random` (kUnavailable if it fails).
  static Result<SecretBytes> GenerateSeed(SecureRandom& random);

  ~Ed25519Signer() override;
  Ed25519Signer(const Ed25519Signer&) = delete;
  Ed25519Signer& operator=(const Ed25519Signer&) = delete;

  Result<std::vector<std::uint8_t>> Sign(std::span<const std::uint8_t> msg) const override;

  // The raw 32-byte public key matching this signer.
  const Ed25519PublicKey& public_key() const { return public_key_; }

 private:
  struct Impl;
  Ed25519Signer(std::unique_ptr<Impl> impl, const Ed25519PublicKey& public_key);
  std::unique_ptr<Impl> impl_;
  Ed25519PublicKey public_key_;
};

class Ed25519Verifier final : public Verifier {
 public:
  // `public_key` must be exactly 32 bytes (kInvalidArgument otherwise).
  static Result<std::unique_ptr<Ed25519Verifier>> Create(std::span<const std::uint8_t> public_key);

  ~Ed25519Verifier() override;
  Ed25519Verifier(const Ed25519Verifier&) = delete;
  Ed25519Verifier& operator=(const Ed25519Verifier&) = delete;

  Status Verify(std::span<const std::uint8_t> sig,
                std::span<const std::uint8_t> msg) const override;

  const Ed25519PublicKey& public_key() const { return public_key_; }

 private:
  struct Impl;
  Ed25519Verifier(std::unique_ptr<Impl> impl, const Ed25519PublicKey& public_key);
  std::unique_ptr<Impl> impl_;
  Ed25519PublicKey public_key_;
};

}  // namespace bulwark::crypto

#endif  // BULWARK_CRYPTO_SIGNER_H_
