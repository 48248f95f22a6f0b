#include "bulwark/config/field_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/config/format.h"

namespace bulwark::config {
namespace {

using ::testing::HasSubstr;

Document Yaml(std::string_view text) {
  ParseOptions o;
  o.source_name = "c.yaml";
  auto d = ParseDocument(text, Format::kYaml, o);
  EXPECT_TRUE(d.has_value());
  return d ? std::move(*d) : Document{};
}

TEST(FieldReaderTest, ReadsTypedFieldsWithDefaults) {
  Document d = Yaml("m:\n  name: x\n  n: 3\n  f: 0.5\n  b: true\n  w: 5m\n  l: [a, b]\n");
  FieldReader r(d);
  const Value& m = *d.root.Get("m");
  const Path at = Path().Key("m");
  EXPECT_EQ(r.String(m, at, "name", true).value(), "x");
  EXPECT_EQ(r.String(m, at, "absent").value(), "");
  EXPECT_EQ(r.Int(m, at, "n", 0, 0, 10).value(), 3);
  EXPECT_EQ(r.Int(m, at, "absent", 7, 0, 10).value(), 7);
  EXPECT_EQ(r.Number(m, at, "f", 0, 0, 1).value(), 0.5);
  EXPECT_TRUE(r.Bool(m, at, "b", false).value());
  EXPECT_EQ(r.Duration(m, at, "w", {}, std::chrono::seconds(1), std::chrono::hours(1)).value(),
            std::chrono::minutes(5));
  EXPECT_EQ(r.StringList(m, at, "l").value(), (std::vector<std::string>{"a", "b"}));
}

TEST(FieldReaderTest, ErrorsNameTheFileLineAndPath) {
  Document d = Yaml("m:\n  n: 30\n  w: 5x\n  odd: 1\n");
  FieldReader r(d);
  const Value& m = *d.root.Get("m");
  const Path at = Path().Key("m");
  auto n = r.Int(m, at, "n", 0, 0, 10);
  ASSERT_FALSE(n.has_value());
  EXPECT_THAT(n.error().message(), HasSubstr("c.yaml:2:6: m.n: expected an integer in [0, 10]"));
  auto w = r.Duration(m, at, "w", {}, {}, std::chrono::hours(1));
  ASSERT_FALSE(w.has_value());
  EXPECT_THAT(w.error().message(), HasSubstr("m.w: duration '5x'"));
  auto known = r.OnlyKnown(m, at, {"n", "w"});
  ASSERT_FALSE(known.has_value());
  EXPECT_THAT(known.error().message(), HasSubstr("m.odd: unknown field"));
  EXPECT_THAT(r.String(m, at, "name", true).error().message(), HasSubstr("m.name: required"));
}

}  // namespace
}  // namespace bulwark::config
