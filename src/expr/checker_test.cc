#include "bulwark/expr/checker.h"

#include <gtest/gtest.h>

#include "bulwark/expr/program.h"

namespace bulwark::expr {
namespace {

Result<std::string> CheckSource(const std::string& src, const Declarations& decls) {
  BULWARK_ASSIGN_OR_RETURN(ParsedExpr p, Parse(src));
  return Check(p, decls);
}

Declarations ServiceDecls() {
  Declarations d;
  d.Add("item", "map(string, dyn)");
  d.Add("request", "map(string, string)");
  d.Add("count", "int");
  d.Add("names", "list(string)");
  return d;
}

TEST(CheckerTest, AcceptsWellTypedExpressions) {
  Declarations d = ServiceDecls();
  EXPECT_EQ(*CheckSource("item.environment == 'production'", d), "bool");
  EXPECT_EQ(*CheckSource("request.path.startsWith('/api')", d), "bool");
  EXPECT_EQ(*CheckSource("count + 1", d), "int");
  EXPECT_EQ(*CheckSource("names.map(n, size(n))", d), "list(int)");
  EXPECT_EQ(*CheckSource("names.exists(n, n == 'a') && count > 2u", d), "bool");
  EXPECT_EQ(*CheckSource("ip('10.0.0.1').inCidr('10.0.0.0/8')", d), "bool");
}

// Type names are values, the extension types' too, as the evaluator resolves them.
TEST(CheckerTest, AcceptsTypeIdentifiersTheEvaluatorKnows) {
  Declarations d = ServiceDecls();
  EXPECT_EQ(*CheckSource("type(count) == int", d), "bool");
  EXPECT_EQ(*CheckSource("type(item) == google.protobuf.Timestamp", d), "bool");
  auto ip = CheckSource("type(ip('10.0.0.1')) == net.IP", d);
  ASSERT_TRUE(ip) << ip.error();
  EXPECT_EQ(*ip, "bool");
  EXPECT_EQ(*CheckSource("semver.Version", d), "type");
}

TEST(CheckerTest, RejectsUnknownIdentifiers) {
  auto r = CheckSource("itme.environment == 'x'", ServiceDecls());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("undeclared reference to 'itme'"), std::string::npos);
  EXPECT_NE(r.error().message().find("1:1"), std::string::npos);
}

TEST(CheckerTest, RejectsWrongArgumentTypes) {
  Declarations d = ServiceDecls();
  EXPECT_FALSE(CheckSource("size(count)", d).has_value());
  EXPECT_FALSE(CheckSource("request.path.startsWith(1)", d).has_value());
  EXPECT_FALSE(CheckSource("count + 'a'", d).has_value());
  EXPECT_FALSE(CheckSource("count.field", d).has_value());
  EXPECT_FALSE(CheckSource("names.all(n, n)", d).has_value());
  EXPECT_FALSE(CheckSource("count && true", d).has_value());
  EXPECT_FALSE(CheckSource("nosuchfn(1)", d).has_value());
  EXPECT_FALSE(CheckSource("'a' < 1", d).has_value());
}

TEST(CheckerTest, CompileRunsTheCheckerWhenDeclarationsAreGiven) {
  Declarations d = ServiceDecls();
  CompileOptions opts;
  opts.declarations = &d;
  EXPECT_FALSE(Program::Compile("size(count)", opts).has_value());
  auto p = Program::Compile("count * 2", opts);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ((*p)->result_type(), "int");
}

}  // namespace
}  // namespace bulwark::expr
