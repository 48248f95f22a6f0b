#include "bulwark/config/environment.h"

#include <gtest/gtest.h>

#include "config/internal/json_bridge.h"

namespace bulwark::config {
namespace {

Value J(const char* text) { return internal::FromJson(nlohmann::json::parse(text)); }

TEST(EnvironmentTest, PrefixAndDoubleUnderscoreSetNestedPaths) {
  Document base;
  base.root = J(R"({"database": {"port": 5432, "host": "a"}, "maxConnections": 10})");
  auto doc = ApplyEnvironment(base,
                              {{"APP_DATABASE__PORT", "6543"},
                               {"APP_MAXCONNECTIONS", "20"},
                               {"APP_FEATURE__NEW_UI", "on"},
                               {"OTHER_X", "1"},
                               {"APP_", "ignored"}},
                              {.prefix = "APP_"})
                 .value();
  EXPECT_EQ(Find(doc.root, Path::Parse("database.port").value())->AsInt(), 6543);
  EXPECT_EQ(Find(doc.root, Path::Parse("maxConnections").value())->AsInt(), 20);
  // No expectation: stays a string.
  EXPECT_EQ(Find(doc.root, Path::Parse("feature.new_ui").value())->AsString(), "on");
  EXPECT_EQ(doc.ExactLocationOf(Path::Parse("database.port").value())->source,
            "env:APP_DATABASE__PORT");
  EXPECT_EQ(Find(doc.root, Path::Parse("database.host").value())->AsString(), "a");
}

TEST(EnvironmentTest, JsonLookingValuesParseAsJson) {
  Document base;
  base.root = Value::EmptyMap();
  auto doc = ApplyEnvironment(base, {{"APP_CORS__ORIGINS", R"(["https://a","https://b"])"}},
                              {.prefix = "APP_"})
                 .value();
  const Value* v = Find(doc.root, Path::Parse("cors.origins").value());
  ASSERT_TRUE(v->is_list());
  EXPECT_EQ(v->AsList().size(), 2u);
  EXPECT_EQ(doc.ExactLocationOf(Path::Parse("cors.origins[1]").value())->source,
            "env:APP_CORS__ORIGINS");
}

TEST(EnvironmentTest, ListElementsCanBeOverriddenInPlace) {
  Document base;
  base.root = J(R"({"services": [{"port": 1}, {"port": 2}]})");
  auto doc = ApplyEnvironment(base, {{"APP_SERVICES__1__PORT", "9"}}, {.prefix = "APP_"}).value();
  EXPECT_EQ(Find(doc.root, Path::Parse("services[0].port").value())->AsInt(), 1);
  EXPECT_EQ(Find(doc.root, Path::Parse("services[1].port").value())->AsInt(), 9);
}

TEST(EnvironmentTest, CoercionFollowsTheExpectedType) {
  EXPECT_EQ(CoerceEnvValue("V", "42", ValueType::kInt).value(), Value(42));
  EXPECT_EQ(CoerceEnvValue("V", "-1.5e3", ValueType::kDouble).value(), Value(-1500.0));
  EXPECT_EQ(CoerceEnvValue("V", "YES", ValueType::kBool).value(), Value(true));
  EXPECT_EQ(CoerceEnvValue("V", "0", ValueType::kBool).value(), Value(false));
  EXPECT_EQ(CoerceEnvValue("V", "[1]", ValueType::kString).value(), Value("[1]"));
  EXPECT_TRUE(CoerceEnvValue("V", R"({"a":1})", ValueType::kMap).value().is_map());
  EXPECT_EQ(CoerceEnvValue("V", "[not json", std::nullopt).value(), Value("[not json"));
}

TEST(EnvironmentTest, CoercionErrorsNameTheVariableButNotTheValue) {
  auto r = CoerceEnvValue("APP_DATABASE__PORT", "s3cr3t-not-a-number", ValueType::kInt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("APP_DATABASE__PORT"), std::string::npos);
  EXPECT_EQ(r.error().message().find("s3cr3t"), std::string::npos);
  EXPECT_FALSE(CoerceEnvValue("V", "99999999999999999999", ValueType::kInt));
  EXPECT_FALSE(CoerceEnvValue("V", "maybe", ValueType::kBool));
  EXPECT_FALSE(CoerceEnvValue("V", "nan", ValueType::kDouble));
  EXPECT_FALSE(CoerceEnvValue("V", "{}", ValueType::kList));
}

TEST(EnvironmentTest, SchemaTypeWinsOverTheExistingValue) {
  auto schema = Schema::Create(J(R"({"properties": {"port": {"type": "string"}}})"), "s").value();
  Document base;
  base.root = J(R"({"port": 1})");
  auto doc = ApplyEnvironment(base, {{"APP_PORT", "0080"}}, {.prefix = "APP_", .schema = schema.get()}).value();
  EXPECT_EQ(Find(doc.root, Path::Parse("port").value())->AsString(), "0080");
}

TEST(EnvironmentTest, EmptySegmentsAreErrors) {
  Document base;
  base.root = Value::EmptyMap();
  EXPECT_FALSE(ApplyEnvironment(base, {{"APP_A____B", "1"}}, {.prefix = "APP_"}));
  EXPECT_FALSE(ApplyEnvironment(base, {{"APP_A__", "1"}}, {.prefix = "APP_"}));
  EXPECT_FALSE(ApplyEnvironment(base, {}, {.prefix = ""}));
}

}  // namespace
}  // namespace bulwark::config
