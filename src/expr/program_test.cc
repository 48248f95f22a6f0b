#include "bulwark/expr/program.h"

#include <gtest/gtest.h>

#include "bulwark/config/format.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/test_data.h"
#include "expr/test_util.h"

namespace bulwark::expr {
namespace {

using testing::RunExpr;
using testing::Show;

TEST(ProgramTest, IntegerOverflowIsAnError) {
  EXPECT_EQ(Show("9223372036854775807 + 1"), "error: return error for overflow");
  EXPECT_EQ(Show("-9223372036854775808 - 1"), "error: return error for overflow");
  EXPECT_EQ(Show("-9223372036854775808 / -1"), "error: return error for overflow");
  EXPECT_EQ(Show("0u - 1u"), "error: return error for overflow");
  EXPECT_EQ(Show("18446744073709551615u * 2u"), "error: return error for overflow");
  EXPECT_EQ(Show("1 / 0"), "error: divide by zero");
  EXPECT_EQ(Show("1 % 0"), "error: modulus by zero");
  EXPECT_EQ(Show("-7 / 2"), "-3");
  EXPECT_EQ(Show("-7 % 2"), "-1");
}

TEST(ProgramTest, NumericEqualityAndOrderingAreHeterogeneous) {
  EXPECT_EQ(Show("1 == 1u && 1u == 1.0 && 1 == 1.0"), "true");
  EXPECT_EQ(Show("-1 < 0u && 2u > 1.5 && 1.5 < 2"), "true");
  EXPECT_EQ(Show("1 == 'a'"), "false");
  EXPECT_EQ(Show("[1, 2] == [1.0, 2u]"), "true");
  EXPECT_EQ(Show("{1: 'a'}[1u]"), "\"a\"");
  EXPECT_EQ(Show("1 + 1u"), "error: no such overload: _+_(int, uint)");
  EXPECT_EQ(Show("'a' < 1"), "error: no such overload: _<_(string, int)");
}

TEST(ProgramTest, LogicalOperatorsAbsorbErrorsCommutatively) {
  EXPECT_EQ(Show("false && (1 / 0 == 1)"), "false");
  EXPECT_EQ(Show("(1 / 0 == 1) && false"), "false");
  EXPECT_EQ(Show("true || (1 / 0 == 1)"), "true");
  EXPECT_EQ(Show("(1 / 0 == 1) || true"), "true");
  EXPECT_EQ(Show("(1 / 0 == 1) && true"), "error: divide by zero");
  EXPECT_EQ(Show("true && 'x'"), "error: no such overload: _&&_ applied to 'string'");
  EXPECT_EQ(Show("[0, -1].all(x, 1 / x > 0)"), "false");
  EXPECT_EQ(Show("[0, 1].exists(x, 1 / x > 0)"), "true");
  EXPECT_EQ(Show("[0].exists(x, 1 / x > 0)"), "error: divide by zero");
}

TEST(ProgramTest, InWorksOnListsAndMaps) {
  EXPECT_EQ(Show("'b' in ['a', 'b']"), "true");
  EXPECT_EQ(Show("'c' in ['a', 'b']"), "false");
  EXPECT_EQ(Show("2 in [1, 2.0]"), "true");
  EXPECT_EQ(Show("'k' in {'k': 1}"), "true");
  EXPECT_EQ(Show("'x' in 'xyz'"), "error: no such overload: @in(string, string)");
  // A constant list of more than 8 strings uses a prebuilt hash set.
  EXPECT_EQ(Show("'j' in ['a','b','c','d','e','f','g','h','i','j']"), "true");
  EXPECT_EQ(Show("'z' in ['a','b','c','d','e','f','g','h','i','j']"), "false");
}

TEST(ProgramTest, StringAndBytesFunctions) {
  EXPECT_EQ(Show("size('héllo')"), "5");
  EXPECT_EQ(Show("size(b'h\\xc3\\xa9')"), "3");
  EXPECT_EQ(Show("'hello'.contains('ell') && 'hello'.startsWith('he') && 'hello'.endsWith('lo')"),
            "true");
  EXPECT_EQ(Show("'abc123'.matches('^[a-z]+[0-9]+$')"), "true");
  EXPECT_EQ(Show("'abc'.matches('(')").substr(0, 34), "error: invalid regular expression:");
}

TEST(ProgramTest, Conversions) {
  EXPECT_EQ(Show("int('-42')"), "-42");
  EXPECT_EQ(Show("int(2.9)"), "2");
  EXPECT_EQ(Show("int(18446744073709551615u)").substr(0, 7), "error: ");
  EXPECT_EQ(Show("uint(-1)").substr(0, 7), "error: ");
  EXPECT_EQ(Show("double('1.5')"), "1.5");
  EXPECT_EQ(Show("string(1.5) + string(2u) + string(true)"), "\"1.52true\"");
  EXPECT_EQ(Show("string(b'\\xff')").substr(0, 7), "error: ");
  EXPECT_EQ(Show("bytes('a')"), "b\"a\"");
  EXPECT_EQ(Show("bool('true') && !bool('f')"), "true");
  EXPECT_EQ(Show("dyn(1) == 1"), "true");
  EXPECT_EQ(Show("type(1) == int && type('a') == string && type(type) == type"), "true");
  EXPECT_EQ(Show("type([]) == list && type({}) == map && type(null) == null_type"), "true");
}

TEST(ProgramTest, TimestampsAndDurations) {
  EXPECT_EQ(Show("string(timestamp('2009-02-13T23:31:30Z') + duration('1h30m'))"),
            "\"2009-02-14T01:01:30Z\"");
  EXPECT_EQ(Show("string(duration('1.5s'))"), "\"1.5s\"");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z') - timestamp('2009-02-13T23:31:00Z') == "
                 "duration('30s')"),
            "true");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getFullYear()"), "2009");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getMonth()"), "1");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getDayOfYear()"), "43");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getDate()"), "13");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getDayOfMonth()"), "12");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getDayOfWeek()"), "5");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30.123Z').getMilliseconds()"), "123");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getHours('+05:30')"), "5");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getMinutes('+05:30')"), "1");
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z').getDate('Australia/Sydney')"), "14");
  EXPECT_EQ(Show("timestamp('2009-07-01T12:00:00Z').getHours('Europe/Paris')"), "14");
  EXPECT_EQ(Show("timestamp('2009-01-01T12:00:00Z').getHours('Europe/Paris')"), "13");
  EXPECT_EQ(Show("timestamp('2009-01-01T00:00:00Z').getHours('Not/AZone')").substr(0, 7),
            "error: ");
  EXPECT_EQ(Show("duration('3h25m').getMinutes()"), "205");
  EXPECT_EQ(Show("timestamp('9999-12-31T23:59:59Z') + duration('1s')"),
            "error: timestamp out of range");
  EXPECT_EQ(Show("duration('320000000000s')"), "error: duration out of range");
  EXPECT_EQ(Show("timestamp('2009-02-30T00:00:00Z')").substr(0, 7), "error: ");
}

TEST(ProgramTest, MacrosWork) {
  EXPECT_EQ(Show("[1, 2, 3].map(x, x * 2)"), "[2, 4, 6]");
  EXPECT_EQ(Show("[1, 2, 3].map(x, x > 1, x * 10)"), "[20, 30]");
  EXPECT_EQ(Show("[1, 2, 3].filter(x, x != 2)"), "[1, 3]");
  EXPECT_EQ(Show("[1, 2, 3].exists_one(x, x == 2)"), "true");
  EXPECT_EQ(Show("{'a': 1, 'b': 2}.all(k, k.size() == 1)"), "true");
  EXPECT_EQ(Show("has({'a': 1}.a) && !has({'a': 1}.b)"), "true");
  EXPECT_EQ(Show("[[1], [2, 3]].exists(l, l.exists(x, x == 3))"), "true");
}

config::Value ServiceDoc() {
  config::ValueMap db;
  db.Set("host", config::Value("db.internal"));
  db.Set("port", config::Value(5432));
  config::ValueMap svc;
  svc.Set("name", config::Value("api"));
  svc.Set("database", config::Value(std::move(db)));
  config::ValueList origins;
  origins.emplace_back("https://a.example");
  origins.emplace_back("*");
  svc.Set("origins", config::Value(std::move(origins)));
  return config::Value(std::move(svc));
}

TEST(ProgramTest, EvaluatesDirectlyOverTheConfigTree) {
  config::Value doc = ServiceDoc();
  Activation vars;
  vars.BindNode("item", doc);
  EXPECT_EQ(Show("item.database.port > 1024", vars), "true");
  EXPECT_EQ(Show("item.origins.exists(o, o == '*')", vars), "true");
  EXPECT_EQ(Show("item.name + '!'", vars), "\"api!\"");
  EXPECT_EQ(Show("has(item.database.host) && !has(item.database.user)", vars), "true");
  EXPECT_EQ(Show("item.database.user", vars), "error: no such key: user");
  EXPECT_EQ(Show("item.name.first", vars).substr(0, 22), "error: type 'string' d");
  EXPECT_EQ(Show("missing.x", vars),
            "error: undeclared reference to 'missing' (no such attribute)");
  // The result borrows from the document: no copy.
  auto r = RunExpr("item.database", vars);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->borrowed_node(), doc.Get("database"));
  auto s = RunExpr("item.name", vars);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->str().data(), doc.Get("name")->AsString().data());
}

TEST(ProgramTest, QualifiedNamesResolveThroughTheContainer) {
  Activation vars;
  vars.Bind("com.example.y", Value::Int(1));
  vars.Bind("y", Value::Int(2));
  CompileOptions opts;
  opts.container = "com.example";
  EXPECT_EQ(Show("y", vars, opts), "1");
  EXPECT_EQ(Show(".y", vars, opts), "2");
  EXPECT_EQ(Show("[5].map(y, y)", vars, opts), "[5]");
}

TEST(ProgramTest, BudgetExhaustionIsResourceExhausted) {
  CompileOptions opts;
  opts.limits.cost_budget = 1000;
  auto r = RunExpr(
      "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10]"
      ".map(c, a + b + c))).size() > 0",
      {}, opts);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kResourceExhausted);
  // Budget exhaustion is not absorbed by || .
  auto r2 = RunExpr(
      "true || [1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, a)).size() > 0"
      " || true",
      {}, opts);
  ASSERT_TRUE(r2.has_value());  // short-circuit: the expensive part never runs
  auto r3 = RunExpr(
      "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,"
      "10].map(c, a))).size() > 0 || true",
      {}, opts);
  ASSERT_FALSE(r3.has_value());
  EXPECT_EQ(r3.error().code(), ErrorCode::kResourceExhausted);
  // The same program within budget works.
  EXPECT_EQ(Show("[1, 2].map(a, a)", {}, opts), "[1, 2]");
}

TEST(ProgramTest, SizeLimitsCapBuiltValues) {
  CompileOptions opts;
  opts.limits.max_string_size = 16;
  opts.limits.max_list_size = 4;
  Activation vars;
  vars.Bind("s", Value::String("0123456789"));
  vars.Bind("l", Value::List({Value::Int(1), Value::Int(2), Value::Int(3)}));
  auto r = RunExpr("s + s", vars, opts);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kResourceExhausted);
  auto l = RunExpr("l + l", vars, opts);
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(Show("l.map(x, x)", vars, opts), "[1, 2, 3]");
}

TEST(ProgramTest, StatsReportTheCost) {
  auto p = Program::Compile("[1, 2, 3].exists(x, x == 3)");
  ASSERT_TRUE(p.has_value());
  EvalStats stats;
  ASSERT_TRUE((*p)->Evaluate({}, &stats).has_value());
  EXPECT_GE(stats.cost, 3u);
}

TEST(ProgramTest, EvaluateBoolRejectsNonBoolResults) {
  auto p = Program::Compile("1 + 1");
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE((*p)->EvaluateBool({}).has_value());
}

// The benchmark workload must give exactly the 455 findings computed independently.
TEST(ProgramTest, BaselineRulesFindExactly455ProblemsInTheBenchWorkload) {
  ASSERT_OK_AND_ASSIGN(
      std::string rules_text,
      bulwark::testing::ReadDataFile(bulwark::testing::WorkloadPath("baseline-services.yaml")));
  ASSERT_OK_AND_ASSIGN(
      std::string services_text,
      bulwark::testing::ReadDataFile(bulwark::testing::WorkloadPath("services-1000.json")));
  auto rules = config::ParseDocument(rules_text, config::Format::kYaml);
  auto services = config::ParseDocument(services_text, config::Format::kJson);
  ASSERT_TRUE(rules.has_value()) << rules.error();
  ASSERT_TRUE(services.has_value()) << services.error();
  ASSERT_NE(rules->root.Get("rules"), nullptr);
  ASSERT_NE(services->root.Get("services"), nullptr);
  int findings = 0;
  Activation vars;
  for (const auto& rule : rules->root.Get("rules")->AsList()) {
    std::unique_ptr<Program> when;
    if (const auto* w = rule.Get("when")) {
      auto p = Program::Compile(w->AsString());
      ASSERT_TRUE(p.has_value());
      when = std::move(*p);
    }
    auto check = Program::Compile(rule.Get("check")->AsString());
    ASSERT_TRUE(check.has_value());
    for (const auto& svc : services->root.Get("services")->AsList()) {
      vars.BindNode("item", svc);
      if (when) {
        auto w = when->EvaluateBool(vars);
        ASSERT_TRUE(w.has_value());
        if (!*w) continue;
      }
      auto c = (*check)->EvaluateBool(vars);
      ASSERT_TRUE(c.has_value());
      if (!*c) ++findings;
    }
  }
  EXPECT_EQ(findings, 455);
}

}  // namespace
}  // namespace bulwark::expr
