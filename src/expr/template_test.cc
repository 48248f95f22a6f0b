#include "bulwark/expr/template.h"

#include <gtest/gtest.h>

namespace bulwark::expr {
namespace {

TEST(TemplateTest, SplitsLiteralsAndTrimmedExpressions) {
  auto s = SplitTemplate("a {{ x.y }} b{{z}}");
  ASSERT_TRUE(s.has_value()) << s.error().message();
  ASSERT_EQ(s->size(), 4u);
  EXPECT_FALSE((*s)[0].is_expression);
  EXPECT_EQ((*s)[0].text, "a ");
  EXPECT_TRUE((*s)[1].is_expression);
  EXPECT_EQ((*s)[1].text, "x.y");
  EXPECT_EQ((*s)[2].text, " b");
}

TEST(TemplateTest, RejectsUnclosedAndEmptyPlaceholdersNamingTheOffset) {
  auto unclosed = SplitTemplate("ab {{ x");
  ASSERT_FALSE(unclosed.has_value());
  EXPECT_NE(unclosed.error().message().find("offset 3"), std::string::npos);
  EXPECT_FALSE(SplitTemplate("{{  }}").has_value());
}

TEST(TemplateTest, PrintsValuesWithoutQuotes) {
  std::string out;
  AppendValueText(Value::StringView("alice"), out);
  out += ' ';
  AppendValueText(Value::Int(6), out);
  out += ' ';
  AppendValueText(Value::Bool(true), out);
  EXPECT_EQ(out, "alice 6 true");
}

}  // namespace
}  // namespace bulwark::expr
