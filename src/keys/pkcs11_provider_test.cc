// Tests against a real SoftHSM2 token created by scripts/softhsm-test-token.sh in a temp dir.
#include "bulwark/keys/pkcs11_provider.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bulwark/crypto/hash.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/testing/fake_runtime.h"
#include "keys/softhsm_token_for_test.h"

namespace bulwark::keys {
namespace {

using crypto::AsBytes;

constexpr const char* kToken = test_support::kTestToken;
constexpr const char* kPin = test_support::kTestPin;

class Pkcs11ProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto conf = test_support::EnsureSoftHsmTestToken();
    ASSERT_TRUE(conf.has_value()) << conf.error();
  }

  static Pkcs11Provider::Options Opts(std::string key_label = "bulwark-kek", bool create = true) {
    Pkcs11Provider::Options o;
    o.token_label = kToken;
    o.pin = SecretBytes::FromString(kPin);
    o.key_label = std::move(key_label);
    o.create_if_missing = create;
    return o;
  }
  std::unique_ptr<Pkcs11Provider> OpenProvider(std::string key_label = "bulwark-kek") {
    auto p = Pkcs11Provider::Open(Opts(std::move(key_label)), rt_.random);
    EXPECT_TRUE(p.has_value()) << p.error();
    return std::move(p).value();
  }

  bulwark::testing::FakeRuntime rt_;
};

TEST_F(Pkcs11ProviderTest, WrapsAndUnwrapsInsideTheToken) {
  auto hsm = OpenProvider();
  auto blob =
      hsm->WrapKey(SecretBytes::FromString("0123456789abcdef0123456789abcdef"), AsBytes("ctx"));
  ASSERT_TRUE(blob.has_value()) << blob.error();
  EXPECT_EQ(blob->size(), 1u + 4 + 12 + 32 + 16);
  auto dek = hsm->UnwrapKey(*blob, AsBytes("ctx"));
  ASSERT_TRUE(dek.has_value()) << dek.error();
  EXPECT_EQ(dek->RevealAsString(), "0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(hsm->HealthCheck().has_value());
  EXPECT_NE(hsm->Describe().find(kToken), std::string::npos);
}

TEST_F(Pkcs11ProviderTest, KekIsNonExtractable) {
  auto hsm = OpenProvider();
  auto s = hsm->CheckKekIsNonExtractable();
  EXPECT_TRUE(s.has_value()) << s.error();
}

TEST_F(Pkcs11ProviderTest, WrongContextOrAlteredBlobIsDataLoss) {
  auto hsm = OpenProvider();
  auto blob = hsm->WrapKey(SecretBytes::FromString("dek-bytes-16-abc"), AsBytes("key 1")).value();
  auto wrong = hsm->UnwrapKey(blob, AsBytes("key 2"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kDataLoss) << wrong.error();
  blob[blob.size() - 20] ^= 0x04;
  auto flipped = hsm->UnwrapKey(blob, AsBytes("key 1"));
  ASSERT_FALSE(flipped.has_value());
  EXPECT_EQ(flipped.error().code(), ErrorCode::kDataLoss) << flipped.error();
}

TEST_F(Pkcs11ProviderTest, KekPersistsInTheTokenAndRotationKeepsOldKeks) {
  std::vector<std::uint8_t> old_blob;
  std::uint32_t first = 0;
  {
    auto hsm = OpenProvider("rotating-kek");
    first = hsm->current_kek();
    old_blob = hsm->WrapKey(SecretBytes::FromString("old dek"), {}).value();
    ASSERT_TRUE(hsm->RotateKek().has_value());
    EXPECT_EQ(hsm->current_kek(), first + 1);
  }
  auto hsm = OpenProvider("rotating-kek");
  EXPECT_EQ(hsm->current_kek(), first + 1);
  EXPECT_EQ(hsm->UnwrapKey(old_blob, {}).value().RevealAsString(), "old dek");
  auto new_blob = hsm->WrapKey(SecretBytes::FromString("new dek"), {}).value();
  EXPECT_EQ(new_blob[4], static_cast<std::uint8_t>(first + 1));
}

TEST_F(Pkcs11ProviderTest, KeyringEnvelopeOverTheToken) {
  auto hsm = OpenProvider("keyring-kek");
  auto ring = Keyring::Create(rt_.runtime(), crypto::AlgorithmPolicy::Standard()).value();
  auto ct = ring->Encrypt(AsBytes("secret"), AsBytes("a")).value();
  const std::string file = ring->Serialize(*hsm).value();
  ASSERT_TRUE(hsm->RotateKek().has_value());
  const std::string rewrapped = ring->Serialize(*hsm).value();
  for (const std::string& f : {file, rewrapped}) {
    auto loaded = Keyring::Load(f, *hsm, rt_.runtime(), crypto::AlgorithmPolicy::Standard());
    ASSERT_TRUE(loaded.has_value()) << loaded.error();
    EXPECT_EQ((*loaded)->Decrypt(ct, AsBytes("a")).value().RevealAsString(), "secret");
  }
}

TEST_F(Pkcs11ProviderTest, WrongPinIsUnauthenticated) {
  auto o = Opts();
  o.pin = SecretBytes::FromString("9999");
  auto p = Pkcs11Provider::Open(std::move(o), rt_.random);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnauthenticated) << p.error();
  EXPECT_EQ(p.error().message().find("9999"), std::string::npos);
}

TEST_F(Pkcs11ProviderTest, MissingTokenIsUnavailable) {
  auto o = Opts();
  o.token_label = "no-such-token";
  auto p = Pkcs11Provider::Open(std::move(o), rt_.random);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(p.error().message().find("no-such-token"), std::string::npos);
}

TEST_F(Pkcs11ProviderTest, SoftHsmModuleUnavailableFailsClosedWithClearError) {
  auto o = Opts();
  o.module_path = "/nonexistent/libsofthsm2.so";
  auto p = Pkcs11Provider::Open(std::move(o), rt_.random);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(p.error().message().find("cannot be loaded"), std::string::npos);
  EXPECT_NE(p.error().message().find("SoftHSM2"), std::string::npos);
}

TEST_F(Pkcs11ProviderTest, MissingKekWithoutCreateIsNotFound) {
  auto p = Pkcs11Provider::Open(Opts("never-created", /*create=*/false), rt_.random);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace bulwark::keys
