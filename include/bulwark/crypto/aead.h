// Authenticated encryption with associated data (AEAD).
//
// `Aead` is the tiny interface every user of encryption depends on (two const methods, as in
// Tink). `AeadCipher` is its implementation for one raw key of one algorithm; the keyring
// (bulwark/keys/keyring.h) composes many of them and adds key ids.
//
// Algorithms (names are stable; they appear in files):
//   name                 key    nonce  tag   implementation
//   AES256_GCM (default) 32 B   12 B   16 B  OpenSSL EVP
//   AES128_GCM           16 B   12 B   16 B  OpenSSL EVP
//   CHACHA20_POLY1305    32 B   12 B   16 B  OpenSSL EVP (RFC 8439)
//   XCHACHA20_POLY1305   32 B   24 B   16 B  libsodium (draft-irtf-cfrg-xchacha)
//
// Ciphertext layout produced by Encrypt and accepted by Decrypt, byte by byte:
//   offset 0            nonce       NonceSize(alg) bytes, fresh from the injected SecureRandom
//   offset N            ciphertext  exactly as many bytes as the plaintext
//   offset N + |pt|     tag         16 bytes
// so |ciphertext| = NonceSize + |plaintext| + 16. The associated data is authenticated, not stored.
//
// Nonce safety: nonces are random, never counters, so two processes sharing a key cannot collide
// by construction. With random 96-bit nonces NIST SP 800-38D section 8.3 limits one key to 2^32
// encryptions (collision probability below 2^-32); AeadCipher counts its encryptions and from the
// limit on returns kResourceExhausted ("rotate the key") instead of encrypting. The keyring
// persists the count per key. XChaCha20-Poly1305's 192-bit random nonces give no practical limit
// (2^64 - 1). Decryption is never limited.
//
// Errors: Create: kInvalidArgument for a key of the wrong size (the message names sizes, never
// bytes). Encrypt: kResourceExhausted at the usage limit, kUnavailable if the random source fails.
// Decrypt: kDataLoss for anything that does not authenticate (too short, flipped bit, wrong key,
// wrong associated data). kInternal for unexpected OpenSSL/libsodium failures. No message ever
// contains key bytes or plaintext.
//
// Thread safety: Encrypt and Decrypt are const and safe to call concurrently; AeadCipher keeps one
// cached EVP_CIPHER_CTX per direction behind a mutex (concurrent callers on one key serialize on
// it).
#ifndef BULWARK_CRYPTO_AEAD_H_
#define BULWARK_CRYPTO_AEAD_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::crypto {

enum class AeadAlgorithm : std::uint8_t {
  kAes256Gcm = 1,
  kAes128Gcm = 2,
  kChaCha20Poly1305 = 3,
  kXChaCha20Poly1305 = 4,
};
inline constexpr AeadAlgorithm kDefaultAeadAlgorithm = AeadAlgorithm::kAes256Gcm;
inline constexpr std::array<AeadAlgorithm, 4> kAllAeadAlgorithms = {
    AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kAes128Gcm, AeadAlgorithm::kChaCha20Poly1305,
    AeadAlgorithm::kXChaCha20Poly1305};

// "AES256_GCM", "AES128_GCM", "CHACHA20_POLY1305", "XCHACHA20_POLY1305".
std::string_view AeadAlgorithmName(AeadAlgorithm alg);
// Inverse of AeadAlgorithmName (exact, case-sensitive); kInvalidArgument lists the valid names.
Result<AeadAlgorithm> ParseAeadAlgorithm(std::string_view name);
// Maps the numeric enum value (as stored in binary formats) back; kInvalidArgument if unknown.
Result<AeadAlgorithm> AeadAlgorithmFromId(std::uint8_t id);

std::size_t AeadKeySize(AeadAlgorithm alg);
std::size_t AeadNonceSize(AeadAlgorithm alg);
inline constexpr std::size_t kAeadTagSize = 16;
// Maximum number of encryptions under one key (see "Nonce safety" above).
std::uint64_t AeadUsageLimit(AeadAlgorithm alg);

class Aead {
 public:
  virtual ~Aead() = default;
  // Returns nonce || ciphertext || tag (layout above) authenticating `associated_data`.
  virtual Result<std::vector<std::uint8_t>> Encrypt(
      std::span<const std::uint8_t> plaintext,
      std::span<const std::uint8_t> associated_data) const = 0;
  // Inverse of Encrypt. The plaintext is returned as a SecretBytes (it is usually a secret).
  virtual Result<SecretBytes> Decrypt(std::span<const std::uint8_t> ciphertext,
                                      std::span<const std::uint8_t> associated_data) const = 0;
};

// The pieces of one encryption, for formats that store them in separate fields (the ENC[...]
// token). Concatenating nonce || ciphertext || tag gives exactly Aead::Encrypt's output.
struct AeadParts {
  std::vector<std::uint8_t> nonce;
  std::vector<std::uint8_t> ciphertext;  // same length as the plaintext
  std::array<std::uint8_t, kAeadTagSize> tag;

  std::vector<std::uint8_t> Concatenate() const;
};

class AeadCipher final : public Aead {
 public:
  struct Options {
    // Encryptions already made with this key (restored from the keyring's records).
    std::uint64_t initial_usage = 0;
    // Overrides AeadUsageLimit(alg) when non-zero; only ever lower it (tests use tiny limits).
    std::uint64_t usage_limit = 0;
  };

  // `key` must be AeadKeySize(alg) bytes; it is moved into the cipher and wiped with it.
  static Result<std::unique_ptr<AeadCipher>> Create(AeadAlgorithm alg, SecretBytes key,
                                                    std::shared_ptr<SecureRandom> random,
                                                    Options options);
  static Result<std::unique_ptr<AeadCipher>> Create(AeadAlgorithm alg, SecretBytes key,
                                                    std::shared_ptr<SecureRandom> random) {
    return Create(alg, std::move(key), std::move(random), Options{});
  }
  // A fresh random key of the right size for `alg`.
  static Result<SecretBytes> GenerateKey(AeadAlgorithm alg, SecureRandom& random);

  ~AeadCipher() override;
  AeadCipher(const AeadCipher&) = delete;
  AeadCipher& operator=(const AeadCipher&) = delete;

  Result<std::vector<std::uint8_t>> Encrypt(
      std::span<const std::uint8_t> plaintext,
      std::span<const std::uint8_t> associated_data) const override;
  Result<SecretBytes> Decrypt(std::span<const std::uint8_t> ciphertext,
                              std::span<const std::uint8_t> associated_data) const override;

  // Returns prefix || Encrypt(plaintext, associated_data) in one allocation (the keyring puts its
  // key-id prefix there). The prefix is not authenticated.
  Result<std::vector<std::uint8_t>> EncryptWithPrefix(
      std::span<const std::uint8_t> prefix, std::span<const std::uint8_t> plaintext,
      std::span<const std::uint8_t> associated_data) const;

  // Same as Encrypt/Decrypt with the pieces kept apart. DecryptParts checks the nonce size.
  Result<AeadParts> EncryptParts(std::span<const std::uint8_t> plaintext,
                                 std::span<const std::uint8_t> associated_data) const;
  Result<SecretBytes> DecryptParts(std::span<const std::uint8_t> nonce,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> associated_data) const;
  // DecryptParts into the caller's `plaintext` (exactly ciphertext.size() bytes, kInternal
  // otherwise) instead of a new SecretBytes, for callers that hand the plaintext out in a buffer
  // of their own (a string value). Same checks and errors; on any error `plaintext` is wiped.
  Status DecryptPartsInto(std::span<const std::uint8_t> nonce,
                          std::span<const std::uint8_t> ciphertext,
                          std::span<const std::uint8_t> tag,
                          std::span<const std::uint8_t> associated_data,
                          std::span<std::uint8_t> plaintext) const;

  AeadAlgorithm algorithm() const { return alg_; }
  // Encryptions made so far, including Options::initial_usage and refused attempts excluded.
  std::uint64_t usage() const { return usage_.load(std::memory_order_relaxed); }
  std::uint64_t usage_limit() const { return limit_; }

 private:
  struct Impl;
  AeadCipher(AeadAlgorithm alg, std::unique_ptr<Impl> impl, std::shared_ptr<SecureRandom> random,
             std::uint64_t usage, std::uint64_t limit);
  // Reserves one encryption against the limit.
  Status Reserve() const;

  AeadAlgorithm alg_;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<SecureRandom> random_;
  mutable std::atomic<std::uint64_t> usage_;
  std::uint64_t limit_;
};

}  // namespace bulwark::crypto

#endif  // BULWARK_CRYPTO_AEAD_H_
