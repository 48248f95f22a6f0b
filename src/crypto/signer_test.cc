#include "bulwark/crypto/signer.h"

#include <gtest/gtest.h>

#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::crypto {
namespace {

SecretBytes SeedFromHex(std::string_view hex) { return SecretBytes(HexDecode(hex).value()); }

// RFC 8032 section 7.1, TEST 2 (one-byte message 0x72).
TEST(Ed25519Test, SignMatchesRfc8032Test2) {
  auto signer = Ed25519Signer::Create(
      SeedFromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  ASSERT_TRUE(signer.has_value()) << signer.error();
  EXPECT_EQ(HexEncode((*signer)->public_key()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const std::vector<std::uint8_t> msg = {0x72};
  auto sig = (*signer)->Sign(msg);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(HexEncode(*sig),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

TEST(Ed25519Test, VerifierAcceptsOwnSignatureAndRejectsOtherMessage) {
  testing::DeterministicRandom random(7);
  auto seed = Ed25519Signer::GenerateSeed(random);
  ASSERT_TRUE(seed.has_value());
  auto signer = Ed25519Signer::Create(*seed).value();
  auto verifier = Ed25519Verifier::Create(signer->public_key()).value();
  auto sig = signer->Sign(AsBytes("checkpoint 1")).value();
  EXPECT_TRUE(verifier->Verify(sig, AsBytes("checkpoint 1")).has_value());
  auto bad = verifier->Verify(sig, AsBytes("checkpoint 2"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kDataLoss);
}

TEST(Ed25519Test, FlippedSignatureBitFailsWithDataLoss) {
  testing::DeterministicRandom random(8);
  auto signer = Ed25519Signer::Create(Ed25519Signer::GenerateSeed(random).value()).value();
  auto verifier = Ed25519Verifier::Create(signer->public_key()).value();
  auto sig = signer->Sign(AsBytes("m")).value();
  for (std::size_t bit = 0; bit < sig.size() * 8; bit += 37) {
    auto copy = sig;
    copy[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    auto s = verifier->Verify(copy, AsBytes("m"));
    ASSERT_FALSE(s.has_value()) << "bit " << bit;
    EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  }
  auto s = verifier->Verify(std::span(sig).first(63), AsBytes("m"));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
}

TEST(Ed25519Test, WrongKeyLengthsAreInvalidArguments) {
  auto s = Ed25519Signer::Create(SecretBytes(31));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  std::vector<std::uint8_t> pub(33);
  auto v = Ed25519Verifier::Create(pub);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::crypto
