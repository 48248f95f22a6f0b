// Round-trip properties: ParseDocument(EmitDocument(v)) == v over generated trees, within each
// format's documented exceptions (docs/formats-config.md).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"

namespace bulwark::config {
namespace {

// Strings that other types, YAML indicators or shell/dotenv syntax could be confused with.
const std::vector<std::string>& Lookalikes() {
  static const std::vector<std::string> kWords = {
      "true",   "false", "True",  "FALSE",      "null",         "Null", "~",   "",
      "123",    "-1",    "+7",    "0x1F",       "0o17",         "1.5",  ".5",  "1e3",
      ".inf",   "-.Inf", ".nan",  "yes",        "no",           "on",   "off", "y",
      "n",      "-",     "- a",   "a: b",       "a:",           "x #y", "#c",  " lead",
      "trail ", "---",   "...",   "[x]",        "{y: 1}",       "*a",   "&a",  "!t",
      "!!str",  "|",     ">",     "'q'",        "\"dq\"",       "@x",   "`x`", "%x",
      "=",      "\\",    "$HOME", "é",          "\xEF\xBB\xBF", "a\nb", "\t",  "0",
      "-0",     "007",   "1_000", "2001-12-14", "12:30:00",     "<<",   "?",   ",",
      "inf",    "nan"};
  return kWords;
}

std::string GenUnicodeString() {
  const int length = *rc::gen::inRange(0, 12);
  std::string s;
  for (int i = 0; i < length; ++i) {
    char32_t cp;
    switch (*rc::gen::inRange(0, 6)) {
      case 0:
        cp = *rc::gen::inRange<char32_t>(0, 0x20);
        break;
      case 1:
        cp = *rc::gen::inRange<char32_t>(0x80, 0x800);
        break;
      case 2:
        cp = *rc::gen::inRange<char32_t>(0x800, 0xD800);
        break;
      case 3:
        cp = *rc::gen::inRange<char32_t>(0xE000, 0x110000);
        break;
      default:
        cp = *rc::gen::inRange<char32_t>(0x20, 0x7F);
        break;
    }
    AppendUtf8(s, cp);
  }
  return s;
}

std::string GenString() {
  if (*rc::gen::inRange(0, 3) == 0) return *rc::gen::elementOf(Lookalikes());
  return GenUnicodeString();
}

double GenFiniteDouble() {
  switch (*rc::gen::inRange(0, 4)) {
    case 0:
      return static_cast<double>(*rc::gen::inRange(-1000, 1000));
    case 1:
      return *rc::gen::inRange(-1000000, 1000000) / 64.0;
    default: {
      double d = *rc::gen::arbitrary<double>();
      return std::isfinite(d) ? d : 0.5;
    }
  }
}

struct GenOptions {
  bool nulls = true;
  bool bytes = false;
};

Value GenValue(int depth, const GenOptions& o);

Value GenMap(int depth, const GenOptions& o) {
  ValueMap m;
  const int n = *rc::gen::inRange(0, 5);
  for (int i = 0; i < n; ++i) m.Insert(GenString(), GenValue(depth - 1, o));
  return Value(std::move(m));
}

Value GenValue(int depth, const GenOptions& o) {
  const int kinds = depth > 0 ? 12 : 7;  // containers are likelier above the leaves
  switch (*rc::gen::inRange(0, kinds)) {
    case 0:
      return o.nulls ? Value(nullptr) : Value(GenString());
    case 1:
      return Value(*rc::gen::arbitrary<bool>());
    case 2:
      return Value(*rc::gen::arbitrary<std::int64_t>());
    case 3:
      return Value(GenFiniteDouble());
    case 4:
    case 5:
      return Value(GenString());
    case 6: {
      if (!o.bytes) return Value(GenString());
      return Value::FromBytes(
          *rc::gen::container<Bytes>(*rc::gen::inRange(0, 8), rc::gen::arbitrary<std::uint8_t>()));
    }
    case 7:
    case 8: {
      ValueList l;
      const int n = *rc::gen::inRange(0, 5);
      for (int i = 0; i < n; ++i) l.push_back(GenValue(depth - 1, o));
      return Value(std::move(l));
    }
    default:
      return GenMap(depth, o);
  }
}

void ExpectRoundTrip(const Value& v, Format format, const Value& expected) {
  auto text = EmitDocument(v, format);
  RC_ASSERT(text.has_value());
  auto doc = ParseDocument(*text, format);
  if (!doc) RC_FAIL(doc.error().ToString() + "\n--- text ---\n" + *text);
  if (!(doc->root == expected)) RC_FAIL("round trip changed the value; text:\n" + *text);
}

RC_GTEST_PROP(FormatRoundTripTest, JsonRoundTripsGeneratedTrees, ()) {
  Value v = GenValue(4, {});
  ExpectRoundTrip(v, Format::kJson, v);
}

RC_GTEST_PROP(FormatRoundTripTest, YamlRoundTripsGeneratedTrees, ()) {
  Value v = GenValue(4, {.bytes = true});
  ExpectRoundTrip(v, Format::kYaml, v);
}

bool IsArrayOfTables(const Value& v) {
  const ValueList* l = v.IfList();
  return l != nullptr && !l->empty() &&
         std::all_of(l->begin(), l->end(), [](const Value& e) { return e.is_map(); });
}
bool IsSubTable(const Value& v) { return v.is_map() && !v.AsMap().empty(); }

// The TOML emitter writes a table's plain values before its sub-tables and arrays of tables.
Value TomlOrder(const Value& v, bool inline_context) {
  if (const ValueList* l = v.IfList()) {
    const bool tables = !inline_context && IsArrayOfTables(v);
    ValueList out;
    for (const Value& e : *l) out.push_back(TomlOrder(e, !tables));
    return Value(std::move(out));
  }
  if (const ValueMap* m = v.IfMap()) {
    ValueMap out;
    for (int pass = 0; pass < 2; ++pass) {
      for (const MapEntry& e : *m) {
        const bool table = !inline_context && (IsSubTable(e.value) || IsArrayOfTables(e.value));
        if (table == (pass == 1)) out.Insert(e.key, TomlOrder(e.value, inline_context));
      }
    }
    return Value(std::move(out));
  }
  return v;
}

RC_GTEST_PROP(FormatRoundTripTest, TomlRoundTripsGeneratedTablesWithoutNull, ()) {
  Value v = GenMap(4, {.nulls = false});
  ExpectRoundTrip(v, Format::kToml, TomlOrder(v, false));
}

std::string GenDotenvName() {
  static const std::string kStart = "ABCXYZabcxyz_";
  static const std::string kRest = "ABCXYZabcxyz_0189.-";
  std::string name(1, *rc::gen::elementOf(kStart));
  const int n = *rc::gen::inRange(0, 8);
  for (int i = 0; i < n; ++i) name += *rc::gen::elementOf(kRest);
  return name;
}

RC_GTEST_PROP(FormatRoundTripTest, DotenvRoundTripsFlatStringMaps, ()) {
  ValueMap m;
  const int n = *rc::gen::inRange(0, 8);
  for (int i = 0; i < n; ++i) m.Insert(GenDotenvName(), Value(GenString()));
  Value v(std::move(m));
  ExpectRoundTrip(v, Format::kDotenv, v);
}

RC_GTEST_PROP(FormatRoundTripTest, EnvRoundTripsFlatStringMapsWithoutNul, ()) {
  ValueMap m;
  const int n = *rc::gen::inRange(0, 8);
  static const std::string kStart = "ABCXYZ_";
  static const std::string kRest = "ABCXYZ_0189";
  for (int i = 0; i < n; ++i) {
    std::string name(1, *rc::gen::elementOf(kStart));
    const int len = *rc::gen::inRange(0, 6);
    for (int k = 0; k < len; ++k) name += *rc::gen::elementOf(kRest);
    if (name.find("__") != std::string::npos) continue;
    std::string value = GenString();
    std::erase(value, '\0');
    m.Insert(std::move(name), Value(std::move(value)));
  }
  Value v(std::move(m));
  ExpectRoundTrip(v, Format::kEnv, v);
}

}  // namespace
}  // namespace bulwark::config
