#include "bulwark/access/resource.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace bulwark::access {
namespace {

using ::testing::HasSubstr;

ResourceName Name(std::string_view text) {
  auto r = ResourceName::Parse(text);
  if (!r) ADD_FAILURE() << r.error();
  return r.value_or(ResourceName{});
}

bool Match(std::string_view pattern, std::string_view resource) {
  auto p = ResourcePattern::Parse(pattern);
  if (!p) {
    ADD_FAILURE() << p.error();
    return false;
  }
  ResourceName r = Name(resource);
  return p->Matches(r.ref());
}

TEST(ResourceNameTest, ParsesNamespacesAndPaths) {
  ResourceName ns = Name("config:tenant-5/production");
  EXPECT_EQ(ns.type, ResourceType::kConfig);
  EXPECT_EQ(ns.name, "tenant-5/production");
  EXPECT_EQ(ns.path, "");
  ResourceName path = Name("config:tenant-5/production:db[\"password\"]");
  EXPECT_EQ(path.path, "db.password");
  EXPECT_EQ(path.ToString(), "config:tenant-5/production:db.password");
  ResourceName key = Name("key:k1");
  EXPECT_EQ(key.type, ResourceType::kKey);
  EXPECT_EQ(key.name, "k1");
}

TEST(ResourceNameTest, RejectsMalformedNames) {
  EXPECT_THAT(ResourceName::Parse("tenant-5").error().message(), HasSubstr("expected TYPE:NAME"));
  EXPECT_THAT(ResourceName::Parse("secret:x").error().message(), HasSubstr("unknown type 'secret'"));
  EXPECT_THAT(ResourceName::Parse("config:").error().message(), HasSubstr("empty name"));
  EXPECT_THAT(ResourceName::Parse("config:a:").error().message(), HasSubstr("empty path"));
  EXPECT_THAT(ResourceName::Parse("config:a*").error().message(), HasSubstr("cannot contain"));
  EXPECT_FALSE(ResourceName::Parse("config:a:b[").has_value());
}

TEST(ResourcePatternTest, EverythingTypeNameAndPathScopes) {
  EXPECT_TRUE(Match("*", "audit:log"));
  EXPECT_TRUE(Match("config", "config:a/b:c"));
  EXPECT_FALSE(Match("config", "key:k1"));
  EXPECT_TRUE(Match("config:tenant-5/**", "config:tenant-5"));
  EXPECT_TRUE(Match("config:tenant-5/**", "config:tenant-5/production:db.password"));
  EXPECT_FALSE(Match("config:tenant-5/**", "config:tenant-50/production"));
  EXPECT_TRUE(Match("config:payments", "config:payments:db.password"));
  EXPECT_TRUE(Match("config:payments:db.*", "config:payments:db.password"));
  EXPECT_FALSE(Match("config:payments:db.*", "config:payments"));
  EXPECT_TRUE(Match("config:payments:**", "config:payments"));
  EXPECT_TRUE(Match("audit:*", "audit:log"));
  EXPECT_FALSE(Match("key:*", "audit:log"));
}

TEST(ResourcePatternTest, RejectsMalformedPatterns) {
  EXPECT_THAT(ResourcePattern::Parse("secrets:*").error().message(), HasSubstr("unknown type"));
  EXPECT_THAT(ResourcePattern::Parse("config:").error().message(), HasSubstr("empty name"));
  EXPECT_THAT(ResourcePattern::Parse("config:a:").error().message(), HasSubstr("empty path"));
  EXPECT_THAT(ResourcePattern::Parse("config:[a").error().message(), HasSubstr("not closed"));
}

TEST(ResourcePatternTest, IndexKeysFileBySeparatorPrefix) {
  auto key = [](std::string_view p) { return ResourcePattern::Parse(p)->IndexKey(); };
  EXPECT_EQ(key("*"), "");
  EXPECT_EQ(key("config"), "config:");
  EXPECT_EQ(key("config:tenant-5/**"), "config:tenant-5/");
  EXPECT_EQ(key("config:tenant-*"), "config:");
  EXPECT_EQ(key("config:payments"), "config:payments:");
  EXPECT_EQ(key("config:payments:db.password"), "config:payments:db.password.");
  EXPECT_EQ(key("config:payments:db.*"), "config:payments:db.");
}

TEST(ResourcePatternTest, ApplicableActionsFollowTheResourceType) {
  EXPECT_TRUE(ApplicableActions(ResourceType::kConfig).Contains(Action::kReveal));
  EXPECT_FALSE(ApplicableActions(ResourceType::kConfig).Contains(Action::kAuditRead));
  EXPECT_TRUE(ApplicableActions(ResourceType::kAudit).Contains(Action::kAuditRead));
  EXPECT_TRUE(ApplicableActions(ResourceType::kChange).Contains(Action::kApprove));
  EXPECT_FALSE(ApplicableActions(ResourceType::kKey).Contains(Action::kReveal));
}

std::string Pick(const std::vector<int>& picks, std::initializer_list<std::string_view> a) {
  std::vector<std::string_view> alphabet(a);
  std::string out;
  for (int p : picks) out += alphabet[static_cast<std::size_t>(p) % alphabet.size()];
  return out;
}

// The index is only correct if every resource a pattern matches lists the pattern's key.
RC_GTEST_PROP(ResourcePatternProperties, AMatchedResourceListsThePatternsIndexKey, ()) {
  auto np = *rc::gen::container<std::vector<int>>(*rc::gen::inRange(1, 6), rc::gen::inRange(0, 50));
  auto pp = *rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 5), rc::gen::inRange(0, 50));
  auto rn = *rc::gen::container<std::vector<int>>(*rc::gen::inRange(1, 6), rc::gen::inRange(0, 50));
  auto rp = *rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 5), rc::gen::inRange(0, 50));
  std::string ns_glob = Pick(np, {"a", "b", "/", "*", "**", "?", "/**"});
  std::string path_glob = Pick(pp, {"x", "y", ".", "*", "**", ".**"});
  std::string pattern = "config:" + ns_glob + (path_glob.empty() ? "" : ":" + path_glob);
  auto parsed = ResourcePattern::Parse(pattern);
  RC_PRE(parsed.has_value());
  std::string ns = Pick(rn, {"a", "b", "/"});
  std::string path = Pick(rp, {"x", "y", "."});
  ResourceRef r{ResourceType::kConfig, ns, path, nullptr};
  if (!parsed->Matches(r)) return;
  std::set<std::string> keys;
  std::string buffer;
  ForEachIndexKey(r, buffer, [&](std::string_view k) { keys.emplace(k); });
  RC_LOG() << pattern << " vs " << ns << ":" << path << " key " << parsed->IndexKey();
  RC_ASSERT(keys.count(parsed->IndexKey()) == 1u);
}

}  // namespace
}  // namespace bulwark::access
