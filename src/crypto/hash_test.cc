#include "bulwark/crypto/hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "bulwark/core/encoding.h"

namespace bulwark::crypto {
namespace {

std::string Hex(std::span<const std::uint8_t> b) { return HexEncode(b); }

TEST(Sha256Test, OneShotMatchesFips180Example) {
  auto d = Sha256("abc");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Hex(*d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  auto h = Sha256Hasher::Create();
  ASSERT_TRUE(h.has_value());
  ASSERT_TRUE(h->Update("abcdbcdecdefdefgefghfghighijhijk").has_value());
  ASSERT_TRUE(h->Update("ijkljklmklmnlmnomnopnopq").has_value());
  auto d = h->Finish();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Hex(*d), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, UpdateAfterFinishIsRefused) {
  auto h = Sha256Hasher::Create();
  ASSERT_TRUE(h.has_value());
  ASSERT_TRUE(h->Finish().has_value());
  auto s = h->Update("x");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
}

TEST(Sha512Test, OneShotMatchesFips180Example) {
  auto d = Hash(HashAlgorithm::kSha512, AsBytes("abc"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Hex(*d),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

// RFC 4231 test case 2.
TEST(HmacTest, MatchesRfc4231Case2) {
  const SecretBytes key = SecretBytes::FromString("Jefe");
  const auto data = AsBytes("what do ya want for nothing?");
  auto t256 = HmacSha256(key, data);
  ASSERT_TRUE(t256.has_value());
  EXPECT_EQ(Hex(*t256), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  auto t512 = Hmac(HashAlgorithm::kSha512, key, data);
  ASSERT_TRUE(t512.has_value());
  EXPECT_EQ(Hex(*t512),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST(HmacTest, VerifyAcceptsCorrectTagAndRejectsFlippedOrTruncatedTag) {
  const SecretBytes key = SecretBytes::FromString("k");
  const auto data = AsBytes("message");
  auto tag = HmacSha256(key, data).value();
  EXPECT_TRUE(HmacVerify(HashAlgorithm::kSha256, key, data, tag).has_value());
  auto flipped = tag;
  flipped[5] ^= 0x01;
  auto s = HmacVerify(HashAlgorithm::kSha256, key, data, flipped);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  auto truncated = std::span<const std::uint8_t>(tag).first(16);
  EXPECT_FALSE(HmacVerify(HashAlgorithm::kSha256, key, data, truncated).has_value());
}

TEST(HmacTest, EmptyKeyIsAccepted) {
  auto t = HmacSha256(SecretBytes(), AsBytes(""));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(Hex(*t), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacTest, IncrementalEqualsOneShot) {
  const SecretBytes key = SecretBytes::FromString("key");
  auto h = HmacHasher::Create(HashAlgorithm::kSha512, key);
  ASSERT_TRUE(h.has_value());
  ASSERT_TRUE(h->Update("hello ").has_value());
  ASSERT_TRUE(h->Update("world").has_value());
  EXPECT_EQ(h->Finish().value(), Hmac(HashAlgorithm::kSha512, key, AsBytes("hello world")).value());
}

TEST(HmacTest, PreparedKeyEqualsOneShotAndIsReusableAcrossThreads) {
  auto key = HmacSha256Key::Create(SecretBytes::FromString("Jefe"));
  ASSERT_TRUE(key.has_value()) << key.error().message();
  auto t = key->Tag(AsBytes("what do ya want for nothing?"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(Hex(*t), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(key->Verify(AsBytes("what do ya want for nothing?"), *t).has_value());
  auto flipped = *t;
  flipped[0] ^= 1;
  EXPECT_EQ(key->Verify(AsBytes("what do ya want for nothing?"), flipped).error().code(),
            ErrorCode::kDataLoss);
  EXPECT_FALSE(key->Verify(AsBytes("what do ya want for nothing?"),
                           std::span<const std::uint8_t>(*t).first(31)));
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 200; ++j) {
        const std::string m = "m" + std::to_string(i * 1000 + j);
        const auto prepared = key->Tag(AsBytes(m)).value();
        const auto oneshot = HmacSha256(SecretBytes::FromString("Jefe"), AsBytes(m)).value();
        if (!std::equal(prepared.begin(), prepared.end(), oneshot.begin(), oneshot.end())) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace bulwark::crypto
