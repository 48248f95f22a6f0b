#include "bulwark/access/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bulwark::access {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<const PolicySet> Set(std::string_view text) {
  auto p = ParsePolicy(text, "p.yaml");
  if (!p) ADD_FAILURE() << p.error();
  std::vector<Policy> ps;
  if (p) ps.push_back(std::move(*p));
  auto s = PolicySet::Create(std::move(ps));
  if (!s) ADD_FAILURE() << s.error();
  return s.value_or(nullptr);
}

OwnedRequest Ask(std::vector<std::string> roles, Action a, std::string_view resource) {
  OwnedRequest r;
  r.action = a;
  r.principal.id = "token:ci";
  r.principal.kind = "token";
  r.principal.roles = std::move(roles);
  auto parsed = ResourceName::Parse(resource);
  if (!parsed) ADD_FAILURE() << parsed.error();
  r.resource = parsed.value_or(ResourceName{});
  return r;
}

constexpr const char* kPolicy = R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: shop
settings: {builtin: false}
statements:
  - {id: readers, effect: allow, roles: [reader], actions: [read], resources: ["config:prod/**"]}
  - {id: no-passwords, effect: deny, principals: ["*"], actions: [read], resources: ["config:**:**password"]}
)";

TEST(AccessReportTest, ADecisionNamesItsStatementAndAnExplanationItsCandidates) {
  auto set = Set(kPolicy);
  ASSERT_NE(set, nullptr);
  const OwnedRequest allowed = Ask({"reader"}, Action::kRead, "config:prod/api:pool");
  Explanation ex;
  ex.decision = set->Decide(allowed.view());
  const auto j = DecisionJson(allowed, ex, false);
  EXPECT_EQ(j["allowed"], true);
  EXPECT_EQ(j["statement"]["id"], "shop/readers");
  EXPECT_THAT(j["statement"]["location"].get<std::string>(), HasSubstr("p.yaml"));
  EXPECT_EQ(j["principal"], "token:ci");
  EXPECT_EQ(j["action"], "read");
  EXPECT_EQ(j["resource"], "config:prod/api:pool");
  EXPECT_FALSE(j.contains("candidates"));

  const OwnedRequest denied = Ask({"reader"}, Action::kRead, "config:prod/api:db.password");
  const Explanation why = set->Explain(denied.view());
  const auto e = DecisionJson(denied, why, true);
  EXPECT_EQ(e["allowed"], false);
  EXPECT_EQ(e["reason"], "denied");
  ASSERT_EQ(e["deciding"].size(), 1u);
  EXPECT_EQ(e["deciding"][0]["id"], "shop/no-passwords");
  EXPECT_EQ(e["candidates"].size(), 2u) << e.dump();
  EXPECT_THAT(e["text"].get<std::string>(), HasSubstr("shop/no-passwords"));
  // Nothing decided: statement null, no deciding statement.
  const OwnedRequest nobody = Ask({}, Action::kWrite, "config:prod/api:pool");
  Explanation none;
  none.decision = set->Decide(nobody.view());
  const auto n = DecisionJson(nobody, none, false);
  EXPECT_TRUE(n["statement"].is_null());
  EXPECT_EQ(StatementJson(nullptr), nullptr);
}

}  // namespace
}  // namespace bulwark::access
