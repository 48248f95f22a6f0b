#include "bulwark/crypto/aead.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <thread>

#include "bulwark/crypto/hash.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::crypto {
namespace {

std::unique_ptr<AeadCipher> NewCipher(AeadAlgorithm alg, std::uint64_t seed = 1,
                                      AeadCipher::Options options = {}) {
  auto random = std::make_shared<testing::DeterministicRandom>(seed);
  auto key = AeadCipher::GenerateKey(alg, *random).value();
  return AeadCipher::Create(alg, std::move(key), random, options).value();
}

std::vector<std::uint8_t> Bytes(std::string_view s) {
  auto b = AsBytes(s);
  return {b.begin(), b.end()};
}

class AeadAlgorithmTest : public ::testing::TestWithParam<AeadAlgorithm> {};

TEST_P(AeadAlgorithmTest, CiphertextLayoutIsNonceThenCiphertextThenTag) {
  auto cipher = NewCipher(GetParam());
  const auto pt = Bytes("database password");
  auto ct = cipher->Encrypt(pt, Bytes("aad")).value();
  EXPECT_EQ(ct.size(), AeadNonceSize(GetParam()) + pt.size() + kAeadTagSize);
  auto back = cipher->Decrypt(ct, Bytes("aad"));
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->RevealAsString(), "database password");
}

TEST_P(AeadAlgorithmTest, PartsConcatenateToTheSameFormatAndDecryptSeparately) {
  auto cipher = NewCipher(GetParam());
  auto parts = cipher->EncryptParts(Bytes("v"), Bytes("path")).value();
  EXPECT_EQ(parts.nonce.size(), AeadNonceSize(GetParam()));
  EXPECT_EQ(parts.ciphertext.size(), 1u);
  EXPECT_EQ(cipher->Decrypt(parts.Concatenate(), Bytes("path")).value().RevealAsString(), "v");
  EXPECT_EQ(cipher->DecryptParts(parts.nonce, parts.ciphertext, parts.tag, Bytes("path"))
                .value()
                .RevealAsString(),
            "v");
}

TEST_P(AeadAlgorithmTest, DecryptFailsWithWrongAssociatedData) {
  auto cipher = NewCipher(GetParam());
  auto ct = cipher->Encrypt(Bytes("secret"), Bytes("a.b")).value();
  auto r = cipher->Decrypt(ct, Bytes("a.c"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
}

TEST_P(AeadAlgorithmTest, DecryptFailsWithWrongKey) {
  auto a = NewCipher(GetParam(), 1);
  auto b = NewCipher(GetParam(), 2);
  auto ct = a->Encrypt(Bytes("secret"), {}).value();
  auto r = b->Decrypt(ct, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
}

TEST_P(AeadAlgorithmTest, TruncatedCiphertextFailsWithDataLoss) {
  auto cipher = NewCipher(GetParam());
  auto ct = cipher->Encrypt(Bytes("secret"), {}).value();
  for (std::size_t n : {std::size_t{0}, std::size_t{5}, ct.size() - 1}) {
    auto r = cipher->Decrypt(std::span(ct).first(n), {});
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
  }
}

TEST_P(AeadAlgorithmTest, WrongKeySizeIsRejectedWithoutEchoingTheKey) {
  auto random = std::make_shared<testing::DeterministicRandom>();
  auto r = AeadCipher::Create(GetParam(), SecretBytes::FromString("0123456789"), random);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message().find("0123456789"), std::string::npos);
}

TEST_P(AeadAlgorithmTest, UsageLimitStopsEncryptionButNotDecryption) {
  auto cipher = NewCipher(GetParam(), 3, {.initial_usage = 1, .usage_limit = 3});
  auto c1 = cipher->Encrypt(Bytes("1"), {}).value();
  ASSERT_TRUE(cipher->Encrypt(Bytes("2"), {}).has_value());
  EXPECT_EQ(cipher->usage(), 3u);
  auto r = cipher->Encrypt(Bytes("3"), {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message().find("rotate"), std::string::npos);
  EXPECT_FALSE(cipher->EncryptParts(Bytes("3"), {}).has_value());
  EXPECT_EQ(cipher->Decrypt(c1, {}).value().RevealAsString(), "1");
}

TEST_P(AeadAlgorithmTest, FailingRandomSourceFailsClosed) {
  auto random = std::make_shared<testing::DeterministicRandom>();
  auto key = AeadCipher::GenerateKey(GetParam(), *random).value();
  auto cipher = AeadCipher::Create(GetParam(), std::move(key), random).value();
  random->set_fail(true);
  auto r = cipher->Encrypt(Bytes("x"), {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
}

TEST_P(AeadAlgorithmTest, DecryptPartsIntoWritesTheSamePlaintextIntoTheCallersBuffer) {
  auto cipher = NewCipher(GetParam());
  auto parts = cipher->EncryptParts(Bytes("token plaintext"), Bytes("aad")).value();
  std::vector<std::uint8_t> out(parts.ciphertext.size(), 0xAA);
  auto s = cipher->DecryptPartsInto(parts.nonce, parts.ciphertext, parts.tag, Bytes("aad"), out);
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(std::string(out.begin(), out.end()), "token plaintext");
  auto same = cipher->DecryptParts(parts.nonce, parts.ciphertext, parts.tag, Bytes("aad")).value();
  EXPECT_EQ(same.RevealAsString(), "token plaintext");
}

TEST_P(AeadAlgorithmTest, DecryptPartsIntoWipesTheBufferOnEveryError) {
  auto cipher = NewCipher(GetParam());
  auto parts = cipher->EncryptParts(Bytes("token plaintext"), Bytes("aad")).value();
  const std::vector<std::uint8_t> zero(parts.ciphertext.size(), 0);
  std::vector<std::uint8_t> out(parts.ciphertext.size(), 0xAA);
  // Wrong associated data: the tag check fails (the data was already decrypted by some backends).
  auto s = cipher->DecryptPartsInto(parts.nonce, parts.ciphertext, parts.tag, Bytes("other"), out);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(out, zero);
  // Wrong nonce size: same error as DecryptParts.
  out.assign(out.size(), 0xAA);
  auto short_nonce = std::span<const std::uint8_t>(parts.nonce).first(parts.nonce.size() - 1);
  s = cipher->DecryptPartsInto(short_nonce, parts.ciphertext, parts.tag, Bytes("aad"), out);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(s.error().message(),
            cipher->DecryptParts(short_nonce, parts.ciphertext, parts.tag, Bytes("aad"))
                .error()
                .message());
  EXPECT_EQ(out, zero);
  // Output of the wrong size: refused, wiped.
  std::vector<std::uint8_t> bigger(parts.ciphertext.size() + 1, 0xAA);
  s = cipher->DecryptPartsInto(parts.nonce, parts.ciphertext, parts.tag, Bytes("aad"), bigger);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(bigger, std::vector<std::uint8_t>(bigger.size(), 0));
}

// Decryptions on the libsodium paths run without the key's mutex; the OpenSSL paths keep it.
// Either way concurrent decryptions of one key must all return the right plaintext.
TEST_P(AeadAlgorithmTest, ConcurrentDecryptionsWithOneKeyAllSucceed) {
  auto cipher = NewCipher(GetParam());
  std::vector<AeadParts> all;
  for (int i = 0; i < 16; ++i) {
    all.push_back(cipher->EncryptParts(Bytes("value " + std::to_string(i)), Bytes("aad")).value());
  }
  std::atomic<int> wrong = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        for (std::size_t i = 0; i < all.size(); ++i) {
          auto pt = cipher->DecryptParts(all[i].nonce, all[i].ciphertext, all[i].tag, Bytes("aad"));
          if (!pt || pt->RevealAsString() != "value " + std::to_string(i)) ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, AeadAlgorithmTest, ::testing::ValuesIn(kAllAeadAlgorithms),
                         [](const auto& info) {
                           return std::string(AeadAlgorithmName(info.param));
                         });

TEST(AeadTest, AlgorithmNamesRoundTrip) {
  for (AeadAlgorithm alg : kAllAeadAlgorithms) {
    EXPECT_EQ(ParseAeadAlgorithm(AeadAlgorithmName(alg)).value(), alg);
    EXPECT_EQ(AeadAlgorithmFromId(static_cast<std::uint8_t>(alg)).value(), alg);
  }
  EXPECT_FALSE(ParseAeadAlgorithm("aes256_gcm").has_value());
  EXPECT_FALSE(AeadAlgorithmFromId(0).has_value());
}

TEST(AeadTest, DocumentedUsageLimits) {
  EXPECT_EQ(AeadUsageLimit(AeadAlgorithm::kAes256Gcm), std::uint64_t{1} << 32);
  EXPECT_EQ(AeadUsageLimit(AeadAlgorithm::kChaCha20Poly1305), std::uint64_t{1} << 32);
  EXPECT_EQ(AeadUsageLimit(AeadAlgorithm::kXChaCha20Poly1305), ~std::uint64_t{0});
}

// ---- Properties ----

rc::Gen<AeadAlgorithm> GenAlgorithm() { return rc::gen::elementOf(kAllAeadAlgorithms); }

RC_GTEST_PROP(AeadProperty, RoundTripsEveryAlgorithmAndSize, ()) {
  const AeadAlgorithm alg = *GenAlgorithm();
  const auto size = *rc::gen::inRange<std::size_t>(0, 4097);
  const auto pt =
      *rc::gen::container<std::vector<std::uint8_t>>(size, rc::gen::arbitrary<std::uint8_t>());
  const auto aad = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
  auto cipher = NewCipher(alg, *rc::gen::arbitrary<std::uint64_t>());
  auto ct = cipher->Encrypt(pt, aad);
  RC_ASSERT(ct.has_value());
  auto back = cipher->Decrypt(*ct, aad);
  RC_ASSERT(back.has_value());
  RC_ASSERT(std::vector<std::uint8_t>(back->Reveal().begin(), back->Reveal().end()) == pt);
}

RC_GTEST_PROP(AeadProperty, FlippingAnyCiphertextBitFailsWithDataLoss, ()) {
  const AeadAlgorithm alg = *GenAlgorithm();
  const auto pt = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
  auto cipher = NewCipher(alg, *rc::gen::arbitrary<std::uint64_t>());
  auto ct = cipher->Encrypt(pt, AsBytes("aad")).value();
  const auto bit = *rc::gen::inRange<std::size_t>(0, ct.size() * 8);
  ct[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  auto r = cipher->Decrypt(ct, AsBytes("aad"));
  RC_ASSERT(!r.has_value());
  RC_ASSERT(r.error().code() == ErrorCode::kDataLoss);
}

RC_GTEST_PROP(AeadProperty, WrongKeyOrAssociatedDataFails, ()) {
  const AeadAlgorithm alg = *GenAlgorithm();
  const auto pt = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
  const auto aad = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
  auto other_aad = aad;
  other_aad.push_back(*rc::gen::arbitrary<std::uint8_t>());
  const auto seed = *rc::gen::inRange<std::uint64_t>(0, 1u << 30);
  auto cipher = NewCipher(alg, seed);
  auto other = NewCipher(alg, seed + (1u << 30));
  auto ct = cipher->Encrypt(pt, aad).value();
  RC_ASSERT(!other->Decrypt(ct, aad).has_value());
  RC_ASSERT(!cipher->Decrypt(ct, other_aad).has_value());
}

}  // namespace
}  // namespace bulwark::crypto
