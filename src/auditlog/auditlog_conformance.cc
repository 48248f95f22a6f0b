// The audit log conformance suite: the same tests on every store backend (SQLite: instantiated
// in auditlog_test.cc; PostgreSQL: auditlog_pg_test.cc). Appends, checkpoints, proofs, group
// commit, queries, and verification against every kind of tampering done with SQL on the tables.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "auditlog/auditlog_fixture.h"
#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/proof.h"
#include "bulwark/audit/tree_builder.h"
#include "bulwark/core/encoding.h"

namespace bulwark::audit::logtest {
namespace {

TEST_P(AuditLogConformance, AppendsAreIndexedCheckpointedAndVerifyClean) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(log, 23);
  auto st = log->State();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->size, 23u);
  auto cps = *log->Checkpoints();
  ASSERT_EQ(cps.size(), 4u);  // every 5 events: 5, 10, 15, 20
  EXPECT_EQ(cps.back().size, 20u);
  log.reset();
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.report.log_size, 23u);
  EXPECT_EQ(v.report.unverified_entries, 3u);
}

TEST_P(AuditLogConformance, ProofsFromTheStoreVerifyAgainstSignedCheckpoints) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(log, 37);
  auto note = log->PublishCheckpoint();
  ASSERT_TRUE(note.has_value());
  auto cp = Verifier().Open(*note);
  ASSERT_TRUE(cp.has_value());
  ASSERT_EQ(cp->size, 37u);
  for (std::uint64_t i = 0; i < 37; ++i) {
    auto proof = InclusionProof(*log, i, 37);
    ASSERT_TRUE(proof.has_value());
    std::vector<Hash> leaf;
    ASSERT_TRUE(log->ReadLeafHashes(i, i + 1, leaf).has_value());
    EXPECT_TRUE(VerifyInclusion(i, 37, leaf[0], *proof, cp->root).has_value()) << i;
  }
  auto old = Verifier().Open((*log->Checkpoints())[1].note);
  auto cons = ConsistencyProof(*log, old->size, 37);
  ASSERT_TRUE(cons.has_value());
  EXPECT_TRUE(VerifyConsistency(old->size, 37, *cons, old->root, cp->root).has_value());
}

TEST_P(AuditLogConformance, ConcurrentAppendersShareCommitsAndGetDistinctIndices) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  constexpr int kThreads = 4, kPer = 200;
  std::vector<std::vector<std::uint64_t>> got(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://t", Runtime::System());
      for (int i = 0; i < kPer; ++i) {
        auto idx = sink.AppendRecord(Record("config.get", request::Action::kRead, "ns", {"a"}));
        ASSERT_TRUE(idx.has_value());
        got[t].push_back(*idx);
      }
    });
  }
  for (auto& t : ts) t.join();
  std::set<std::uint64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), std::size_t{kThreads * kPer});
  EXPECT_EQ(*all.rbegin(), std::uint64_t{kThreads * kPer - 1});
  log.reset();
  EXPECT_TRUE(IsClean(VerifyNow()));
}

TEST_P(AuditLogConformance, QueryFiltersByIndexedColumns) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(log, 20);
  auto count = [&](EventFilter f) {
    int n = 0;
    EXPECT_TRUE(log->Query(f,
                           [&](const StoredEvent&) {
                             ++n;
                             return OkStatus();
                           })
                    .has_value());
    return n;
  };
  EXPECT_EQ(count({}), 20);
  EventFilter denied;
  denied.outcome = "denied";
  EXPECT_EQ(count(denied), 5);
  EventFilter prod;
  prod.namespace_name = "production/app";
  EXPECT_EQ(count(prod), 10);
  EventFilter path;
  path.path = "key7";
  EXPECT_EQ(count(path), 1);
  EventFilter high;
  high.min_impact = ImpactLevel::kHigh;
  EXPECT_GT(count(high), 0);
  EXPECT_LT(count(high), 20);
}

TEST_P(AuditLogConformance, TriggersRefuseUpdatesAndDeletes) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(log, 20);  // 20 events: a level-4 node exists
  EXPECT_FALSE(RawExec("UPDATE events SET time_us = 0"));
  EXPECT_FALSE(RawExec("DELETE FROM events"));
  EXPECT_FALSE(RawExec("DELETE FROM checkpoints"));
  EXPECT_FALSE(RawExec("DELETE FROM nodes"));
}

TEST_P(AuditLogConformance, DetectsModifiedEventAndNamesIt) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  Tamper("UPDATE events SET leaf = replace(leaf, 'key7', 'key8') WHERE idx = 7",
         "UPDATE bulwark_audit_events SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), "
         "'key7', 'key8'), 'UTF8') WHERE idx = 7");
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 7u);
  EXPECT_NE(v.Summary().find("event 7"), std::string::npos) << v.Summary();
}

TEST_P(AuditLogConformance, DetectsModifiedEventWithRecomputedLeafHash) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  // The attacker also fixes the leaf hash column: the signed roots still catch it.
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  std::string leaf;
  ASSERT_TRUE(log->Scan(7, 8,
                        [&](const StoredEvent& e) {
                          leaf = e.leaf;
                          return OkStatus();
                        })
                  .has_value());
  log.reset();
  std::string changed = leaf;
  changed.replace(changed.find("key7"), 4, "key9");
  const Hash h = HashLeaf(changed);
  Tamper(
      fmt::format("UPDATE events SET leaf = CAST(x'{}' AS BLOB), leaf_hash = x'{}' WHERE idx = 7",
                  HexEncode(changed), HashToHex(h)));
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  ASSERT_TRUE(v.first_bad_index.has_value());
  EXPECT_GE(7u, *v.first_bad_index);
  EXPECT_LE(5u, *v.first_bad_index);  // the checkpoint before it (size 5) still matched
}

TEST_P(AuditLogConformance, DetectsDeletedEvent) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  Tamper("DELETE FROM events WHERE idx = 12");
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 12u);
  EXPECT_NE(v.Summary().find("event 12 is missing"), std::string::npos) << v.Summary();
}

TEST_P(AuditLogConformance, DetectsInsertedEvent) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  // Shift events 10.. up by one and insert a forged event at 10.
  Tamper(
      "UPDATE events SET idx = -idx - 1 WHERE idx >= 10;"
      "UPDATE events SET idx = -idx WHERE idx < 0;"
      "INSERT INTO events SELECT 10, time_us, leaf_hash, leaf FROM events WHERE idx = 3;"
      "UPDATE tree_state SET size = 21");
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 10u) << v.Summary();
}

TEST_P(AuditLogConformance, DetectsReorderedEvents) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  Tamper(
      "UPDATE events SET idx = -1 WHERE idx = 11; UPDATE events SET idx = 11 WHERE idx = 12;"
      "UPDATE events SET idx = 12 WHERE idx = -1");
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  ASSERT_TRUE(v.first_bad_index.has_value());
  // The checkpoint at 10 still matched; the tree of the checkpoint at 15 says which two moved.
  EXPECT_EQ(*v.first_bad_index, 11u);
  EXPECT_NE(v.Summary().find("root mismatch"), std::string::npos) << v.Summary();
  EXPECT_NE(v.Summary().find("events 11 and 12 were swapped"), std::string::npos) << v.Summary();
}

// With checkpoints far apart (the default is one per 1000 events) a root mismatch used to report
// "first bad index 0" for an event inserted at 20; the signed tree and the node cache name it.
TEST_P(AuditLogConformance, NamesTheInsertedEventFarFromTheLastCheckpoint) {
  checkpoint_every_ = 64;
  ASSERT_NO_FATAL_FAILURE(FillNewLog(64));
  Tamper(
      "UPDATE events SET idx = -idx - 1 WHERE idx >= 20;"
      "UPDATE events SET idx = -idx WHERE idx < 0;"
      "INSERT INTO events SELECT 20, time_us, leaf_hash, leaf FROM events WHERE idx = 3;"
      "UPDATE tree_state SET size = 65");
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 20u) << v.Summary();
  EXPECT_NE(v.Summary().find("TAMPERING: first bad index 20"), std::string::npos) << v.Summary();
  EXPECT_NE(v.Summary().find("event 20 was inserted"), std::string::npos) << v.Summary();
}

TEST_P(AuditLogConformance, NamesReorderedAndRenumberedEventsFarFromTheLastCheckpoint) {
  checkpoint_every_ = 64;
  ASSERT_NO_FATAL_FAILURE(FillNewLog(70));
  // Reordered: events 30 and 31 exchange places.
  Tamper(
      "UPDATE events SET idx = -1 WHERE idx = 30; UPDATE events SET idx = 30 WHERE idx = 31;"
      "UPDATE events SET idx = 31 WHERE idx = -1");
  ASSERT_OK_AND_ASSIGN(auto v, VerifyNow());
  EXPECT_EQ(v.first_bad_index, 30u) << v.Summary();
  EXPECT_NE(v.Summary().find("events 30 and 31 were swapped"), std::string::npos) << v.Summary();
  // Renumbered, on top: event 45 is given number 41 and 41..44 move up by one.
  Tamper(
      "UPDATE events SET idx = -1 WHERE idx = 45;"
      "UPDATE events SET idx = -idx - 100 WHERE idx BETWEEN 41 AND 44;"
      "UPDATE events SET idx = -idx - 99 WHERE idx <= -100;"
      "UPDATE events SET idx = 41 WHERE idx = -1");
  ASSERT_OK_AND_ASSIGN(v, VerifyNow());
  EXPECT_EQ(v.first_bad_index, 30u) << v.Summary();  // the first altered one is still 30
  ASSERT_TRUE(RawExec(  // put 30 and 31 back: now 41 is the first altered index
      "UPDATE events SET idx = -1 WHERE idx = 30; UPDATE events SET idx = 30 WHERE idx = 31;"
      "UPDATE events SET idx = 31 WHERE idx = -1"))
      << last_error_;
  ASSERT_OK_AND_ASSIGN(v, VerifyNow());
  EXPECT_EQ(v.first_bad_index, 41u) << v.Summary();
  EXPECT_NE(v.Summary().find("the event stored at index 41 was signed at index 45"),
            std::string::npos)
      << v.Summary();
}

TEST_P(AuditLogConformance, DetectsTruncation) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  Tamper("DELETE FROM events WHERE idx >= 17");
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 17u) << v.Summary();
}

TEST_P(AuditLogConformance, DetectsTruncationThatAlsoRewroteTheTreeState) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  Tamper(
      "DELETE FROM events WHERE idx >= 13; DELETE FROM nodes; DELETE FROM checkpoints "
      "WHERE size > 13; UPDATE tree_state SET size = 13");
  // The stale frontier in the tree state gives it away even without a kept checkpoint.
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
}

TEST_P(AuditLogConformance, DetectsRollbackBehindTheTrustedCheckpoint) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  ASSERT_OK_AND_ASSIGN(const auto first, VerifyNow());
  ASSERT_TRUE(first.clean());
  ASSERT_TRUE(first.newest_checkpoint.has_value());
  // The attacker restores an older state: events 12.. and their checkpoints are gone, and the
  // tree state and node cache are made consistent with the shorter log.
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  std::string frontier_hex;
  {
    std::vector<Hash> leaves;
    ASSERT_TRUE(log->ReadLeafHashes(0, 12, leaves).has_value());
    TreeBuilder tb;
    for (const auto& h : leaves) tb.AppendLeafHash(h);
    for (const auto& h : tb.frontier()) frontier_hex += HashToHex(h);
  }
  log.reset();
  Tamper(
      fmt::format("DELETE FROM events WHERE idx >= 12; DELETE FROM postings WHERE first_idx >= 12;"
                  "DELETE FROM checkpoints WHERE size > 12; DELETE FROM nodes WHERE level = 4 "
                  "AND idx >= 0 AND (idx + 1) * 16 > 12;"
                  "UPDATE tree_state SET size = 12, frontier = x'{}', last_checkpoint_size = 10",
                  frontier_hex));
  EXPECT_TRUE(IsClean(VerifyNow())) << "without history the shorter log is self-consistent";
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow(first.newest_checkpoint));
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 12u) << v.Summary();
  EXPECT_NE(v.Summary().find("rollback"), std::string::npos) << v.Summary();
}

TEST_P(AuditLogConformance, DetectsForgedCheckpoint) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  // Change the root line of the size-10 checkpoint, keeping the signature.
  Tamper(
      "UPDATE checkpoints SET note = replace(note, substr(note, instr(note, char(10)) + 4, 8), "
      "'AAAAAAAA') WHERE size = 10",
      "UPDATE bulwark_audit_checkpoints SET note = replace(note, substr(note, strpos(note, "
      "chr(10)) + 4, 8), 'AAAAAAAA') WHERE size = 10");
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  EXPECT_NE(v.Summary().find("bad checkpoint"), std::string::npos) << v.Summary();
}

TEST_P(AuditLogConformance, DetectsCheckpointReplacedByAnotherKey) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(20));
  auto other = TestSigner(9);
  std::vector<const NoteSigner*> s{other.get()};
  auto forged = SignCheckpoint(Checkpoint{"test/log", 10, EmptyRoot(), {}}, s);
  ASSERT_TRUE(forged.has_value());
  std::string q;
  for (char c : *forged) q += c == '\'' ? std::string("''") : std::string(1, c);
  Tamper(fmt::format("UPDATE checkpoints SET note = '{}' WHERE size = 10", q));
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  ASSERT_FALSE(v.clean());
  EXPECT_NE(v.Summary().find("bad checkpoint"), std::string::npos) << v.Summary();
}

TEST_P(AuditLogConformance, KeyRotationKeepsOldCheckpointsVerifiable) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(10));
  auto next = TestSigner(11, "test/log-2");
  {
    auto o = Options();
    o.signers = {signer_, next};
    auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
    Fill(log, 10);
  }
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  auto v = VerifyAuditLog(
      *log, *CheckpointVerifier::Create("test/log", {next->Verifier(), signer_->Verifier()}),
      std::nullopt, {});
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->clean()) << v->Summary();
}

TEST_P(AuditLogConformance, CheckpointOfAnEmptyLogIsSignedAndAppendsContinue) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  auto note = log->PublishCheckpoint();
  ASSERT_TRUE(note.has_value()) << note.error().message();
  auto cp = Verifier().Open(*note);
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->size, 0u);
  EXPECT_EQ(cp->root, EmptyRoot());
  Fill(log, 3);
  log.reset();
  EXPECT_TRUE(IsClean(VerifyNow()));
}

TEST_P(AuditLogConformance, QueryCombinesFiltersAndBounds) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(log, 40);
  auto indices = [&](EventFilter f) {
    std::vector<std::uint64_t> out;
    EXPECT_TRUE(log->Query(f,
                           [&](const StoredEvent& e) {
                             out.push_back(e.index);
                             return OkStatus();
                           })
                    .has_value());
    return out;
  };
  EventFilter f;
  f.namespace_name = "production/app";
  f.outcome = "denied";
  // Odd indices are production, multiples of 4 denied: none is both.
  EXPECT_TRUE(indices(f).empty());
  f.outcome = "success";
  f.from_index = 20;
  f.limit = 3;
  EXPECT_EQ(indices(f), (std::vector<std::uint64_t>{21, 23, 25}));
  EventFilter path;
  path.path = "key1";  // key1 only, not key10..key19
  EXPECT_EQ(indices(path), (std::vector<std::uint64_t>{1}));
  EventFilter unknown;
  unknown.actor = "nobody";
  EXPECT_TRUE(indices(unknown).empty());
  EventFilter since;
  since.since_us = std::int64_t{1'790'000'000} * 1'000'000 + 1;  // after every event's time
  EXPECT_TRUE(indices(since).empty());
  since.since_us = std::int64_t{1'790'000'000} * 1'000'000;
  since.limit = 5;
  EXPECT_EQ(indices(since).size(), 5u);
}

TEST_P(AuditLogConformance, QueriesMatchAScanAcrossCompactedIndexSegments) {
  // Segments of 16 events: batches of 7 cross segment boundaries, 5 segments get compacted.
  auto o = Options();
  o.index_segment = 16;
  auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
  LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://seg", Runtime::System());
  for (int b = 0; b < 13; ++b) {
    std::vector<request::AuditRecord> recs;
    for (int i = 0; i < 7; ++i) {
      const int n = b * 7 + i;
      auto r = Record(n % 3 ? "config.get" : "config.set",
                      n % 3 ? request::Action::kRead : request::Action::kWrite,
                      fmt::format("ns{}", n % 5), {fmt::format("p{}.x", n % 4), "shared"});
      if (n % 6 == 0) r.outcome = request::Outcome::kDenied;
      recs.push_back(r);
    }
    ASSERT_TRUE(sink.AppendRecords(recs).has_value());
  }
  log.reset();
  log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));  // a fresh term cache
  std::vector<StoredEvent> all;
  ASSERT_TRUE(log->Scan(0, 1000,
                        [&](const StoredEvent& e) {
                          all.push_back(e);
                          return OkStatus();
                        })
                  .has_value());
  ASSERT_EQ(all.size(), 91u);
  auto query = [&](const EventFilter& f) {
    std::vector<std::uint64_t> got;
    EXPECT_TRUE(log->Query(f,
                           [&](const StoredEvent& e) {
                             got.push_back(e.index);
                             return OkStatus();
                           })
                    .has_value());
    return got;
  };
  auto scan = [&](const std::function<bool(const EventColumns&)>& pred) {
    std::vector<std::uint64_t> want;
    for (const auto& e : all) {
      if (pred(ColumnsOfEvent(nlohmann::json::parse(e.leaf)))) want.push_back(e.index);
    }
    return want;
  };
  for (int k = 0; k < 5; ++k) {
    EventFilter f;
    f.namespace_name = fmt::format("ns{}", k);
    EXPECT_EQ(query(f),
              scan([&](const EventColumns& c) { return c.namespace_name == *f.namespace_name; }))
        << k;
  }
  EventFilter denied_ns;
  denied_ns.outcome = "denied";
  denied_ns.namespace_name = "ns2";
  EXPECT_EQ(query(denied_ns), scan([](const EventColumns& c) {
              return c.outcome == "denied" && c.namespace_name == "ns2";
            }));
  EventFilter p;
  p.path = "p3";
  EXPECT_EQ(query(p), scan([](const EventColumns& c) { return c.paths[0] == "p3.x"; }));
  EventFilter shared;
  shared.path = "shared";
  shared.from_index = 40;
  EXPECT_EQ(query(shared).size(), 51u);
  // Appending after compaction keeps the index consistent.
  Fill(log, 30);
  EventFilter alice;
  alice.actor = "local:alice";
  EXPECT_EQ(query(alice).size(), 121u);
  log.reset();
  EXPECT_TRUE(IsClean(VerifyNow()));
}

TEST_P(AuditLogConformance, TwoLogObjectsOnOneStoreAppendToOneTree) {
  // Two servers (two AuditLog objects, two connections) appending to the same log: the state row
  // lock serializes their transactions, indices are distinct and the tree verifies.
  ASSERT_OK_AND_ASSIGN(auto a, OpenLog());
  ASSERT_OK_AND_ASSIGN(auto b, OpenLog());
  std::vector<std::uint64_t> got_a, got_b;
  std::thread ta([&] {
    LogAuditSink sink(a, ImpactClassifier::Default(), "bulwark://a", Runtime::System());
    for (int i = 0; i < 60; ++i) {
      auto idx = sink.AppendRecord(Record("config.get", request::Action::kRead, "ns", {"x"}));
      ASSERT_TRUE(idx.has_value()) << idx.error().message();
      got_a.push_back(*idx);
    }
  });
  std::thread tb([&] {
    LogAuditSink sink(b, ImpactClassifier::Default(), "bulwark://b", Runtime::System());
    for (int i = 0; i < 60; ++i) {
      auto idx = sink.AppendRecord(Record("config.set", request::Action::kWrite, "ns", {"y"}));
      ASSERT_TRUE(idx.has_value()) << idx.error().message();
      got_b.push_back(*idx);
    }
  });
  ta.join();
  tb.join();
  std::set<std::uint64_t> all(got_a.begin(), got_a.end());
  all.insert(got_b.begin(), got_b.end());
  EXPECT_EQ(all.size(), 120u);
  EXPECT_EQ(*all.rbegin(), 119u);
  a.reset();
  b.reset();
  ASSERT_OK_AND_ASSIGN(const auto v, VerifyNow());
  EXPECT_TRUE(v.clean()) << v.Summary();
  // Both objects wrote the same terms: each term has one id, the queries see both writers.
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  int n = 0;
  EventFilter f;
  f.path = "y";
  ASSERT_TRUE(log->Query(f,
                         [&](const StoredEvent&) {
                           ++n;
                           return OkStatus();
                         })
                  .has_value());
  EXPECT_EQ(n, 60);
}

}  // namespace
}  // namespace bulwark::audit::logtest
