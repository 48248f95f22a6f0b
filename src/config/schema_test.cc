#include "bulwark/config/schema.h"

#include <gtest/gtest.h>

#include "config/internal/json_bridge.h"

namespace bulwark::config {
namespace {

Value J(const char* text) { return internal::FromJson(nlohmann::json::parse(text)); }

const char* kSchema = R"({
  "type": "object",
  "required": ["database", "environment"],
  "properties": {
    "environment": {"type": "string", "enum": ["development", "staging", "production"]},
    "debug": {"type": "boolean", "default": false},
    "database": {
      "type": "object",
      "required": ["host", "port"],
      "properties": {
        "host": {"type": "string"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 5432},
        "password": {"type": "string", "x-sensitive": true},
        "ssl_mode": {"type": "string", "default": "verify-full"}
      }
    },
    "services": {"type": "array", "items": {"$ref": "#/definitions/service"}},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "license": {"type": ["string", "null"], "x-sensitive": true}
  },
  "definitions": {
    "service": {"type": "object", "properties": {"port": {"type": "integer"},
                                                  "token": {"type": "string", "x-sensitive": true}}}
  }
})";

std::unique_ptr<Schema> Make() { return Schema::Create(J(kSchema), "schema.json").value(); }

TEST(SchemaTest, ValidDocumentHasNoErrors) {
  auto s = Make();
  auto errors = s->Validate(J(R"({"environment": "production", "database": {"host": "h", "port": 5432}})"));
  EXPECT_TRUE(errors.empty()) << errors[0].ToString();
}

TEST(SchemaTest, ReportsEveryErrorWithItsPath) {
  auto s = Make();
  auto errors = s->Validate(J(R"({"environment": "prod", "database": {"host": 7, "port": 70000},
                                  "services": [{"port": "x"}]})"));
  std::vector<std::string> paths;
  for (const auto& e : errors) paths.push_back(e.path.ToString());
  auto has = [&](const std::string& p) { return std::find(paths.begin(), paths.end(), p) != paths.end(); };
  EXPECT_TRUE(has("environment"));
  EXPECT_TRUE(has("database.host"));
  EXPECT_TRUE(has("database.port"));
  EXPECT_TRUE(has("services[0].port"));
  EXPECT_GE(errors.size(), 4u);
}

TEST(SchemaTest, ExpectedTypeResolvesPropertiesItemsRefsAndAdditionalProperties) {
  auto s = Make();
  EXPECT_EQ(s->ExpectedTypeAt(Path::Parse("database.port").value()), ValueType::kInt);
  EXPECT_EQ(s->ExpectedTypeAt(Path::Parse("debug").value()), ValueType::kBool);
  EXPECT_EQ(s->ExpectedTypeAt(Path::Parse("services[3].port").value()), ValueType::kInt);
  EXPECT_EQ(s->ExpectedTypeAt(Path::Parse("labels.team").value()), ValueType::kString);
  EXPECT_EQ(s->ExpectedTypeAt(Path::Parse("license").value()), ValueType::kString);
  EXPECT_EQ(s->ExpectedTypeAt(Path::Parse("unknown").value()), std::nullopt);
}

TEST(SchemaTest, SensitivePathsFollowXSensitiveThroughRefs) {
  auto s = Make();
  auto paths = s->SensitivePaths(J(R"({"database": {"password": "p"}, "services": [{"token": "t"}, {"port": 1}]})"));
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0].ToString(), "database.password");
  EXPECT_EQ(paths[1].ToString(), "services[0].token");
}

TEST(SchemaTest, ApplyDefaultsFillsOnlyMissingValues) {
  auto s = Make();
  Value doc = J(R"({"database": {"host": "h", "port": 6432}})");
  LocationTable locs;
  s->ApplyDefaults(doc, &locs);
  EXPECT_EQ(Find(doc, Path::Parse("database.port").value())->AsInt(), 6432);
  EXPECT_EQ(Find(doc, Path::Parse("database.ssl_mode").value())->AsString(), "verify-full");
  EXPECT_FALSE(Find(doc, Path::Parse("debug").value())->AsBool());
  EXPECT_EQ(locs.Get(Find(doc, Path::Parse("debug").value())->location_id())->source, "default");
}

TEST(SchemaTest, MissingDefaultedValuesListsFallbacks) {
  auto s = Make();
  auto missing = s->MissingDefaultedValues(J(R"({"database": {"host": "h"}})"));
  std::vector<std::string> paths;
  for (const auto& p : missing) paths.push_back(p.ToString());
  EXPECT_EQ(paths, (std::vector<std::string>{"debug", "database.port", "database.ssl_mode"}));
}

TEST(SchemaTest, RejectsRemoteRefsAndBadPatterns) {
  auto remote = Schema::Create(J(R"({"properties": {"a": {"$ref": "https://example.com/s.json"}}})"), "s.json");
  ASSERT_FALSE(remote);
  EXPECT_NE(remote.error().message().find("only local $ref"), std::string::npos);
  auto pattern = Schema::Create(J(R"({"patternProperties": {"(": {}}})"), "s.json");
  ASSERT_FALSE(pattern);
  EXPECT_EQ(pattern.error().code(), ErrorCode::kInvalidArgument);
  auto not_object = Schema::Create(Value(3), "s.json");
  ASSERT_FALSE(not_object);
}

TEST(SchemaTest, PatternsAreCheckedWithRe2EvenOnHugeStrings) {
  auto s = Schema::Create(J(R"({"properties": {"a": {"type": "string", "pattern": "^x+$"},
                                               "t": {"type": "string", "format": "date-time"}}})"),
                          "s.json")
               .value();
  ValueMap big;
  big.Set("a", std::string(10 << 20, 'x'));  // 10 MB: std::regex would overflow the stack
  EXPECT_TRUE(s->Validate(Value(big)).empty());
  auto errors = s->Validate(J(R"({"a": "xy", "t": "yesterday"})"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].path.ToString(), "a");
  EXPECT_NE(errors[0].message.find("does not match the pattern"), std::string::npos);
  EXPECT_EQ(errors[0].message.find("xy"), std::string::npos);  // the value is not echoed
  EXPECT_EQ(errors[1].path.ToString(), "t");
}

TEST(SchemaTest, ConditionalPatternsRefuseOverlongStringsInsteadOfCrashing) {
  auto s = Schema::Create(J(R"({"properties": {"a": {"anyOf": [{"pattern": "^x+$"}, {"type": "integer"}]}}})"),
                          "s.json")
               .value();
  ValueMap big;
  big.Set("a", std::string(1 << 20, 'x'));
  auto errors = s->Validate(Value(big));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("longer than"), std::string::npos);
  EXPECT_TRUE(s->Validate(J(R"({"a": "xxx"})")).empty());
  EXPECT_FALSE(s->Validate(J(R"({"a": "abc"})")).empty());
}

}  // namespace
}  // namespace bulwark::config
