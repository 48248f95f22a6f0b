#include "bulwark/crypto/kdf.h"

#include <argon2.h>
#include <gtest/gtest.h>

#include "bulwark/core/encoding.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::crypto {
namespace {

SecretBytes SecretHex(std::string_view h) { return SecretBytes(HexDecode(h).value()); }

// RFC 5869 appendix A.1.
TEST(HkdfTest, MatchesRfc5869Case1) {
  auto okm = HkdfSha256(SecretHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                        HexDecode("000102030405060708090a0b0c").value(),
                        HexDecode("f0f1f2f3f4f5f6f7f8f9").value(), 42);
  ASSERT_TRUE(okm.has_value()) << okm.error();
  EXPECT_EQ(HexEncode(okm->Reveal()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfTest, RejectsOutputLongerThan255Blocks) {
  auto r = HkdfSha256(SecretBytes::FromString("k"), {}, {}, 255 * 32 + 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(HkdfSha256(SecretBytes::FromString("k"), {}, {}, 255 * 32).has_value());
}

// RFC 7914 section 11 (PBKDF2-HMAC-SHA256, 1 iteration).
TEST(Pbkdf2Test, MatchesRfc7914Vector) {
  auto dk =
      Pbkdf2(HashAlgorithm::kSha256, SecretBytes::FromString("passwd"), AsBytes("salt"), 1, 64);
  ASSERT_TRUE(dk.has_value()) << dk.error();
  EXPECT_EQ(HexEncode(dk->Reveal()),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

// RFC 9106 section 5.3: Argon2id with secret and associated data, 4 lanes. libsodium's
// crypto_pwhash takes neither a secret nor associated data and always uses one lane, so this
// vector is checked against the reference implementation (libargon2's argon2_ctx); the test
// below then shows that libsodium, which our KDF uses, agrees with the reference
// implementation on the inputs it does support.
TEST(Argon2idTest, ReferenceImplementationMatchesRfc9106Vector) {
  std::vector<std::uint8_t> out(32), pwd(32, 0x01), salt(16, 0x02), secret(8, 0x03), ad(12, 0x04);
  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = 32;
  ctx.pwd = pwd.data();
  ctx.pwdlen = 32;
  ctx.salt = salt.data();
  ctx.saltlen = 16;
  ctx.secret = secret.data();
  ctx.secretlen = 8;
  ctx.ad = ad.data();
  ctx.adlen = 12;
  ctx.t_cost = 3;
  ctx.m_cost = 32;
  ctx.lanes = 4;
  ctx.threads = 4;
  ctx.version = ARGON2_VERSION_13;
  ASSERT_EQ(argon2_ctx(&ctx, Argon2_id), ARGON2_OK);
  EXPECT_EQ(HexEncode(out), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

TEST(Argon2idTest, LibsodiumAgreesWithReferenceImplementation) {
  const std::string pwd = "correct horse battery staple";
  std::vector<std::uint8_t> salt(16);
  for (std::size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<std::uint8_t>(i * 7);
  for (auto [t, m] : {std::pair<std::uint32_t, std::uint32_t>{1, 8}, {2, 64}, {3, 1024}}) {
    std::vector<std::uint8_t> ref(32);
    ASSERT_EQ(argon2id_hash_raw(t, m, 1, pwd.data(), pwd.size(), salt.data(), salt.size(),
                                ref.data(), ref.size()),
              ARGON2_OK);
    auto ours = Argon2id(SecretBytes::FromString(pwd), salt, t, m, 32);
    ASSERT_TRUE(ours.has_value()) << ours.error();
    EXPECT_EQ(HexEncode(ours->Reveal()), HexEncode(ref)) << "t=" << t << " m=" << m;
  }
}

TEST(PasswordKdfTest, DefaultsAreTheDocumentedParameters) {
  testing::DeterministicRandom random;
  auto a = PasswordKdfParams::DefaultArgon2id(random).value();
  EXPECT_EQ(a.kdf, PasswordKdf::kArgon2id);
  EXPECT_EQ(a.iterations, 3u);
  EXPECT_EQ(a.memory_kib, 65536u);
  EXPECT_EQ(a.salt.size(), 16u);
  auto p = PasswordKdfParams::DefaultPbkdf2(random).value();
  EXPECT_EQ(p.iterations, 600'000u);
  EXPECT_NE(a.salt, p.salt);
}

TEST(PasswordKdfTest, DerivationDependsOnPassphraseAndSalt) {
  PasswordKdfParams params{PasswordKdf::kArgon2id, 1, 64, std::vector<std::uint8_t>(16, 9)};
  auto k1 = DerivePasswordKey(SecretBytes::FromString("pass"), params, 32).value();
  auto k2 = DerivePasswordKey(SecretBytes::FromString("pass"), params, 32).value();
  auto k3 = DerivePasswordKey(SecretBytes::FromString("pasS"), params, 32).value();
  params.salt[0] ^= 1;
  auto k4 = DerivePasswordKey(SecretBytes::FromString("pass"), params, 32).value();
  EXPECT_TRUE(k1 == k2);
  EXPECT_FALSE(k1 == k3);
  EXPECT_FALSE(k1 == k4);
}

TEST(PasswordKdfTest, Pbkdf2ParamsDeriveThroughPbkdf2) {
  PasswordKdfParams params{PasswordKdf::kPbkdf2HmacSha256, 1000, 0,
                           std::vector<std::uint8_t>(16, 1)};
  auto k = DerivePasswordKey(SecretBytes::FromString("pw"), params, 32).value();
  auto direct =
      Pbkdf2(HashAlgorithm::kSha256, SecretBytes::FromString("pw"), params.salt, 1000, 32);
  EXPECT_TRUE(k == *direct);
}

TEST(PasswordKdfTest, OutOfRangeParametersAreRejected) {
  std::vector<std::uint8_t> salt(16, 0);
  EXPECT_FALSE((PasswordKdfParams{PasswordKdf::kArgon2id, 0, 64, salt}.Validate().has_value()));
  EXPECT_FALSE((PasswordKdfParams{PasswordKdf::kArgon2id, 3, 4, salt}.Validate().has_value()));
  EXPECT_FALSE((PasswordKdfParams{PasswordKdf::kArgon2id, 3, 64, {1, 2}}.Validate().has_value()));
  EXPECT_FALSE(
      (PasswordKdfParams{PasswordKdf::kPbkdf2HmacSha256, 999, 0, salt}.Validate().has_value()));
  EXPECT_FALSE(
      (PasswordKdfParams{static_cast<PasswordKdf>(9), 3, 64, salt}.Validate().has_value()));
  auto r = DerivePasswordKey(SecretBytes::FromString("pw"),
                             PasswordKdfParams{PasswordKdf::kArgon2id, 3, 64, salt}, 8);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::crypto
