// Tests against a real SoftHSM2 token created by scripts/softhsm-test-token.sh in a temp dir.
#include "bulwark/keys/pkcs11_provider.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

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

// Adds KEK number `number` with `label` to the test token, created with CKA_DESTROYABLE false
// (as an administrator's policy might), through raw PKCS#11 calls on the already initialized
// module.
void AddUndestroyableKek(const std::string& label, std::uint32_t number) {
  void* lib = dlopen("/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr);
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(lib, "C_GetFunctionList"));
  CK_FUNCTION_LIST_PTR f = nullptr;
  ASSERT_EQ(get_list(&f), CKR_OK);
  CK_ULONG count = 16;
  CK_SLOT_ID slots[16];
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, slots, &count), CKR_OK);
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  for (CK_ULONG i = 0; i < count && session == CK_INVALID_HANDLE; ++i) {
    CK_TOKEN_INFO info;
    if (f->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
    std::string token(reinterpret_cast<const char*>(info.label), sizeof info.label);
    if (token.rfind(kToken, 0) != 0) continue;
    ASSERT_EQ(
        f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session),
        CKR_OK);
  }
  ASSERT_NE(session, CK_INVALID_HANDLE);
  std::string pin = kPin;
  const CK_RV login =
      f->C_Login(session, CKU_USER, reinterpret_cast<unsigned char*>(pin.data()), pin.size());
  ASSERT_TRUE(login == CKR_OK || login == CKR_USER_ALREADY_LOGGED_IN) << login;
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ULONG len = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  unsigned char id[4] = {
      static_cast<unsigned char>(number >> 24), static_cast<unsigned char>(number >> 16),
      static_cast<unsigned char>(number >> 8), static_cast<unsigned char>(number)};
  std::string key_label = label;
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &len, sizeof len},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_ENCRYPT, &yes, sizeof yes},
      {CKA_DECRYPT, &yes, sizeof yes},
      {CKA_DESTROYABLE, &no, sizeof no},
      {CKA_LABEL, key_label.data(), key_label.size()},
      {CKA_ID, id, sizeof id},
  };
  CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  EXPECT_EQ(f->C_GenerateKey(session, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &h), CKR_OK);
  f->C_CloseSession(session);
  dlclose(lib);
}

TEST_F(Pkcs11ProviderTest, RetiringAKekTheTokenRefusesToDestroyIsFailedPreconditionNamingIt) {
  const std::string label = "undestroyable-kek";
  auto first = OpenProvider(label);  // KEK #1; keeps the module initialized for the raw calls
  AddUndestroyableKek(label, 2);
  auto hsm = OpenProvider(label);  // finds #1 and #2
  ASSERT_EQ(hsm->kek_numbers(), (std::vector<std::uint32_t>{1, 2}));
  ASSERT_TRUE(hsm->RotateKek().has_value());  // #3
  auto blob = hsm->WrapKey(SecretBytes::FromString("dek"), {}).value();
  auto retired = hsm->RetireOldKeks();
  ASSERT_FALSE(retired.has_value());
  EXPECT_EQ(retired.error().code(), ErrorCode::kFailedPrecondition) << retired.error();
  EXPECT_NE(retired.error().message().find("refuses to destroy KEK #2"), std::string::npos)
      << retired.error();
  EXPECT_NE(retired.error().message().find("CKR_ACTION_PROHIBITED"), std::string::npos);
  // #1 went, #2 stays (and still works), the current one is untouched.
  EXPECT_EQ(hsm->kek_numbers(), (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(hsm->UnwrapKey(blob, {}).value().RevealAsString(), "dek");
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
