#include "bulwark/crypto/policy.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "crypto/openssl_util.h"

namespace bulwark::crypto {

struct AlgorithmPolicy::ProviderHandle {
  OSSL_PROVIDER* fips = nullptr;
  ~ProviderHandle() {
    if (fips != nullptr) {
      EVP_default_properties_enable_fips(nullptr, 0);
      OSSL_PROVIDER_unload(fips);
    }
  }
};

bool IsFipsApproved(AeadAlgorithm alg) {
  return alg == AeadAlgorithm::kAes256Gcm || alg == AeadAlgorithm::kAes128Gcm;
}
bool IsFipsApproved(PasswordKdf kdf) { return kdf == PasswordKdf::kPbkdf2HmacSha256; }

AlgorithmPolicy AlgorithmPolicy::Standard() { return AlgorithmPolicy(false, nullptr); }
AlgorithmPolicy AlgorithmPolicy::FipsChecksOnlyForTesting() {
  return AlgorithmPolicy(true, nullptr);
}

Result<AlgorithmPolicy> AlgorithmPolicy::CreateFipsPolicy() {
  auto handle = std::make_shared<ProviderHandle>();
  handle->fips = OSSL_PROVIDER_load(nullptr, "fips");
  if (handle->fips == nullptr) {
    const char* dir = OpenSSL_version(OPENSSL_MODULES_DIR);
    return FailedPreconditionError(fmt::format(
        "FIPS mode required but OpenSSL's FIPS provider could not be loaded ({}; {}); install "
        "and configure the OpenSSL 3 FIPS module (fips.so and fipsmodule.cnf) or run without FIPS "
        "mode",
        dir != nullptr ? dir : "no modules directory", internal::DrainOpenSslErrors()));
  }
  if (OSSL_PROVIDER_self_test(handle->fips) != 1 ||
      EVP_default_properties_enable_fips(nullptr, 1) != 1) {
    std::string errors = internal::DrainOpenSslErrors();
    return FailedPreconditionError(fmt::format(
        "FIPS mode required but OpenSSL's FIPS provider failed its self test or could not be made "
        "the default ({})",
        errors));
  }
  return AlgorithmPolicy(true, std::move(handle));
}

Result<AlgorithmPolicy> AlgorithmPolicy::Create(FipsMode mode) {
  if (mode == FipsMode::kRequired) return CreateFipsPolicy();
  return Standard();
}

Status AlgorithmPolicy::CheckAead(AeadAlgorithm alg) const {
  if (fips_ && !IsFipsApproved(alg)) {
    return FailedPreconditionError(
        fmt::format("{} is not FIPS-approved; FIPS mode allows AES256_GCM and AES128_GCM",
                    AeadAlgorithmName(alg)));
  }
  return OkStatus();
}

Status AlgorithmPolicy::CheckPasswordKdf(PasswordKdf kdf) const {
  if (fips_ && !IsFipsApproved(kdf)) {
    return FailedPreconditionError(fmt::format(
        "{} is not FIPS-approved; FIPS mode derives passphrase keys with pbkdf2-hmac-sha256",
        PasswordKdfName(kdf)));
  }
  return OkStatus();
}

PasswordKdf AlgorithmPolicy::DefaultPasswordKdf() const {
  return fips_ ? PasswordKdf::kPbkdf2HmacSha256 : PasswordKdf::kArgon2id;
}

}  // namespace bulwark::crypto
