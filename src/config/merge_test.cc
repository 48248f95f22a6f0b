#include "bulwark/config/merge.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace bulwark::config {
namespace {

// Every node at depth d gets the location source:(d+1):1.
void Tag(Document& d, Value& v, std::uint32_t depth, const std::string& source) {
  v.set_location_id(d.locations.Add(source, depth + 1, 1));
  if (ValueMap* m = v.IfMap()) {
    for (MapEntry& e : *m) Tag(d, e.value, depth + 1, source);
  } else if (ValueList* l = v.IfList()) {
    for (Value& c : *l) Tag(d, c, depth + 1, source);
  }
}

Document Layer(Value v, const std::string& source) {
  Document d;
  d.root = std::move(v);
  Tag(d, d.root, 0, source);
  return d;
}

Value Parse(std::initializer_list<std::pair<const char*, Value>> kv) {
  ValueMap m;
  for (auto& [k, v] : kv) m.Set(k, v);
  return Value(std::move(m));
}

TEST(MergeTest, MapsMergeDeeplyAndLaterLayersWin) {
  Document base = Layer(Parse({{"db", Parse({{"host", "a"}, {"port", 5432}})}, {"debug", false}}), "base.yaml");
  Document prod = Layer(Parse({{"db", Parse({{"host", "prod-db"}})}}), "prod.yaml");
  Document merged = MergeLayers({&base, &prod});
  EXPECT_EQ(Find(merged.root, Path::Parse("db.host").value())->AsString(), "prod-db");
  EXPECT_EQ(Find(merged.root, Path::Parse("db.port").value())->AsInt(), 5432);
  EXPECT_EQ(merged.ExactLocationOf(Path::Parse("db.host").value())->source, "prod.yaml");
  EXPECT_EQ(merged.ExactLocationOf(Path::Parse("db.port").value())->source, "base.yaml");
  EXPECT_EQ(merged.ExactLocationOf(Path::Parse("debug").value())->source, "base.yaml");
}

TEST(MergeTest, ListsAreReplacedWhole) {
  Document a = Layer(Parse({{"origins", ValueList{"x", "y", "z"}}}), "a");
  Document b = Layer(Parse({{"origins", ValueList{"w"}}}), "b");
  Document merged = MergeLayers({&a, &b});
  EXPECT_EQ(*Find(merged.root, Path::Parse("origins").value()), Value(ValueList{"w"}));
  EXPECT_EQ(merged.ExactLocationOf(Path::Parse("origins[0]").value())->source, "b");
}

TEST(MergeTest, ScalarReplacesMapAndMapReplacesScalar) {
  Document a = Layer(Parse({{"x", Parse({{"k", 1}})}, {"y", 5}}), "a");
  Document b = Layer(Parse({{"x", 7}, {"y", Parse({{"k", 2}})}}), "b");
  Document merged = MergeLayers({&a, &b});
  EXPECT_EQ(Find(merged.root, Path::Parse("x").value())->AsInt(), 7);
  EXPECT_EQ(Find(merged.root, Path::Parse("x.k").value()), nullptr);
  EXPECT_EQ(Find(merged.root, Path::Parse("y.k").value())->AsInt(), 2);
  EXPECT_EQ(merged.ExactLocationOf(Path::Parse("y.k").value())->source, "b");
}

TEST(MergeTest, NullInALaterLayerReplaces) {
  Document a = Layer(Parse({{"x", 1}}), "a");
  Document b = Layer(Parse({{"x", Value()}}), "b");
  EXPECT_TRUE(Find(MergeLayers({&a, &b}).root, Path::Parse("x").value())->is_null());
}

// Generated flat-ish maps for the algebraic properties of merge.
Value GenMap(int depth) {
  ValueMap m;
  const int n = *rc::gen::inRange(0, 4);
  for (int i = 0; i < n; ++i) {
    const std::string key = *rc::gen::element<std::string>("a", "b", "c", "d");
    if (depth > 0 && *rc::gen::arbitrary<bool>()) {
      m.Set(key, GenMap(depth - 1));
    } else {
      m.Set(key, Value(*rc::gen::inRange(0, 3)));
    }
  }
  return Value(std::move(m));
}

RC_GTEST_PROP(MergeProperty, MergingWithItselfChangesNothing, ()) {
  Value v = GenMap(3);
  Value merged = v;
  MergeInto(merged, v);
  RC_ASSERT(merged == v);
}

// (Deep merge is not associative: {a:{x}} < {a:1} < {a:{y}} depends on grouping, so no such
// property is claimed.) A base leaf survives unless the overlay sets its path or a prefix of it to
// something that is not a map.
RC_GTEST_PROP(MergeProperty, BaseLeavesSurviveUnlessOverridden, ()) {
  Value base = GenMap(2), overlay = GenMap(2);
  Value merged = base;
  MergeInto(merged, overlay);
  WalkLeaves(base, [&](const Path& p, const Value& v) {
    bool overridden = false;
    Path prefix;
    for (const PathSegment& seg : p.segments()) {
      prefix.Push(seg);
      const Value* o = Find(overlay, prefix);
      if (o == nullptr) break;
      if (!o->is_map() || prefix == p) {
        overridden = true;
        break;
      }
    }
    if (!overridden && !p.empty()) {
      const Value* got = Find(merged, p);
      RC_ASSERT(got != nullptr);
      RC_ASSERT(*got == v);
    }
  });
}

RC_GTEST_PROP(MergeProperty, EveryOverlayLeafWins, ()) {
  Value base = GenMap(2), overlay = GenMap(2);
  Value merged = base;
  MergeInto(merged, overlay);
  WalkLeaves(overlay, [&](const Path& p, const Value& v) {
    if (p.empty()) return;
    const Value* got = Find(merged, p);
    RC_ASSERT(got != nullptr);
    RC_ASSERT(*got == v || (v.is_map() && got->is_map()));
  });
}

}  // namespace
}  // namespace bulwark::config
