#include "bulwark/crypto/hash.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstring>

#include "crypto/openssl_util.h"

namespace bulwark::crypto {
namespace {
using internal::EvpPtr;
using internal::OpenSslError;

const EVP_MD* Md(HashAlgorithm h) {
  return h == HashAlgorithm::kSha256 ? EVP_sha256() : EVP_sha512();
}
}  // namespace

std::string_view HashAlgorithmName(HashAlgorithm h) {
  return h == HashAlgorithm::kSha256 ? "SHA256" : "SHA512";
}
std::size_t HashSize(HashAlgorithm h) {
  return h == HashAlgorithm::kSha256 ? kSha256Size : kSha512Size;
}

Result<Sha256Digest> Sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    return OpenSslError("sha256");
  }
  return out;
}
Result<Sha256Digest> Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

Result<std::vector<std::uint8_t>> Hash(HashAlgorithm h, std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> out(HashSize(h));
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, Md(h), nullptr) != 1) {
    return OpenSslError(fmt::format("hash {}", HashAlgorithmName(h)));
  }
  return out;
}

// ---- Sha256Hasher ----
struct Sha256Hasher::Impl {
  EvpPtr<EVP_MD_CTX> ctx;
  bool finished = false;
};
Sha256Hasher::Sha256Hasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;
Sha256Hasher::~Sha256Hasher() = default;

Result<Sha256Hasher> Sha256Hasher::Create() {
  auto impl = std::make_unique<Impl>();
  impl->ctx.reset(EVP_MD_CTX_new());
  if (!impl->ctx || EVP_DigestInit_ex(impl->ctx.get(), EVP_sha256(), nullptr) != 1) {
    return OpenSslError("sha256 init");
  }
  return Sha256Hasher(std::move(impl));
}
Status Sha256Hasher::Update(std::span<const std::uint8_t> data) {
  if (!impl_ || impl_->finished) return FailedPreconditionError("sha256 update: hasher finished");
  if (EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) {
    return OpenSslError("sha256 update");
  }
  return OkStatus();
}
Status Sha256Hasher::Update(std::string_view data) { return Update(AsBytes(data)); }
Result<Sha256Digest> Sha256Hasher::Finish() {
  if (!impl_ || impl_->finished) return FailedPreconditionError("sha256 finish: hasher finished");
  impl_->finished = true;
  Sha256Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &len) != 1) {
    return OpenSslError("sha256 finish");
  }
  return out;
}

// ---- HMAC ----
struct HmacHasher::Impl {
  EvpPtr<EVP_MAC_CTX> ctx;
  HashAlgorithm h;
  bool finished = false;
};
HmacHasher::HmacHasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HmacHasher::HmacHasher(HmacHasher&&) noexcept = default;
HmacHasher& HmacHasher::operator=(HmacHasher&&) noexcept = default;
HmacHasher::~HmacHasher() = default;

Result<HmacHasher> HmacHasher::Create(HashAlgorithm h, const SecretBytes& key) {
  EvpPtr<EVP_MAC> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return OpenSslError("hmac: fetch HMAC");
  auto impl = std::make_unique<Impl>();
  impl->h = h;
  impl->ctx.reset(EVP_MAC_CTX_new(mac.get()));
  if (!impl->ctx) return OpenSslError("hmac: new context");
  char digest[16];
  std::string_view name = HashAlgorithmName(h);
  std::memcpy(digest, name.data(), name.size());
  digest[name.size()] = '\0';
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // OpenSSL rejects a NULL key pointer even with length 0; point at a dummy byte for empty keys.
  static const unsigned char kEmpty = 0;
  const unsigned char* key_ptr = key.empty() ? &kEmpty : key.Reveal().data();
  if (EVP_MAC_init(impl->ctx.get(), key_ptr, key.size(), params) != 1) {
    return OpenSslError(fmt::format("hmac {} init", name));
  }
  return HmacHasher(std::move(impl));
}
Status HmacHasher::Update(std::span<const std::uint8_t> data) {
  if (!impl_ || impl_->finished) return FailedPreconditionError("hmac update: hasher finished");
  if (EVP_MAC_update(impl_->ctx.get(), data.data(), data.size()) != 1) {
    return OpenSslError("hmac update");
  }
  return OkStatus();
}
Status HmacHasher::Update(std::string_view data) { return Update(AsBytes(data)); }
Result<std::vector<std::uint8_t>> HmacHasher::Finish() {
  if (!impl_ || impl_->finished) return FailedPreconditionError("hmac finish: hasher finished");
  impl_->finished = true;
  std::vector<std::uint8_t> out(HashSize(impl_->h));
  std::size_t len = 0;
  if (EVP_MAC_final(impl_->ctx.get(), out.data(), &len, out.size()) != 1) {
    return OpenSslError("hmac finish");
  }
  out.resize(len);
  return out;
}

Result<std::vector<std::uint8_t>> Hmac(HashAlgorithm h, const SecretBytes& key,
                                       std::span<const std::uint8_t> data) {
  BULWARK_ASSIGN_OR_RETURN(auto hasher, HmacHasher::Create(h, key));
  BULWARK_RETURN_IF_ERROR(hasher.Update(data));
  return hasher.Finish();
}

Status HmacVerify(HashAlgorithm h, const SecretBytes& key, std::span<const std::uint8_t> data,
                  std::span<const std::uint8_t> tag) {
  BULWARK_ASSIGN_OR_RETURN(auto expected, Hmac(h, key, data));
  if (!ConstantTimeEquals(expected, tag)) {
    return DataLossError(fmt::format("hmac {} verify: tag mismatch", HashAlgorithmName(h)));
  }
  return OkStatus();
}

// ---- HmacSha256Key ----
struct HmacSha256Key::Impl {
  EvpPtr<EVP_MAC_CTX> prepared;  // initialized with the key; only ever duplicated
};

Result<HmacSha256Key> HmacSha256Key::Create(const SecretBytes& key) {
  BULWARK_ASSIGN_OR_RETURN(HmacHasher h, HmacHasher::Create(HashAlgorithm::kSha256, key));
  auto impl = std::make_shared<Impl>();
  impl->prepared = std::move(h.impl_->ctx);
  return HmacSha256Key(std::move(impl));
}

Result<Sha256Digest> HmacSha256Key::Tag(std::span<const std::uint8_t> data) const {
  if (!impl_ || !impl_->prepared) return FailedPreconditionError("hmac: key not created");
  // EVP_MAC_CTX_dup only reads the prepared context, so concurrent tags are safe.
  EvpPtr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_dup(impl_->prepared.get()));
  if (!ctx) return OpenSslError("hmac: copy prepared key");
  Sha256Digest out;
  std::size_t len = 0;
  if (EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    return OpenSslError("hmac sha256");
  }
  return out;
}

Status HmacSha256Key::Verify(std::span<const std::uint8_t> data,
                             std::span<const std::uint8_t> tag) const {
  BULWARK_ASSIGN_OR_RETURN(Sha256Digest expected, Tag(data));
  if (!ConstantTimeEquals(expected, tag)) {
    return DataLossError("hmac SHA256 verify: tag mismatch");
  }
  return OkStatus();
}

}  // namespace bulwark::crypto
