#include "store/internal/codec.h"

#include <gtest/gtest.h>

namespace bulwark::store::internal {
namespace {

TEST(CodecTest, Sha256MatchesTheKnownVector) {
  EXPECT_EQ(Sha256Hex("abc").value(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CodecTest, EncodingIsCompactAndKeepsKeyOrder) {
  config::ValueMap m;
  m.Set("z", config::Value(1));
  m.Set("a", config::Value(config::ValueList{config::Value(true), config::Value(nullptr)}));
  m.Set("b", config::Value::FromBytes({0x01, 0x02}));
  auto enc = EncodeContent(config::Value(m));
  ASSERT_TRUE(enc.has_value()) << enc.error();
  EXPECT_EQ(*enc, R"({"z":1,"a":[true,null],"b":"AQI="})");
}

TEST(CodecTest, InvalidUtf8IsRejected) {
  config::ValueMap m;
  m.Set("k", config::Value(std::string("\xff\xfe")));
  auto enc = EncodeContent(config::Value(m));
  ASSERT_FALSE(enc.has_value());
  EXPECT_EQ(enc.error().code(), ErrorCode::kInvalidArgument);
}

TEST(CodecTest, TooDeepDocumentsAreRefusedSoEverythingStoredParsesBack) {
  config::Value deep = config::Value::EmptyList();
  for (int i = 0; i < 127; ++i) deep = config::Value(config::ValueList{deep});
  auto ok = EncodeContent(deep);
  ASSERT_TRUE(ok.has_value()) << ok.error();
  auto back = DecodeContent(*ok);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, deep);
  deep = config::Value(config::ValueList{deep});
  deep = config::Value(config::ValueList{deep});
  auto too_deep = EncodeContent(deep);
  ASSERT_FALSE(too_deep.has_value());
  EXPECT_EQ(too_deep.error().code(), ErrorCode::kInvalidArgument);
}

TEST(CodecTest, UnparsableStoredBytesAreDataLoss) {
  auto dec = DecodeContent("{\"a\":");
  ASSERT_FALSE(dec.has_value());
  EXPECT_EQ(dec.error().code(), ErrorCode::kDataLoss);
}

TEST(CodecTest, TagsRoundTrip) {
  std::vector<std::string> tags = {"a", "b \"c\"", ""};
  EXPECT_EQ(*DecodeTags(EncodeTags(tags)), tags);
  EXPECT_EQ(DecodeTags("{}").error().code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace bulwark::store::internal
