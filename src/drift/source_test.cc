#include "bulwark/drift/source.h"

#include <gtest/gtest.h>

#include "bulwark/config/format.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::drift {
namespace {

TEST(ParseSourceTest, AcceptsTheFourKindsAndRefusesEverythingElse) {
  EXPECT_EQ(ParseSource("file:/etc/app.yaml")->kind, SourceKind::kFile);
  EXPECT_EQ(ParseSource("env:VOICEHIVE_")->target, "VOICEHIVE_");
  EXPECT_EQ(ParseSource("url:https://svc:8443/config")->target, "https://svc:8443/config");
  EXPECT_EQ(ParseSource("encfile:app.enc.yaml")->kind, SourceKind::kEncFile);
  for (const char* bad : {"", "app.yaml", "ftp:x", "file:", "url:http://svc/config",
                          "url:https://user:pw@svc/config", "url:https:///x"}) {
    auto s = ParseSource(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.error().message().find("pw"), std::string::npos);
  }
}

TEST(LoadEnvSourceTest, MapsPrefixedVariablesToNestedPathsTypedLikeTheBaseline) {
  auto base = config::ParseDocument("database:\n  port: 5432\n  maxConnections: 10\n",
                                    config::Format::kYaml);
  ASSERT_TRUE(base);
  auto doc = LoadEnvSource({{"VH_DATABASE__PORT", "5433"}, {"VH_DATABASE__MAXCONNECTIONS", "10"},
                            {"OTHER", "x"}},
                           "VH_", &base->root, nullptr);
  ASSERT_TRUE(doc) << doc.error().ToString();
  EXPECT_EQ(*config::Find(doc->root, *config::Path::Parse("database.port")),
            config::Value(std::int64_t{5433}));
  EXPECT_NE(config::Find(doc->root, *config::Path::Parse("database.maxConnections")), nullptr);
  EXPECT_EQ(doc->root.AsMap().size(), 1u);
  EXPECT_EQ(doc->LocationOf(*config::Path::Parse("database.port"))->ToString(),
            "env:VH_DATABASE__PORT");
}

TEST(LoadFileSourceTest, AMissingFileIsUnavailableAndABadOneIsInvalid) {
  testing::FakeFileSystem fs;
  auto missing = LoadFileSource(fs, "/nope.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kUnavailable);
  ASSERT_TRUE(fs.WriteFileAtomic("/bad.json", "{\"a\": ", std::filesystem::perms::owner_read));
  auto bad = LoadFileSource(fs, "/bad.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST(FetchUrlSourceTest, AnUnreachableServerIsUnavailable) {
  UrlOptions o;
  o.timeout = std::chrono::milliseconds(2000);
  auto r = FetchUrlSource("https://127.0.0.1:1/config", o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace bulwark::drift
