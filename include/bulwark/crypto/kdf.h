// Key derivation: HKDF (RFC 5869) for deriving keys from keys, and password-based KDFs for
// deriving a key-encryption key from a passphrase: Argon2id (RFC 9106, via libsodium's
// crypto_pwhash) by default and PBKDF2-HMAC-SHA256 (NIST SP 800-132) in FIPS mode.
//
// Password KDF parameters are stored next to the salt in every file that uses them (the keystore,
// see docs/formats-keys.md), so they can be raised later without breaking old files.
//
// Argon2id defaults: opslimit (passes, t) = 3, memlimit = 64 MiB (m = 65536 KiB), parallelism 1
// (libsodium's crypto_pwhash always uses one lane), 16-byte random salt, 32-byte output. This is
// RFC 9106 section 4's second recommended option (t=3, m=64 MiB) with p=1; about 0.1-0.3 s on one
// core. Accepted ranges: 1 <= t <= 64, 8 KiB <= m <= 4 GiB.
// PBKDF2 default: 600,000 iterations of HMAC-SHA256 (OWASP 2023), 16-byte salt; accepted range
// 1,000 <= iterations <= 100,000,000 for passphrases (the raw Pbkdf2 function accepts any count >=
// 1 so that test vectors can be checked).
//
// Errors: kInvalidArgument for out-of-range parameters or output sizes (messages name the parameter
// and the allowed range, never the passphrase); kResourceExhausted if Argon2id cannot allocate its
// memory; kInternal for unexpected library failures.
//
// Thread safety: all functions are thread-safe.
#ifndef BULWARK_CRYPTO_KDF_H_
#define BULWARK_CRYPTO_KDF_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::crypto {

// HKDF-Extract-and-Expand. `out_len` must be 1..255*HashSize(h) (kInvalidArgument otherwise).
// An empty salt means HashSize(h) zero bytes, as RFC 5869 specifies.
Result<SecretBytes> Hkdf(HashAlgorithm h, const SecretBytes& ikm,
                         std::span<const std::uint8_t> salt, std::span<const std::uint8_t> info,
                         std::size_t out_len);
inline Result<SecretBytes> HkdfSha256(const SecretBytes& ikm, std::span<const std::uint8_t> salt,
                                      std::span<const std::uint8_t> info, std::size_t out_len) {
  return Hkdf(HashAlgorithm::kSha256, ikm, salt, info, out_len);
}

// PBKDF2 with HMAC-`h` (RFC 8018). `iterations` >= 1, `out_len` >= 1.
Result<SecretBytes> Pbkdf2(HashAlgorithm h, const SecretBytes& password,
                           std::span<const std::uint8_t> salt, std::uint32_t iterations,
                           std::size_t out_len);

// Password KDFs as stored in files. The numeric values are part of the file formats.
enum class PasswordKdf : std::uint8_t {
  kArgon2id = 1,
  kPbkdf2HmacSha256 = 2,
};
// "argon2id" / "pbkdf2-hmac-sha256".
std::string_view PasswordKdfName(PasswordKdf kdf);

inline constexpr std::size_t kPasswordSaltSize = 16;
inline constexpr std::uint32_t kArgon2idDefaultOpsLimit = 3;
inline constexpr std::uint32_t kArgon2idDefaultMemoryKib = 64 * 1024;
inline constexpr std::uint32_t kPbkdf2DefaultIterations = 600'000;

struct PasswordKdfParams {
  PasswordKdf kdf = PasswordKdf::kArgon2id;
  // Argon2id: passes (opslimit, t). PBKDF2: iteration count.
  std::uint32_t iterations = kArgon2idDefaultOpsLimit;
  // Argon2id: memory in KiB (m). PBKDF2: 0.
  std::uint32_t memory_kib = kArgon2idDefaultMemoryKib;
  // kPasswordSaltSize random bytes.
  std::vector<std::uint8_t> salt;

  // Defaults above with a fresh salt from `random`.
  static Result<PasswordKdfParams> DefaultArgon2id(SecureRandom& random);
  static Result<PasswordKdfParams> DefaultPbkdf2(SecureRandom& random);

  // kInvalidArgument if a field is outside the accepted ranges above.
  Status Validate() const;
  friend bool operator==(const PasswordKdfParams&, const PasswordKdfParams&) = default;
};

// Derives `out_len` (16..64) bytes from `passphrase` with the KDF and parameters in `params`.
Result<SecretBytes> DerivePasswordKey(const SecretBytes& passphrase,
                                      const PasswordKdfParams& params, std::size_t out_len);

// Argon2id through libsodium's crypto_pwhash (version 0x13, parallelism 1, no secret, no associated
// data). `salt` must be 16 bytes; `out_len` >= 16.
Result<SecretBytes> Argon2id(const SecretBytes& passphrase, std::span<const std::uint8_t> salt,
                             std::uint32_t ops_limit, std::uint32_t memory_kib,
                             std::size_t out_len);

}  // namespace bulwark::crypto

#endif  // BULWARK_CRYPTO_KDF_H_
