// Internal AEAD layer with explicit nonces: the one place that calls OpenSSL's and libsodium's
// AEAD functions. AeadCipher draws the nonces; the Wycheproof tests call this layer directly so
// that AES-GCM can be checked with the non-96-bit IVs our public API never uses.
#ifndef BULWARK_SRC_CRYPTO_AEAD_RAW_H_
#define BULWARK_SRC_CRYPTO_AEAD_RAW_H_

#include <cstdint>
#include <memory>
#include <span>

#include "bulwark/core/error.h"
#include "bulwark/crypto/aead.h"

namespace bulwark::crypto::internal {

// Which implementation serves AES-256-GCM with 12-byte nonces.
//   kFastest: libsodium's AES-256-GCM (AES-NI + PCLMUL, precomputed key schedule and GHASH key)
//     when the CPU has those instructions and OpenSSL is not in FIPS mode (the default property
//     query has no "fips=yes"); OpenSSL otherwise. On a ~20-byte value libsodium's open is several
//     times cheaper than OpenSSL 3's EVP calls (provider dispatch per call); outputs are the
//     same bytes (the Wycheproof and cross-check tests run both).
//   kOpenSsl: always OpenSSL (tests compare the two).
// Other algorithms and nonce lengths always use OpenSSL (XChaCha20: libsodium), in FIPS mode only
// OpenSSL's FIPS provider.
enum class AeadBackend : std::uint8_t { kFastest, kOpenSsl };

// One key loaded into OpenSSL (AES-GCM, ChaCha20-Poly1305) or kept for libsodium (XChaCha20,
// and AES-256-GCM's precomputed state, see AeadBackend), reused across operations. Not
// thread-safe: callers serialize.
class RawAeadKey {
 public:
  // `key` must be AeadKeySize(alg) bytes (kInvalidArgument). The key bytes are copied into
  // OpenSSL's context (and a SecretBytes; libsodium's AES state lives in sodium_malloc'd memory,
  // wiped when the key is destroyed).
  static Result<std::unique_ptr<RawAeadKey>> Create(AeadAlgorithm alg,
                                                    std::span<const std::uint8_t> key,
                                                    AeadBackend backend = AeadBackend::kFastest);
  // True when 12-byte-nonce operations of this key run on libsodium.
  bool uses_libsodium_aes() const;
  // True when Open with a nonce of `nonce_size` bytes only reads this key's state, so concurrent
  // Opens need no lock: libsodium's XChaCha20-Poly1305 (the key bytes) and AES-256-GCM with
  // 12-byte nonces (a precomputed state that libsodium takes as const). False for every OpenSSL
  // path (one EVP context per key, modified by each call).
  bool OpenIsReadOnly(std::size_t nonce_size) const;
  ~RawAeadKey();

  // Encrypts `plaintext` into `ciphertext` (same size) and writes a `tag` of 16 bytes.
  // AES-GCM accepts any nonce length from 1 byte (GHASH-derived J0 for lengths other than 12);
  // ChaCha20-Poly1305 requires 12 bytes and XChaCha20-Poly1305 24 (kInvalidArgument otherwise).
  Status Seal(std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> aad,
              std::span<const std::uint8_t> plaintext, std::span<std::uint8_t> ciphertext,
              std::span<std::uint8_t> tag);
  // Verifies `tag` (must be 16 bytes) and decrypts into `plaintext` (same size as ciphertext).
  // kDataLoss when authentication fails; `plaintext` is wiped in that case.
  Status Open(std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> aad,
              std::span<const std::uint8_t> ciphertext, std::span<const std::uint8_t> tag,
              std::span<std::uint8_t> plaintext);

 private:
  struct Impl;
  explicit RawAeadKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::crypto::internal

#endif  // BULWARK_SRC_CRYPTO_AEAD_RAW_H_
