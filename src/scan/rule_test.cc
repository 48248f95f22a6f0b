#include "bulwark/scan/rule.h"

#include <gtest/gtest.h>

#include <set>

namespace bulwark::scan {
namespace {

TEST(RuleTest, BuiltinRulesLoadWithMoreThan150TokenFormats) {
  auto rules = RuleSet::Builtin();
  ASSERT_TRUE(rules.has_value()) << rules.error();
  std::size_t formats = 0;
  std::set<std::string> ids;
  for (const Rule& r : (*rules)->rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_NE(r.re, nullptr) << r.id;
    EXPECT_FALSE(r.remediation.empty()) << r.id;
    if (!r.generic) ++formats;
  }
  EXPECT_GE(formats, 150u);
}

TEST(RuleTest, ABadRegexIsRejectedNamingFileRuleAndField) {
  auto rules = RuleSet::Parse(
      "version: 1\nrules:\n  - id: ok\n    description: x\n    regex: 'a'\n"
      "  - id: broken\n    description: y\n    regex: '(unclosed'\n",
      "team.yaml");
  ASSERT_FALSE(rules.has_value());
  EXPECT_EQ(rules.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(rules.error().message().find("team.yaml:8"), std::string::npos) << rules.error();
  EXPECT_NE(rules.error().message().find("rules[1].regex"), std::string::npos) << rules.error();
}

TEST(RuleTest, DuplicateIdsUnknownFieldsAndBadGroupsAreRejected) {
  EXPECT_FALSE(RuleSet::Parse("version: 1\nrules:\n  - {id: a, description: x, regex: 'a'}\n"
                              "  - {id: a, description: y, regex: 'b'}\n",
                              "r.yaml"));
  auto unknown = RuleSet::Parse(
      "version: 1\nrules:\n  - {id: a, description: x, regex: 'a', colour: red}\n", "r.yaml");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("colour"), std::string::npos) << unknown.error();
  auto group = RuleSet::Parse(
      "version: 1\nrules:\n  - {id: a, description: x, regex: '(a)', secret_group: 2}\n", "r.yaml");
  ASSERT_FALSE(group.has_value());
  EXPECT_NE(group.error().message().find("secret_group"), std::string::npos) << group.error();
}

TEST(RuleTest, GitleaksTomlRulesAndAllowlistsImport) {
  auto rules = RuleSet::Parse(R"(
title = "team rules"
[extend]
useDefault = true

[[rules]]
id = "acme-key"
description = "Acme key"
regex = '''\b(acme_[a-z0-9]{16})\b'''
secretGroup = 1
entropy = 2.5
keywords = ["acme_"]
tags = ["acme"]
  [rules.allowlist]
  regexes = ['''acme_0{16}''']
  stopwords = ["sample"]

[[rules]]
id = "pem-file"
description = "A key file"
path = '''\.pem$'''

[allowlist]
paths = ['''(^|/)vendor/''']
stopwords = ["notreal"]
)",
                              "gitleaks.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error();
  ASSERT_EQ((*rules)->rules().size(), 2u);
  const Rule& r = (*rules)->rules()[0];
  EXPECT_EQ(r.id, "acme-key");
  EXPECT_EQ(r.secret_group, 1);
  EXPECT_DOUBLE_EQ(r.entropy, 2.5);
  EXPECT_EQ(r.keywords, std::vector<std::string>{"acme_"});
  EXPECT_EQ(r.allowlist.regexes.size(), 1u);
  EXPECT_TRUE((*rules)->allowlist().AllowsPath("src/vendor/x.yaml"));
  EXPECT_EQ((*rules)->rules()[1].re, nullptr);
  EXPECT_NE((*rules)->rules()[1].path, nullptr);
}

TEST(RuleTest, GitleaksUnknownKeysAreErrors) {
  auto rules = RuleSet::Parse("[[rules]]\nid = \"a\"\nregex = 'a'\nsevrity = \"x\"\n", "g.toml");
  ASSERT_FALSE(rules.has_value());
  EXPECT_NE(rules.error().message().find("sevrity"), std::string::npos) << rules.error();
}

}  // namespace
}  // namespace bulwark::scan
