// One conformance suite for the KeyProvider contract (key_provider.h), run against every
// implementation: the local passphrase keystore, the fake remote KMS, and PKCS#11 on SoftHSM2.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>

#include "bulwark/crypto/hash.h"
#include "bulwark/keys/key_provider.h"
#include "bulwark/keys/local_keystore.h"
#include "bulwark/keys/pkcs11_provider.h"
#include "bulwark/testing/fake_kms.h"
#include "bulwark/testing/fake_runtime.h"
#include "keys/fast_kdf_for_test.h"
#include "keys/softhsm_token_for_test.h"

namespace bulwark::keys {
namespace {

using crypto::AsBytes;

struct ProviderCase {
  std::string name;
  std::function<Result<std::unique_ptr<KeyProvider>>(bulwark::testing::FakeRuntime&, int)> make;
};

std::vector<ProviderCase> Cases() {
  return {
      {"LocalKeystore",
       [](bulwark::testing::FakeRuntime& rt, int n) -> Result<std::unique_ptr<KeyProvider>> {
         BULWARK_ASSIGN_OR_RETURN(
             auto ks, LocalKeystoreProvider::Create(fmt::format("/conformance/{}/keystore", n),
                                                    SecretBytes::FromString("pw"), rt.runtime(),
                                                    crypto::AlgorithmPolicy::Standard(),
                                                    test_support::FastKdf()));
         return std::unique_ptr<KeyProvider>(std::move(ks));
       }},
      {"FakeKms",
       [](bulwark::testing::FakeRuntime& rt, int n) -> Result<std::unique_ptr<KeyProvider>> {
         BULWARK_ASSIGN_OR_RETURN(
             auto kms, bulwark::testing::FakeKms::Create(fmt::format("keys/{}", n), rt.random));
         return std::unique_ptr<KeyProvider>(std::move(kms));
       }},
      {"Pkcs11SoftHsm",
       [](bulwark::testing::FakeRuntime& rt, int n) -> Result<std::unique_ptr<KeyProvider>> {
         BULWARK_RETURN_IF_ERROR(test_support::EnsureSoftHsmTestToken());
         Pkcs11Provider::Options o;
         o.token_label = test_support::kTestToken;
         o.pin = SecretBytes::FromString(test_support::kTestPin);
         o.key_label = fmt::format("conformance-{}-{}", ::getpid(), n);
         o.create_if_missing = true;
         BULWARK_ASSIGN_OR_RETURN(auto p, Pkcs11Provider::Open(std::move(o), rt.random));
         return std::unique_ptr<KeyProvider>(std::move(p));
       }},
  };
}

class KeyProviderConformance : public ::testing::TestWithParam<ProviderCase> {
 protected:
  std::unique_ptr<KeyProvider> Make() {
    static int counter = 0;
    auto p = GetParam().make(rt_, ++counter);
    EXPECT_TRUE(p.has_value()) << p.error();
    return std::move(p).value();
  }
  bulwark::testing::FakeRuntime rt_;
};

const SecretBytes& Dek() {
  static const SecretBytes dek = SecretBytes::FromString("0123456789abcdef0123456789abcdef");
  return dek;
}

TEST_P(KeyProviderConformance, UnwrapReturnsWhatWasWrapped) {
  auto p = Make();
  auto blob = p->WrapKey(Dek(), AsBytes("context"));
  ASSERT_TRUE(blob.has_value()) << blob.error();
  auto dek = p->UnwrapKey(*blob, AsBytes("context"));
  ASSERT_TRUE(dek.has_value()) << dek.error();
  EXPECT_TRUE(*dek == Dek());
}

TEST_P(KeyProviderConformance, WrappingIsRandomizedAndNeverContainsTheDek) {
  auto p = Make();
  auto a = p->WrapKey(Dek(), {}).value();
  auto b = p->WrapKey(Dek(), {}).value();
  EXPECT_NE(a, b);
  const std::string blob(a.begin(), a.end());
  EXPECT_EQ(blob.find(Dek().RevealAsString()), std::string::npos);
}

TEST_P(KeyProviderConformance, ContextIsBound) {
  auto p = Make();
  auto blob = p->WrapKey(Dek(), AsBytes("key 1")).value();
  auto r = p->UnwrapKey(blob, AsBytes("key 2"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss) << r.error();
}

TEST_P(KeyProviderConformance, AnyFlippedByteAfterTheHeaderIsDataLoss) {
  auto p = Make();
  auto blob = p->WrapKey(Dek(), {}).value();
  for (std::size_t i = 5; i < blob.size(); i += 3) {
    auto bad = blob;
    bad[i] ^= 0x80;
    auto r = p->UnwrapKey(bad, {});
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss) << "byte " << i << ": " << r.error();
  }
  auto truncated = p->UnwrapKey(std::span(blob).first(3), {});
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code(), ErrorCode::kDataLoss);
}

TEST_P(KeyProviderConformance, RotationKeepsOldBlobsReadable) {
  auto p = Make();
  auto old_blob = p->WrapKey(Dek(), {}).value();
  ASSERT_TRUE(p->RotateKek().has_value());
  auto new_blob = p->WrapKey(Dek(), {}).value();
  EXPECT_NE(std::vector(old_blob.begin(), old_blob.begin() + 5),
            std::vector(new_blob.begin(), new_blob.begin() + 5));  // names another KEK
  EXPECT_TRUE(*p->UnwrapKey(old_blob, {}) == Dek());
  EXPECT_TRUE(*p->UnwrapKey(new_blob, {}) == Dek());
}

TEST_P(KeyProviderConformance, RetiringOldKeksLeavesOnlyTheCurrentOneUsable) {
  auto p = Make();
  auto first = p->WrapKey(Dek(), AsBytes("ctx")).value();
  ASSERT_TRUE(p->RotateKek().has_value());
  auto second = p->WrapKey(Dek(), AsBytes("ctx")).value();
  ASSERT_TRUE(p->RotateKek().has_value());
  auto current = p->WrapKey(Dek(), AsBytes("ctx")).value();
  auto retired = p->RetireOldKeks();
  ASSERT_TRUE(retired.has_value()) << retired.error();
  EXPECT_EQ(*retired, 2u);
  for (const auto& old : {first, second}) {
    auto r = p->UnwrapKey(old, AsBytes("ctx"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), ErrorCode::kNotFound) << r.error();
  }
  auto kept = p->UnwrapKey(current, AsBytes("ctx"));
  ASSERT_TRUE(kept.has_value()) << kept.error();
  EXPECT_TRUE(*kept == Dek());
  // Wrapping goes on under the current KEK; nothing old is left to retire.
  EXPECT_TRUE(*p->UnwrapKey(p->WrapKey(Dek(), {}).value(), {}) == Dek());
  EXPECT_EQ(p->RetireOldKeks().value(), 0u);
  EXPECT_TRUE(p->HealthCheck().has_value());
}

TEST_P(KeyProviderConformance, HealthCheckPassesAndDescribeSaysWhatItIs) {
  auto p = Make();
  EXPECT_TRUE(p->HealthCheck().has_value());
  const std::string d = p->Describe();
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.find(Dek().RevealAsString()), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllProviders, KeyProviderConformance, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace bulwark::keys
