// Property tests of file encryption over generated YAML, JSON and dotenv documents.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "bulwark/crypto/policy.h"
#include "bulwark/secfile/encfile.h"
#include "bulwark/secfile/token.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::secfile {
namespace {

struct Env {
  testing::FakeRuntime fake;
  std::unique_ptr<keys::Keyring> keyring;
  explicit Env(std::uint64_t seed = 1) {
    fake.random = std::make_shared<testing::DeterministicRandom>(seed);
    auto k = keys::Keyring::Create(fake.runtime(), crypto::AlgorithmPolicy::Standard());
    keyring = std::move(*k);
  }
};

const std::vector<std::string> kKeyWords = {"password",
                                            "api_key",
                                            "host",
                                            "name",
                                            "token",
                                            "port",
                                            "secret",
                                            "db",
                                            "url",
                                            "client",
                                            "x",
                                            "\xC3\xBC"
                                            "ber",
                                            "private_key"};
const std::vector<std::string> kTextPieces = {"a", "Z9", " ", "\xC3\xA9", "\xF0\x9F\x94\x91",
                                              "-", ".",  "_", "word",     "42"};

rc::Gen<std::string> GenWord() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(
                          std::vector<std::string>{"a", "b", "Z", "9", "x", "q"})),
                      [](const std::vector<std::string>& parts) {
                        std::string s = "v";
                        for (const auto& p : parts) s += p;
                        return s;
                      });
}

std::string GenText() {
  const auto parts = *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(kTextPieces));
  std::string s;
  for (const auto& p : parts) s += p;
  return s;
}

std::string YamlScalar(const std::string& eol, int indent) {
  const int style = *rc::gen::inRange(0, 7);
  switch (style) {
    case 0: {  // plain, possibly several words
      std::string s = *GenWord();
      if (*rc::gen::arbitrary<bool>()) s += " " + *GenWord();
      return s;
    }
    case 1: {  // single-quoted
      std::string s = "'";
      for (char c : GenText() + (*rc::gen::arbitrary<bool>() ? "'" : "")) {
        s.push_back(c);
        if (c == '\'') s.push_back('\'');
      }
      return s + "'";
    }
    case 2: {  // double-quoted with escapes
      std::string s = "\"" + GenText();
      s += *rc::gen::elementOf(std::vector<std::string>{"\\\"", "\\\\", "\\n", "\\t", "#x", ""});
      return s + "\"";
    }
    case 3:
    case 4: {  // literal / folded block
      std::string s = style == 3 ? "|" : ">-";
      const int lines = *rc::gen::inRange(1, 4);
      for (int i = 0; i < lines; ++i) {
        s += eol + std::string(indent + 2, ' ') + *GenWord() + " " + GenText();
        while (s.back() == ' ') s.pop_back();
      }
      return s;
    }
    case 5:  // a number
      return std::to_string(*rc::gen::inRange(-1000, 100000));
    default:  // a flow sequence
      return "[" + *GenWord() + ", \"" + GenText() + "\", " + *GenWord() + "]";
  }
}

void YamlMap(std::string& out, const std::string& eol, int indent, int depth) {
  std::set<std::string> used;
  const int n = *rc::gen::inRange(2, 6);
  for (int i = 0; i < n; ++i) {
    std::string key = *rc::gen::elementOf(kKeyWords);
    if (!used.insert(key).second) continue;
    out += std::string(indent, ' ') + key + ":";
    if (depth < 2 && *rc::gen::inRange(0, 4) == 0) {
      out += eol;
      YamlMap(out, eol, indent + 2, depth + 1);
      continue;
    }
    out += " ";
    if (*rc::gen::inRange(0, 5) == 0) out += "&a" + std::to_string(depth) + "_" + key + " ";
    const std::string value = YamlScalar(eol, indent);
    out += value;
    if (value[0] != '|' && value[0] != '>' && *rc::gen::arbitrary<bool>()) out += "  # note";
    out += eol;
    if (*rc::gen::inRange(0, 4) == 0) out += eol;
  }
}

std::string GenYaml() {
  const std::string eol = *rc::gen::arbitrary<bool>() ? "\n" : "\r\n";
  std::string out = *rc::gen::arbitrary<bool>() ? "# generated" + eol : "";
  YamlMap(out, eol, 0, 0);
  if (*rc::gen::arbitrary<bool>()) {
    while (out.ends_with('\n') || out.ends_with('\r')) out.pop_back();  // no final line break
  }
  return out;
}

nlohmann::json GenJsonValue(int depth) {
  const int kind = *rc::gen::inRange(0, depth < 2 ? 7 : 5);
  switch (kind) {
    case 0:
      return GenText();
    case 1:
      return *rc::gen::inRange(-100000, 100000);
    case 2:
      return *rc::gen::arbitrary<bool>();
    case 3:
      return nullptr;
    case 4:
      return *rc::gen::inRange(-1000, 1000) / 8.0;
    case 5: {
      nlohmann::json a = nlohmann::json::array();
      const int n = *rc::gen::inRange(0, 3);
      for (int i = 0; i < n; ++i) a.push_back(GenJsonValue(depth + 1));
      return a;
    }
    default: {
      nlohmann::json o = nlohmann::json::object();
      const int n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) o[*rc::gen::elementOf(kKeyWords)] = GenJsonValue(depth + 1);
      return o;
    }
  }
}

std::string GenJson() {
  nlohmann::json root = nlohmann::json::object();
  const int n = *rc::gen::inRange(1, 6);
  for (int i = 0; i < n; ++i) root[*rc::gen::elementOf(kKeyWords)] = GenJsonValue(0);
  return root.dump(*rc::gen::elementOf(std::vector<int>{-1, 0, 2, 4}));
}

// A random non-empty subset of the document's value paths.
std::vector<config::Path> PickPaths(const std::vector<ValueSpan>& spans) {
  std::vector<config::Path> paths;
  for (const ValueSpan& s : spans) {
    if (*rc::gen::inRange(0, 3) != 0) paths.push_back(s.path);
  }
  if (paths.empty() && !spans.empty()) paths.push_back(spans.front().path);
  return paths;
}

struct Encrypted {
  std::string text;
  std::vector<ValueSpan> tokens;  // spans of the tokens in `text`
};

Encrypted EncryptRandomSubset(Env& env, const std::string& doc, FileFormat format,
                              bool all = false) {
  auto spans = ScanValues(doc, format);
  RC_ASSERT(spans.has_value());
  EncryptOptions options;
  options.paths = PickPaths(*spans);
  if (all) {
    options.paths->clear();
    for (const ValueSpan& s : *spans) options.paths->push_back(s.path);
  }
  auto enc = EncryptFile(doc, format, *env.keyring, env.fake.runtime(), options);
  if (!enc) RC_FAIL(enc.error().ToString() + "\n" + doc);
  Encrypted out{enc->text, {}};
  auto enc_spans = ScanValues(enc->text, format);
  RC_ASSERT(enc_spans.has_value());
  for (const ValueSpan& s : *enc_spans) {
    if (LooksLikeToken(s.text) && s.path.segments()[0].key() != "bulwark") out.tokens.push_back(s);
  }
  return out;
}

RC_GTEST_PROP(EncFileProperty, YamlRoundTripRestoresBytesExactly, ()) {
  Env env;
  const std::string doc = GenYaml();
  RC_PRE(ScanValues(doc, FileFormat::kYaml).has_value() &&
         !ScanValues(doc, FileFormat::kYaml)->empty());
  const Encrypted enc = EncryptRandomSubset(env, doc, FileFormat::kYaml);
  auto dec = DecryptFile(enc.text, FileFormat::kYaml, *env.keyring);
  if (!dec) RC_FAIL(dec.error().ToString());
  RC_ASSERT(dec->text == doc);
}

RC_GTEST_PROP(EncFileProperty, JsonRoundTripRestoresBytesExactly, ()) {
  Env env;
  const std::string doc = GenJson();
  RC_PRE(!ScanValues(doc, FileFormat::kJson)->empty());
  const Encrypted enc = EncryptRandomSubset(env, doc, FileFormat::kJson);
  auto dec = DecryptFile(enc.text, FileFormat::kJson, *env.keyring);
  if (!dec) RC_FAIL(dec.error().ToString());
  RC_ASSERT(dec->text == doc);
  RC_ASSERT(nlohmann::json::accept(enc.text));
}

RC_GTEST_PROP(EncFileProperty, FlippingAnyBitOfATokenFails, ()) {
  Env env;
  const std::string doc = *rc::gen::arbitrary<bool>() ? GenYaml() : GenJson();
  const FileFormat format = doc.starts_with("{") ? FileFormat::kJson : FileFormat::kYaml;
  RC_PRE(ScanValues(doc, format).has_value() && !ScanValues(doc, format)->empty());
  const Encrypted enc = EncryptRandomSubset(env, doc, format);
  RC_PRE(!enc.tokens.empty());
  const ValueSpan& t = *rc::gen::elementOf(enc.tokens);
  const std::size_t at = t.begin + *rc::gen::inRange<std::size_t>(0, t.end - t.begin);
  std::string forged = enc.text;
  forged[at] = static_cast<char>(forged[at] ^ (1 << *rc::gen::inRange(0, 8)));
  RC_ASSERT_FALSE(DecryptFile(forged, format, *env.keyring).has_value());
}

RC_GTEST_PROP(EncFileProperty, SwappingOrMovingTokensFails, ()) {
  Env env;
  const std::string doc = GenYaml();
  RC_PRE(ScanValues(doc, FileFormat::kYaml).has_value());
  const Encrypted enc = EncryptRandomSubset(env, doc, FileFormat::kYaml, /*all=*/true);
  RC_PRE(enc.tokens.size() >= 2);
  const std::size_t i = *rc::gen::inRange<std::size_t>(0, enc.tokens.size());
  std::size_t j = *rc::gen::inRange<std::size_t>(0, enc.tokens.size() - 1);
  if (j >= i) ++j;
  const ValueSpan& a = enc.tokens[std::min(i, j)];
  const ValueSpan& b = enc.tokens[std::max(i, j)];
  const std::string ta = enc.text.substr(a.begin, a.end - a.begin);
  const std::string tb = enc.text.substr(b.begin, b.end - b.begin);
  // Swap.
  std::string swapped = enc.text;
  swapped.replace(b.begin, b.end - b.begin, ta);
  swapped.replace(a.begin, a.end - a.begin, tb);
  auto r = DecryptFile(swapped, FileFormat::kYaml, *env.keyring);
  RC_ASSERT_FALSE(r.has_value());
  // Copy one token over another (the value "moves" to another path).
  std::string moved = enc.text;
  moved.replace(b.begin, b.end - b.begin, ta);
  auto m = DecryptFile(moved, FileFormat::kYaml, *env.keyring);
  RC_ASSERT_FALSE(m.has_value());
  // A plain token pasted into a flow collection breaks the YAML itself (kInvalidArgument);
  // otherwise the document parses and the token fails to authenticate at its new path.
  if (a.needs_quotes == b.needs_quotes) RC_ASSERT(m.error().code() == ErrorCode::kDataLoss);
}

RC_GTEST_PROP(EncFileProperty, MacDetectsRemovedAndReorderedValues, ()) {
  Env env;
  const int n = *rc::gen::inRange(2, 8);
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    lines.push_back(fmt::format(
        "{}_{}={}\n", *rc::gen::elementOf(kKeyWords) == "password" ? "DB_PASSWORD" : "VAR", i,
        *GenWord()));
  }
  std::string doc;
  for (const auto& l : lines) doc += l;
  Encrypted enc = EncryptRandomSubset(env, doc, FileFormat::kDotenv);
  // Split the encrypted text back into lines (metadata is the last one).
  std::vector<std::string> enc_lines;
  std::size_t pos = 0;
  while (pos < enc.text.size()) {
    const std::size_t nl = enc.text.find('\n', pos);
    enc_lines.push_back(enc.text.substr(pos, nl + 1 - pos));
    pos = nl + 1;
  }
  RC_ASSERT(enc_lines.size() == lines.size() + 1);
  const std::size_t i = *rc::gen::inRange<std::size_t>(0, lines.size());
  std::vector<std::string> removed = enc_lines;
  removed.erase(removed.begin() + static_cast<std::ptrdiff_t>(i));
  std::string r_text;
  for (const auto& l : removed) r_text += l;
  auto r = DecryptFile(r_text, FileFormat::kDotenv, *env.keyring);
  RC_ASSERT_FALSE(r.has_value());
  RC_ASSERT(r.error().code() == ErrorCode::kDataLoss);

  std::size_t j = *rc::gen::inRange<std::size_t>(0, lines.size() - 1);
  if (j >= i) ++j;
  std::vector<std::string> reordered = enc_lines;
  std::swap(reordered[i], reordered[j]);
  std::string o_text;
  for (const auto& l : reordered) o_text += l;
  auto o = DecryptFile(o_text, FileFormat::kDotenv, *env.keyring);
  RC_ASSERT_FALSE(o.has_value());
  RC_ASSERT(o.error().code() == ErrorCode::kDataLoss);
}

RC_GTEST_PROP(EncFileProperty, WrongKeyAndTruncatedTokenFailWithDistinctErrors, ()) {
  Env env;
  const std::string doc = GenYaml();
  RC_PRE(ScanValues(doc, FileFormat::kYaml).has_value());
  const Encrypted enc = EncryptRandomSubset(env, doc, FileFormat::kYaml, /*all=*/true);
  RC_PRE(!enc.tokens.empty());
  Env other(2);
  auto wrong = DecryptFile(enc.text, FileFormat::kYaml, *other.keyring);
  RC_ASSERT_FALSE(wrong.has_value());
  RC_ASSERT(wrong.error().code() == ErrorCode::kNotFound);

  const ValueSpan& t = *rc::gen::elementOf(enc.tokens);
  const std::size_t keep = *rc::gen::inRange<std::size_t>(5, t.end - t.begin - 1);
  std::string truncated = enc.text;
  // Keep the closing quote of a quoted token so that the document still parses.
  const bool quoted = enc.text[t.begin] == '"';
  const std::size_t body_begin = t.begin + (quoted ? 1 : 0);
  const std::size_t body_end = t.end - (quoted ? 1 : 0);
  truncated.erase(body_begin + std::min(keep, body_end - body_begin - 1),
                  body_end - body_begin - std::min(keep, body_end - body_begin - 1));
  auto tr = DecryptFile(truncated, FileFormat::kYaml, *env.keyring);
  RC_ASSERT_FALSE(tr.has_value());
  if (tr.error().code() == ErrorCode::kDataLoss) {
    RC_ASSERT(tr.error().message().find("malformed ENC token") != std::string::npos ||
              tr.error().message().find("MAC") != std::string::npos);
  } else {
    RC_ASSERT(tr.error().code() == ErrorCode::kInvalidArgument);  // the YAML no longer parses
  }
}

}  // namespace
}  // namespace bulwark::secfile
