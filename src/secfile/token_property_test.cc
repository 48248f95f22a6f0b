// ParseToken / ParseTokenInto against the parser they replaced (kept below verbatim as the
// reference: string splitting and Base64Decode into fresh vectors): on canonical tokens and on
// tokens with random edits, both accept the same inputs with the same fields and refuse the rest
// with the same message. ParseTokenInto is also checked when its EncTokenParts is reused.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bulwark/core/encoding.h"
#include "bulwark/secfile/token.h"

namespace bulwark::secfile {
namespace {

// ---- The reference: the parser before ParseTokenInto (commit 7ffc765) ----

std::unexpected<Error> RefFieldError(std::string_view field, std::string_view what) {
  return InvalidArgumentError(fmt::format("ENC token: field '{}': {}", field, what));
}

std::string_view RefNextField(std::string_view& rest) {
  const std::size_t comma = rest.find(',');
  std::string_view f = rest.substr(0, comma);
  rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  return f;
}

Result<std::string_view> RefExpect(std::string_view& rest, std::string_view name, bool last) {
  if (rest.empty()) return RefFieldError(name, "missing (token truncated?)");
  const bool has_comma = rest.find(',') != std::string_view::npos;
  const std::string_view f = RefNextField(rest);
  const std::string prefix = fmt::format("{}:", name);
  if (!f.starts_with(prefix)) {
    return RefFieldError(name, fmt::format("expected '{}' here (fields are alg, v, kid, iv, data, "
                                           "tag, type in this order)",
                                           prefix));
  }
  if (last && has_comma) return RefFieldError(name, "unexpected fields after it");
  if (!last && !has_comma)
    return RefFieldError(name, "the fields after it are missing (token truncated?)");
  return f.substr(prefix.size());
}

Result<std::vector<std::uint8_t>> RefDecodeB64(std::string_view field, std::string_view text) {
  auto bytes = Base64Decode(text, Base64Alphabet::kStandard);
  if (!bytes) return RefFieldError(field, "not canonical padded standard base64");
  return bytes;
}

Result<EncToken> ReferenceParseToken(std::string_view text) {
  if (text.size() > kMaxTokenSize) {
    return InvalidArgumentError(fmt::format("ENC token: {} bytes is longer than the limit of {}",
                                            text.size(), kMaxTokenSize));
  }
  if (!text.starts_with(kTokenPrefix)) {
    return InvalidArgumentError("ENC token: must start with 'ENC['");
  }
  if (!text.ends_with("]")) {
    return InvalidArgumentError("ENC token: must end with ']' (token truncated?)");
  }
  std::string_view rest = text.substr(4, text.size() - 5);
  EncToken t;
  {
    if (rest.empty()) return RefFieldError("alg", "missing (token truncated?)");
    const std::string_view alg = RefNextField(rest);
    auto parsed = crypto::ParseAeadAlgorithm(alg);
    if (!parsed) {
      return RefFieldError("alg",
                           "unknown algorithm (AES256_GCM, AES128_GCM, CHACHA20_POLY1305, "
                           "XCHACHA20_POLY1305)");
    }
    t.algorithm = *parsed;
  }
  BULWARK_ASSIGN_OR_RETURN(std::string_view v, RefExpect(rest, "v", false));
  if (v != "1") return RefFieldError("v", "unsupported version (this build reads version 1)");
  t.version = 1;
  BULWARK_ASSIGN_OR_RETURN(std::string_view kid, RefExpect(rest, "kid", false));
  if (kid.size() != 8 || !std::all_of(kid.begin(), kid.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return RefFieldError("kid", "expected 8 lowercase hex digits");
  }
  BULWARK_ASSIGN_OR_RETURN(t.key_id, keys::ParseKeyId(kid));
  BULWARK_ASSIGN_OR_RETURN(std::string_view iv, RefExpect(rest, "iv", false));
  BULWARK_ASSIGN_OR_RETURN(t.iv, RefDecodeB64("iv", iv));
  if (t.iv.size() != crypto::AeadNonceSize(t.algorithm)) {
    return RefFieldError("iv", fmt::format("{} bytes, {} needs {}", t.iv.size(),
                                           crypto::AeadAlgorithmName(t.algorithm),
                                           crypto::AeadNonceSize(t.algorithm)));
  }
  BULWARK_ASSIGN_OR_RETURN(std::string_view data, RefExpect(rest, "data", false));
  BULWARK_ASSIGN_OR_RETURN(t.data, RefDecodeB64("data", data));
  BULWARK_ASSIGN_OR_RETURN(std::string_view tag, RefExpect(rest, "tag", false));
  BULWARK_ASSIGN_OR_RETURN(std::vector<std::uint8_t> tag_bytes, RefDecodeB64("tag", tag));
  if (tag_bytes.size() != crypto::kAeadTagSize) {
    return RefFieldError(
        "tag", fmt::format("{} bytes, expected {}", tag_bytes.size(), crypto::kAeadTagSize));
  }
  std::copy(tag_bytes.begin(), tag_bytes.end(), t.tag.begin());
  BULWARK_ASSIGN_OR_RETURN(std::string_view type, RefExpect(rest, "type", true));
  auto st = ParseScalarTypeName(type);
  if (!st) return RefFieldError("type", "expected str, int, float, bool, null or bytes");
  t.type = *st;
  return t;
}

// EncTokenParts::data as a plain byte vector, to compare with the reference's.
template <typename Buffer>
std::vector<std::uint8_t> Bytes(const Buffer& b) {
  return std::vector<std::uint8_t>(b.begin(), b.end());
}

// ---- Generators ----

rc::Gen<EncToken> GenToken() {
  return rc::gen::exec([] {
    EncToken t;
    t.algorithm = *rc::gen::elementOf(crypto::kAllAeadAlgorithms);
    t.key_id = *rc::gen::arbitrary<std::uint32_t>();
    t.iv = *rc::gen::container<std::vector<std::uint8_t>>(crypto::AeadNonceSize(t.algorithm),
                                                          rc::gen::arbitrary<std::uint8_t>());
    t.data = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    for (auto& b : t.tag) b = *rc::gen::arbitrary<std::uint8_t>();
    t.type = *rc::gen::elementOf(std::vector<ScalarType>{ScalarType::kStr, ScalarType::kInt,
                                                         ScalarType::kFloat, ScalarType::kBool,
                                                         ScalarType::kNull, ScalarType::kBytes});
    return t;
  });
}

// Characters that matter to the grammar and to base64, plus a few that do not.
const std::string kEditChars = "=,:[]AQgw+/09azE_-. \n\x80";

// A canonical token with 1 to 4 random edits: replace, insert or delete a character.
std::string Mutate(std::string s) {
  const int edits = *rc::gen::inRange(1, 5);
  for (int e = 0; e < edits; ++e) {
    const int kind = *rc::gen::inRange(0, 3);
    if (s.empty()) return s;
    const std::size_t at = *rc::gen::inRange<std::size_t>(0, s.size());
    const char c = kEditChars[*rc::gen::inRange<std::size_t>(0, kEditChars.size())];
    if (kind == 0)
      s[at] = c;
    else if (kind == 1)
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c);
    else
      s.erase(at, 1);
  }
  return s;
}

void ExpectSameAsReference(std::string_view text, EncTokenParts& reused) {
  const Result<EncToken> ref = ReferenceParseToken(text);
  const Result<EncToken> got = ParseToken(text);
  const Status into = ParseTokenInto(text, reused);
  RC_ASSERT(ref.has_value() == got.has_value());
  RC_ASSERT(ref.has_value() == into.has_value());
  if (!ref) {
    RC_ASSERT(got.error().code() == ref.error().code());
    RC_ASSERT(got.error().message() == ref.error().message());
    RC_ASSERT(into.error().message() == ref.error().message());
    return;
  }
  RC_ASSERT(*got == *ref);
  RC_ASSERT(reused.algorithm == ref->algorithm);
  RC_ASSERT(reused.key_id == ref->key_id);
  RC_ASSERT(std::vector<std::uint8_t>(reused.iv().begin(), reused.iv().end()) == ref->iv);
  RC_ASSERT(Bytes(reused.data) == ref->data);
  RC_ASSERT(reused.tag == ref->tag);
  RC_ASSERT(reused.type == ref->type);
}

RC_GTEST_PROP(EncTokenProperty, ParsesCanonicalTokensLikeTheReferenceParser, ()) {
  EncTokenParts reused;
  for (int i = 0; i < 3; ++i) ExpectSameAsReference(FormatToken(*GenToken()), reused);
}

RC_GTEST_PROP(EncTokenProperty, RefusesEditedTokensWithTheReferenceParsersMessage, ()) {
  EncTokenParts reused;
  for (int i = 0; i < 3; ++i) ExpectSameAsReference(Mutate(FormatToken(*GenToken())), reused);
}

// Base64 edge cases around padding and trailing bits, in each byte field.
TEST(EncTokenProperty, Base64EdgeCasesMatchTheReferenceParser) {
  const std::vector<std::string> fields = {"",
                                           "=",
                                           "==",
                                           "===",
                                           "====",
                                           "A===",
                                           "AA==",
                                           "AB==",
                                           "AAA=",
                                           "AAB=",
                                           "AAAA",
                                           "AA=A",
                                           "A=AA",
                                           "AAAAA",
                                           "AAAAAA==",
                                           "AAAAAAA=",
                                           "AQ==",
                                           "AR==",
                                           "AQI=",
                                           "AQJ=",
                                           "+/+/",
                                           "-_-_",
                                           "AA\n=",
                                           "AAAA====",
                                           "AAAAAAAAAAAAAAAA",
                                           "AAAAAAAAAAAAAAAAAAAAAA==",
                                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  EncTokenParts reused;
  for (const std::string& f : fields) {
    for (const std::string& t :
         {fmt::format("ENC[AES256_GCM,v:1,kid:01020304,iv:{},data:AQID,"
                      "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:str]",
                      f),
          fmt::format("ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:{},"
                      "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:str]",
                      f),
          fmt::format("ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:AQID,"
                      "tag:{},type:str]",
                      f)}) {
      const Result<EncToken> ref = ReferenceParseToken(t);
      const Status into = ParseTokenInto(t, reused);
      ASSERT_EQ(ref.has_value(), into.has_value()) << t;
      if (!ref) {
        EXPECT_EQ(into.error().message(), ref.error().message()) << t;
      } else {
        EXPECT_EQ(Bytes(reused.data), ref->data) << t;
      }
    }
  }
}

TEST(EncTokenProperty, AssociatedDataFromTheDottedPathEqualsThePathForm) {
  const config::Path path({config::PathSegment::Key("services"), config::PathSegment::Index(3),
                           config::PathSegment::Key("db password")});
  std::vector<std::uint8_t> into = {1, 2, 3};  // cleared first
  ValueAssociatedDataInto("bulwark-store/v1/x", path.ToString(), ScalarType::kInt,
                          crypto::AeadAlgorithm::kAes128Gcm, into);
  EXPECT_EQ(into, ValueAssociatedData("bulwark-store/v1/x", path, ScalarType::kInt,
                                      crypto::AeadAlgorithm::kAes128Gcm));
}

// The layout of docs/formats-encfile.md, spelled out byte by byte: F(x) = 4-byte big-endian length
// of x, then x; AD = F("bulwark.value.v1") F(document id) F(dotted path) F(type) F(alg). Pins the
// bytes every stored token is bound to (a change here would make existing files undecryptable).
TEST(EncTokenProperty, AssociatedDataHasTheDocumentedLayout) {
  auto f = [](std::string_view x) {
    std::string out = {'\0', '\0', static_cast<char>(x.size() >> 8),
                       static_cast<char>(x.size() & 0xff)};
    return out + std::string(x);
  };
  for (const std::string& doc : {std::string(), std::string("d"), std::string(300, 'x')}) {
    const std::string dotted = "services[3].\"db password\"";
    const std::string want =
        f("bulwark.value.v1") + f(doc) + f(dotted) + f("int") + f("AES128_GCM");
    std::vector<std::uint8_t> got(7, 0xee);  // replaced, whatever it held
    ValueAssociatedDataInto(doc, dotted, ScalarType::kInt, crypto::AeadAlgorithm::kAes128Gcm, got);
    EXPECT_EQ(std::string(got.begin(), got.end()), want) << doc.size();
  }
}

// The straight-line parser for well-formed tokens (ParseTokenFast in token.cc) against the
// reference, exhaustively for single edits: every position of a canonical token of every
// algorithm and type, each character of kEditChars replaced, inserted or the character deleted.
TEST(EncTokenProperty, EverySingleEditOfEveryAlgorithmAndTypeMatchesTheReferenceParser) {
  EncTokenParts reused;
  std::size_t accepted = 0, refused = 0;
  for (crypto::AeadAlgorithm alg : crypto::kAllAeadAlgorithms) {
    for (ScalarType type : {ScalarType::kStr, ScalarType::kInt, ScalarType::kFloat,
                            ScalarType::kBool, ScalarType::kNull, ScalarType::kBytes}) {
      for (std::size_t data_size : {0, 1, 2, 3, 7}) {
        EncToken token;
        token.algorithm = alg;
        token.key_id = 0x0a1b2c3d + static_cast<keys::KeyId>(data_size);
        token.iv.resize(crypto::AeadNonceSize(alg));
        for (std::size_t i = 0; i < token.iv.size(); ++i)
          token.iv[i] = static_cast<std::uint8_t>(i * 37 + 5);
        for (std::size_t i = 0; i < data_size; ++i)
          token.data.push_back(static_cast<std::uint8_t>(i * 91 + 200));
        for (std::size_t i = 0; i < token.tag.size(); ++i)
          token.tag[i] = static_cast<std::uint8_t>(255 - i * 13);
        token.type = type;
        const std::string canonical = FormatToken(token);
        auto check = [&](const std::string& text) {
          const Result<EncToken> ref = ReferenceParseToken(text);
          const Status into = ParseTokenInto(text, reused);
          ASSERT_EQ(ref.has_value(), into.has_value()) << text;
          if (!ref) {
            ++refused;
            ASSERT_EQ(into.error().message(), ref.error().message()) << text;
            return;
          }
          ++accepted;
          ASSERT_EQ(reused.algorithm, ref->algorithm) << text;
          ASSERT_EQ(reused.version, ref->version) << text;
          ASSERT_EQ(reused.key_id, ref->key_id) << text;
          ASSERT_EQ(std::vector<std::uint8_t>(reused.iv().begin(), reused.iv().end()), ref->iv)
              << text;
          ASSERT_EQ(Bytes(reused.data), ref->data) << text;
          ASSERT_EQ(reused.tag, ref->tag) << text;
          ASSERT_EQ(reused.type, ref->type) << text;
        };
        check(canonical);
        for (std::size_t at = 0; at <= canonical.size(); ++at) {
          if (at < canonical.size()) {
            std::string erased = canonical;
            erased.erase(at, 1);
            check(erased);
          }
          for (char c : kEditChars) {
            std::string inserted = canonical;
            inserted.insert(inserted.begin() + static_cast<std::ptrdiff_t>(at), c);
            check(inserted);
            if (at < canonical.size()) {
              std::string replaced = canonical;
              replaced[at] = c;
              check(replaced);
            }
          }
        }
      }
    }
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(refused, 0u);
}

// Every last group of the tag ("xy==" with each x and y, and "xyz=" forms) and of the data
// ("xyzw", "xyz=", "xy==" with each character of the alphabet in the last significant place),
// against the reference (Base64Decode): only the canonical trailing bits are accepted.
TEST(EncTokenProperty, EveryTrailingBitsCaseOfTagAndDataMatchesTheReferenceParser) {
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_,. ";
  const std::string tag_head = "CQkJCQkJCQkJCQkJCQkJ";  // 5 whole groups
  EncTokenParts reused;
  auto check = [&](const std::string& text) {
    const Result<EncToken> ref = ReferenceParseToken(text);
    const Status into = ParseTokenInto(text, reused);
    ASSERT_EQ(ref.has_value(), into.has_value()) << text;
    if (!ref) {
      ASSERT_EQ(into.error().message(), ref.error().message()) << text;
    } else {
      ASSERT_EQ(Bytes(reused.data), ref->data) << text;
      ASSERT_EQ(reused.tag, ref->tag) << text;
    }
  };
  for (char x : alphabet) {
    for (char y : alphabet) {
      for (const std::string& last : {std::string{x, y, '=', '='}, std::string{'Q', x, y, '='},
                                      std::string{x, y, 'A', 'A'}}) {
        check(
            fmt::format("ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:AQID,"
                        "tag:{}{},type:str]",
                        tag_head, last));
        check(
            fmt::format("ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:AQIDBAUG{},"
                        "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:str]",
                        last));
        check(fmt::format(
            "ENC[XCHACHA20_POLY1305,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH,"
            "data:{},tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:bytes]",
            last));
      }
    }
  }
}

// The data field decodes like core Base64Decode for random strings over the alphabet, '=' and a
// few other characters, and for the encodings of random bytes with one character changed.
RC_GTEST_PROP(EncTokenProperty, DataFieldDecodesLikeBase64Decode, ()) {
  const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/==-,";
  std::string data;
  if (*rc::gen::arbitrary<bool>()) {
    const auto length = *rc::gen::inRange<std::size_t>(0, 41);
    for (std::size_t i = 0; i < length; ++i) {
      data.push_back(chars[*rc::gen::inRange<std::size_t>(0, chars.size())]);
    }
  } else {
    data = Base64Encode(*rc::gen::arbitrary<std::vector<std::uint8_t>>());
    if (!data.empty()) {
      data[*rc::gen::inRange<std::size_t>(0, data.size())] =
          chars[*rc::gen::inRange<std::size_t>(0, chars.size())];
    }
  }
  const std::string text = fmt::format(
      "ENC[CHACHA20_POLY1305,v:1,kid:deadbeef,iv:BwcHBwcHBwcHBwcH,data:{},"
      "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:float]",
      data);
  EncTokenParts parts;
  const Status st = ParseTokenInto(text, parts);
  const auto want = Base64Decode(data, Base64Alphabet::kStandard);
  if (data.find(',') != std::string::npos) {
    RC_ASSERT(!st.has_value());  // a comma ends the field
    return;
  }
  RC_ASSERT(st.has_value() == want.has_value());
  if (want) RC_ASSERT(Bytes(parts.data) == *want);
  EncTokenParts reused;
  ExpectSameAsReference(text, reused);
}

// ValueAssociatedDataBuffer (the document-id part written once per batch) writes the same bytes
// as ValueAssociatedDataInto for every type and algorithm, with paths that grow and shrink while
// the buffer is reused.
RC_GTEST_PROP(EncTokenProperty, AssociatedDataBufferEqualsAssociatedDataInto, ()) {
  const std::string document_id = *rc::gen::arbitrary<std::string>();
  ValueAssociatedDataBuffer buffer(document_id);
  const auto n = *rc::gen::inRange(1, 8);
  for (int i = 0; i < n; ++i) {
    const std::string dotted = *rc::gen::arbitrary<std::string>();
    const ScalarType type = *rc::gen::elementOf(
        std::vector<ScalarType>{ScalarType::kStr, ScalarType::kInt, ScalarType::kFloat,
                                ScalarType::kBool, ScalarType::kNull, ScalarType::kBytes});
    const crypto::AeadAlgorithm alg = *rc::gen::elementOf(crypto::kAllAeadAlgorithms);
    std::vector<std::uint8_t> want;
    ValueAssociatedDataInto(document_id, dotted, type, alg, want);
    const std::span<const std::uint8_t> got = buffer.For(dotted, type, alg);
    RC_ASSERT(std::vector<std::uint8_t>(got.begin(), got.end()) == want);
  }
}

// The same when the fields outgrow the buffer's inline storage, at the first call (a long document
// id) or later (paths growing past it, then short again).
TEST(EncTokenProperty, AssociatedDataBufferOutgrowsItsInlineStorage) {
  for (std::size_t id_size : {0, 10, 200, 300, 400, 1000}) {
    const std::string document_id(id_size, 'd');
    ValueAssociatedDataBuffer buffer(document_id);
    for (std::size_t path_size : {0, 5, 100, 250, 290, 300, 600, 3, 2000, 40}) {
      const std::string dotted = fmt::format("{}{}", std::string(path_size, 'p'), path_size);
      std::vector<std::uint8_t> want;
      ValueAssociatedDataInto(document_id, dotted, ScalarType::kBytes,
                              crypto::AeadAlgorithm::kXChaCha20Poly1305, want);
      const std::span<const std::uint8_t> got =
          buffer.For(dotted, ScalarType::kBytes, crypto::AeadAlgorithm::kXChaCha20Poly1305);
      ASSERT_EQ(std::vector<std::uint8_t>(got.begin(), got.end()), want)
          << id_size << " " << path_size;
    }
  }
}

// The data buffer is sized without zeroing; a refused token (after the fast path sized it, or
// after the general parser did) leaves it empty rather than holding bytes nobody wrote.
TEST(EncTokenProperty, ARefusedTokenLeavesTheDataBufferEmpty) {
  EncTokenParts reused;
  const std::string good =
      "ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:AQIDBAUGBwgJ,"
      "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:str]";
  ASSERT_TRUE(ParseTokenInto(good, reused).has_value());
  ASSERT_EQ(reused.data.size(), 9u);
  for (const std::string bad :
       {"ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:AQIDBAUGBwgJAQIDBAUGBwgJ,"
        "tag:CQkJCQkJCQkJCQkJCQkJCR==,type:str]",  // the tag's trailing bits, after the data
        "ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:AQIDBAUGBwgJAQIDBAUGBw=J,"
        "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:str]",  // '=' inside the data
        "ENC[AES256_GCM,v:1,kid:01020304,iv:BwcHBwcHBwcHBwcH,data:AQIDBAUGBwgJAQIDBAUGBwgJ,"
        "tag:CQkJCQkJCQkJCQkJCQkJCQ==,type:text]"}) {
    ASSERT_TRUE(ParseTokenInto(good, reused).has_value());
    EXPECT_FALSE(ParseTokenInto(bad, reused).has_value()) << bad;
    EXPECT_TRUE(reused.data.empty()) << bad;
  }
}

// Every type and algorithm (the buffer copies their two fields from a precomputed table), and
// values outside both enums (written from the names ScalarTypeName and AeadAlgorithmName give).
TEST(EncTokenProperty, AssociatedDataBufferCoversEveryTypeAndAlgorithm) {
  ValueAssociatedDataBuffer buffer("bulwark-store/v1/0123456789abcdef");
  for (int type = 0; type <= 7; ++type) {
    for (int alg = 0; alg <= 6; ++alg) {
      const auto t = static_cast<ScalarType>(type);
      const auto a = static_cast<crypto::AeadAlgorithm>(alg);
      std::vector<std::uint8_t> want;
      ValueAssociatedDataInto("bulwark-store/v1/0123456789abcdef", "db.password", t, a, want);
      const std::span<const std::uint8_t> got = buffer.For("db.password", t, a);
      ASSERT_EQ(std::vector<std::uint8_t>(got.begin(), got.end()), want) << type << " " << alg;
    }
  }
}

}  // namespace
}  // namespace bulwark::secfile
