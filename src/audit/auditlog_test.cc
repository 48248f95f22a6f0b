// Tests of the durable audit log: events and impact rules, the SQLite event store with group
// commit, verification against every kind of tampering (edited directly in the database file),
// a property test over single-byte changes, and a SIGKILL crash test.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/event.h"
#include "bulwark/audit/event_store.h"
#include "bulwark/audit/jcs.h"
#include "bulwark/audit/log_audit.h"
#include "bulwark/audit/proof.h"
#include "bulwark/audit/tree_builder.h"
#include "bulwark/core/encoding.h"

namespace bulwark::audit {
namespace {

namespace fs = std::filesystem;

service::AuditRecord Record(std::string op, service::Action action, std::string ns,
                            std::vector<std::string> paths) {
  service::AuditRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::seconds(1'790'000'000));
  r.operation = std::move(op);
  r.action = action;
  r.namespace_name = std::move(ns);
  r.paths = std::move(paths);
  r.context.principal.id = "local:alice";
  r.context.principal.kind = "local";
  r.context.source_address = "local";
  r.context.client = "test";
  r.context.request_id = "req-1";
  return r;
}

TEST(ImpactClassifierTest, DefaultRulesParseAndClassify) {
  ASSERT_TRUE(ImpactClassifier::FromJson(DefaultImpactRules()).has_value());
  const ImpactClassifier c = ImpactClassifier::Default();
  auto level = [&](const service::AuditRecord& r) { return c.Classify(r).level; };

  EXPECT_EQ(level(Record("config.get", service::Action::kRead, "dev/app", {"db.host"})),
            ImpactLevel::kLow);
  EXPECT_EQ(level(Record("config.set", service::Action::kWrite, "dev/app", {"db.ssl_mode"})),
            ImpactLevel::kCritical);
  EXPECT_EQ(level(Record("config.set", service::Action::kWrite, "dev/app", {"api.tls.verify"})),
            ImpactLevel::kCritical);
  EXPECT_EQ(level(Record("config.set", service::Action::kWrite, "production/app", {"db.host"})),
            ImpactLevel::kHigh);
  auto sensitive = Record("config.set", service::Action::kWrite, "dev/app", {"db.password"});
  sensitive.sensitive_paths = {"db.password"};
  const Impact si = c.Classify(sensitive);
  EXPECT_EQ(si.level, ImpactLevel::kHigh);
  EXPECT_EQ(si.reasons, std::vector<std::string>{"a sensitive value changed"});
  auto denied = Record("config.set", service::Action::kWrite, "dev/app", {"db.ssl_mode"});
  denied.outcome = service::Outcome::kDenied;
  EXPECT_EQ(level(denied), ImpactLevel::kMedium);  // nothing was weakened: the write was refused
}

TEST(ImpactClassifierTest, RulesAreDataAndBadRulesAreRejected) {
  auto c = ImpactClassifier::FromJson(
      R"({"rules": [{"name": "n", "level": "critical", "reason": "r",
                     "when": {"namespaces": ["payments/*"]}}]})");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->Classify(Record("config.get", service::Action::kRead, "payments/x", {})).level,
            ImpactLevel::kCritical);
  EXPECT_EQ(c->Classify(Record("config.get", service::Action::kRead, "other", {})).level,
            ImpactLevel::kLow);
  auto bad =
      ImpactClassifier::FromJson(R"({"rules": [{"name": "n", "level": "huge", "reason": "r"}]})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("rule 0"), std::string::npos);
  EXPECT_FALSE(ImpactClassifier::FromJson(
                   R"({"rules": [{"name": "n", "level": "low", "reason": "r", "when": {"x": 1}}]})")
                   .has_value());
}

TEST(EventTest, EventIsCloudEventsWithCanonicalLeaf) {
  auto r = Record("config.put", service::Action::kWrite, "dev/app", {"db.password"});
  r.sensitive_paths = {"db.password"};
  r.version_after = 3;
  const auto ev = BuildEvent(r, ImpactClassifier::Default().Classify(r), "abc", "bulwark://h/c");
  EXPECT_EQ(ev["specversion"], "1.0");
  EXPECT_EQ(ev["type"], "dev.bulwark.config.put");
  EXPECT_EQ(ev["subject"], "dev/app");
  EXPECT_EQ(ev["data"]["actor"]["id"], "local:alice");
  EXPECT_EQ(ev["data"]["version_after"], 3);
  EXPECT_EQ(ev["data"]["impact"]["level"], "high");
  auto leaf = EventLeaf(ev);
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(leaf->front(), '{');
  EXPECT_EQ(leaf->find(' '),
            leaf->find("bulwark://") == std::string::npos ? std::string::npos : leaf->find(' '));
  EXPECT_EQ(*CanonicalizeJsonText(*leaf), *leaf);
}

RC_GTEST_PROP(EventTest, RecordLeafEqualsCanonicalizedBuildEvent, ()) {
  // Strings with quotes, backslashes, control characters, non-ASCII and (sometimes) invalid UTF-8.
  const auto str = [] {
    return *rc::gen::oneOf(
        rc::gen::arbitrary<std::string>(),
        rc::gen::element<std::string>("", "a\"b\\c", "\x01\x1f\x7f\n\t", "\xc3\xa9t\xc3\xa9",
                                      "\xf0\x9f\x94\x91", "\xff", "db.password"));
  };
  service::AuditRecord r;
  r.time = std::chrono::system_clock::time_point(
      std::chrono::microseconds(*rc::gen::inRange<std::int64_t>(0, 4'000'000'000'000'000)));
  r.operation = str();
  r.action = static_cast<service::Action>(*rc::gen::inRange(0, 8));
  r.namespace_name = str();
  for (int n = *rc::gen::inRange(0, 4); n > 0; --n) r.paths.push_back(str());
  if (*rc::gen::arbitrary<bool>()) r.sensitive_paths = {str()};
  r.revealed = *rc::gen::arbitrary<bool>();
  r.outcome = static_cast<service::Outcome>(*rc::gen::inRange(0, 3));
  r.reason = str();
  if (*rc::gen::arbitrary<bool>()) r.version_before = *rc::gen::arbitrary<std::int64_t>();
  if (*rc::gen::arbitrary<bool>()) r.version_after = *rc::gen::inRange<std::int64_t>(0, 1000);
  r.context.principal.id = str();
  r.context.principal.kind = str();
  if (*rc::gen::arbitrary<bool>()) r.context.principal.roles = {str(), str()};
  r.context.source_address = str();
  r.context.client = str();
  r.context.request_id = str();
  Impact impact;
  impact.level = static_cast<ImpactLevel>(*rc::gen::inRange(0, 4));
  if (*rc::gen::arbitrary<bool>()) impact.reasons = {str()};
  const std::string id = str(), source = str();
  const auto slow = EventLeaf(BuildEvent(r, impact, id, source));
  const auto fast = RecordLeaf(r, impact, id, source);
  RC_ASSERT(slow.has_value() == fast.has_value());
  if (slow) RC_ASSERT(*slow == *fast);
}

TEST(EventTest, RecordLeafOfATypicalRecordIsTheCanonicalEvent) {
  auto r = Record("config.set", service::Action::kWrite, "production/app", {"db.host", "db.port"});
  r.version_before = 4;
  r.version_after = 5;
  r.reason = "line1\n\"quoted\"";
  const Impact impact = ImpactClassifier::Default().Classify(r);
  const auto fast = RecordLeaf(r, impact, "abc", "bulwark://test");
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(*fast, *EventLeaf(BuildEvent(r, impact, "abc", "bulwark://test")));
  EXPECT_NE(fast->find("\"version_after\":5"), std::string::npos);
}

TEST(EventTest, ValueHashIsKeyedAndBoundToNamespaceAndPath) {
  SecretBytes k1 = SecretBytes::FromString("0123456789abcdef0123456789abcdef");
  SecretBytes k2 = SecretBytes::FromString("fedcba9876543210fedcba9876543210");
  auto h = *AuditValueHash(k1, "ns", "db.password", "hunter2");
  EXPECT_TRUE(h.starts_with("hmac-sha256:"));
  EXPECT_EQ(h.size(), 12u + 64u);
  EXPECT_EQ(h, *AuditValueHash(k1, "ns", "db.password", "hunter2"));
  EXPECT_NE(h, *AuditValueHash(k2, "ns", "db.password", "hunter2"));
  EXPECT_NE(h, *AuditValueHash(k1, "ns", "db.passwor", "dhunter2"));
  EXPECT_EQ(h.find("hunter2"), std::string::npos);
}

// ---- the log ---------------------------------------------------------------------------------

std::shared_ptr<const NoteSigner> TestSigner(std::uint8_t fill, std::string name = "test/log") {
  std::vector<std::uint8_t> seed(32, fill);
  return std::shared_ptr<const NoteSigner>(*NoteSigner::Create(name, SecretBytes(seed)));
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / fmt::format("bulwark_auditlog_{}_{}", ::getpid(), counter_++);
    fs::create_directories(dir_);
    signer_ = TestSigner(7);
  }
  void TearDown() override { fs::remove_all(dir_); }

  AuditLogOptions Options() {
    AuditLogOptions o;
    o.path = dir_ / "audit.db";
    o.origin = "test/log";
    o.signers = {signer_};
    o.checkpoint_every = 5;
    o.checkpoint_interval = std::chrono::hours(24);
    return o;
  }
  std::shared_ptr<AuditLog> OpenLog() {
    auto l = AuditLog::Open(Options());
    EXPECT_TRUE(l.has_value()) << l.error().message();
    return std::shared_ptr<AuditLog>(std::move(*l));
  }
  CheckpointVerifier Verifier() {
    return *CheckpointVerifier::Create("test/log", {signer_->Verifier()});
  }

  // Appends n events through the sink (namespace cycles, paths vary).
  void Fill(const std::shared_ptr<AuditLog>& log, int n) {
    LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://test/config", Runtime::System());
    for (int i = 0; i < n; ++i) {
      auto r = Record("config.set", i % 3 == 0 ? service::Action::kRead : service::Action::kWrite,
                      i % 2 ? "production/app" : "dev/app", {fmt::format("key{}", i)});
      if (i % 4 == 0) r.outcome = service::Outcome::kDenied;
      ASSERT_TRUE(sink.Append(r).has_value());
    }
  }
  AuditVerification VerifyNow(const std::optional<std::string>& trusted = std::nullopt) {
    auto log = OpenLog();
    auto v = VerifyAuditLog(*log, Verifier(), trusted, {});
    EXPECT_TRUE(v.has_value()) << v.error().message();
    return *v;
  }
  // Runs SQL on the database file with the append-only triggers dropped (an attacker with
  // write access to the file).
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "audit.db").c_str(), &db), SQLITE_OK);
    const std::string all =
        "DROP TRIGGER IF EXISTS events_append_only_u; DROP TRIGGER IF EXISTS events_append_only_d;"
        "DROP TRIGGER IF EXISTS nodes_append_only_u; DROP TRIGGER IF EXISTS nodes_append_only_d;"
        "DROP TRIGGER IF EXISTS checkpoints_append_only_u;"
        "DROP TRIGGER IF EXISTS checkpoints_append_only_d;" +
        sql;
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }

  fs::path dir_;
  std::shared_ptr<const NoteSigner> signer_;
  static inline int counter_ = 0;
};

TEST_F(AuditLogTest, AppendsAreIndexedCheckpointedAndVerifyClean) {
  auto log = OpenLog();
  Fill(log, 23);
  auto st = log->State();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->size, 23u);
  auto cps = *log->Checkpoints();
  ASSERT_EQ(cps.size(), 4u);  // every 5 events: 5, 10, 15, 20
  EXPECT_EQ(cps.back().size, 20u);
  log.reset();
  const auto v = VerifyNow();
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.report.log_size, 23u);
  EXPECT_EQ(v.report.unverified_entries, 3u);
}

TEST_F(AuditLogTest, ProofsFromTheStoreVerifyAgainstSignedCheckpoints) {
  auto log = OpenLog();
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

TEST_F(AuditLogTest, ConcurrentAppendersShareCommitsAndGetDistinctIndices) {
  auto log = OpenLog();
  constexpr int kThreads = 4, kPer = 200;
  std::vector<std::vector<std::uint64_t>> got(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://t", Runtime::System());
      for (int i = 0; i < kPer; ++i) {
        auto idx = sink.AppendRecord(Record("config.get", service::Action::kRead, "ns", {"a"}));
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
  EXPECT_TRUE(VerifyNow().clean());
}

TEST_F(AuditLogTest, QueryFiltersByIndexedColumns) {
  auto log = OpenLog();
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

TEST_F(AuditLogTest, TriggersRefuseUpdatesAndDeletes) {
  auto log = OpenLog();
  Fill(log, 6);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "audit.db").c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE events SET time_us = 0", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM events", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM checkpoints", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST_F(AuditLogTest, DetectsModifiedEventAndNamesIt) {
  Fill(OpenLog(), 20);
  Tamper("UPDATE events SET leaf = replace(leaf, 'key7', 'key8') WHERE idx = 7");
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 7u);
  EXPECT_NE(v.Summary().find("event 7"), std::string::npos) << v.Summary();
}

TEST_F(AuditLogTest, DetectsModifiedEventWithRecomputedLeafHash) {
  Fill(OpenLog(), 20);
  // The attacker also fixes the leaf hash column: the signed roots still catch it.
  auto log = OpenLog();
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
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  ASSERT_TRUE(v.first_bad_index.has_value());
  EXPECT_GE(7u, *v.first_bad_index);
  EXPECT_LE(5u, *v.first_bad_index);  // the checkpoint before it (size 5) still matched
}

TEST_F(AuditLogTest, DetectsDeletedEvent) {
  Fill(OpenLog(), 20);
  Tamper("DELETE FROM events WHERE idx = 12");
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 12u);
  EXPECT_NE(v.Summary().find("event 12 is missing"), std::string::npos) << v.Summary();
}

TEST_F(AuditLogTest, DetectsInsertedEvent) {
  Fill(OpenLog(), 20);
  // Shift events 10.. up by one and insert a forged event at 10.
  Tamper(
      "UPDATE events SET idx = -idx - 1 WHERE idx >= 10;"
      "UPDATE events SET idx = -idx WHERE idx < 0;"
      "INSERT INTO events SELECT 10, time_us, leaf_hash, leaf FROM events WHERE idx = 3;"
      "UPDATE tree_state SET size = 21");
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 10u) << v.Summary();
}

TEST_F(AuditLogTest, DetectsReorderedEvents) {
  Fill(OpenLog(), 20);
  Tamper(
      "UPDATE events SET idx = -1 WHERE idx = 11; UPDATE events SET idx = 11 WHERE idx = 12;"
      "UPDATE events SET idx = 12 WHERE idx = -1");
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  ASSERT_TRUE(v.first_bad_index.has_value());
  EXPECT_EQ(*v.first_bad_index, 10u);  // within [10, 15): the checkpoint at 10 still matched
  EXPECT_NE(v.Summary().find("root mismatch"), std::string::npos) << v.Summary();
}

TEST_F(AuditLogTest, DetectsTruncation) {
  Fill(OpenLog(), 20);
  Tamper("DELETE FROM events WHERE idx >= 17");
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 17u) << v.Summary();
}

TEST_F(AuditLogTest, DetectsTruncationThatAlsoRewroteTheTreeState) {
  Fill(OpenLog(), 20);
  Tamper(
      "DELETE FROM events WHERE idx >= 13; DELETE FROM nodes; DELETE FROM checkpoints "
      "WHERE size > 13; UPDATE tree_state SET size = 13");
  // The stale frontier in the tree state gives it away even without a kept checkpoint.
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
}

TEST_F(AuditLogTest, DetectsRollbackBehindTheTrustedCheckpoint) {
  Fill(OpenLog(), 20);
  const auto first = VerifyNow();
  ASSERT_TRUE(first.clean());
  ASSERT_TRUE(first.newest_checkpoint.has_value());
  // The attacker restores an older state: events 12.. and their checkpoints are gone, and the
  // tree state and node cache are made consistent with the shorter log.
  auto log = OpenLog();
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
  EXPECT_TRUE(VerifyNow().clean()) << "without history the shorter log is self-consistent";
  const auto v = VerifyNow(first.newest_checkpoint);
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 12u) << v.Summary();
  EXPECT_NE(v.Summary().find("rollback"), std::string::npos) << v.Summary();
}

TEST_F(AuditLogTest, DetectsForgedCheckpoint) {
  Fill(OpenLog(), 20);
  // Change the root line of the size-10 checkpoint, keeping the signature.
  Tamper(
      "UPDATE checkpoints SET note = replace(note, substr(note, instr(note, char(10)) + 4, 8), "
      "'AAAAAAAA') WHERE size = 10");
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  EXPECT_NE(v.Summary().find("bad checkpoint"), std::string::npos) << v.Summary();
}

TEST_F(AuditLogTest, DetectsCheckpointReplacedByAnotherKey) {
  Fill(OpenLog(), 20);
  auto other = TestSigner(9);
  std::vector<const NoteSigner*> s{other.get()};
  auto forged = SignCheckpoint(Checkpoint{"test/log", 10, EmptyRoot(), {}}, s);
  ASSERT_TRUE(forged.has_value());
  std::string q;
  for (char c : *forged) q += c == '\'' ? std::string("''") : std::string(1, c);
  Tamper(fmt::format("UPDATE checkpoints SET note = '{}' WHERE size = 10", q));
  const auto v = VerifyNow();
  ASSERT_FALSE(v.clean());
  EXPECT_NE(v.Summary().find("bad checkpoint"), std::string::npos) << v.Summary();
}

TEST_F(AuditLogTest, KeyRotationKeepsOldCheckpointsVerifiable) {
  Fill(OpenLog(), 10);
  auto next = TestSigner(11, "test/log-2");
  {
    auto o = Options();
    o.signers = {signer_, next};
    auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
    Fill(log, 10);
  }
  auto log = OpenLog();
  auto v = VerifyAuditLog(
      *log, *CheckpointVerifier::Create("test/log", {next->Verifier(), signer_->Verifier()}),
      std::nullopt, {});
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->clean()) << v->Summary();
}

TEST_F(AuditLogTest, HealthCheckFailsWhenTheLogCannotBeWritten) {
  auto log = OpenLog();
  ASSERT_TRUE(log->HealthCheck().has_value());
  fs::permissions(dir_ / "audit.db", fs::perms::owner_read);
  if (::geteuid() != 0) {
    EXPECT_FALSE(log->HealthCheck().has_value());
  }
  fs::permissions(dir_ / "audit.db", fs::perms::owner_read | fs::perms::owner_write);
  auto o = Options();
  o.read_only = true;
  auto ro = AuditLog::Open(o);
  ASSERT_TRUE(ro.has_value());
  EXPECT_FALSE((*ro)->HealthCheck().has_value());
}

// Any single-byte change anywhere in a stored event's bytes is detected.
RC_GTEST_FIXTURE_PROP(AuditLogTest, AnySingleByteChangeInAStoredEventIsDetected,
                      (std::uint8_t delta)) {
  const auto d = dir_ / fmt::format("p{}", counter_++);
  fs::create_directories(d);
  auto o = Options();
  o.path = d / "audit.db";
  {
    auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
    Fill(log, 8);
    RC_ASSERT(log->PublishCheckpoint().has_value());
  }
  const auto idx = *rc::gen::inRange<int>(0, 8);
  std::string leaf;
  {
    auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
    (void)log->Scan(idx, idx + 1, [&](const StoredEvent& e) {
      leaf = e.leaf;
      return OkStatus();
    });
  }
  const auto pos = *rc::gen::inRange<std::size_t>(0, leaf.size());
  const std::uint8_t change = delta == 0 ? 1 : delta;
  leaf[pos] = static_cast<char>(static_cast<std::uint8_t>(leaf[pos]) ^ change);
  const bool fix_hash = *rc::gen::arbitrary<bool>();
  sqlite3* db = nullptr;
  RC_ASSERT(sqlite3_open(o.path.c_str(), &db) == SQLITE_OK);
  std::string sql = fmt::format(
      "DROP TRIGGER events_append_only_u; UPDATE events SET leaf = x'{}'{} WHERE idx = {}",
      HexEncode(leaf),
      fix_hash ? fmt::format(", leaf_hash = x'{}'", HashToHex(HashLeaf(leaf))) : "", idx);
  RC_ASSERT(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
  auto v = VerifyAuditLog(*log, Verifier(), std::nullopt, {});
  RC_ASSERT(v.has_value());
  RC_ASSERT(!v->clean());
  RC_ASSERT(v->first_bad_index.has_value());
  RC_ASSERT(*v->first_bad_index <= static_cast<std::uint64_t>(idx));
}

// SIGKILL during appends: every acknowledged event survives and the tree stays consistent.
TEST_F(AuditLogTest, AcknowledgedEventsSurviveSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto log = AuditLog::Open(Options());
    if (!log) ::_exit(2);
    std::shared_ptr<AuditLog> shared(std::move(*log));
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t) {
      ts.emplace_back([&, t] {
        LogAuditSink sink(shared, ImpactClassifier::Default(), "bulwark://crash",
                          Runtime::System());
        for (int i = 0;; ++i) {
          auto idx = sink.AppendRecord(
              Record("config.set", service::Action::kWrite, "ns", {fmt::format("t{}.{}", t, i)}));
          if (!idx) ::_exit(3);
          std::uint64_t v = *idx;
          if (::write(fds[1], &v, sizeof v) != sizeof v) ::_exit(4);
        }
      });
    }
    for (auto& t : ts) t.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::set<std::uint64_t> acked;
  std::uint64_t v;
  while (acked.size() < 300 && ::read(fds[0], &v, sizeof v) == sizeof v) acked.insert(v);
  ::kill(child, SIGKILL);
  while (::read(fds[0], &v, sizeof v) == sizeof v) acked.insert(v);  // written before the kill
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(acked.size(), 300u);
  auto log = OpenLog();
  auto st = log->State();
  ASSERT_TRUE(st.has_value());
  EXPECT_GT(st->size, *acked.rbegin());
  auto ver = VerifyAuditLog(*log, Verifier(), std::nullopt, {});
  ASSERT_TRUE(ver.has_value());
  EXPECT_TRUE(ver->clean()) << ver->Summary();
  // The log is still appendable after the crash.
  Fill(log, 2);
  EXPECT_TRUE(VerifyAuditLog(*log, Verifier(), std::nullopt, {})->clean());
}

}  // namespace
}  // namespace bulwark::audit
