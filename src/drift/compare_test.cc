#include "bulwark/drift/compare.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "bulwark/config/format.h"

namespace bulwark::drift {
namespace {

Fingerprinter TestFingerprinter() {
  auto f = Fingerprinter::Create(SecretBytes::FromString(std::string(32, 'k')));
  if (!f) std::abort();
  return std::move(*f);
}

config::Document Yaml(std::string_view text, std::string name = "live.yaml") {
  auto d = config::ParseDocument(text, config::Format::kYaml, {.source_name = std::move(name)});
  if (!d) ADD_FAILURE() << d.error().ToString();
  return d ? std::move(*d) : config::Document{};
}

config::Path P(std::string_view s) { return *config::Path::Parse(s); }

Baseline BaseOf(std::string_view yaml, std::vector<config::Path> sensitive = {}) {
  Baseline b;
  b.document = Yaml(yaml, "base.yaml").root;
  b.sensitive = std::move(sensitive);
  return b;
}

Live LiveOf(std::string_view yaml, std::vector<config::Path> sensitive = {}) {
  Live l;
  l.document = Yaml(yaml);
  l.sensitive = std::move(sensitive);
  l.source = "file:live.yaml";
  return l;
}

TEST(CompareTest, ReportsAddedRemovedAndChangedPathsWithTheLiveProvenance) {
  const auto r = Compare(BaseOf("db:\n  host: a\n  port: 5432\nold: 1\n"),
                         LiveOf("db:\n  host: b\n  port: 5432\nnew: 2\n"), {}, TestFingerprinter());
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].path, P("db.host"));
  EXPECT_EQ(r.entries[0].kind, ChangeKind::kChanged);
  EXPECT_EQ(r.entries[0].baseline, config::Value("a"));
  EXPECT_EQ(r.entries[0].live, config::Value("b"));
  EXPECT_EQ(r.entries[0].provenance, "live.yaml:2:9");
  EXPECT_EQ(r.entries[1].path, P("new"));
  EXPECT_EQ(r.entries[1].kind, ChangeKind::kAdded);
  EXPECT_EQ(r.entries[2].path, P("old"));
  EXPECT_EQ(r.entries[2].kind, ChangeKind::kRemoved);
  EXPECT_EQ(r.entries[2].provenance, "file:live.yaml");
}

TEST(CompareTest, StringsFromTheEnvironmentEqualTypedBaselineValues) {
  const auto r = Compare(BaseOf("port: 5432\ndebug: false\nratio: 0.5\n"),
                         LiveOf("port: '5432'\ndebug: 'off'\nratio: '0.5'\n"), {},
                         TestFingerprinter());
  EXPECT_FALSE(r.drifted());
  const auto changed = Compare(BaseOf("port: 5432\n"), LiveOf("port: '5433'\n"), {},
                               TestFingerprinter());
  EXPECT_TRUE(changed.drifted());
}

TEST(CompareTest, SensitiveValuesAreComparedByFingerprintAndNeverCarried) {
  const Fingerprinter f = TestFingerprinter();
  Baseline base = BaseOf("db:\n  password: '[redacted]'\n", {P("db.password")});
  base.fingerprints[P("db.password")] = f.Of(config::Value("hunter2"));
  auto same = Compare(base, LiveOf("db:\n  password: hunter2\n"), {}, f);
  EXPECT_FALSE(same.drifted());
  auto changed = Compare(base, LiveOf("db:\n  password: hunter3\n"), {}, f);
  ASSERT_EQ(changed.entries.size(), 1u);
  EXPECT_TRUE(changed.entries[0].sensitive);
  EXPECT_FALSE(changed.entries[0].baseline.has_value());
  EXPECT_FALSE(changed.entries[0].live.has_value());
  // Only the live side's keyed fingerprint is kept, so that drifting again to another value is a
  // different drift (drift watch records each once); the value itself is nowhere in the entry.
  EXPECT_EQ(changed.entries[0].live_fingerprint, f.Of(config::Value("hunter3")));
  auto again = Compare(base, LiveOf("db:\n  password: hunter4\n"), {}, f);
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_NE(again.entries[0].live_fingerprint, changed.entries[0].live_fingerprint);
  EXPECT_EQ(changed.entries[0].live_fingerprint.find("hunter"), std::string::npos);
  auto added = Compare(BaseOf("x: 1\n"), LiveOf("x: 1\ntoken: t0k\n", {P("token")}), {}, f);
  ASSERT_EQ(added.entries.size(), 1u);
  EXPECT_EQ(added.entries[0].live_fingerprint, f.Of(config::Value("t0k")));
}

TEST(CompareTest, AValueSensitiveOnlyOnTheLiveSideIsNotShown) {
  auto r = Compare(BaseOf("api_key: abc\n"), LiveOf("api_key: xyz\n", {P("api_key")}), {},
                   TestFingerprinter());
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_TRUE(r.entries[0].sensitive);
  EXPECT_FALSE(r.entries[0].baseline.has_value());
}

TEST(CompareTest, ASensitiveSubtreeIsOneUnit) {
  const Fingerprinter f = TestFingerprinter();
  Baseline base = BaseOf("creds:\n  user: u\n  pass: p\n", {P("creds")});
  auto same = Compare(base, LiveOf("creds:\n  user: u\n  pass: p\n"), {}, f);
  EXPECT_FALSE(same.drifted());
  auto changed = Compare(base, LiveOf("creds:\n  user: u\n  pass: q\n"), {}, f);
  ASSERT_EQ(changed.entries.size(), 1u);
  EXPECT_EQ(changed.entries[0].path, P("creds"));
}

TEST(CompareTest, IgnoreRulesDropMatchingPathsAndCountThem) {
  auto rules = IgnoreRules::Create({"meta.*", "pods"});
  ASSERT_TRUE(rules) << rules.error().ToString();
  auto r = Compare(BaseOf("meta:\n  build: 1\npods:\n  - a\nx: 1\n"),
                   LiveOf("meta:\n  build: 2\npods:\n  - b\nx: 2\n"), *rules, TestFingerprinter());
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].path, P("x"));
  EXPECT_EQ(r.ignored, 2u);
}

TEST(FingerprinterTest, RefusesAShortKeyAndDependsOnTheKey) {
  EXPECT_FALSE(Fingerprinter::Create(SecretBytes::FromString("short")));
  auto a = Fingerprinter::Create(SecretBytes::FromString(std::string(32, 'a')));
  auto b = Fingerprinter::Create(SecretBytes::FromString(std::string(32, 'b')));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->Of(config::Value("x")), b->Of(config::Value("x")));
  EXPECT_EQ(a->Of(config::Value("1234")), a->Of(config::Value(std::int64_t{1234})));
  EXPECT_EQ(a->Of(config::Value("x")).size(), 64u);
}

// ---- Properties ----------------------------------------------------------------------------

// Small documents over a few keys, so that two draws overlap.
config::Value GenDoc(int depth = 0) {
  const auto keys = std::vector<std::string>{"a", "b", "c", "db", "password"};
  config::ValueMap m;
  const int n = *rc::gen::inRange(0, 4);
  for (int i = 0; i < n; ++i) {
    const std::string k = *rc::gen::elementOf(keys);
    if (m.Find(k) != nullptr) continue;
    const int kind = *rc::gen::inRange(0, depth < 2 ? 4 : 3);
    config::Value v;
    if (kind == 0) v = config::Value(std::int64_t{*rc::gen::inRange(0, 3)});
    if (kind == 1) v = config::Value(*rc::gen::elementOf(std::vector<std::string>{"x", "y", "1"}));
    if (kind == 2) v = config::Value(*rc::gen::arbitrary<bool>());
    if (kind == 3) v = GenDoc(depth + 1);
    m.Insert(k, std::move(v));
  }
  return config::Value(std::move(m));
}

Live LiveDoc(config::Value v) {
  Live l;
  l.document.root = std::move(v);
  l.source = "test";
  return l;
}

Baseline BaseDoc(config::Value v) {
  Baseline b;
  b.document = std::move(v);
  return b;
}

RC_GTEST_PROP(CompareProperty, ADocumentComparedWithItselfHasNoDrift, ()) {
  const config::Value d = GenDoc();
  RC_ASSERT(!Compare(BaseDoc(d), LiveDoc(d), {}, TestFingerprinter()).drifted());
}

RC_GTEST_PROP(CompareProperty, AddedAndRemovedSwapWhenTheSidesSwap, ()) {
  const config::Value x = GenDoc();
  const config::Value y = GenDoc();
  const Fingerprinter f = TestFingerprinter();
  const auto xy = Compare(BaseDoc(x), LiveDoc(y), {}, f);
  const auto yx = Compare(BaseDoc(y), LiveDoc(x), {}, f);
  auto paths = [](const DriftReport& r, ChangeKind k) {
    std::vector<config::Path> out;
    for (const auto& e : r.entries) {
      if (e.kind == k) out.push_back(e.path);
    }
    return out;
  };
  RC_ASSERT(paths(xy, ChangeKind::kAdded) == paths(yx, ChangeKind::kRemoved));
  RC_ASSERT(paths(xy, ChangeKind::kRemoved) == paths(yx, ChangeKind::kAdded));
  RC_ASSERT(paths(xy, ChangeKind::kChanged) == paths(yx, ChangeKind::kChanged));
}

RC_GTEST_PROP(CompareProperty, IgnoreRulesRemoveExactlyTheMatchingPaths, ()) {
  const config::Value x = GenDoc();
  const config::Value y = GenDoc();
  const auto globs = *rc::gen::container<std::vector<std::string>>(
      rc::gen::elementOf(std::vector<std::string>{"a", "b.*", "*.c", "**.password", "d?", "db.**"}));
  auto rules = IgnoreRules::Create(globs);
  RC_ASSERT(rules.has_value());
  const Fingerprinter f = TestFingerprinter();
  const auto all = Compare(BaseDoc(x), LiveDoc(y), {}, f);
  const auto kept = Compare(BaseDoc(x), LiveDoc(y), *rules, f);
  std::vector<config::Path> expected, got;
  for (const auto& e : all.entries) {
    if (!rules->Matches(e.path)) expected.push_back(e.path);
  }
  for (const auto& e : kept.entries) got.push_back(e.path);
  RC_ASSERT(got == expected);
  RC_ASSERT(kept.ignored == all.entries.size() - kept.entries.size());
}

}  // namespace
}  // namespace bulwark::drift
