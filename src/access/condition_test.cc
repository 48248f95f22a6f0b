#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "access/compiled.h"
#include "bulwark/expr/parser.h"

namespace bulwark::access::internal {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  for (std::string_view p : SplitConjuncts(s)) out.emplace_back(p);
  return out;
}

TEST(SplitConjunctsTest, SplitsTopLevelConjunctionsOnly) {
  EXPECT_THAT(Split("a && b && c"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Split("(a && b)"), ElementsAre("a", "b"));
  EXPECT_THAT(Split(" a && (b || c) "), ElementsAre("a", "(b || c)"));
  EXPECT_THAT(Split("a || b && c"), ElementsAre("a || b && c"));
  EXPECT_THAT(Split("a ? b && c : d"), ElementsAre("a ? b && c : d"));
  EXPECT_THAT(Split("f(a && b)"), ElementsAre("f(a && b)"));
  EXPECT_THAT(Split("x == 'a && b' && y"), ElementsAre("x == 'a && b'", "y"));
  EXPECT_THAT(Split("x == \"\"\"a && ' b\"\"\" && y"),
              ElementsAre("x == \"\"\"a && ' b\"\"\"", "y"));
  EXPECT_THAT(Split("(a) && (b)"), ElementsAre("(a)", "(b)"));
  EXPECT_THAT(Split("a && 'unclosed"), ElementsAre("a && 'unclosed"));
}

std::vector<std::string> Refs(std::string_view source) {
  auto parsed = expr::Parse(source);
  EXPECT_TRUE(parsed.has_value()) << source;
  std::vector<std::string> out;
  if (!parsed) return out;
  for (const AttributeRef& r : CollectAttributeRefs(*parsed->root)) {
    out.push_back((r.test_only ? "has:" : "") + r.ToString());
  }
  return out;
}

TEST(AttributeRefsTest, CollectsOutermostChainsOfTheFourVariables) {
  EXPECT_THAT(Refs("principal.tenant == resource.tenant"),
              ElementsAre("principal.tenant", "resource.tenant"));
  EXPECT_THAT(Refs("has(request.mfa) && request.mfa"), ElementsAre("has:request.mfa", "request.mfa"));
  EXPECT_THAT(Refs("principal['team'].name == 'x'"), ElementsAre("principal.team.name"));
  EXPECT_THAT(Refs("ip(request.source).inCidr('10.0.0.0/8')"), ElementsAre("request.source"));
  EXPECT_THAT(Refs("request.time.getHours() < 18 && request.time.getHours() >= 8"),
              ElementsAre("request.time"));
  EXPECT_THAT(Refs("'admin' in principal.roles || other.x"), ElementsAre("principal.roles"));
  EXPECT_THAT(Refs("context.ticket.startsWith('CHG-')"), ElementsAre("context.ticket"));
}

TEST(CompileConditionTest, KeepsConjunctsAndConstantness) {
  expr::CompileOptions options;
  auto c = CompileCondition("request.mfa && principal.level > 2", options);
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_FALSE((*c)->constant);
  EXPECT_EQ((*c)->Conjuncts().size(), 2u);
  EXPECT_THAT((*c)->Conjuncts().texts, ElementsAre("request.mfa", "principal.level > 2"));
  auto k = CompileCondition("1 > 2", options);
  ASSERT_TRUE(k.has_value());
  EXPECT_TRUE((*k)->constant);
  EXPECT_FALSE(CompileCondition("1 +", options).has_value());
}

}  // namespace
}  // namespace bulwark::access::internal
