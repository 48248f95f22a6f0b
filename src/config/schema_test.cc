#include "bulwark/config/schema.h"

#include <fmt/format.h>
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

// Each of these made validation recurse forever (SIGSEGV in config validate / put --schema).
TEST(SchemaTest, RefusesReferenceCyclesNamingTheReference) {
  struct Case {
    const char* schema;
    const char* names;  // expected in the message
  };
  const Case cases[] = {
      {R"({"$ref": "#"})", "$ref -> '#'"},
      {R"({"allOf": [{"$ref": "#"}]})", "allOf[0]"},
      {R"({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
           "properties": {"x": {"$ref": "#/definitions/a"}}})",
       "definitions.a.$ref -> '#/definitions/b'"},
      {R"({"properties": {"x": {"not": {"anyOf": [{"$ref": "#/properties/x"}]}}}})",
       "properties.x.not"},
      {R"({"if": {"$ref": "#"}, "then": {}})", "if"},
  };
  for (const Case& c : cases) {
    auto s = Schema::Create(J(c.schema), "s.json");
    ASSERT_FALSE(s) << c.schema;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message().find("reference cycle"), std::string::npos) << s.error().message();
    EXPECT_NE(s.error().message().find(c.names), std::string::npos) << s.error().message();
    EXPECT_NE(s.error().message().find("s.json"), std::string::npos);
  }
}

TEST(SchemaTest, RecursionThroughPropertiesAndItemsIsAllowed) {
  auto s = Schema::Create(J(R"({
    "$ref": "#/definitions/node",
    "definitions": {"node": {"type": "object", "properties": {
      "name": {"type": "string"},
      "secret": {"type": "string", "x-sensitive": true},
      "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}}})"),
                          "tree.json");
  ASSERT_TRUE(s) << s.error().message();
  auto doc = J(R"({"name": "a", "children": [{"name": "b", "secret": "x", "children": [{"name": 3}]}]})");
  auto errors = (*s)->Validate(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path.ToString(), "children[0].children[0].name");
  ASSERT_EQ((*s)->SensitivePaths(doc).size(), 1u);
  EXPECT_EQ((*s)->SensitivePaths(doc)[0].ToString(), "children[0].secret");
}

TEST(SchemaTest, RefusesUnresolvableReferencesAndExponentialFanOut) {
  auto dangling = Schema::Create(J(R"({"properties": {"a": {"$ref": "#/definitions/missing"}}})"), "s.json");
  ASSERT_FALSE(dangling);
  EXPECT_NE(dangling.error().message().find("properties.a.$ref: $ref '#/definitions/missing' does not resolve"),
            std::string::npos)
      << dangling.error().message();
  // d0 applies d1 twice, d1 applies d2 twice, ...: 2^20 subschemas at one value without a cycle.
  std::string defs;
  for (int i = 0; i < 20; ++i) {
    defs += fmt::format(R"("d{}": {{"allOf": [{{"$ref": "#/definitions/d{}"}}, {{"$ref": "#/definitions/d{}"}}]}},)",
                        i, i + 1, i + 1);
  }
  defs += R"("d20": {"type": "string"})";
  auto wide = Schema::Create(J(("{\"$ref\": \"#/definitions/d0\", \"definitions\": {" + defs + "}}").c_str()), "s.json");
  ASSERT_FALSE(wide);
  EXPECT_NE(wide.error().message().find("more than"), std::string::npos) << wide.error().message();
  // A "$ref" inside a default is data, not a reference.
  EXPECT_TRUE(Schema::Create(J(R"({"properties": {"a": {"default": {"$ref": "#/nowhere"}},
                                                   "default": {"$ref": "#/properties/a"}}})"),
                             "s.json"));
}

}  // namespace
}  // namespace bulwark::config
