// Helpers shared by the format tests.
#ifndef BULWARK_CONFIG_FORMAT_TEST_UTIL_H_
#define BULWARK_CONFIG_FORMAT_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>

#include "bulwark/config/format.h"
#include "bulwark/testing/assert_ok.h"

namespace bulwark::config {

// gtest printer: the value as compact YAML-ish JSON (NaN shown through YAML).
inline void PrintTo(const Value& v, std::ostream* os) {
  auto json = EmitDocument(v, Format::kJson, {.indent = 0});
  if (json) {
    *os << *json;
  } else {
    auto yaml = EmitDocument(v, Format::kYaml);
    *os << (yaml ? *yaml : yaml.error().ToString());
  }
}

}  // namespace bulwark::config

namespace bulwark::config::testing {

inline Value Map(std::initializer_list<std::pair<std::string, Value>> entries) {
  ValueMap m;
  for (const auto& [k, v] : entries) m.Set(k, v);
  return Value(std::move(m));
}
inline Value List(std::initializer_list<Value> items) { return Value(ValueList(items)); }

// The parsed root. Compare it directly (EXPECT_EQ(ParseOk(text, f), value)) or take the value
// with ASSERT_OK_AND_ASSIGN before looking inside it.
inline Result<Value> ParseOk(std::string_view text, Format format) {
  BULWARK_ASSIGN_OR_RETURN(Document doc, ParseDocument(text, format));
  return std::move(doc.root);
}

// The error message of a parse that must fail ("" and a test failure if it succeeds).
inline std::string ParseError(std::string_view text, Format format, ParseOptions options = {}) {
  auto doc = ParseDocument(text, format, options);
  EXPECT_FALSE(doc.has_value()) << "parsed unexpectedly";
  if (doc) return "";
  EXPECT_EQ(doc.error().code(), ErrorCode::kInvalidArgument);
  return doc.error().message();
}

// The emitted text; used like ParseOk.
inline Result<std::string> EmitOk(const Value& v, Format format, EmitOptions options = {}) {
  return EmitDocument(v, format, options);
}

inline std::string LocationOf(const Document& doc, std::string_view dotted) {
  auto loc = doc.ExactLocationOf(Path::Parse(dotted).value());
  return loc ? loc->ToString() : "<none>";
}

}  // namespace bulwark::config::testing

#endif  // BULWARK_CONFIG_FORMAT_TEST_UTIL_H_
