// bulwark expr, end to end: result as JSON, evaluation errors (exit 1), parse errors (exit 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;

TEST(ExprCliTest, PrintsTheResultAsJson) {
  auto r = RunBulwark({"expr",
                       "{'a': [1, 2u, 2.5], 'b': b'hi', 't': timestamp('2009-02-13T23:31:30Z'),"
                       " 'd': duration('90s')}"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"a\":[1,2,2.5],\"b\":\"aGk=\",\"t\":\"2009-02-13T23:31:30Z\",\"d\":\"90s\"}\n");
}

TEST(ExprCliTest, OptionsBeforeTheExpressionAndDoubleDash) {
  auto r = RunBulwark({"expr", "--vars", "{\"item\": {\"port\": 8080, \"tags\": [\"a\", \"b\"]}}",
                       "item.port > 1024 && 'b' in item.tags"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "true\n");
  auto neg = RunBulwark({"expr", "--", "-7 / 2"});
  EXPECT_EQ(neg.exit_code, 0) << neg.err;
  EXPECT_EQ(neg.out, "-3\n");
}

class ExprFileCliTest : public CliTest {};

TEST_F(ExprFileCliTest, ReadsVariablesFromAFile) {
  std::string path = Write("vars.yaml", "request:\n  path: /api/v1/users\n  ip: 10.1.2.3\n");
  auto r =
      RunBulwark({"expr", "--vars-file", path,
                  "request.path.matchesGlob('/api/**') && ip(request.ip).inCidr('10.0.0.0/8')"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "true\n");
}

TEST(ExprCliTest, EvaluationErrorExitsOne) {
  auto r = RunBulwarkBinary("expr '1 / 0'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("divide by zero"));
  auto missing = RunBulwarkBinary("expr --vars '{\"a\": {}}' 'a.b'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no such key: b"));
}

TEST(ExprCliTest, ParseErrorExitsTwoWithACaret) {
  auto r = RunBulwarkBinary("expr '1 + (2'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("1:7: Syntax error: expected ')'"));
  EXPECT_THAT(r.err, HasSubstr(" | 1 + (2\n | ......^"));
}

TEST(ExprCliTest, BadVariablesAreBadInput) {
  auto r = RunBulwark({"expr", "--vars", "{not json", "1"});
  EXPECT_EQ(r.exit_code, 2);
  auto arr = RunBulwark({"expr", "--vars", "[1]", "1"});
  EXPECT_EQ(arr.exit_code, 2);
}

TEST(ExprCliTest, TheBudgetIsAWholeNumberWithACap) {
  EXPECT_EQ(RunBulwark({"expr", "--budget", "5000", "1 + 1"}).out, "2\n");
  for (const char* bad : {"-1", "0", "100000001", "18446744073709551615", "1e6", "abc", ""}) {
    auto r = RunBulwark({"expr", "--budget", bad, "1 + 1"});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("--budget: expected a cost budget from 1 to 100000000")) << bad;
  }
  // A small budget stops an evaluation that needs more (exit 1), it does not run away.
  auto over = RunBulwark({"expr", "--budget", "10", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(x, x * 2)"});
  EXPECT_EQ(over.exit_code, 1) << over.out;
}

}  // namespace
}  // namespace bulwark::testing
