#include "bulwark/config/loader.h"

#include <gtest/gtest.h>

#include "bulwark/testing/fake_runtime.h"

namespace bulwark::config {
namespace {

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Put("/cfg/base.yaml",
        "environment: production\n"
        "database:\n"
        "  host: db.internal\n"
        "  password: correct-horse-battery\n"
        "services:\n"
        "  - name: api\n"
        "    port: 8080\n");
    Put("/cfg/prod.json", R"({"database": {"host": "prod-db.internal"}})");
    Put("/cfg/schema.json", R"({
      "type": "object",
      "required": ["environment", "database"],
      "properties": {
        "environment": {"type": "string"},
        "debug": {"type": "boolean", "default": false},
        "database": {"type": "object", "required": ["host", "port"],
          "properties": {"host": {"type": "string"},
                         "port": {"type": "integer", "default": 5432},
                         "password": {"type": "string", "x-sensitive": true}}},
        "services": {"type": "array", "items": {"type": "object", "required": ["name"],
          "properties": {"port": {"type": "integer", "maximum": 65535}}}}
      }})");
  }
  void Put(const std::string& path, const std::string& text) {
    ASSERT_TRUE(fs_.WriteFileAtomic(path, text, std::filesystem::perms::owner_all));
  }
  testing::FakeFileSystem fs_;
};

TEST_F(LoaderTest, MergesFilesThenEnvironmentWithProvenance) {
  LoadRequest req;
  req.files = {"/cfg/base.yaml", "/cfg/prod.json"};
  req.env_prefix = "APP_";
  req.environment = {{"APP_SERVICES__0__PORT", "9090"}};
  req.schema_file = "/cfg/schema.json";
  auto loaded = LoadConfig(fs_, req).value();
  EXPECT_TRUE(loaded.problems.empty()) << loaded.problems[0].ToString();
  const Document& d = loaded.document;
  EXPECT_EQ(Find(d.root, Path::Parse("database.host").value())->AsString(), "prod-db.internal");
  EXPECT_EQ(Find(d.root, Path::Parse("services[0].port").value())->AsInt(), 9090);
  EXPECT_EQ(Find(d.root, Path::Parse("database.port").value())->AsInt(), 5432);  // schema default
  EXPECT_EQ(d.LocationOf(Path::Parse("database.host").value())->source, "/cfg/prod.json");
  EXPECT_EQ(d.LocationOf(Path::Parse("database.password").value())->ToString(), "/cfg/base.yaml:4:13");
  EXPECT_EQ(d.LocationOf(Path::Parse("services[0].port").value())->source, "env:APP_SERVICES__0__PORT");
  EXPECT_EQ(d.LocationOf(Path::Parse("database.port").value())->source, "default");
  ASSERT_EQ(loaded.sensitive.size(), 1u);
  EXPECT_EQ(loaded.sensitive[0].ToString(), "database.password");
}

TEST_F(LoaderTest, StrictModeListsEveryMissingValueInsteadOfDefaulting) {
  Put("/cfg/partial.yaml", "database:\n  password: x\n");
  LoadRequest req;
  req.files = {"/cfg/partial.yaml"};
  req.schema_file = "/cfg/schema.json";
  req.strict = true;
  auto loaded = LoadConfig(fs_, req).value();
  std::vector<std::string> paths;
  for (const auto& p : loaded.problems) paths.push_back(p.path.ToString());
  for (const char* want : {"environment", "debug", "database.host", "database.port"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), want), paths.end()) << want;
  }
  EXPECT_EQ(Find(loaded.document.root, Path::Parse("database.port").value()), nullptr);
}

TEST_F(LoaderTest, SchemaViolationsAreProblemsNotErrors) {
  Put("/cfg/bad.yaml", "environment: 3\ndatabase: {host: h, port: 1}\nservices: [{name: a, port: 70000}]\n");
  LoadRequest req;
  req.files = {"/cfg/bad.yaml"};
  req.schema_file = "/cfg/schema.json";
  auto loaded = LoadConfig(fs_, req).value();
  ASSERT_EQ(loaded.problems.size(), 2u);
  EXPECT_EQ(loaded.problems[0].path.ToString(), "environment");
  EXPECT_EQ(loaded.problems[1].path.ToString(), "services[0].port");
}

TEST_F(LoaderTest, UnreadableOrMalformedInputIsAnErrorNamingTheFile) {
  LoadRequest req;
  req.files = {"/cfg/missing.yaml"};
  auto missing = LoadConfig(fs_, req);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("/cfg/missing.yaml"), std::string::npos);

  Put("/cfg/broken.json", "{\"a\": [1, 2,}");
  req.files = {"/cfg/broken.json"};
  auto broken = LoadConfig(fs_, req);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(broken.error().message().find("broken.json:1:"), std::string::npos) << broken.error().message();

  Put("/cfg/list.yaml", "- a\n- b\n");
  req.files = {"/cfg/list.yaml"};
  EXPECT_FALSE(LoadConfig(fs_, req));

  req.files = {"/cfg/base.yaml"};
  req.env_prefix = "APP_";
  req.schema_file = "/cfg/schema.json";
  req.environment = {{"APP_DATABASE__PORT", "not-a-port"}};
  auto bad_env = LoadConfig(fs_, req);
  ASSERT_FALSE(bad_env);
  EXPECT_NE(bad_env.error().message().find("APP_DATABASE__PORT"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::config
