#include "bulwark/config/format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/testing/fake_runtime.h"
#include "config/format_test_util.h"

namespace bulwark::config {
namespace {

using ::testing::HasSubstr;
using testing::Map;
using ::testing::StartsWith;

TEST(FormatTest, NamesRoundTrip) {
  for (Format f : {Format::kJson, Format::kYaml, Format::kToml, Format::kDotenv, Format::kEnv}) {
    EXPECT_EQ(ParseFormatName(FormatName(f)).value(), f);
  }
  EXPECT_EQ(ParseFormatName("YML").value(), Format::kYaml);
  auto bad = ParseFormatName("xml");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("json, yaml (yml), toml, dotenv, env"));
}

TEST(FormatTest, FormatFromPathUsesTheExtension) {
  EXPECT_EQ(FormatFromPath("/etc/app.JSON").value(), Format::kJson);
  EXPECT_EQ(FormatFromPath("a.yml").value(), Format::kYaml);
  EXPECT_EQ(FormatFromPath("a.yaml").value(), Format::kYaml);
  EXPECT_EQ(FormatFromPath("a.toml").value(), Format::kToml);
  EXPECT_EQ(FormatFromPath("prod.env").value(), Format::kDotenv);
  EXPECT_EQ(FormatFromPath("dir/.env").value(), Format::kDotenv);
  EXPECT_EQ(FormatFromPath(".env.local").value(), Format::kDotenv);
  EXPECT_FALSE(FormatFromPath("config.ini"));
  EXPECT_FALSE(FormatFromPath("Makefile"));
}

TEST(FormatTest, LoadFileNamesTheFileInLocationsAndErrors) {
  bulwark::testing::FakeFileSystem fs;
  ASSERT_TRUE(
      fs.WriteFileAtomic("/cfg/app.yaml", "a: 1\nb: [\n", std::filesystem::perms::owner_read));
  ASSERT_TRUE(fs.WriteFileAtomic("/cfg/ok.json", "{\"a\": 1}", std::filesystem::perms::owner_read));
  auto ok = LoadFile(fs, "/cfg/ok.json");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->root, Map({{"a", 1}}));
  EXPECT_EQ(ok->LocationOf(Path::Parse("a").value())->ToString(), "/cfg/ok.json:1:7");
  auto bad = LoadFile(fs, "/cfg/app.yaml");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), StartsWith("/cfg/app.yaml:"));
  auto missing = LoadFile(fs, "/cfg/none.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("/cfg/none.toml"));
  auto forced = LoadFile(fs, "/cfg/ok.json", Format::kYaml);
  ASSERT_TRUE(forced) << forced.error();
  EXPECT_EQ(forced->root, Map({{"a", 1}}));
  EXPECT_FALSE(LoadFile(fs, "/cfg/app.conf"));
}

}  // namespace
}  // namespace bulwark::config
