#include "bulwark/identity/api_token.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <re2/re2.h>

#include <set>

#include "bulwark/testing/fake_runtime.h"

namespace bulwark::identity {
namespace {

TEST(ApiTokenTest, GeneratedTokensHaveTheDocumentedScannableShape) {
  auto random = NewSystemRandom();
  RE2 pattern("bwk_[a-z2-7]{16}_[a-z2-7]{52}");
  for (int i = 0; i < 50; ++i) {
    auto t = GenerateApiToken(*random);
    ASSERT_TRUE(t.has_value()) << t.error();
    const std::string_view text = t->token.RevealAsString();
    EXPECT_EQ(text.size(), kApiTokenLength);
    EXPECT_TRUE(RE2::FullMatch(text, pattern)) << "token does not match the scanner pattern";
    auto id = ApiTokenId(text);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(*id, t->id);
  }
}

TEST(ApiTokenTest, GeneratedTokensAreDistinct) {
  auto random = NewSystemRandom();
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto t = GenerateApiToken(*random);
    ASSERT_TRUE(t.has_value());
    EXPECT_TRUE(seen.insert(std::string(t->token.RevealAsString())).second);
  }
}

TEST(ApiTokenTest, GenerationFailsClosedWhenRandomnessFails) {
  testing::DeterministicRandom random;
  random.set_fail(true);
  auto t = GenerateApiToken(random);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code(), ErrorCode::kUnavailable);
}

TEST(ApiTokenTest, MalformedTokensAreRejectedWithoutEchoingThem) {
  const std::string good = "bwk_abcdefghijklmnop_" + std::string(52, 'a');
  ASSERT_TRUE(ApiTokenId(good).has_value());
  for (const std::string& bad :
       {std::string("bwk_"), good.substr(0, good.size() - 1), good + "a", "bwx_" + good.substr(4),
        "bwk_abcdefghijklmnoP_" + std::string(52, 'a'),
        "bwk_abcdefghijklmnop-" + std::string(52, 'a'),
        "bwk_abcdefghijklmnop_" + std::string(51, 'a') + "1"}) {
    auto id = ApiTokenId(bad);
    ASSERT_FALSE(id.has_value()) << bad;
    EXPECT_EQ(id.error().code(), ErrorCode::kUnauthenticated);
    EXPECT_EQ(id.error().message(), "malformed API token");
  }
}

RC_GTEST_PROP(ApiTokenProperty, AnyStringEitherParsesToItsOwnIdOrIsRejected, (std::string s)) {
  auto id = ApiTokenId(s);
  if (id) {
    RC_ASSERT(s.size() == kApiTokenLength);
    RC_ASSERT(s.substr(4, 16) == *id);
  }
}

}  // namespace
}  // namespace bulwark::identity
