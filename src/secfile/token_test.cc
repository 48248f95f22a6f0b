#include "bulwark/secfile/token.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace bulwark::secfile {
namespace {

EncToken Sample() {
  EncToken t;
  t.key_id = 0x1a2b3c4d;
  t.iv = std::vector<std::uint8_t>(12, 7);
  t.data = {1, 2, 3, 4, 5};
  t.tag.fill(9);
  t.type = ScalarType::kInt;
  return t;
}

TEST(EncToken, FormatsTheDocumentedLayout) {
  EXPECT_EQ(FormatToken(Sample()),
            "ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:BwcHBwcHBwcHBwcH,data:AQIDBAU=,"
            "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:int]");
}

TEST(EncToken, ParseInvertsFormatForEveryAlgorithmAndType) {
  for (crypto::AeadAlgorithm alg : crypto::kAllAeadAlgorithms) {
    for (ScalarType type : {ScalarType::kStr, ScalarType::kInt, ScalarType::kFloat,
                            ScalarType::kBool, ScalarType::kNull, ScalarType::kBytes}) {
      EncToken t = Sample();
      t.algorithm = alg;
      t.iv.assign(crypto::AeadNonceSize(alg), 0xAB);
      t.type = type;
      auto parsed = ParseToken(FormatToken(t));
      ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
      EXPECT_TRUE(*parsed == t);
    }
  }
}

TEST(EncToken, AcceptsEmptyData) {
  EncToken t = Sample();
  t.data.clear();
  auto parsed = ParseToken(FormatToken(t));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->data.empty());
}

void ExpectFieldError(std::string_view text, std::string_view field) {
  auto r = ParseToken(text);
  ASSERT_FALSE(r.has_value()) << text;
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find(fmt::format("field '{}'", field)), std::string::npos)
      << r.error().message();
}

TEST(EncToken, ParseErrorsNameTheField) {
  const std::string good = FormatToken(Sample());
  ExpectFieldError("ENC[AES999,v:1]", "alg");
  ExpectFieldError("ENC[AES256_GCM,v:2,kid:1a2b3c4d,iv:,data:,tag:,type:str]", "v");
  ExpectFieldError("ENC[AES256_GCM,v:1,kid:1A2B3C4D,iv:,data:,tag:,type:str]", "kid");
  ExpectFieldError("ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:AAAA,data:,tag:,type:str]", "iv");
  ExpectFieldError("ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:BwcHBwcHBwcHBwc,data:,tag:,type:str]", "iv");
  ExpectFieldError("ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:BwcHBwcHBwcHBwcH,data:A,tag:,type:str]",
                   "data");
  ExpectFieldError("ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:BwcHBwcHBwcHBwcH,data:,tag:CQkJ,type:str]",
                   "tag");
  ExpectFieldError(
      "ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:BwcHBwcHBwcHBwcH,data:,tag:CQkJCQkJCQkJCQkJCQkJCQ==,"
      "type:map]",
      "type");
  ExpectFieldError(
      "ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:BwcHBwcHBwcHBwcH,data:,tag:CQkJCQkJCQkJCQkJCQkJCQ==,"
      "type:str,x:1]",
      "type");
  // Field order is fixed.
  ExpectFieldError("ENC[AES256_GCM,kid:1a2b3c4d,v:1,iv:,data:,tag:,type:str]", "v");
}

TEST(EncToken, TruncationIsReported) {
  const std::string good = FormatToken(Sample());
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = ParseToken(good.substr(0, n));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  }
  auto r = ParseToken(good.substr(0, good.size() - 1));
  EXPECT_NE(r.error().message().find("truncated"), std::string::npos) << r.error().message();
}

TEST(EncToken, AssociatedDataBindsDocumentPathTypeAndAlgorithm) {
  const auto path = *config::Path::Parse("db.password");
  const auto base =
      ValueAssociatedData("doc1", path, ScalarType::kStr, crypto::AeadAlgorithm::kAes256Gcm);
  EXPECT_NE(base,
            ValueAssociatedData("doc2", path, ScalarType::kStr, crypto::AeadAlgorithm::kAes256Gcm));
  EXPECT_NE(base, ValueAssociatedData("doc1", *config::Path::Parse("db.passwordx"),
                                      ScalarType::kStr, crypto::AeadAlgorithm::kAes256Gcm));
  EXPECT_NE(base,
            ValueAssociatedData("doc1", path, ScalarType::kInt, crypto::AeadAlgorithm::kAes256Gcm));
  EXPECT_NE(base, ValueAssociatedData("doc1", path, ScalarType::kStr,
                                      crypto::AeadAlgorithm::kChaCha20Poly1305));
  // Length prefixes keep field boundaries unambiguous.
  EXPECT_NE(ValueAssociatedData("ab", *config::Path::Parse("c"), ScalarType::kStr,
                                crypto::AeadAlgorithm::kAes256Gcm),
            ValueAssociatedData("a", *config::Path::Parse("bc"), ScalarType::kStr,
                                crypto::AeadAlgorithm::kAes256Gcm));
}

}  // namespace
}  // namespace bulwark::secfile
