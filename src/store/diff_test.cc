#include "bulwark/store/diff.h"

#include <gtest/gtest.h>

namespace bulwark::store {
namespace {

using config::Value;
using config::ValueList;
using config::ValueMap;

TEST(DiffTest, EqualTreesHaveNoDifferences) {
  ValueMap m;
  m.Set("a", Value(ValueList{Value(1), Value("x")}));
  EXPECT_TRUE(DiffValues(Value(m), Value(m)).empty());
}

TEST(DiffTest, TypeChangeOfALeafIsAChange) {
  ValueMap a, b;
  a.Set("k", Value(1));
  b.Set("k", Value(1.0));
  auto d = DiffValues(Value(a), Value(b));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, DiffEntry::Kind::kChanged);
  EXPECT_EQ(d[0].path, "k");
}

TEST(DiffTest, ScalarReplacedByAMapIsARemovalAndAnAddition) {
  ValueMap a, b, inner;
  a.Set("k", Value("x"));
  inner.Set("y", Value(2));
  b.Set("k", Value(inner));
  auto d = DiffValues(Value(a), Value(b));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].path, "k");
  EXPECT_EQ(d[0].kind, DiffEntry::Kind::kRemoved);
  EXPECT_EQ(d[1].path, "k.y");
  EXPECT_EQ(d[1].kind, DiffEntry::Kind::kAdded);
}

TEST(DiffTest, ListElementsArePaths) {
  ValueMap a, b;
  a.Set("l", Value(ValueList{Value(1), Value(2)}));
  b.Set("l", Value(ValueList{Value(1), Value(3), Value(4)}));
  auto d = DiffValues(Value(a), Value(b));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].path, "l[1]");
  EXPECT_EQ(d[0].kind, DiffEntry::Kind::kChanged);
  EXPECT_EQ(d[1].path, "l[2]");
  EXPECT_EQ(d[1].kind, DiffEntry::Kind::kAdded);
}

TEST(DiffTest, EncryptedTokensAreRedactedOnEveryKind) {
  ValueMap a, b;
  a.Set("gone", Value("ENC[v1,x]"));
  a.Set("plain_to_secret", Value("hunter2"));
  b.Set("new", Value("ENC[v1,y]"));
  b.Set("plain_to_secret", Value("ENC[v1,z]"));
  auto d = DiffValues(Value(a), Value(b));
  ASSERT_EQ(d.size(), 3u);
  for (const DiffEntry& e : d) {
    EXPECT_TRUE(e.redacted) << e.path;
    EXPECT_FALSE(e.old_value.has_value()) << e.path;
    EXPECT_FALSE(e.new_value.has_value()) << e.path;
  }
  EXPECT_TRUE(IsEncryptedToken(Value("ENC[")));
  EXPECT_FALSE(IsEncryptedToken(Value("enc[")));
  EXPECT_FALSE(IsEncryptedToken(Value(1)));
}

}  // namespace
}  // namespace bulwark::store
