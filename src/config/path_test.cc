#include "bulwark/config/path.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace bulwark::config {
namespace {

Value Sample() {
  ValueMap db;
  db.Set("port", 5432);
  ValueMap svc;
  svc.Set("database", db);
  ValueMap root;
  root.Set("services", ValueList{Value(ValueMap()), Value(svc)});
  root.Set("a.b", "dotted");
  return Value(root);
}

TEST(PathTest, ParsesDottedPathsWithIndicesAndQuotes) {
  auto p = Path::Parse("services[1].database.port").value();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_TRUE(p.segments()[1].is_index());
  EXPECT_EQ(p.segments()[1].index(), 1u);
  EXPECT_EQ(Path::Parse("\"a.b\"").value().segments()[0].key(), "a.b");
  EXPECT_EQ(Path::Parse("x[\"a.b\"].c").value().size(), 3u);
  EXPECT_EQ(Path::Parse("'q\\'s'").value().segments()[0].key(), "q's");
  EXPECT_TRUE(Path::Parse("").value().empty());
  EXPECT_EQ(Path::Parse("[0].a").value().size(), 2u);
}

TEST(PathTest, RejectsMalformedPathsWithOffsets) {
  for (const char* bad : {"a..b", ".a", "a.", "a[", "a[x]", "a[01]", "a]", "\"open", "a b", "a[1]b"}) {
    auto r = Path::Parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("offset"), std::string::npos) << r.error().message();
  }
}

TEST(PathTest, JsonPointerFollowsRfc6901) {
  auto p = Path::ParseJsonPointer("/a~1b/m~0n/0").value();
  EXPECT_EQ(p.segments()[0].key(), "a/b");
  EXPECT_EQ(p.segments()[1].key(), "m~n");
  EXPECT_EQ(p.ToJsonPointer(), "/a~1b/m~0n/0");
  EXPECT_FALSE(Path::ParseJsonPointer("a"));
  EXPECT_FALSE(Path::ParseJsonPointer("/a~2"));
  EXPECT_EQ(Path::ParseJsonPointer("/").value().segments()[0].key(), "");
}

TEST(PathTest, FindResolvesBothNotations) {
  Value v = Sample();
  EXPECT_EQ(Find(v, Path::Parse("services[1].database.port").value())->AsInt(), 5432);
  EXPECT_EQ(Find(v, Path::ParseJsonPointer("/services/1/database/port").value())->AsInt(), 5432);
  EXPECT_EQ(Find(v, Path::Parse("\"a.b\"").value())->AsString(), "dotted");
  EXPECT_EQ(Find(v, Path::Parse("services[2]").value()), nullptr);
}

TEST(PathTest, GetNamesTheMissingSegment) {
  Value v = Sample();
  auto r = Get(v, Path::Parse("services[1].database.host").value());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().message().find("'host' not found in services[1].database"), std::string::npos)
      << r.error().message();
  auto through_scalar = Get(v, Path::Parse("services[1].database.port.x").value());
  ASSERT_FALSE(through_scalar);
  EXPECT_NE(through_scalar.error().message().find("is a int"), std::string::npos);
}

TEST(PathTest, SetCreatesIntermediatesAndAppends) {
  Value v;
  ASSERT_TRUE(Set(v, Path::Parse("a.b[0].c").value(), 1));
  ASSERT_TRUE(Set(v, Path::Parse("a.b[1]").value(), 2));
  EXPECT_EQ(Find(v, Path::Parse("a.b[0].c").value())->AsInt(), 1);
  EXPECT_EQ(Find(v, Path::Parse("a.b[1]").value())->AsInt(), 2);
  EXPECT_FALSE(Set(v, Path::Parse("a.b[5]").value(), 3));
  EXPECT_FALSE(Set(v, Path::Parse("a.b[1].x").value(), 3));  // through a scalar
  EXPECT_EQ(Find(v, Path::Parse("a.b[1]").value())->AsInt(), 2);
  EXPECT_FALSE(Set(v, Path::Parse("z.y").value(), 1, SetOptions{.create_missing = false}));
}

TEST(PathTest, RemoveDeletesAndReportsMissing) {
  Value v = Sample();
  ASSERT_TRUE(Remove(v, Path::Parse("services[0]").value()));
  EXPECT_EQ(Find(v, Path::Parse("services[0].database.port").value())->AsInt(), 5432);
  auto r = Remove(v, Path::Parse("nope").value());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST(PathTest, WalkLeavesVisitsInDocumentOrder) {
  std::vector<std::string> seen;
  WalkLeaves(Sample(), [&](const Path& p, const Value&) { seen.push_back(p.ToString()); });
  EXPECT_EQ(seen, (std::vector<std::string>{"services[0]", "services[1].database.port", "\"a.b\""}));
}

RC_GTEST_PROP(PathProperty, ToStringParsesBack, (const std::vector<std::string>& keys, unsigned idx)) {
  Path p;
  for (const auto& k : keys) p.Push(PathSegment::Key(k));
  p.Push(PathSegment::Index(idx % 1000));
  auto back = Path::Parse(p.ToString());
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == p);
  auto ptr = Path::ParseJsonPointer(p.ToJsonPointer());
  RC_ASSERT(ptr.has_value());
  RC_ASSERT(ptr->ToJsonPointer() == p.ToJsonPointer());
}

}  // namespace
}  // namespace bulwark::config
