#include "crypto/aead_raw.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <climits>

#include "crypto/openssl_util.h"

namespace bulwark::crypto::internal {
namespace {

const EVP_CIPHER* EvpCipherFor(AeadAlgorithm alg) {
  switch (alg) {
    case AeadAlgorithm::kAes256Gcm:
      return EVP_aes_256_gcm();
    case AeadAlgorithm::kAes128Gcm:
      return EVP_aes_128_gcm();
    case AeadAlgorithm::kChaCha20Poly1305:
      return EVP_chacha20_poly1305();
    case AeadAlgorithm::kXChaCha20Poly1305:
      return nullptr;
  }
  return nullptr;
}

bool IsGcm(AeadAlgorithm alg) {
  return alg == AeadAlgorithm::kAes256Gcm || alg == AeadAlgorithm::kAes128Gcm;
}

constexpr std::size_t kMaxChunk = INT_MAX / 2;

// libsodium declares its buffer arguments nonnull even when the length is 0; empty spans may
// have a null data(), so point them at a scratch byte instead.
std::uint8_t* Out(std::span<std::uint8_t> s, std::uint8_t& scratch) {
  return s.empty() ? &scratch : s.data();
}
const std::uint8_t* In(std::span<const std::uint8_t> s) {
  static const std::uint8_t kEmpty = 0;
  return s.empty() ? &kEmpty : s.data();
}

}  // namespace

struct RawAeadKey::Impl {
  AeadAlgorithm alg;
  EvpPtr<EVP_CIPHER_CTX> enc;  // key loaded, IV length 12 (the common case)
  EvpPtr<EVP_CIPHER_CTX> dec;
  // The IV length each context is set up for: 12 after Create, changed only by SetNonce. Kept
  // here so the common 12-byte case does not ask OpenSSL (a parameter query) on every call.
  std::size_t enc_iv_len = 12;
  std::size_t dec_iv_len = 12;
  SecretBytes key;  // kept for XChaCha20 (libsodium) and for re-keying GCM with other IV lengths
  // AES-256-GCM with 12-byte nonces on libsodium (AeadBackend::kFastest); null otherwise.
  // sodium_malloc'd: guarded, and sodium_free wipes it.
  crypto_aead_aes256gcm_state* sodium_aes = nullptr;

  ~Impl() {
    if (sodium_aes != nullptr) sodium_free(sodium_aes);
  }
};

RawAeadKey::RawAeadKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawAeadKey::~RawAeadKey() = default;

bool RawAeadKey::uses_libsodium_aes() const { return impl_->sodium_aes != nullptr; }

bool RawAeadKey::OpenIsReadOnly(std::size_t nonce_size) const {
  if (impl_->alg == AeadAlgorithm::kXChaCha20Poly1305) return true;
  return impl_->sodium_aes != nullptr && nonce_size == crypto_aead_aes256gcm_NPUBBYTES;
}

Result<std::unique_ptr<RawAeadKey>> RawAeadKey::Create(AeadAlgorithm alg,
                                                       std::span<const std::uint8_t> key,
                                                       AeadBackend backend) {
  const std::string_view name = AeadAlgorithmName(alg);
  if (key.size() != AeadKeySize(alg)) {
    return InvalidArgumentError(
        fmt::format("{} key: must be {} bytes, got {}", name, AeadKeySize(alg), key.size()));
  }
  auto impl = std::make_unique<Impl>();
  impl->alg = alg;
  impl->key = SecretBytes(key);
  if (alg == AeadAlgorithm::kXChaCha20Poly1305) {
    if (sodium_init() < 0)
      return InternalError("xchacha20-poly1305: libsodium failed to initialize");
    return std::unique_ptr<RawAeadKey>(new RawAeadKey(std::move(impl)));
  }
  const EVP_CIPHER* cipher = EvpCipherFor(alg);
  impl->enc.reset(EVP_CIPHER_CTX_new());
  impl->dec.reset(EVP_CIPHER_CTX_new());
  if (!impl->enc || !impl->dec ||
      EVP_EncryptInit_ex(impl->enc.get(), cipher, nullptr, key.data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(impl->dec.get(), cipher, nullptr, key.data(), nullptr) != 1) {
    return OpenSslError(fmt::format("{} key: load into OpenSSL", name));
  }
  if (alg == AeadAlgorithm::kAes256Gcm && backend == AeadBackend::kFastest &&
      EVP_default_properties_is_fips_enabled(nullptr) == 0 && sodium_init() >= 0 &&
      crypto_aead_aes256gcm_is_available() != 0) {
    void* state = sodium_malloc(sizeof(crypto_aead_aes256gcm_state));
    if (state == nullptr) return ResourceExhaustedError(fmt::format("{} key: allocate", name));
    impl->sodium_aes = static_cast<crypto_aead_aes256gcm_state*>(state);
    if (crypto_aead_aes256gcm_beforenm(impl->sodium_aes, key.data()) != 0) {
      return InternalError(fmt::format("{} key: libsodium failed to expand the key", name));
    }
  }
  return std::unique_ptr<RawAeadKey>(new RawAeadKey(std::move(impl)));
}

namespace {

// Points `ctx` (already holding the key for the 12-byte IV case) at `nonce`. For GCM IVs of
// other lengths the context is re-initialized with that IV length and the key.
// `iv_len` is the IV length `ctx` is currently set up for; updated here.
Status SetNonce(EVP_CIPHER_CTX* ctx, std::size_t& iv_len, AeadAlgorithm alg, const SecretBytes& key,
                std::span<const std::uint8_t> nonce, bool encrypt) {
  const std::string_view name = AeadAlgorithmName(alg);
  auto init = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  if (nonce.size() == 12) {
    // Reset the IV length in case the previous call used another one.
    if (iv_len != 12) {
      iv_len = 0;  // unknown until the re-initialization below succeeds
      if (init(ctx, nullptr, nullptr, nullptr, nullptr) != 1 ||
          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1 ||
          init(ctx, nullptr, nullptr, key.Reveal().data(), nullptr) != 1) {
        return OpenSslError(fmt::format("{}: set nonce length", name));
      }
      iv_len = 12;
    }
    if (init(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) {
      return OpenSslError(fmt::format("{}: set nonce", name));
    }
    return OkStatus();
  }
  if (!IsGcm(alg) || nonce.empty() || nonce.size() > kMaxChunk) {
    return InvalidArgumentError(
        fmt::format("{}: nonce must be {} bytes, got {}", name, AeadNonceSize(alg), nonce.size()));
  }
  iv_len = 0;  // unknown until both calls below succeed
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) !=
          1 ||
      init(ctx, nullptr, nullptr, key.Reveal().data(), nonce.data()) != 1) {
    return OpenSslError(fmt::format("{}: set {}-byte nonce", name, nonce.size()));
  }
  iv_len = nonce.size();
  return OkStatus();
}

}  // namespace

Status RawAeadKey::Seal(std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> aad,
                        std::span<const std::uint8_t> plaintext, std::span<std::uint8_t> ciphertext,
                        std::span<std::uint8_t> tag) {
  const AeadAlgorithm alg = impl_->alg;
  const std::string_view name = AeadAlgorithmName(alg);
  if (ciphertext.size() != plaintext.size() || tag.size() != kAeadTagSize) {
    return InternalError(fmt::format("{} seal: output buffers have the wrong size", name));
  }
  if (plaintext.size() > kMaxChunk || aad.size() > kMaxChunk) {
    return InvalidArgumentError(
        fmt::format("{} seal: input larger than {} bytes", name, kMaxChunk));
  }
  if (alg == AeadAlgorithm::kXChaCha20Poly1305) {
    if (nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
      return InvalidArgumentError(
          fmt::format("{}: nonce must be 24 bytes, got {}", name, nonce.size()));
    }
    unsigned long long tag_len = 0;
    std::uint8_t scratch = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
            Out(ciphertext, scratch), tag.data(), &tag_len, In(plaintext), plaintext.size(),
            In(aad), aad.size(), nullptr, nonce.data(), impl_->key.Reveal().data()) != 0) {
      return InternalError(fmt::format("{} seal: libsodium failed", name));
    }
    return OkStatus();
  }
  if (impl_->sodium_aes != nullptr && nonce.size() == crypto_aead_aes256gcm_NPUBBYTES) {
    unsigned long long tag_len = 0;
    std::uint8_t scratch = 0;
    if (crypto_aead_aes256gcm_encrypt_detached_afternm(
            Out(ciphertext, scratch), tag.data(), &tag_len, In(plaintext), plaintext.size(),
            In(aad), aad.size(), nullptr, nonce.data(), impl_->sodium_aes) != 0) {
      return InternalError(fmt::format("{} seal: libsodium failed", name));
    }
    return OkStatus();
  }
  if (alg == AeadAlgorithm::kChaCha20Poly1305 && nonce.size() != 12) {
    return InvalidArgumentError(
        fmt::format("{}: nonce must be 12 bytes, got {}", name, nonce.size()));
  }
  EVP_CIPHER_CTX* ctx = impl_->enc.get();
  BULWARK_RETURN_IF_ERROR(
      SetNonce(ctx, impl_->enc_iv_len, alg, impl_->key, nonce, /*encrypt=*/true));
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return OpenSslError(fmt::format("{} seal: associated data", name));
  }
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx, ciphertext.data(), &len, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1) {
    return OpenSslError(fmt::format("{} seal: encrypt", name));
  }
  int final_len = 0;
  // GCM and ChaCha20-Poly1305 are stream modes: Final writes nothing, but needs a valid pointer.
  std::uint8_t sink[16];
  std::uint8_t* final_out = plaintext.empty() ? sink : ciphertext.data() + plaintext.size();
  if (EVP_EncryptFinal_ex(ctx, final_out, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize), tag.data()) !=
          1) {
    return OpenSslError(fmt::format("{} seal: finish", name));
  }
  return OkStatus();
}

Status RawAeadKey::Open(std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> aad,
                        std::span<const std::uint8_t> ciphertext, std::span<const std::uint8_t> tag,
                        std::span<std::uint8_t> plaintext) {
  const AeadAlgorithm alg = impl_->alg;
  const std::string_view name = AeadAlgorithmName(alg);
  if (plaintext.size() != ciphertext.size()) {
    return InternalError(fmt::format("{} open: output buffer has the wrong size", name));
  }
  if (tag.size() != kAeadTagSize) {
    return DataLossError(fmt::format("{} open: tag must be 16 bytes, got {}", name, tag.size()));
  }
  if (ciphertext.size() > kMaxChunk || aad.size() > kMaxChunk) {
    return InvalidArgumentError(
        fmt::format("{} open: input larger than {} bytes", name, kMaxChunk));
  }
  if (alg == AeadAlgorithm::kXChaCha20Poly1305) {
    if (nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
      return InvalidArgumentError(
          fmt::format("{}: nonce must be 24 bytes, got {}", name, nonce.size()));
    }
    std::uint8_t scratch = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            Out(plaintext, scratch), nullptr, In(ciphertext), ciphertext.size(), tag.data(),
            In(aad), aad.size(), nonce.data(), impl_->key.Reveal().data()) != 0) {
      SecureZero(plaintext.data(), plaintext.size());
      return DataLossError(fmt::format("{} open: authentication failed", name));
    }
    return OkStatus();
  }
  if (impl_->sodium_aes != nullptr && nonce.size() == crypto_aead_aes256gcm_NPUBBYTES) {
    std::uint8_t scratch = 0;
    // libsodium compares the tag in constant time; on a mismatch the output is wiped here too.
    if (crypto_aead_aes256gcm_decrypt_detached_afternm(
            Out(plaintext, scratch), nullptr, In(ciphertext), ciphertext.size(), tag.data(),
            In(aad), aad.size(), nonce.data(), impl_->sodium_aes) != 0) {
      SecureZero(plaintext.data(), plaintext.size());
      return DataLossError(fmt::format("{} open: authentication failed", name));
    }
    return OkStatus();
  }
  if (alg == AeadAlgorithm::kChaCha20Poly1305 && nonce.size() != 12) {
    return InvalidArgumentError(
        fmt::format("{}: nonce must be 12 bytes, got {}", name, nonce.size()));
  }
  EVP_CIPHER_CTX* ctx = impl_->dec.get();
  BULWARK_RETURN_IF_ERROR(
      SetNonce(ctx, impl_->dec_iv_len, alg, impl_->key, nonce, /*encrypt=*/false));
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return OpenSslError(fmt::format("{} open: associated data", name));
  }
  if (!ciphertext.empty() && EVP_DecryptUpdate(ctx, plaintext.data(), &len, ciphertext.data(),
                                               static_cast<int>(ciphertext.size())) != 1) {
    return OpenSslError(fmt::format("{} open: decrypt", name));
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize),
                          const_cast<std::uint8_t*>(tag.data())) != 1) {
    return OpenSslError(fmt::format("{} open: set tag", name));
  }
  int final_len = 0;
  std::uint8_t sink[16];
  std::uint8_t* final_out = ciphertext.empty() ? sink : plaintext.data() + ciphertext.size();
  if (EVP_DecryptFinal_ex(ctx, final_out, &final_len) != 1) {
    ClearOpenSslErrors();
    SecureZero(plaintext.data(), plaintext.size());
    return DataLossError(fmt::format("{} open: authentication failed", name));
  }
  return OkStatus();
}

}  // namespace bulwark::crypto::internal
