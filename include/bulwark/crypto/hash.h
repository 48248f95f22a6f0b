// Hashes and MACs: SHA-256 / SHA-512 (one-shot and incremental) and HMAC-SHA256 / HMAC-SHA512.
//
// All functions go through OpenSSL 3's EVP interface, so they use the FIPS provider's
// implementations when that provider is loaded (see fips.h).
//
// MAC verification (`HmacVerify`) compares in constant time. HMAC keys are SecretBytes; a key of
// any length is accepted, as RFC 2104 allows (an empty key is allowed but weak: callers choose).
//
// Errors: only kInternal, when OpenSSL fails unexpectedly (allocation failure, provider missing);
// HmacVerify returns kDataLoss when the tag does not match (including a tag of the wrong length).
//
// Thread safety: the free functions are thread-safe; a Sha256Hasher / HmacHasher object is not.
#ifndef BULWARK_CRYPTO_HASH_H_
#define BULWARK_CRYPTO_HASH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::crypto {

inline constexpr std::size_t kSha256Size = 32;
inline constexpr std::size_t kSha512Size = 64;
using Sha256Digest = std::array<std::uint8_t, kSha256Size>;

enum class HashAlgorithm : std::uint8_t { kSha256, kSha512 };
// "SHA256" / "SHA512" (OpenSSL's digest names).
std::string_view HashAlgorithmName(HashAlgorithm h);
std::size_t HashSize(HashAlgorithm h);

// One-shot SHA-256.
Result<Sha256Digest> Sha256(std::span<const std::uint8_t> data);
Result<Sha256Digest> Sha256(std::string_view data);
// One-shot SHA-256 / SHA-512 by algorithm.
Result<std::vector<std::uint8_t>> Hash(HashAlgorithm h, std::span<const std::uint8_t> data);

// Incremental SHA-256: Create, Update any number of times, Finish once.
class Sha256Hasher {
 public:
  static Result<Sha256Hasher> Create();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  ~Sha256Hasher();

  Status Update(std::span<const std::uint8_t> data);
  Status Update(std::string_view data);
  // Returns the digest. After Finish the hasher must not be updated again (kFailedPrecondition).
  Result<Sha256Digest> Finish();

 private:
  struct Impl;
  explicit Sha256Hasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One-shot HMAC. The tag is HashSize(h) bytes.
Result<std::vector<std::uint8_t>> Hmac(HashAlgorithm h, const SecretBytes& key,
                                       std::span<const std::uint8_t> data);
inline Result<std::vector<std::uint8_t>> HmacSha256(const SecretBytes& key,
                                                    std::span<const std::uint8_t> data) {
  return Hmac(HashAlgorithm::kSha256, key, data);
}
// Recomputes the HMAC of `data` and compares it with `tag` in constant time: OK or kDataLoss.
// A truncated tag is rejected (the whole HashSize(h) bytes must match).
Status HmacVerify(HashAlgorithm h, const SecretBytes& key, std::span<const std::uint8_t> data,
                  std::span<const std::uint8_t> tag);

class HmacSha256Key;

// Incremental HMAC over data that arrives in pieces (document MACs).
class HmacHasher {
 public:
  static Result<HmacHasher> Create(HashAlgorithm h, const SecretBytes& key);
  HmacHasher(HmacHasher&&) noexcept;
  HmacHasher& operator=(HmacHasher&&) noexcept;
  ~HmacHasher();

  Status Update(std::span<const std::uint8_t> data);
  Status Update(std::string_view data);
  // Returns the tag; the hasher cannot be used afterwards (kFailedPrecondition).
  Result<std::vector<std::uint8_t>> Finish();

 private:
  friend class HmacSha256Key;  // keeps a key-initialized context
  struct Impl;
  explicit HmacHasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An HMAC-SHA256 key prepared once for many short messages: Create runs the key schedule (the
// inner and outer padded states) and every Tag starts from a copy of that state, so a tag costs
// two short hashes instead of a MAC fetch, a context and a key schedule. Through OpenSSL's EVP (the
// FIPS provider in FIPS mode). Copying the object shares the prepared state. Thread-safe: Tag and
// Verify are const and may run concurrently.
class HmacSha256Key {
 public:
  static Result<HmacSha256Key> Create(const SecretBytes& key);
  Result<Sha256Digest> Tag(std::span<const std::uint8_t> data) const;
  // OK, or kDataLoss when `tag` (of any length) is not the tag of `data`; constant time.
  Status Verify(std::span<const std::uint8_t> data, std::span<const std::uint8_t> tag) const;

 private:
  struct Impl;
  explicit HmacSha256Key(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Views a string's bytes as a byte span (no copy).
inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace bulwark::crypto

#endif  // BULWARK_CRYPTO_HASH_H_
