#include "bulwark/config/value.h"

#include <gtest/gtest.h>

namespace bulwark::config {
namespace {

TEST(ValueTest, HoldsEveryType) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(true).AsBool());
  EXPECT_EQ(Value(42).AsInt(), 42);
  EXPECT_EQ(Value(std::int64_t{-7}).AsInt(), -7);
  EXPECT_DOUBLE_EQ(Value(1.5).AsDouble(), 1.5);
  EXPECT_EQ(Value("s").AsString(), "s");
  EXPECT_EQ(Value::FromBytes({1, 2}).AsBytes().size(), 2u);
  EXPECT_TRUE(Value::EmptyList().is_list());
  EXPECT_TRUE(Value::EmptyMap().is_map());
  EXPECT_EQ(ValueTypeName(Value(1.0).type()), "double");
}

TEST(ValueTest, EqualityIsTypeStrict) {
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_EQ(Value(ValueList{1, "a"}), Value(ValueList{1, "a"}));
}

TEST(ValueTest, LocationIdIsCopiedButIsNotPartOfTheValue) {
  Value a("x");
  a.set_location_id(7);
  Value b = a;
  EXPECT_EQ(b.location_id(), 7u);
  Value c("x");
  EXPECT_EQ(c.location_id(), 0u);
  EXPECT_EQ(a, c);
  // Assigning a new value replaces the location with the new value's (none).
  a = Value(ValueMap());
  EXPECT_EQ(a.location_id(), 0u);
  // Changing a container in place keeps the container's location (the id shares storage with the
  // variant's padding and must survive writes to the payload).
  Value m = Value::EmptyMap();
  m.set_location_id(3);
  m.AsMap().Set("k", Value(1));
  m.AsMap().Set("long key that does not fit in the small string buffer", Value("v"));
  EXPECT_EQ(m.location_id(), 3u);
}

TEST(ValueMapTest, KeepsInsertionOrderAndReplacesInPlace) {
  ValueMap m;
  m.Set("z", 1);
  m.Set("a", 2);
  m.Set("m", 3);
  m.Set("a", 20);
  std::vector<std::string> keys;
  for (const auto& e : m) keys.push_back(e.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_EQ(m.Find("a")->AsInt(), 20);
  EXPECT_FALSE(m.Insert("z", 5).second);
  EXPECT_TRUE(m.Erase("a"));
  EXPECT_FALSE(m.Erase("a"));
  EXPECT_EQ(m.size(), 2u);
}

TEST(ValueMapTest, LargeMapsStayCorrectAcrossTheIndexThreshold) {
  ValueMap m;
  for (int i = 0; i < 1000; ++i) m.Set("key" + std::to_string(i), i);
  for (int i = 0; i < 1000; i += 37) EXPECT_EQ(m.Find("key" + std::to_string(i))->AsInt(), i);
  EXPECT_TRUE(m.Erase("key500"));
  EXPECT_EQ(m.Find("key500"), nullptr);
  EXPECT_EQ(m.Find("key501")->AsInt(), 501);
  ValueMap copy = m;
  EXPECT_EQ(copy.Find("key999")->AsInt(), 999);
  EXPECT_EQ(copy, m);
}

TEST(ValueTest, CountsLeaves) {
  ValueMap m;
  m.Set("a", 1);
  m.Set("b", ValueList{1, 2, ValueMap()});
  EXPECT_EQ(Value(m).CountLeaves(), 4u);
}

}  // namespace
}  // namespace bulwark::config
