#include "bulwark/lifecycle/generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <set>

#include "bulwark/testing/fake_runtime.h"

namespace bulwark::lifecycle {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(GeneratorTest, PasswordsHaveTheLengthAndEveryClass) {
  testing::DeterministicRandom random(7);
  Strategy s;
  s.kind = StrategyKind::kPassword;
  s.length = 12;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto g = GenerateSecret(s, random);
    ASSERT_TRUE(g.has_value());
    const std::string pw(g->value.RevealAsString());
    ASSERT_EQ(pw.size(), 12u);
    EXPECT_TRUE(std::any_of(pw.begin(), pw.end(), ::islower)) << pw;
    EXPECT_TRUE(std::any_of(pw.begin(), pw.end(), ::isupper)) << pw;
    EXPECT_TRUE(std::any_of(pw.begin(), pw.end(), ::isdigit)) << pw;
    EXPECT_NE(pw.find_first_of(s.symbols), std::string::npos) << pw;
    // No quotes, backslashes, spaces or shell specials in the default alphabet.
    EXPECT_EQ(pw.find_first_of("'\"\\ $&;/`"), std::string::npos) << pw;
    seen.insert(pw);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(GeneratorTest, PasswordCharactersAreSpreadOverTheAlphabet) {
  testing::DeterministicRandom random(11);
  Strategy s;
  s.kind = StrategyKind::kPassword;
  s.length = 64;
  s.classes = {"digit"};
  std::array<int, 10> counts{};
  for (int i = 0; i < 200; ++i) {
    auto g = GenerateSecret(s, random);
    ASSERT_TRUE(g.has_value());
    for (char c : g->value.RevealAsString()) ++counts[static_cast<std::size_t>(c - '0')];
  }
  // 12,800 digits: each about 1,280; a biased modulo would skew the low digits.
  for (int c : counts) {
    EXPECT_GT(c, 1100);
    EXPECT_LT(c, 1460);
  }
}

TEST(GeneratorTest, RandomBytesInEachEncoding) {
  testing::DeterministicRandom random(3);
  Strategy s;
  s.kind = StrategyKind::kRandomBytes;
  s.bytes = 32;
  s.encoding = "hex";
  EXPECT_EQ(GenerateSecret(s, random)->value.size(), 64u);
  s.encoding = "base64url";
  const std::string b(GenerateSecret(s, random)->value.RevealAsString());
  EXPECT_EQ(b.find_first_of("+/"), std::string::npos);
  EXPECT_GE(b.size(), 43u);
}

TEST(GeneratorTest, KeyPairsArePemWithAMatchingPublicKey) {
  testing::DeterministicRandom random(5);
  for (StrategyKind kind : {StrategyKind::kEd25519, StrategyKind::kRsa}) {
    Strategy s;
    s.kind = kind;
    s.bits = 2048;
    auto g = GenerateSecret(s, random);
    ASSERT_TRUE(g.has_value()) << g.error().message();
    EXPECT_THAT(std::string(g->value.RevealAsString()), StartsWith("-----BEGIN PRIVATE KEY-----"));
    EXPECT_THAT(g->public_key, StartsWith("-----BEGIN PUBLIC KEY-----"));
    auto pub = PublicKeyOf(g->value);
    ASSERT_TRUE(pub.has_value());
    EXPECT_EQ(*pub, g->public_key);
  }
  EXPECT_FALSE(PublicKeyOf(SecretBytes::FromString("not a key")).has_value());
}

TEST(GeneratorTest, ACommandsStdoutIsTheValue) {
  testing::DeterministicRandom random(1);
  Strategy s;
  s.kind = StrategyKind::kCommand;
  s.command.command = {"/bin/sh", "-c", "printf 'gen-%s\\n' \"$BULWARK_PATH\""};
  auto g = GenerateSecret(s, random, {{"BULWARK_PATH", "db.password"}});
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->value.RevealAsString(), "gen-db.password");
  s.command.command = {"/bin/sh", "-c", "echo secret-on-stdout; exit 3"};
  auto bad = GenerateSecret(s, random);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message(), HasSubstr("exit status 3"));
  EXPECT_THAT(bad.error().message(), ::testing::Not(HasSubstr("secret-on-stdout")));
}

TEST(GeneratorTest, NoStrategyMeansRotateByHand) {
  testing::DeterministicRandom random(1);
  auto g = GenerateSecret(Strategy{}, random);
  ASSERT_FALSE(g.has_value());
  EXPECT_THAT(g.error().message(), HasSubstr("rotated by hand"));
}

}  // namespace
}  // namespace bulwark::lifecycle
