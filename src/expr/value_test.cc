#include "bulwark/expr/value.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bulwark::expr {
namespace {

TEST(ValueTest, BorrowPointsIntoTheTree) {
  config::ValueMap m;
  m.Set("k", config::Value("v"));
  config::Value doc(std::move(m));
  Value v = Value::Borrow(doc);
  EXPECT_EQ(v.kind(), Kind::kMap);
  EXPECT_EQ(v.borrowed_node(), &doc);
  Value out;
  ASSERT_TRUE(v.MapFindString("k", &out));
  EXPECT_EQ(out.str().data(), doc.Get("k")->AsString().data());
  EXPECT_FALSE(v.MapFindString("x", &out));
}

TEST(ValueTest, EqualityIsHeterogeneousForNumbersOnly) {
  EXPECT_TRUE(Equal(Value::Int(1), Value::Uint(1)));
  EXPECT_TRUE(Equal(Value::Int(1), Value::Double(1.0)));
  EXPECT_FALSE(Equal(Value::Int(-1), Value::Uint(18446744073709551615u)));
  EXPECT_FALSE(Equal(Value::Int(1), Value::String("1")));
  EXPECT_FALSE(Equal(Value::Double(NAN), Value::Double(NAN)));
  EXPECT_FALSE(Equal(Value::Error("x"), Value::Error("x")));
}

TEST(ValueTest, CompareOrdersMixedNumbers) {
  int c = 0;
  ASSERT_TRUE(Compare(Value::Int(-1), Value::Uint(0), &c));
  EXPECT_EQ(c, -1);
  ASSERT_TRUE(Compare(Value::Uint(3), Value::Double(2.5), &c));
  EXPECT_EQ(c, 1);
  EXPECT_FALSE(Compare(Value::Double(NAN), Value::Int(1), &c));
  EXPECT_FALSE(Compare(Value::String("a"), Value::Int(1), &c));
  ASSERT_TRUE(Compare(Value::Duration(1, 5), Value::Duration(1, 7), &c));
  EXPECT_EQ(c, -1);
}

TEST(ValueTest, CopiesShareOwnedPayloads) {
  Value a = Value::String("hello");
  Value b = a;
  EXPECT_EQ(a.str().data(), b.str().data());
  Value e = Value::Error("boom", ErrorCode::kResourceExhausted);
  EXPECT_EQ(e.error_code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(e.error_message(), "boom");
}

}  // namespace
}  // namespace bulwark::expr
