#include "bulwark/crypto/signer.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cstring>

#include "crypto/openssl_util.h"

namespace bulwark::crypto {
namespace {
using internal::EvpPtr;
using internal::OpenSslError;

struct PkeyHolder {
  EvpPtr<EVP_PKEY> pkey;
};
}  // namespace

struct Ed25519Signer::Impl : PkeyHolder {};
struct Ed25519Verifier::Impl : PkeyHolder {};

Ed25519Signer::Ed25519Signer(std::unique_ptr<Impl> impl, const Ed25519PublicKey& public_key)
    : impl_(std::move(impl)), public_key_(public_key) {}
Ed25519Signer::~Ed25519Signer() = default;

Result<SecretBytes> Ed25519Signer::GenerateSeed(SecureRandom& random) {
  return random.Secret(kEd25519SeedSize);
}

Result<std::unique_ptr<Ed25519Signer>> Ed25519Signer::Create(const SecretBytes& seed) {
  if (seed.size() != kEd25519SeedSize) {
    return InvalidArgumentError(
        fmt::format("ed25519 signer: private key seed must be {} bytes, got {}", kEd25519SeedSize,
                    seed.size()));
  }
  auto impl = std::make_unique<Impl>();
  impl->pkey.reset(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.Reveal().data(), seed.size()));
  if (!impl->pkey) return OpenSslError("ed25519 signer: load private key");
  Ed25519PublicKey pub;
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(impl->pkey.get(), pub.data(), &len) != 1 || len != pub.size()) {
    return OpenSslError("ed25519 signer: derive public key");
  }
  return std::unique_ptr<Ed25519Signer>(new Ed25519Signer(std::move(impl), pub));
}

Result<std::vector<std::uint8_t>> Ed25519Signer::Sign(std::span<const std::uint8_t> msg) const {
  EvpPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1) {
    return OpenSslError("ed25519 sign: init");
  }
  std::vector<std::uint8_t> sig(kEd25519SignatureSize);
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, msg.data(), msg.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return OpenSslError("ed25519 sign");
  }
  return sig;
}

Ed25519Verifier::Ed25519Verifier(std::unique_ptr<Impl> impl, const Ed25519PublicKey& public_key)
    : impl_(std::move(impl)), public_key_(public_key) {}
Ed25519Verifier::~Ed25519Verifier() = default;

Result<std::unique_ptr<Ed25519Verifier>> Ed25519Verifier::Create(
    std::span<const std::uint8_t> public_key) {
  if (public_key.size() != kEd25519PublicKeySize) {
    return InvalidArgumentError(fmt::format("ed25519 verifier: public key must be {} bytes, got {}",
                                            kEd25519PublicKeySize, public_key.size()));
  }
  auto impl = std::make_unique<Impl>();
  impl->pkey.reset(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  if (!impl->pkey) {
    internal::ClearOpenSslErrors();
    return InvalidArgumentError("ed25519 verifier: public key rejected by OpenSSL");
  }
  Ed25519PublicKey pub;
  std::memcpy(pub.data(), public_key.data(), pub.size());
  return std::unique_ptr<Ed25519Verifier>(new Ed25519Verifier(std::move(impl), pub));
}

Status Ed25519Verifier::Verify(std::span<const std::uint8_t> sig,
                               std::span<const std::uint8_t> msg) const {
  if (sig.size() != kEd25519SignatureSize) {
    return DataLossError(fmt::format("ed25519 verify: signature must be {} bytes, got {}",
                                     kEd25519SignatureSize, sig.size()));
  }
  EvpPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1) {
    return OpenSslError("ed25519 verify: init");
  }
  const int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), msg.data(), msg.size());
  if (rc != 1) {
    internal::ClearOpenSslErrors();
    return DataLossError("ed25519 verify: signature does not verify");
  }
  return OkStatus();
}

}  // namespace bulwark::crypto
