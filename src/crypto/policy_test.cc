#include "bulwark/crypto/policy.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <filesystem>

namespace bulwark::crypto {
namespace {

TEST(AlgorithmPolicyTest, StandardPolicyAllowsEveryAlgorithm) {
  const auto policy = AlgorithmPolicy::Standard();
  EXPECT_FALSE(policy.fips());
  for (AeadAlgorithm alg : kAllAeadAlgorithms) EXPECT_TRUE(policy.CheckAead(alg).has_value());
  EXPECT_TRUE(policy.CheckPasswordKdf(PasswordKdf::kArgon2id).has_value());
  EXPECT_EQ(policy.DefaultPasswordKdf(), PasswordKdf::kArgon2id);
}

TEST(AlgorithmPolicyTest, FipsPolicyRejectsChaChaXChaChaAndArgon2idWithClearErrors) {
  const auto policy = AlgorithmPolicy::FipsChecksOnlyForTesting();
  EXPECT_TRUE(policy.CheckAead(AeadAlgorithm::kAes256Gcm).has_value());
  EXPECT_TRUE(policy.CheckAead(AeadAlgorithm::kAes128Gcm).has_value());
  for (AeadAlgorithm alg : {AeadAlgorithm::kChaCha20Poly1305, AeadAlgorithm::kXChaCha20Poly1305}) {
    auto s = policy.CheckAead(alg);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(s.error().message().find(AeadAlgorithmName(alg)), std::string::npos);
    EXPECT_NE(s.error().message().find("FIPS"), std::string::npos);
  }
  auto s = policy.CheckPasswordKdf(PasswordKdf::kArgon2id);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("argon2id is not FIPS-approved"), std::string::npos);
  EXPECT_TRUE(policy.CheckPasswordKdf(PasswordKdf::kPbkdf2HmacSha256).has_value());
  EXPECT_EQ(policy.DefaultPasswordKdf(), PasswordKdf::kPbkdf2HmacSha256);
}

// Debian's OpenSSL ships no FIPS module, so requiring FIPS must be refused, never ignored. On a
// machine where the module is installed the same call must succeed and enable FIPS properties.
TEST(AlgorithmPolicyTest, RequiringFipsRefusesWhenTheProviderCannotBeLoaded) {
  const std::filesystem::path module =
      std::filesystem::path(OpenSSL_version(OPENSSL_MODULES_DIR)) / "fips.so";
  auto policy = AlgorithmPolicy::Create(FipsMode::kRequired);
  if (std::filesystem::exists(module)) {
    ASSERT_TRUE(policy.has_value()) << policy.error();
    EXPECT_TRUE(policy->fips());
    return;
  }
  ASSERT_FALSE(policy.has_value());
  EXPECT_EQ(policy.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(policy.error().message().find("FIPS provider could not be loaded"), std::string::npos);
  // Nothing changed: the default provider still serves non-FIPS algorithms.
  EXPECT_EQ(EVP_default_properties_is_fips_enabled(nullptr), 0);
}

TEST(AlgorithmPolicyTest, FipsModeOffGivesTheStandardPolicy) {
  auto policy = AlgorithmPolicy::Create(FipsMode::kOff);
  ASSERT_TRUE(policy.has_value());
  EXPECT_FALSE(policy->fips());
}

}  // namespace
}  // namespace bulwark::crypto
