#include "bulwark/core/encoding.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace bulwark {
namespace {

TEST(EncodingTest, HexKnownValues) {
  EXPECT_EQ(HexEncode(std::string_view("\x01\xab", 2)), "01ab");
  auto d = HexDecode("01AB").value();
  EXPECT_EQ(d, (std::vector<std::uint8_t>{0x01, 0xab}));
  EXPECT_FALSE(HexDecode("0"));
  EXPECT_FALSE(HexDecode("zz"));
}

TEST(EncodingTest, Base64Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(std::string_view("")), "");
  EXPECT_EQ(Base64Encode(std::string_view("f")), "Zg==");
  EXPECT_EQ(Base64Encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string_view("\xfb\xff", 2), Base64Alphabet::kUrlSafe), "-_8");
}

TEST(EncodingTest, Base64RejectsNonCanonicalInput) {
  EXPECT_FALSE(Base64Decode("Zg="));    // bad length
  EXPECT_FALSE(Base64Decode("Zh=="));   // trailing bits set
  EXPECT_FALSE(Base64Decode("Z!=="));   // bad character
  EXPECT_TRUE(Base64Decode("Zg==").has_value());
  EXPECT_TRUE(Base64Decode("Zg", Base64Alphabet::kUrlSafe).has_value());
}

RC_GTEST_PROP(EncodingProperty, Base64RoundTrips, (const std::vector<std::uint8_t>& data)) {
  for (auto a : {Base64Alphabet::kStandard, Base64Alphabet::kUrlSafe}) {
    auto back = Base64Decode(Base64Encode(data, a), a);
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == data);
  }
}

RC_GTEST_PROP(EncodingProperty, HexRoundTrips, (const std::vector<std::uint8_t>& data)) {
  RC_ASSERT(HexDecode(HexEncode(data)).value() == data);
}

TEST(EncodingTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xf0\x9f\x94\x92"));
  EXPECT_EQ(FindInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FindInvalidUtf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("x\xed\xa0\x80"), 1u);     // surrogate
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xe2\x82"), 0u);          // truncated
}

}  // namespace
}  // namespace bulwark
