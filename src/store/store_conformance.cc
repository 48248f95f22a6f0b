#include "store/store_conformance.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits>
#include <thread>

#include "bulwark/config/path.h"
#include "bulwark/store/open.h"
#include "store/internal/codec.h"

namespace bulwark::store::testing {
namespace {

using config::Value;
using config::ValueMap;

Value Map(std::initializer_list<std::pair<const char*, Value>> entries) {
  ValueMap m;
  for (const auto& [k, v] : entries) m.Set(k, v);
  return Value(std::move(m));
}

WriteOptions By(std::string author, std::string message = "", std::vector<std::string> tags = {}) {
  WriteOptions o;
  o.author = std::move(author);
  o.message = std::move(message);
  o.tags = std::move(tags);
  return o;
}

WriteOptions Expect(Version v) {
  WriteOptions o = By("alice");
  o.expected_version = v;
  return o;
}

}  // namespace

void StoreConformanceTest::SetUp() {
  clock_ = std::make_shared<bulwark::testing::FakeClock>();
  auto db = GetParam().make();
  ASSERT_TRUE(db.has_value()) << db.error();
  db_ = std::move(*db);
  auto store = OpenStore(db_->url(), runtime());
  ASSERT_TRUE(store.has_value()) << store.error();
  store_ = std::move(*store);
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  db_.reset();
}

Runtime StoreConformanceTest::runtime() const {
  Runtime rt = Runtime::System();
  rt.clock = clock_;
  return rt;
}

TEST_P(StoreConformanceTest, PutThenGetReturnsContentAndMetadata) {
  auto put = store_->Put("production/api", Map({{"a", 1}}), By("alice", "first", {"t1", "t2"}));
  ASSERT_TRUE(put.has_value()) << put.error();
  EXPECT_EQ(put->version, 1);
  EXPECT_FALSE(put->parent.has_value());
  EXPECT_EQ(put->created_at, clock_->Now());
  // SHA-256 of the canonical bytes {"a":1}.
  EXPECT_EQ(put->content_hash, "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  EXPECT_EQ(put->content_size, 7u);

  auto got = store_->Get("production/api", VersionRef::Latest());
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->content, Map({{"a", 1}}));
  EXPECT_EQ(got->info, *put);
  EXPECT_EQ(got->info.author, "alice");
  EXPECT_EQ(got->info.message, "first");
  EXPECT_EQ(got->info.tags, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(got->info.operation, Operation::kPut);
}

TEST_P(StoreConformanceTest, ContentRoundTripsEveryJsonType) {
  ValueMap inner;
  inner.Set("zeta", Value(1.5));
  inner.Set("alpha", Value(nullptr));
  Value doc = Map({{"s", "héllo \"quoted\"\n"},
                   {"i", Value(std::int64_t{-9007199254740993})},
                   {"d", 1.0},
                   {"b", false},
                   {"l", Value(config::ValueList{Value(1), Value("x"), Value::EmptyMap()})},
                   {"m", Value(std::move(inner))}});
  ASSERT_TRUE(store_->Put("ns", doc, By("a")).has_value());
  auto got = store_->Get("ns", VersionRef::Latest());
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->content, doc);  // types and map key order preserved
}

TEST_P(StoreConformanceTest, NonFiniteNumberIsRejectedNamingThePath) {
  auto put = store_->Put("ns", Map({{"x", std::numeric_limits<double>::infinity()}}), By("a"));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(put.error().message().find("'x'"), std::string::npos) << put.error();
  EXPECT_FALSE(store_->Get("ns", VersionRef::Latest()).has_value());
}

TEST_P(StoreConformanceTest, VersionsChainThroughParents) {
  for (int i = 1; i <= 3; ++i) {
    clock_->Advance(std::chrono::seconds(1));
    auto put = store_->Put("ns", Map({{"i", i}}), By("a"));
    ASSERT_TRUE(put.has_value()) << put.error();
    EXPECT_EQ(put->version, i);
    if (i > 1) {
      EXPECT_EQ(put->parent, std::optional<Version>(i - 1));
    }
  }
  auto v2 = store_->Get("ns", VersionRef::Number(2));
  ASSERT_TRUE(v2.has_value()) << v2.error();
  EXPECT_EQ(v2->content, Map({{"i", 2}}));
  EXPECT_EQ(v2->info.parent, std::optional<Version>(1));
}

TEST_P(StoreConformanceTest, MissingNamespaceOrVersionIsNotFound) {
  auto none = store_->Get("nothing/here", VersionRef::Latest());
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(none.error().message().find("nothing/here"), std::string::npos);

  ASSERT_TRUE(store_->Put("ns", Map({{"a", 1}}), By("a")).has_value());
  auto v9 = store_->Get("ns", VersionRef::Number(9));
  ASSERT_FALSE(v9.has_value());
  EXPECT_EQ(v9.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(v9.error().message().find("version 9"), std::string::npos) << v9.error();
}

TEST_P(StoreConformanceTest, GetAtTimestampReturnsTheVersionCurrentThen) {
  TimePoint t0 = clock_->Now();
  ASSERT_TRUE(store_->Put("ns", Map({{"v", 1}}), By("a")).has_value());
  clock_->Advance(std::chrono::minutes(10));
  TimePoint t1 = clock_->Now();
  ASSERT_TRUE(store_->Put("ns", Map({{"v", 2}}), By("a")).has_value());

  auto before = store_->Get("ns", VersionRef::At(t0 - std::chrono::seconds(1)));
  ASSERT_FALSE(before.has_value());
  EXPECT_EQ(before.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(before.error().message().find("no version at "), std::string::npos) << before.error();

  auto at0 = store_->Get("ns", VersionRef::At(t0));
  ASSERT_TRUE(at0.has_value()) << at0.error();
  EXPECT_EQ(at0->info.version, 1);
  auto between = store_->Get("ns", VersionRef::At(t1 - std::chrono::seconds(1)));
  ASSERT_TRUE(between.has_value()) << between.error();
  EXPECT_EQ(between->info.version, 1);
  auto later = store_->Get("ns", VersionRef::At(t1 + std::chrono::hours(1)));
  ASSERT_TRUE(later.has_value()) << later.error();
  EXPECT_EQ(later->info.version, 2);
}

TEST_P(StoreConformanceTest, ClockSteppingBackDoesNotReorderVersions) {
  ASSERT_TRUE(store_->Put("ns", Map({{"v", 1}}), By("a")).has_value());
  TimePoint t1 = clock_->Now();
  clock_->Advance(-std::chrono::hours(1));
  auto v2 = store_->Put("ns", Map({{"v", 2}}), By("a"));
  ASSERT_TRUE(v2.has_value()) << v2.error();
  EXPECT_EQ(v2->created_at, t1);
  auto at = store_->Get("ns", VersionRef::At(t1));
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(at->info.version, 2);
}

TEST_P(StoreConformanceTest, SetChangesOnePathAndKeepsTheRest) {
  ASSERT_TRUE(
      store_->Put("ns", Map({{"db", Map({{"host", "a"}, {"port", 1}})}, {"x", true}}), By("a"))
          .has_value());
  auto set = store_->Set("ns", "db.port", Value(5432), By("bob", "port"));
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ(set->version, 2);
  EXPECT_EQ(set->operation, Operation::kSet);
  auto got = store_->Get("ns", VersionRef::Latest());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->content, Map({{"db", Map({{"host", "a"}, {"port", 5432}})}, {"x", true}}));

  auto ptr = store_->Set("ns", "/db/user", Value("svc"), By("bob"));
  ASSERT_TRUE(ptr.has_value()) << ptr.error();
  got = store_->Get("ns", VersionRef::Latest());
  EXPECT_EQ(*config::Find(got->content, *config::Path::Parse("db.user")), Value("svc"));
}

TEST_P(StoreConformanceTest, SetOnNewNamespaceStartsFromAnEmptyMap) {
  auto set = store_->Set("fresh", "a.b", Value("c"), By("a"));
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ(set->version, 1);
  auto got = store_->Get("fresh", VersionRef::Latest());
  EXPECT_EQ(got->content, Map({{"a", Map({{"b", "c"}})}}));
}

TEST_P(StoreConformanceTest, SetThroughAScalarFailsAndStoresNothing) {
  ASSERT_TRUE(store_->Put("ns", Map({{"a", 1}}), By("a")).has_value());
  auto set = store_->Set("ns", "a.b", Value(2), By("a"));
  ASSERT_FALSE(set.has_value());
  EXPECT_EQ(set.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->History("ns")->size(), 1u);
}

TEST_P(StoreConformanceTest, UnsetRemovesAPathAndMissingPathIsNotFound) {
  ASSERT_TRUE(store_->Put("ns", Map({{"a", 1}, {"b", 2}}), By("a")).has_value());
  auto unset = store_->Unset("ns", "a", By("a"));
  ASSERT_TRUE(unset.has_value()) << unset.error();
  EXPECT_EQ(unset->operation, Operation::kUnset);
  EXPECT_EQ(store_->Get("ns", VersionRef::Latest())->content, Map({{"b", 2}}));

  auto again = store_->Unset("ns", "a", By("a"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kNotFound);
  auto missing_ns = store_->Unset("other", "a", By("a"));
  ASSERT_FALSE(missing_ns.has_value());
  EXPECT_EQ(missing_ns.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->History("ns")->size(), 2u);
}

TEST_P(StoreConformanceTest, HistoryIsNewestFirstAndHonoursTheLimit) {
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(store_->Put("ns", Map({{"i", i}}), By("a", fmt::format("m{}", i))).has_value());
  }
  auto all = store_->History("ns");
  ASSERT_TRUE(all.has_value()) << all.error();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].version, 4);
  EXPECT_EQ((*all)[0].message, "m4");
  EXPECT_EQ((*all)[3].version, 1);
  auto two = store_->History("ns", HistoryOptions{.limit = 2});
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].version, 3);
  // Every entry's hash matches the content Get returns.
  for (const VersionInfo& info : *all) {
    auto snap = store_->Get("ns", VersionRef::Number(info.version));
    ASSERT_TRUE(snap.has_value());
    EXPECT_EQ(snap->info, info);
  }
  auto none = store_->History("missing");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, DiffListsAddedRemovedAndChangedPaths) {
  ASSERT_TRUE(
      store_->Put("ns", Map({{"keep", 1}, {"gone", 2}, {"mod", "a"}}), By("a")).has_value());
  ASSERT_TRUE(store_->Put("ns", Map({{"keep", 1}, {"mod", "b"}, {"new", Map({{"x", 3}})}}), By("a"))
                  .has_value());
  auto diff = store_->Diff("ns", 1, 2);
  ASSERT_TRUE(diff.has_value()) << diff.error();
  ASSERT_EQ(diff->size(), 3u);
  EXPECT_EQ((*diff)[0].path, "gone");
  EXPECT_EQ((*diff)[0].kind, DiffEntry::Kind::kRemoved);
  EXPECT_EQ((*diff)[0].old_value, Value(2));
  EXPECT_EQ((*diff)[1].path, "mod");
  EXPECT_EQ((*diff)[1].kind, DiffEntry::Kind::kChanged);
  EXPECT_EQ((*diff)[1].old_value, Value("a"));
  EXPECT_EQ((*diff)[1].new_value, Value("b"));
  EXPECT_EQ((*diff)[2].path, "new.x");
  EXPECT_EQ((*diff)[2].kind, DiffEntry::Kind::kAdded);

  auto same = store_->Diff("ns", 2, 2);
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE(same->empty());
  auto missing = store_->Diff("ns", 1, 7);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, DiffNeverShowsEncryptedValues) {
  ASSERT_TRUE(store_->Put("ns", Map({{"pw", "ENC[v1,aaaa]"}, {"same", "ENC[v1,cccc]"}}), By("a"))
                  .has_value());
  ASSERT_TRUE(store_->Put("ns", Map({{"pw", "ENC[v1,bbbb]"}, {"same", "ENC[v1,cccc]"}}), By("a"))
                  .has_value());
  auto diff = store_->Diff("ns", 1, 2);
  ASSERT_TRUE(diff.has_value());
  ASSERT_EQ(diff->size(), 1u);
  EXPECT_EQ((*diff)[0].path, "pw");
  EXPECT_EQ((*diff)[0].kind, DiffEntry::Kind::kChanged);
  EXPECT_TRUE((*diff)[0].redacted);
  EXPECT_FALSE((*diff)[0].old_value.has_value());
  EXPECT_FALSE((*diff)[0].new_value.has_value());
}

TEST_P(StoreConformanceTest, RollbackMakesANewVersionWithTheOldContentAndTheReason) {
  auto v1 = store_->Put("ns", Map({{"a", 1}}), By("a"));
  ASSERT_TRUE(store_->Put("ns", Map({{"a", 2}}), By("a")).has_value());
  auto rb = store_->Rollback("ns", 1, "bad deploy", By("ops", "ignored"));
  ASSERT_TRUE(rb.has_value()) << rb.error();
  EXPECT_EQ(rb->version, 3);
  EXPECT_EQ(rb->parent, std::optional<Version>(2));
  EXPECT_EQ(rb->operation, Operation::kRollback);
  EXPECT_EQ(rb->rollback_of, std::optional<Version>(1));
  EXPECT_EQ(rb->message, "bad deploy");
  EXPECT_EQ(rb->author, "ops");
  EXPECT_EQ(rb->content_hash, v1->content_hash);
  auto got = store_->Get("ns", VersionRef::Latest());
  EXPECT_EQ(got->content, Map({{"a", 1}}));
  EXPECT_EQ(got->info.rollback_of, std::optional<Version>(1));

  auto no_reason = store_->Rollback("ns", 1, "", By("ops"));
  ASSERT_FALSE(no_reason.has_value());
  EXPECT_EQ(no_reason.error().code(), ErrorCode::kInvalidArgument);
  auto missing = store_->Rollback("ns", 42, "why", By("ops"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->History("ns")->size(), 3u);
}

// Version tags (docs/store.md, "Authenticated versions"): the store keeps what the seal function
// returns, hands each version's and its parent's tag back on every read, and allows no change to a
// tag once set.
TEST_P(StoreConformanceTest, SealStoresTheTagAndReadsReturnItWithTheParentsTag) {
  std::vector<std::pair<Version, std::string>> seen;  // (version, parent tag) the seal was given
  auto sealed = [&](std::string tag) {
    WriteOptions o = By("alice");
    o.seal = [&seen, tag](const VersionInfo& next, const VersionInfo* parent) -> Result<std::string> {
      seen.emplace_back(next.version, next.parent_mac);
      if (next.version == 1 && parent != nullptr) return InternalError("version 1 has a parent");
      if (next.version > 1 && (parent == nullptr || parent->version != next.version - 1 ||
                               parent->mac != next.parent_mac)) {
        return InternalError("wrong parent");
      }
      return tag + ":" + next.content_hash.substr(0, 8);
    };
    return o;
  };
  auto v1 = store_->Put("ns", Map({{"a", 1}}), sealed("t1"));
  ASSERT_TRUE(v1.has_value()) << v1.error();
  auto v2 = store_->Set("ns", "b", Value(2), sealed("t2"));
  ASSERT_TRUE(v2.has_value()) << v2.error();
  auto v3 = store_->Unset("ns", "b", sealed("t3"));
  ASSERT_TRUE(v3.has_value()) << v3.error();
  auto v4 = store_->Rollback("ns", 2, "why", sealed("t4"));
  ASSERT_TRUE(v4.has_value()) << v4.error();
  EXPECT_EQ(v1->mac, "t1:" + v1->content_hash.substr(0, 8));
  EXPECT_EQ(v1->parent_mac, "");
  EXPECT_EQ(v4->parent_mac, v3->mac);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1], (std::pair<Version, std::string>{2, v1->mac}));
  for (Version v = 1; v <= 4; ++v) {
    auto got = store_->Get("ns", VersionRef::Number(v));
    ASSERT_TRUE(got.has_value()) << got.error();
    EXPECT_EQ(got->info.mac.substr(0, 3), fmt::format("t{}:", v));
    EXPECT_EQ(got->info.parent_mac, v == 1 ? "" : store_->Get("ns", VersionRef::Number(v - 1))->info.mac);
  }
  auto history = store_->History("ns");
  ASSERT_TRUE(history.has_value());
  EXPECT_EQ(history->front(), *v4);
  EXPECT_EQ(history->back(), *v1);
  // A seal that fails aborts the write.
  WriteOptions failing = By("alice");
  failing.seal = [](const VersionInfo&, const VersionInfo*) -> Result<std::string> {
    return DataLossError("parent does not verify");
  };
  auto refused = store_->Put("ns", Map({{"a", 9}}), failing);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(store_->Get("ns", VersionRef::Latest())->info.version, 4);
  auto counts = store_->CountMacs();
  ASSERT_TRUE(counts.has_value()) << counts.error();
  EXPECT_EQ(counts->versions, 4);
  EXPECT_EQ(counts->with_mac, 4);
}

TEST_P(StoreConformanceTest, AttachMacOnlyFillsAnEmptyTagOfAnUnchangedVersion) {
  auto v1 = store_->Put("ns", Map({{"a", 1}}), By("a"));
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->mac, "");
  EXPECT_EQ(store_->CountMacs()->with_mac, 0);
  auto wrong_hash = store_->AttachMac("ns", 1, std::string(64, '0'), "m1");
  ASSERT_FALSE(wrong_hash.has_value());
  EXPECT_EQ(wrong_hash.error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(store_->AttachMac("ns", 1, v1->content_hash, "m1").has_value());
  EXPECT_EQ(store_->Get("ns", VersionRef::Number(1))->info.mac, "m1");
  auto again = store_->AttachMac("ns", 1, v1->content_hash, "m2");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store_->AttachMac("ns", 7, v1->content_hash, "m").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->AttachMac("ns", 1, v1->content_hash, "").error().code(),
            ErrorCode::kInvalidArgument);
  auto v2 = store_->Put("ns", Map({{"a", 2}}), By("a"));
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->parent_mac, "m1");
  EXPECT_EQ(store_->CountMacs()->versions, 2);
  EXPECT_EQ(store_->CountMacs()->with_mac, 1);
  // Through SQL, a set tag cannot be changed or cleared, and nothing else can change with a tag.
  EXPECT_FALSE(db_->Exec("UPDATE bulwark_versions SET mac = 'forged' WHERE version = 1"));
  EXPECT_FALSE(db_->Exec("UPDATE bulwark_versions SET mac = '' WHERE version = 1"));
  EXPECT_FALSE(db_->Exec("UPDATE bulwark_versions SET mac = 'x', author = 'eve' WHERE version = 2"));
  EXPECT_FALSE(db_->Exec("DELETE FROM bulwark_versions WHERE version = 2"));
  EXPECT_EQ(store_->Get("ns", VersionRef::Number(1))->info.mac, "m1");
}

TEST_P(StoreConformanceTest, ListIsRecursiveAndMatchesWholeSegments) {
  for (const char* ns : {"production/orchestrator", "production/payments/api", "production",
                         "productionx/a", "staging/api"}) {
    ASSERT_TRUE(store_->Put(ns, Map({{"a", 1}}), By("a")).has_value()) << ns;
  }
  auto names = [](const Result<std::vector<NamespaceInfo>>& r) {
    std::vector<std::string> out;
    for (const auto& n : *r) out.push_back(n.name);
    return out;
  };
  auto slash = store_->List("production/");
  ASSERT_TRUE(slash.has_value()) << slash.error();
  EXPECT_EQ(names(slash),
            (std::vector<std::string>{"production/orchestrator", "production/payments/api"}));
  EXPECT_EQ(names(store_->List("production")),
            (std::vector<std::string>{"production", "production/orchestrator",
                                      "production/payments/api"}));
  EXPECT_TRUE(store_->List("prod")->empty());
  EXPECT_EQ(store_->List("")->size(), 5u);
  EXPECT_EQ((*store_->List("staging"))[0].latest_version, 1);
  auto bad = store_->List("Production/");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, RenameMovesEveryVersion) {
  ASSERT_TRUE(store_->Put("old/name", Map({{"a", 1}}), By("a")).has_value());
  ASSERT_TRUE(store_->Put("old/name", Map({{"a", 2}}), By("a")).has_value());
  auto before = store_->History("old/name");
  ASSERT_TRUE(store_->Rename("old/name", "new/name").has_value());
  auto after = store_->History("new/name");
  ASSERT_TRUE(after.has_value()) << after.error();
  ASSERT_EQ(after->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*after)[i].content_hash, (*before)[i].content_hash);
    EXPECT_EQ((*after)[i].namespace_name, "new/name");
  }
  EXPECT_EQ(store_->Get("old/name", VersionRef::Latest()).error().code(), ErrorCode::kNotFound);
  auto next = store_->Put("new/name", Map({{"a", 3}}), Expect(2));
  ASSERT_TRUE(next.has_value()) << next.error();
  EXPECT_EQ(next->version, 3);
}

TEST_P(StoreConformanceTest, RenameRefusesAnExistingTargetAndAMissingSource) {
  ASSERT_TRUE(store_->Put("a", Map({{"a", 1}}), By("a")).has_value());
  ASSERT_TRUE(store_->Put("b", Map({{"b", 1}}), By("a")).has_value());
  auto exists = store_->Rename("a", "b");
  ASSERT_FALSE(exists.has_value());
  EXPECT_EQ(exists.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->Get("b", VersionRef::Latest())->content, Map({{"b", 1}}));
  EXPECT_EQ(store_->Get("a", VersionRef::Latest())->content, Map({{"a", 1}}));
  auto missing = store_->Rename("zzz", "c");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, CompareAndSetRejectsAStaleBaseAndChangesNothing) {
  ASSERT_TRUE(store_->Put("ns", Map({{"a", 1}}), Expect(0)).has_value());
  auto dup_create = store_->Put("ns", Map({{"a", 9}}), Expect(0));
  ASSERT_FALSE(dup_create.has_value());
  EXPECT_EQ(dup_create.error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(store_->Put("ns", Map({{"a", 2}}), Expect(1)).has_value());

  auto stale = store_->Put("ns", Map({{"a", 3}}), Expect(1));
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code(), ErrorCode::kConflict);
  EXPECT_NE(stale.error().message().find("ns"), std::string::npos) << stale.error();
  EXPECT_FALSE(store_->Set("ns", "a", Value(3), Expect(1)).has_value());
  EXPECT_FALSE(store_->Unset("ns", "a", Expect(1)).has_value());
  EXPECT_FALSE(store_->Rollback("ns", 1, "r", Expect(1)).has_value());
  EXPECT_EQ(store_->Set("ns", "a", Value(3), Expect(1)).error().code(), ErrorCode::kConflict);

  auto latest = store_->Get("ns", VersionRef::Latest());
  EXPECT_EQ(latest->info.version, 2);
  EXPECT_EQ(latest->content, Map({{"a", 2}}));
  EXPECT_TRUE(store_->Set("ns", "a", Value(3), Expect(2)).has_value());
}

TEST_P(StoreConformanceTest, MetadataMustBeText) {
  auto nul = store_->Put("ns", Map({{"a", 1}}), By(std::string("al\0ice", 6)));
  ASSERT_FALSE(nul.has_value());
  EXPECT_EQ(nul.error().code(), ErrorCode::kInvalidArgument);
  auto bad_tag = store_->Put("ns", Map({{"a", 1}}), By("a", "m", {"\xff"}));
  ASSERT_FALSE(bad_tag.has_value());
  EXPECT_EQ(bad_tag.error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(store_->Put("ns", Map({{"a", 1}}), By("a")).has_value());
  auto bad_reason = store_->Rollback("ns", 1, "\xc3", By("a"));
  ASSERT_FALSE(bad_reason.has_value());
  EXPECT_EQ(bad_reason.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->History("ns")->size(), 1u);
}

TEST_P(StoreConformanceTest, InvalidNamespacesAreRejectedByName) {
  for (const char* ns : {"", "/a", "a/", "a//b", "A", "a b", "a/../b", "ä"}) {
    auto put = store_->Put(ns, Map({{"a", 1}}), By("a"));
    ASSERT_FALSE(put.has_value()) << ns;
    EXPECT_EQ(put.error().code(), ErrorCode::kInvalidArgument) << ns;
  }
  auto get = store_->Get("Bad/Name", VersionRef::Latest());
  ASSERT_FALSE(get.has_value());
  EXPECT_NE(get.error().message().find("Bad/Name"), std::string::npos) << get.error();
  EXPECT_TRUE(store_->List("")->empty());
}

TEST_P(StoreConformanceTest, ConcurrentThreadsLoseNoUpdate) {
  ASSERT_TRUE(store_->Put("ns", Map({{"n", 0}}), By("a")).has_value());
  constexpr int kThreads = 4;
  constexpr int kAttempts = 15;
  std::atomic<int> wins{0};
  std::atomic<int> other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAttempts; ++i) {
        auto cur = store_->Get("ns", VersionRef::Latest());
        if (!cur) {
          ++other_errors;
          continue;
        }
        auto set = store_->Set("ns", "n", Value(cur->content.Get("n")->AsInt() + 1),
                               Expect(cur->info.version));
        if (set) {
          ++wins;
        } else if (set.error().code() != ErrorCode::kConflict) {
          ++other_errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other_errors.load(), 0);
  auto latest = store_->Get("ns", VersionRef::Latest());
  EXPECT_EQ(latest->info.version, 1 + wins.load());
  EXPECT_EQ(latest->content.Get("n")->AsInt(), wins.load());
}

// Several processes over one database, each with its own connection, all doing
// read-modify-write with compare-and-set on one namespace.
TEST_P(StoreConformanceTest, ConcurrentProcessesLoseNoUpdateAndLosersGetConflict) {
  ASSERT_TRUE(store_->Put("shared/counter", Map({{"n", 0}}), By("init")).has_value());
  constexpr int kProcesses = 4;
  constexpr int kAttempts = 25;
  std::string url = db_->url();
  std::vector<std::pair<pid_t, int>> children;
  for (int p = 0; p < kProcesses; ++p) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      int wins = 0, conflicts = 0, errors = 0;
      {
        auto store = OpenStore(url, Runtime::System());
        if (!store) _exit(10);
        for (int i = 0; i < kAttempts; ++i) {
          auto cur = (*store)->Get("shared/counter", VersionRef::Latest());
          if (!cur) {
            ++errors;
            continue;
          }
          WriteOptions o;
          o.author = fmt::format("p{}", p);
          o.expected_version = cur->info.version;
          auto set =
              (*store)->Set("shared/counter", "n", Value(cur->content.Get("n")->AsInt() + 1), o);
          if (set) {
            ++wins;
          } else if (set.error().code() == ErrorCode::kConflict) {
            ++conflicts;
          } else {
            ++errors;
            std::string msg = set.error().ToString() + "\n";
            (void)!write(2, msg.data(), msg.size());
          }
        }
      }
      std::string report = fmt::format("{} {} {}\n", wins, conflicts, errors);
      (void)!write(fds[1], report.data(), report.size());
      _exit(0);
    }
    close(fds[1]);
    children.emplace_back(pid, fds[0]);
  }
  int total_wins = 0, total_conflicts = 0, total_errors = 0;
  for (auto [pid, fd] : children) {
    std::string out;
    char buf[128];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    int w = 0, c = 0, e = 0;
    ASSERT_EQ(sscanf(out.c_str(), "%d %d %d", &w, &c, &e), 3) << out;
    total_wins += w;
    total_conflicts += c;
    total_errors += e;
  }
  EXPECT_EQ(total_errors, 0);
  EXPECT_EQ(total_wins + total_conflicts, kProcesses * kAttempts);
  EXPECT_GT(total_wins, 0);
  auto latest = store_->Get("shared/counter", VersionRef::Latest());
  ASSERT_TRUE(latest.has_value()) << latest.error();
  EXPECT_EQ(latest->info.version, 1 + total_wins);
  EXPECT_EQ(latest->content.Get("n")->AsInt(), total_wins);
  auto history = store_->History("shared/counter");
  ASSERT_EQ(history->size(), static_cast<std::size_t>(1 + total_wins));
}

// Writers without compare-and-set racing to create a namespace and append to it: every write
// succeeds and gets its own version number.
TEST_P(StoreConformanceTest, ConcurrentProcessesWithoutCasAllSucceed) {
  constexpr int kProcesses = 4;
  constexpr int kPuts = 5;
  std::string url = db_->url();
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int failures = 0;
      {
        auto store = OpenStore(url, Runtime::System());
        if (!store) _exit(10);
        for (int i = 0; i < kPuts; ++i) {
          if (!(*store)->Put("race/new", Map({{"p", p}, {"i", i}}), By("racer"))) ++failures;
        }
      }
      _exit(failures == 0 ? 0 : 20 + failures);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  auto history = store_->History("race/new");
  ASSERT_TRUE(history.has_value()) << history.error();
  EXPECT_EQ(history->size(), static_cast<std::size_t>(kProcesses * kPuts));
  EXPECT_EQ((*history)[0].version, kProcesses * kPuts);
}

}  // namespace bulwark::store::testing
