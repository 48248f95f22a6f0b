#include "bulwark/crypto/aead.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <mutex>

#include "crypto/aead_raw.h"

namespace bulwark::crypto {

std::string_view AeadAlgorithmName(AeadAlgorithm alg) {
  switch (alg) {
    case AeadAlgorithm::kAes256Gcm:
      return "AES256_GCM";
    case AeadAlgorithm::kAes128Gcm:
      return "AES128_GCM";
    case AeadAlgorithm::kChaCha20Poly1305:
      return "CHACHA20_POLY1305";
    case AeadAlgorithm::kXChaCha20Poly1305:
      return "XCHACHA20_POLY1305";
  }
  return "UNKNOWN_AEAD";
}

Result<AeadAlgorithm> ParseAeadAlgorithm(std::string_view name) {
  for (AeadAlgorithm alg : kAllAeadAlgorithms) {
    if (AeadAlgorithmName(alg) == name) return alg;
  }
  return InvalidArgumentError(fmt::format(
      "aead algorithm '{}': unknown; expected AES256_GCM, AES128_GCM, CHACHA20_POLY1305 or "
      "XCHACHA20_POLY1305",
      name));
}

Result<AeadAlgorithm> AeadAlgorithmFromId(std::uint8_t id) {
  for (AeadAlgorithm alg : kAllAeadAlgorithms) {
    if (static_cast<std::uint8_t>(alg) == id) return alg;
  }
  return InvalidArgumentError(fmt::format("aead algorithm id {}: unknown", id));
}

std::size_t AeadKeySize(AeadAlgorithm alg) { return alg == AeadAlgorithm::kAes128Gcm ? 16 : 32; }
std::size_t AeadNonceSize(AeadAlgorithm alg) {
  return alg == AeadAlgorithm::kXChaCha20Poly1305 ? 24 : 12;
}
std::uint64_t AeadUsageLimit(AeadAlgorithm alg) {
  return alg == AeadAlgorithm::kXChaCha20Poly1305 ? std::numeric_limits<std::uint64_t>::max()
                                                  : (std::uint64_t{1} << 32);
}

std::vector<std::uint8_t> AeadParts::Concatenate() const {
  std::vector<std::uint8_t> out;
  out.reserve(nonce.size() + ciphertext.size() + tag.size());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), ciphertext.begin(), ciphertext.end());
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

struct AeadCipher::Impl {
  std::mutex enc_mu;
  std::mutex dec_mu;
  std::unique_ptr<internal::RawAeadKey> enc;  // separate key objects so that encryptions and
  std::unique_ptr<internal::RawAeadKey> dec;  // decryptions do not wait for each other
};

AeadCipher::AeadCipher(AeadAlgorithm alg, std::unique_ptr<Impl> impl,
                       std::shared_ptr<SecureRandom> random, std::uint64_t usage,
                       std::uint64_t limit)
    : alg_(alg), impl_(std::move(impl)), random_(std::move(random)), usage_(usage), limit_(limit) {}
AeadCipher::~AeadCipher() = default;

Result<SecretBytes> AeadCipher::GenerateKey(AeadAlgorithm alg, SecureRandom& random) {
  return random.Secret(AeadKeySize(alg));
}

Result<std::unique_ptr<AeadCipher>> AeadCipher::Create(AeadAlgorithm alg, SecretBytes key,
                                                       std::shared_ptr<SecureRandom> random,
                                                       Options options) {
  if (random == nullptr) {
    return InvalidArgumentError(fmt::format("{} cipher: no random source", AeadAlgorithmName(alg)));
  }
  auto impl = std::make_unique<Impl>();
  BULWARK_ASSIGN_OR_RETURN(impl->enc, internal::RawAeadKey::Create(alg, key.Reveal()));
  BULWARK_ASSIGN_OR_RETURN(impl->dec, internal::RawAeadKey::Create(alg, key.Reveal()));
  key.Clear();
  std::uint64_t limit = AeadUsageLimit(alg);
  if (options.usage_limit != 0 && options.usage_limit < limit) limit = options.usage_limit;
  return std::unique_ptr<AeadCipher>(
      new AeadCipher(alg, std::move(impl), std::move(random), options.initial_usage, limit));
}

Status AeadCipher::Reserve() const {
  std::uint64_t current = usage_.load(std::memory_order_relaxed);
  do {
    if (current >= limit_) {
      return ResourceExhaustedError(fmt::format(
          "{} encrypt: the key reached its usage limit of {} encryptions (random-nonce collision "
          "bound); rotate the key",
          AeadAlgorithmName(alg_), limit_));
    }
  } while (!usage_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return OkStatus();
}

Result<AeadParts> AeadCipher::EncryptParts(std::span<const std::uint8_t> plaintext,
                                           std::span<const std::uint8_t> associated_data) const {
  BULWARK_RETURN_IF_ERROR(Reserve());
  AeadParts parts;
  parts.nonce.resize(AeadNonceSize(alg_));
  parts.ciphertext.resize(plaintext.size());
  BULWARK_RETURN_IF_ERROR(random_->Fill(parts.nonce));
  std::lock_guard lock(impl_->enc_mu);
  BULWARK_RETURN_IF_ERROR(
      impl_->enc->Seal(parts.nonce, associated_data, plaintext, parts.ciphertext, parts.tag));
  return parts;
}

Result<std::vector<std::uint8_t>> AeadCipher::Encrypt(
    std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> associated_data) const {
  return EncryptWithPrefix({}, plaintext, associated_data);
}

Result<std::vector<std::uint8_t>> AeadCipher::EncryptWithPrefix(
    std::span<const std::uint8_t> prefix, std::span<const std::uint8_t> plaintext,
    std::span<const std::uint8_t> associated_data) const {
  BULWARK_RETURN_IF_ERROR(Reserve());
  const std::size_t p = prefix.size();
  const std::size_t n = AeadNonceSize(alg_);
  std::vector<std::uint8_t> out(p + n + plaintext.size() + kAeadTagSize);
  if (p > 0) std::memcpy(out.data(), prefix.data(), p);
  std::span<std::uint8_t> all = std::span<std::uint8_t>(out).subspan(p);
  BULWARK_RETURN_IF_ERROR(random_->Fill(all.first(n)));
  std::lock_guard lock(impl_->enc_mu);
  BULWARK_RETURN_IF_ERROR(impl_->enc->Seal(all.first(n), associated_data, plaintext,
                                           all.subspan(n, plaintext.size()),
                                           all.last(kAeadTagSize)));
  return out;
}

Result<SecretBytes> AeadCipher::DecryptParts(std::span<const std::uint8_t> nonce,
                                             std::span<const std::uint8_t> ciphertext,
                                             std::span<const std::uint8_t> tag,
                                             std::span<const std::uint8_t> associated_data) const {
  SecretBytes plaintext(ciphertext.size());
  BULWARK_RETURN_IF_ERROR(
      DecryptPartsInto(nonce, ciphertext, tag, associated_data, plaintext.MutableReveal()));
  return plaintext;
}

Status AeadCipher::DecryptPartsInto(std::span<const std::uint8_t> nonce,
                                    std::span<const std::uint8_t> ciphertext,
                                    std::span<const std::uint8_t> tag,
                                    std::span<const std::uint8_t> associated_data,
                                    std::span<std::uint8_t> plaintext) const {
  if (plaintext.size() != ciphertext.size()) {
    SecureZero(plaintext.data(), plaintext.size());
    return InternalError(
        fmt::format("{} decrypt: output buffer has the wrong size", AeadAlgorithmName(alg_)));
  }
  if (nonce.size() != AeadNonceSize(alg_)) {
    SecureZero(plaintext.data(), plaintext.size());
    return DataLossError(fmt::format("{} decrypt: nonce must be {} bytes, got {}",
                                     AeadAlgorithmName(alg_), AeadNonceSize(alg_), nonce.size()));
  }
  Status s;
  if (impl_->dec->OpenIsReadOnly(nonce.size())) {
    // libsodium only reads the key's state: concurrent decryptions need not wait for each other.
    s = impl_->dec->Open(nonce, associated_data, ciphertext, tag, plaintext);
  } else {
    std::lock_guard lock(impl_->dec_mu);  // the key's one OpenSSL context
    s = impl_->dec->Open(nonce, associated_data, ciphertext, tag, plaintext);
  }
  // Open wipes on a failed tag check; other failures (an OpenSSL error after a partial update)
  // may have left plaintext bytes behind.
  if (!s) SecureZero(plaintext.data(), plaintext.size());
  return s;
}

Result<SecretBytes> AeadCipher::Decrypt(std::span<const std::uint8_t> ciphertext,
                                        std::span<const std::uint8_t> associated_data) const {
  const std::size_t n = AeadNonceSize(alg_);
  if (ciphertext.size() < n + kAeadTagSize) {
    return DataLossError(
        fmt::format("{} decrypt: ciphertext of {} bytes is shorter than the {} "
                    "bytes of nonce and tag",
                    AeadAlgorithmName(alg_), ciphertext.size(), n + kAeadTagSize));
  }
  return DecryptParts(ciphertext.first(n),
                      ciphertext.subspan(n, ciphertext.size() - n - kAeadTagSize),
                      ciphertext.last(kAeadTagSize), associated_data);
}

}  // namespace bulwark::crypto
