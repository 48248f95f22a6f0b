// Tests of audit log retention (archive.h): archive files, pruning, verification of both sides
// of the boundary, proofs across it, chains of archives, tampering with every part, crash
// safety (SIGKILL during an archive) and a property test over random boundaries.
//
// Compiled twice: auditarchive_test on SQLite, and with BULWARK_ARCHIVE_TEST_POSTGRES as
// auditarchive_pg_test on PostgreSQL (a fresh schema per test in the throwaway server of
// scripts/pg-test-server.sh). The PostgreSQL build runs every test that goes through the API or
// edits only archive files, the database-side tamper tests it has a PostgreSQL form for and the
// prune-guard test below; the property tests (a fresh schema per case) and the SQLite-specific
// tamper tests run on SQLite only.
#include "bulwark/auditlog/archive.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "audit/verification_for_test.h"
#include "bulwark/audit/checkpoint.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/audit/in_memory_tree.h"
#include "bulwark/auditlog/log_audit.h"
#include "bulwark/audit/proof.h"
#include "bulwark/core/encoding.h"
#include "bulwark/testing/assert_ok.h"

#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
#include <libpq-fe.h>

#include "store/test_database.h"
#endif

namespace bulwark::audit {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kT0 = 1'790'000'000'000'000;  // microseconds

std::string Leaf(std::uint64_t i) { return fmt::format(R"({{"id":"event-{}","n":{}}})", i, i); }

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("bulwark_archive_{}_{}", ::getpid(), counter_++);
    fs::create_directories(dir_);
    std::vector<std::uint8_t> seed(32, 9);
    signer_ = std::shared_ptr<const NoteSigner>(*NoteSigner::Create("test/log", SecretBytes(seed)));
#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
    auto db = store::testing::NewPostgresTestDatabase();
    ASSERT_TRUE(db.has_value()) << db.error().message();
    pg_ = std::move(*db);
#endif
  }
  void TearDown() override {
#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
    pg_.reset();
#endif
    fs::remove_all(dir_);
  }

  Result<std::shared_ptr<AuditLog>> OpenLog(std::uint64_t checkpoint_every = 5) {
    AuditLogOptions o;
    o.path = dir_ / "audit.db";
#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
    o.url = pg_->url();
#endif
    o.origin = "test/log";
    o.signers = {signer_};
    o.checkpoint_every = checkpoint_every;
    o.checkpoint_interval = std::chrono::hours(24);
    BULWARK_ASSIGN_OR_RETURN(auto l, AuditLog::Open(std::move(o)));
    return std::shared_ptr<AuditLog>(std::move(l));
  }
  CheckpointVerifier Verifier() {
    return *CheckpointVerifier::Create("test/log", {signer_->Verifier()});
  }
  // Appends events [from, from + count) (event i has time kT0 + i seconds), in batches of 7.
  void Fill(AuditLog& log, std::uint64_t from, std::uint64_t count) {
    std::vector<std::pair<std::string, EventColumns>> batch;
    for (std::uint64_t i = from; i < from + count; ++i) {
      EventColumns c;
      c.time_us = kT0 + static_cast<std::int64_t>(i) * 1'000'000;
      c.type = "dev.bulwark.test";
      batch.emplace_back(Leaf(i), c);
      all_.AppendLeaf(std::span(reinterpret_cast<const std::uint8_t*>(batch.back().first.data()),
                                batch.back().first.size()));
      if (batch.size() == 7 || i + 1 == from + count) {
        ASSERT_TRUE(log.AppendBatch(std::move(batch)).has_value());
        batch.clear();
      }
    }
  }
  Result<AuditVerification> Verify(AuditLog& log) {
    return VerifyAuditLog(log, Verifier(), std::nullopt, {});
  }
  Result<ArchiveResult> Archive(AuditLog& log, std::uint64_t before, const std::string& name,
                                bool prune = true) {
    ArchiveOptions o;
    o.out = dir_ / name;
    o.before_index = before;
    o.prune = prune;
    return ArchiveLog(log, Verifier(), o);
  }
  Result<ArchiveVerification> VerifyFile(const std::string& name) {
    return VerifyArchiveFile(dir_ / name, Verifier());
  }
  std::vector<std::string> ReadLines(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
    return lines;
  }
  void WriteLines(const std::string& name, const std::vector<std::string>& lines) {
    std::ofstream out(dir_ / name, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }
  // Rewrites one header member of an archive file.
  void EditHeader(const std::string& name, const std::function<void(nlohmann::json&)>& fn) {
    auto lines = ReadLines(name);
    nlohmann::json h = nlohmann::json::parse(lines[0]);
    fn(h);
    lines[0] = h.dump();
    WriteLines(name, lines);
  }
  // Runs SQL directly on the log's database, as an attacker (or a crash) would: `sql` on SQLite,
  // `pg_sql` on PostgreSQL. Returns whether it succeeded (Sql: asserts it).
  bool TrySql(const std::string& sql, const std::string& pg_sql) {
#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
    (void)sql;
    PGconn* c = PQconnectdb(pg_->url().c_str());
    PGresult* r = PQexec(c, pg_sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) last_error_ = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return ok;
#else
    (void)pg_sql;
    sqlite3* db = nullptr;
    if (sqlite3_open((dir_ / "audit.db").c_str(), &db) != SQLITE_OK) return false;
    char* err = nullptr;
    const bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK;
    if (!ok) last_error_ = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    return ok;
#endif
  }
  void Sql(const std::string& sql, const std::string& pg_sql) {
    ASSERT_TRUE(TrySql(sql, pg_sql)) << last_error_;
  }
  static bool HasFinding(const ArchiveVerification& v, ArchiveProblem p,
                         std::optional<std::uint64_t> index = std::nullopt) {
    for (const auto& f : v.findings) {
      if (f.problem == p && (!index || f.index == index)) return true;
    }
    return false;
  }
  // The same on a verification that may have failed to run: false (and a failure naming the
  // error) when it did.
  static bool HasFinding(const Result<ArchiveVerification>& v, ArchiveProblem p) {
    if (!v) {
      ADD_FAILURE() << v.error();
      return false;
    }
    return HasFinding(*v, p);
  }
  static bool Mentions(const AuditVerification& v, std::string_view text) {
    return v.Summary().find(text) != std::string::npos;
  }

  fs::path dir_;
  std::string last_error_;
#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
  std::unique_ptr<store::testing::TestDatabase> pg_;
#endif
  std::shared_ptr<const NoteSigner> signer_;
  InMemoryTree all_;  // every leaf ever appended: the unpruned reference tree
  static inline int counter_ = 0;
};

TEST_F(ArchiveTest, RoundTripArchiveVerifyAppendAndVerifyAgain) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 37);
  ASSERT_OK_AND_ASSIGN(const ArchiveResult r, Archive(*log, 23, "a1.jsonl"));
  ASSERT_TRUE(r.archived);
  EXPECT_EQ(r.start, 0u);
  EXPECT_EQ(r.end, 23u);

  // The database holds events from 23 on only.
  std::vector<std::uint64_t> stored;
  ASSERT_TRUE(log->Scan(0, UINT64_MAX,
                        [&](const StoredEvent& e) {
                          stored.push_back(e.index);
                          return OkStatus();
                        })
                  .has_value());
  ASSERT_EQ(stored.size(), 14u);
  EXPECT_EQ(stored.front(), 23u);

  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log));
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_TRUE(Mentions(v, "events [0, 23) archived in " + (dir_ / "a1.jsonl").string()));
  EXPECT_TRUE(Mentions(v, r.sha256_hex));

  ASSERT_OK_AND_ASSIGN(ArchiveVerification av, VerifyFile("a1.jsonl"));
  EXPECT_TRUE(av.clean()) << av.Summary();
  EXPECT_EQ(av.sha256_hex, r.sha256_hex);
  auto records = *log->Archives();
  CheckArchiveRecorded(records, av);
  EXPECT_TRUE(av.clean()) << av.Summary();

  Fill(*log, 37, 11);
  ASSERT_TRUE(log->PublishCheckpoint().has_value());
  ASSERT_OK_AND_ASSIGN(v, Verify(*log));
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.report.log_size, 48u);
  // Reopened from disk, still clean.
  log.reset();
  ASSERT_OK_AND_ASSIGN(auto again, OpenLog());
  ASSERT_OK_AND_ASSIGN(v, Verify(*again));
  EXPECT_TRUE(v.clean()) << v.Summary();
}

TEST_F(ArchiveTest, ProofsAcrossTheBoundaryMatchTheUnprunedTree) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 45);
  ASSERT_OK_AND_ASSIGN(const ArchiveResult archived_prefix, Archive(*log, 27, "a.jsonl"));
  ASSERT_TRUE(archived_prefix.archived);
  auto reader = ArchivedTreeReader::ForLog(*log);
  ASSERT_TRUE(reader.has_value());
  for (std::uint64_t size = 27; size <= 45; ++size) {
    EXPECT_EQ(*RootAt(*reader, size), *RootAt(all_, size)) << size;
    for (std::uint64_t i = 27; i < size; ++i) {
      auto p = InclusionProof(*reader, i, size);
      ASSERT_TRUE(p.has_value()) << i << " " << size << ": " << p.error().message();
      EXPECT_EQ(*p, *InclusionProof(all_, i, size));
    }
    for (std::uint64_t old = 27; old <= size; ++old) {
      auto p = ConsistencyProof(*reader, old, size);
      ASSERT_TRUE(p.has_value()) << old << " " << size << ": " << p.error().message();
      EXPECT_EQ(*p, *ConsistencyProof(all_, old, size));
    }
  }
  auto archived = InclusionProof(*reader, 5, 45);
  ASSERT_FALSE(archived.has_value());
  EXPECT_EQ(archived.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(archived.error().message().find("archived in " + (dir_ / "a.jsonl").string()),
            std::string::npos)
      << archived.error().message();
}

TEST_F(ArchiveTest, ArchiveByTimeTakesThePrefixOlderThanTheTime) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 20);
  ArchiveOptions o;
  o.out = dir_ / "t.jsonl";
  o.before_us = kT0 + 12 * 1'000'000 + 1;  // events 0..12 are older
  auto r = ArchiveLog(*log, Verifier(), o);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->end, 13u);
  // Nothing older is left: a second run archives nothing.
  o.out = dir_ / "t2.jsonl";
  auto r2 = ArchiveLog(*log, Verifier(), o);
  ASSERT_TRUE(r2.has_value());
  EXPECT_FALSE(r2->archived);
  EXPECT_FALSE(fs::exists(dir_ / "t2.jsonl"));
  EXPECT_TRUE(IsClean(Verify(*log)));
}

TEST_F(ArchiveTest, SecondArchiveChainsToTheFirst) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 40);
  ASSERT_OK_AND_ASSIGN(const ArchiveResult a1, Archive(*log, 11, "a1.jsonl"));
  ASSERT_OK_AND_ASSIGN(const ArchiveResult a2, Archive(*log, 30, "a2.jsonl"));
  ASSERT_TRUE(a2.archived);
  EXPECT_EQ(a2.start, 11u);
  EXPECT_EQ(a2.end, 30u);
  auto h = nlohmann::json::parse(ReadLines("a2.jsonl")[0]);
  EXPECT_EQ(h["start"], 11);
  EXPECT_EQ(h["previous_archive_sha256"], a1.sha256_hex);
  auto h1 = nlohmann::json::parse(ReadLines("a1.jsonl")[0]);
  EXPECT_EQ(h["start_checkpoint"], h1["end_checkpoint"]);
  EXPECT_EQ(h["start_range"], h1["end_range"]);

  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log));
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.archives.size(), 2u);
  auto records = *log->Archives();
  for (const char* name : {"a1.jsonl", "a2.jsonl"}) {
    ASSERT_OK_AND_ASSIGN(ArchiveVerification av, VerifyFile(name));
    CheckArchiveRecorded(records, av);
    EXPECT_TRUE(av.clean()) << av.Summary();
  }
  ASSERT_OK_AND_ASSIGN(ArchiveVerification second, VerifyFile("a2.jsonl"));
  ASSERT_OK_AND_ASSIGN(ArchiveVerification first, VerifyFile("a1.jsonl"));
  std::vector<ArchiveVerification> chain = {second, first};
  CheckArchiveChain(chain);
  EXPECT_TRUE(chain[0].clean()) << chain[0].Summary();
  // A file of the right shape but another range is not the recorded one.
  ASSERT_OK_AND_ASSIGN(ArchiveVerification av, VerifyFile("a1.jsonl"));
  std::vector<ArchiveRecord> only_second = {records[1]};
  CheckArchiveRecorded(only_second, av);
  EXPECT_TRUE(HasFinding(av, ArchiveProblem::kNotRecorded));
  // The first file replaced by another one of the same range that still verifies on its own
  // (here: an extra header member) breaks the link from the second.
  auto lines = ReadLines("a1.jsonl");
  lines[0].insert(lines[0].size() - 1, R"(,"note":"rewritten")");
  WriteLines("a1.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(second, VerifyFile("a2.jsonl"));
  ASSERT_OK_AND_ASSIGN(first, VerifyFile("a1.jsonl"));
  chain = {second, first};
  EXPECT_TRUE(chain[1].clean()) << chain[1].Summary();
  CheckArchiveChain(chain);
  EXPECT_TRUE(HasFinding(chain[0], ArchiveProblem::kChain, 11)) << chain[0].Summary();
}

TEST_F(ArchiveTest, AnExistingArchiveOrOtherFileIsNeverOverwritten) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 30);
  ASSERT_OK_AND_ASSIGN(const ArchiveResult first, Archive(*log, 10, "a.jsonl"));
  ArchiveOptions o;
  o.out = dir_ / "a.jsonl";
  o.before_index = 20;
  auto again = ArchiveLog(*log, Verifier(), o);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(const ArchiveVerification kept, VerifyFile("a.jsonl"));
  EXPECT_EQ(kept.sha256_hex, first.sha256_hex);
  WriteLines("notes.txt", {"something else"});
  o.out = dir_ / "notes.txt";
  EXPECT_FALSE(ArchiveLog(*log, Verifier(), o).has_value());
  EXPECT_EQ(ReadLines("notes.txt"), std::vector<std::string>{"something else"});
  EXPECT_EQ(log->Archives()->size(), 1u);
  EXPECT_TRUE(IsClean(Verify(*log)));
}

TEST_F(ArchiveTest, ArchivingTheWholeLogAndAnEmptyLogWork) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  auto none = ArchiveLog(*log, Verifier(), ArchiveOptions{dir_ / "e.jsonl", std::nullopt, 5});
  ASSERT_TRUE(none.has_value()) << none.error().message();
  EXPECT_FALSE(none->archived);
  Fill(*log, 0, 16);
  ASSERT_OK_AND_ASSIGN(const ArchiveResult r,
                       Archive(*log, 1000, "all.jsonl"));  // capped at the log size
  EXPECT_EQ(r.end, 16u);
  EXPECT_TRUE(IsClean(VerifyFile("all.jsonl")));
  EXPECT_TRUE(IsClean(Verify(*log)));
  Fill(*log, 16, 3);
  EXPECT_TRUE(IsClean(Verify(*log)));
}

TEST_F(ArchiveTest, AppendsWhileArchivingAreKeptAndTheLogVerifies) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 300);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> appended{0};
  std::thread appender([&] {
    while (!stop.load()) {
      EventColumns c;
      c.time_us = kT0;
      if (!log->Append(Leaf(100000 + appended.load()), c)) return;
      ++appended;
    }
  });
  // The archive starts once the appender is running, however slow the machine, so that the
  // appends really overlap it (the check below is about the log, not about scheduling).
  while (appended.load() == 0) std::this_thread::yield();
  ArchiveOptions o;
  o.out = dir_ / "live.jsonl";
  o.before_index = 250;
  auto r = ArchiveLog(*log, Verifier(), o);
  stop = true;
  appender.join();
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->end, 250u);
  EXPECT_GT(appended.load(), 0u);
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log));
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.report.log_size, 300 + appended.load());
  EXPECT_TRUE(IsClean(VerifyFile("live.jsonl")));
}

// ---- tampering with the archive file
// -------------------------------------------------------------

class ArchiveTamperTest : public ArchiveTest {
 protected:
  void SetUp() override {
    ArchiveTest::SetUp();
    ASSERT_OK_AND_ASSIGN(log_, OpenLog());
    Fill(*log_, 0, 50);
    ASSERT_OK(Archive(*log_, 10, "a1.jsonl"));
    ASSERT_OK(Archive(*log_, 33, "a2.jsonl"));  // events [10, 33), checkpoints at 15, 20, 25, 30
    ASSERT_TRUE(IsClean(VerifyFile("a2.jsonl")));
  }
  // Line of event i in a2.jsonl.
  static std::size_t LineOf(std::uint64_t i) { return static_cast<std::size_t>(i - 10 + 1); }
  std::shared_ptr<AuditLog> log_;
};

TEST_F(ArchiveTamperTest, ModifiedEventIsLocatedBetweenCheckpoints) {
  auto lines = ReadLines("a2.jsonl");
  auto j = nlohmann::json::parse(lines[LineOf(22)]);
  const std::string forged = R"({"id":"event-22","n":999})";
  j["leaf"] = Base64Encode(forged);
  j["event"] = nlohmann::json::parse(forged);  // consistent readable copy: only hashes can tell
  lines[LineOf(22)] = j.dump();
  WriteLines("a2.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a2.jsonl"));
  // Batches of 7 with a checkpoint due every 5 events: checkpoints at 14, 21, 28.
  ASSERT_TRUE(HasFinding(v, ArchiveProblem::kRootMismatch, 21)) << v.Summary();
  EXPECT_NE(v.Summary().find("[21, 28)"), std::string::npos) << v.Summary();
}

TEST_F(ArchiveTamperTest, RemovedEventIsNamed) {
  auto lines = ReadLines("a2.jsonl");
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(LineOf(17)));
  WriteLines("a2.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a2.jsonl"));
  ASSERT_TRUE(HasFinding(v, ArchiveProblem::kIndex, 17)) << v.Summary();
  EXPECT_NE(v.Summary().find("event 17 is missing"), std::string::npos) << v.Summary();
}

TEST_F(ArchiveTamperTest, SwappedEventsAreNamed) {
  auto lines = ReadLines("a2.jsonl");
  std::swap(lines[LineOf(12)], lines[LineOf(13)]);
  WriteLines("a2.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a2.jsonl"));
  EXPECT_TRUE(HasFinding(v, ArchiveProblem::kIndex, 12)) << v.Summary();
}

TEST_F(ArchiveTamperTest, TruncatedArchiveIsDetected) {
  auto lines = ReadLines("a2.jsonl");
  lines.resize(LineOf(29));
  WriteLines("a2.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a2.jsonl"));
  EXPECT_TRUE(HasFinding(v, ArchiveProblem::kIndex, 29)) << v.Summary();
  EXPECT_NE(v.Summary().find("ends before event 29"), std::string::npos) << v.Summary();
}

TEST_F(ArchiveTamperTest, AppendedEventLineIsDetected) {
  auto lines = ReadLines("a2.jsonl");
  lines.push_back("");
  lines.push_back(lines[LineOf(32)]);
  WriteLines("a2.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a2.jsonl"));
  EXPECT_TRUE(HasFinding(v, ArchiveProblem::kIndex, 33)) << v.Summary();
}

TEST_F(ArchiveTamperTest, ArchiveRewrittenByAnotherJsonToolStillVerifies) {
  // Member order and spacing are not part of the format: only the leaf bytes are hashed.
  auto lines = ReadLines("a2.jsonl");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    lines[i] = nlohmann::json::parse(lines[i]).dump(1);
    std::erase(lines[i], '\n');
  }
  WriteLines("a2.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a2.jsonl"));
  EXPECT_TRUE(v.clean()) << v.Summary();
}

TEST_F(ArchiveTamperTest, EditedReadableEventIsNamed) {
  auto lines = ReadLines("a2.jsonl");
  auto j = nlohmann::json::parse(lines[LineOf(31)]);
  j["event"]["n"] = 12345;  // the leaf (what was hashed) is unchanged
  lines[LineOf(31)] = j.dump();
  WriteLines("a2.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a2.jsonl"));
  EXPECT_TRUE(HasFinding(v, ArchiveProblem::kEventMismatch, 31)) << v.Summary();
  EXPECT_FALSE(HasFinding(v, ArchiveProblem::kRootMismatch));
}

TEST_F(ArchiveTamperTest, AlteredRangesAndProofsAreNamed) {
  const auto original = ReadLines("a2.jsonl");
  auto flip = [](nlohmann::json& arr, std::size_t i) {
    auto raw = *Base64Decode(arr[i].get<std::string>());
    raw[0] ^= 1;
    arr[i] = Base64Encode(raw);
  };
  EditHeader("a2.jsonl", [&](nlohmann::json& h) { flip(h["start_range"], 0); });
  EXPECT_TRUE(HasFinding(VerifyFile("a2.jsonl"), ArchiveProblem::kStartRange));

  WriteLines("a2.jsonl", original);
  EditHeader("a2.jsonl", [&](nlohmann::json& h) { flip(h["end_range"], 1); });
  EXPECT_TRUE(HasFinding(VerifyFile("a2.jsonl"), ArchiveProblem::kEndRange));

  WriteLines("a2.jsonl", original);
  EditHeader("a2.jsonl", [&](nlohmann::json& h) {
    ASSERT_FALSE(h["consistency_proof"].empty());
    flip(h["consistency_proof"], 0);
  });
  EXPECT_TRUE(HasFinding(VerifyFile("a2.jsonl"), ArchiveProblem::kConsistency));

  // A checkpoint re-signed by another key.
  WriteLines("a2.jsonl", original);
  std::vector<std::uint8_t> seed(32, 3);
  auto other = *NoteSigner::Create("test/log", SecretBytes(seed));
  const NoteSigner* signers[] = {other.get()};
  EditHeader("a2.jsonl", [&](nlohmann::json& h) {
    auto cp = *ParseCheckpoint(h["end_checkpoint"].get<std::string>().substr(
        0, h["end_checkpoint"].get<std::string>().find("\n\n") + 1));
    h["end_checkpoint"] = *SignCheckpoint(cp, signers);
  });
  EXPECT_TRUE(HasFinding(VerifyFile("a2.jsonl"), ArchiveProblem::kBadCheckpoint));

  // Not an archive at all.
  WriteLines("a2.jsonl", {"{}"});
  EXPECT_TRUE(HasFinding(VerifyFile("a2.jsonl"), ArchiveProblem::kMalformed));
}

TEST_F(ArchiveTamperTest, AnyChangedFileIsNotTheRecordedOne) {
  auto lines = ReadLines("a1.jsonl");
  lines[0] += " ";  // harmless to the contents, but not the file the log recorded
  WriteLines("a1.jsonl", lines);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification v, VerifyFile("a1.jsonl"));
  EXPECT_TRUE(v.clean()) << v.Summary();
  auto records = *log_->Archives();
  CheckArchiveRecorded(records, v);
  EXPECT_TRUE(HasFinding(v, ArchiveProblem::kNotRecorded));
}

// The archive of events [10, 33) of a 50-event log (second archive), built once.
#ifndef BULWARK_ARCHIVE_TEST_POSTGRES  // a fresh PostgreSQL schema per case: too slow
RC_GTEST_FIXTURE_PROP(ArchiveTest, AnySingleByteChangeInAnEventLineIsDetected, ()) {
  static std::vector<std::string> original;
  if (original.empty()) {
    auto log = OpenLog();
    RC_ASSERT(log.has_value());
    Fill(**log, 0, 50);
    RC_ASSERT(Archive(**log, 10, "a1.jsonl").has_value());
    RC_ASSERT(Archive(**log, 33, "a2.jsonl").has_value());
    original = ReadLines("a2.jsonl");
  }
  const auto line = *rc::gen::inRange<std::size_t>(1, original.size());
  const auto pos = *rc::gen::inRange<std::size_t>(0, original[line].size() + 1);  // + newline
  const auto x = *rc::gen::inRange<int>(1, 256);
  std::string text;
  std::size_t offset = pos;
  for (std::size_t i = 0; i < original.size(); ++i) {
    if (i < line) offset += original[i].size() + 1;
    text += original[i] + "\n";
  }
  text[offset] = static_cast<char>(static_cast<unsigned char>(text[offset]) ^ x);
  {
    std::ofstream out(dir_ / "a2.jsonl", std::ios::trunc | std::ios::binary);
    out << text;
  }
  auto v = VerifyFile("a2.jsonl");
  RC_ASSERT(v.has_value());
  RC_ASSERT(!v->clean());
}
#endif

// ---- tampering with the database side of the boundary ----------------------------------------

TEST_F(ArchiveTamperTest, AlteredStoredCompactRangeIsDetected) {
  Sql("DROP TRIGGER archives_append_only_u;"
      "UPDATE archives SET frontier = zeroblob(length(frontier)) WHERE end_idx = 33",
      "ALTER TABLE bulwark_audit_archives DISABLE TRIGGER USER;"
      "UPDATE bulwark_audit_archives SET frontier = decode(repeat('00', length(frontier)), 'hex') "
      "WHERE end_idx = 33");
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log_));
  ASSERT_FALSE(v.clean());
  EXPECT_TRUE(Mentions(v, "the stored compact range does not hash")) << v.Summary();
  EXPECT_EQ(v.first_bad_index, 33u);
}

TEST_F(ArchiveTamperTest, ReplacedBoundaryCheckpointIsDetected) {
  Sql("DROP TRIGGER archives_append_only_u;"
      "UPDATE archives SET checkpoint = (SELECT checkpoint FROM archives WHERE end_idx = 10) "
      "WHERE end_idx = 33",
      "ALTER TABLE bulwark_audit_archives DISABLE TRIGGER USER;"
      "UPDATE bulwark_audit_archives SET checkpoint = (SELECT checkpoint FROM "
      "bulwark_audit_archives WHERE end_idx = 10) WHERE end_idx = 33");
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log_));
  ASSERT_FALSE(v.clean());
  EXPECT_TRUE(Mentions(v, "boundary checkpoint does not verify")) << v.Summary();
}

TEST_F(ArchiveTamperTest, RemovedArchiveRecordIsDetected) {
  Sql("DROP TRIGGER archives_append_only_d; DELETE FROM archives WHERE end_idx = 33",
      "ALTER TABLE bulwark_audit_archives DISABLE TRIGGER USER; DELETE FROM bulwark_audit_archives "
      "WHERE end_idx = 33");
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log_));
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 10u) << v.Summary();  // events [10, 33) are gone
}

TEST_F(ArchiveTamperTest, RemovedEarlierArchiveRecordBreaksTheChain) {
  Sql("DROP TRIGGER archives_append_only_d; DELETE FROM archives WHERE end_idx = 10",
      "ALTER TABLE bulwark_audit_archives DISABLE TRIGGER USER; DELETE FROM bulwark_audit_archives "
      "WHERE end_idx = 10");
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log_));
  ASSERT_FALSE(v.clean());
  EXPECT_TRUE(Mentions(v, "does not follow the previous boundary")) << v.Summary();
}

TEST_F(ArchiveTamperTest, EventAfterTheBoundaryIsStillCheckedAndDeletionBelowIsRefused) {
  Sql("DROP TRIGGER events_append_only_u; UPDATE events SET leaf = '{\"x\":1}' WHERE idx = 36",
      "ALTER TABLE bulwark_audit_events DISABLE TRIGGER USER; UPDATE bulwark_audit_events SET "
      "leaf = '{\"x\":1}'::bytea WHERE idx = 36; ALTER TABLE bulwark_audit_events ENABLE TRIGGER "
      "USER");
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log_));
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.first_bad_index, 36u) << v.Summary();
  // The guards are back after the prune.
  EXPECT_FALSE(TrySql("DELETE FROM events WHERE idx = 40",
                      "DELETE FROM bulwark_audit_events WHERE idx = 40"));
  EXPECT_FALSE(TrySql("DELETE FROM nodes", "DELETE FROM bulwark_audit_nodes"));
  EXPECT_FALSE(TrySql("DELETE FROM archives", "DELETE FROM bulwark_audit_archives"));
}

#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
// The PostgreSQL prune guard: the session setting alone does not let unarchived rows go, and
// archived rows do not go without it.
TEST_F(ArchiveTamperTest, PruneGuardDeletesOnlyArchivedRowsAndOnlyWithTheSetting) {
  const std::string on = "BEGIN; SET LOCAL bulwark.pruning = 'on'; ";
  EXPECT_FALSE(TrySql("", on + "DELETE FROM bulwark_audit_events WHERE idx = 40; COMMIT"));
  EXPECT_NE(last_error_.find("append-only"), std::string::npos) << last_error_;
  EXPECT_FALSE(
      TrySql("", on + "DELETE FROM bulwark_audit_nodes WHERE level = 4 AND idx = 2; COMMIT"));
  EXPECT_FALSE(TrySql("", on + "DELETE FROM bulwark_audit_archives; COMMIT"));
  // Archived rows put back (as after a crash between prune chunks) are refused without it.
  Sql("",
      "ALTER TABLE bulwark_audit_events DISABLE TRIGGER USER; "
      "INSERT INTO bulwark_audit_events SELECT idx - 40, time_us, leaf_hash, leaf FROM "
      "bulwark_audit_events WHERE idx >= 40 AND idx < 42; "
      "ALTER TABLE bulwark_audit_events ENABLE TRIGGER USER");
  ASSERT_OK_AND_ASSIGN(AuditVerification before, Verify(*log_));
  EXPECT_EQ(before.pending_prune, 2u);
  EXPECT_FALSE(TrySql("", "DELETE FROM bulwark_audit_events WHERE idx < 2"));
  EXPECT_FALSE(
      TrySql("", "SET bulwark.pruning = 'off'; DELETE FROM bulwark_audit_events WHERE idx < 2"));
  EXPECT_TRUE(TrySql("", on + "DELETE FROM bulwark_audit_events WHERE idx < 2; COMMIT"))
      << last_error_;
  ASSERT_OK_AND_ASSIGN(AuditVerification after, Verify(*log_));
  EXPECT_EQ(after.pending_prune, 0u);
}
#endif

// A schema-2 log written before retention existed (no archives table; on PostgreSQL also the
// old DELETE triggers) reads as never archived when opened read-only, and gains the table and
// guards at its next read-write open.
TEST_F(ArchiveTest, ALogFromBeforeRetentionGainsTheArchivesTableOnOpen) {
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
    Fill(*log, 0, 20);
  }
  Sql("DROP TABLE archives",
      "DROP TABLE bulwark_audit_archives; DROP FUNCTION bulwark_audit_prune_guard() CASCADE; "
      "DROP TRIGGER bulwark_audit_events_append_only ON bulwark_audit_events; "
      "CREATE TRIGGER bulwark_audit_events_append_only BEFORE UPDATE OR DELETE ON "
      "bulwark_audit_events FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only(); "
      "DROP TRIGGER bulwark_audit_nodes_append_only ON bulwark_audit_nodes; "
      "CREATE TRIGGER bulwark_audit_nodes_append_only BEFORE UPDATE OR DELETE ON "
      "bulwark_audit_nodes FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only()");
  {
    AuditLogOptions o;
    o.path = dir_ / "audit.db";
#ifdef BULWARK_ARCHIVE_TEST_POSTGRES
    o.url = pg_->url();
#endif
    o.origin = "test/log";
    o.read_only = true;
    auto ro = AuditLog::Open(std::move(o));
    ASSERT_TRUE(ro.has_value()) << ro.error().message();
    auto archives = (*ro)->Archives();
    ASSERT_TRUE(archives.has_value()) << archives.error().message();
    EXPECT_TRUE(archives->empty());
  }
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  ASSERT_OK_AND_ASSIGN(const ArchiveResult r, Archive(*log, 12, "a.jsonl"));
  ASSERT_TRUE(r.archived);
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log));
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.pending_prune, 0u);
  ASSERT_EQ(log->Archives()->size(), 1u);
  EXPECT_FALSE(TrySql("DELETE FROM events WHERE idx = 15",
                      "DELETE FROM bulwark_audit_events WHERE idx = 15"));
  EXPECT_FALSE(TrySql("DELETE FROM archives", "DELETE FROM bulwark_audit_archives"));
}

TEST_F(ArchiveTest, ATamperedLogIsNotArchived) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 20);
  Sql("DROP TRIGGER events_append_only_u; UPDATE events SET leaf = '{\"x\":1}' WHERE idx = 3",
      "ALTER TABLE bulwark_audit_events DISABLE TRIGGER USER; UPDATE bulwark_audit_events SET "
      "leaf = '{\"x\":1}'::bytea WHERE idx = 3");
  ArchiveOptions o;
  o.out = dir_ / "x.jsonl";
  o.before_index = 10;
  auto r = ArchiveLog(*log, Verifier(), o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(dir_ / "x.jsonl"));
  std::uint64_t count = 0;
  ASSERT_TRUE(log->Scan(0, UINT64_MAX,
                        [&](const StoredEvent&) {
                          ++count;
                          return OkStatus();
                        })
                  .has_value());
  EXPECT_EQ(count, 20u);
}

// ---- crash safety
// --------------------------------------------------------------------------------

TEST_F(ArchiveTest, FileWrittenButNotPrunedLeavesTheLogIntactAndARerunCompletes) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 30);
  ASSERT_OK_AND_ASSIGN(const ArchiveResult r, Archive(*log, 18, "a.jsonl", /*prune=*/false));
  ASSERT_TRUE(r.archived);
  EXPECT_TRUE(IsClean(VerifyFile("a.jsonl")));
  EXPECT_TRUE(log->Archives()->empty());
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log));
  EXPECT_TRUE(v.clean());
  EXPECT_EQ(v.report.log_size, 30u);
  EXPECT_TRUE(v.archives.empty());
  ASSERT_OK_AND_ASSIGN(const ArchiveResult again, Archive(*log, 18, "a.jsonl"));
  EXPECT_TRUE(again.archived);
  EXPECT_EQ(again.end, r.end);
  EXPECT_TRUE(IsClean(Verify(*log)));
  ASSERT_EQ(log->Archives()->size(), 1u);
  ASSERT_OK_AND_ASSIGN(ArchiveVerification av, VerifyFile("a.jsonl"));
  EXPECT_EQ(av.sha256_hex, again.sha256_hex);
  auto records = *log->Archives();
  CheckArchiveRecorded(records, av);
  EXPECT_TRUE(av.clean()) << av.Summary();
}

TEST_F(ArchiveTest, InterruptedPruneVerifiesAndIsFinishedByTheNextArchive) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  Fill(*log, 0, 40);
  ASSERT_OK_AND_ASSIGN(const ArchiveResult r, Archive(*log, 20, "a.jsonl"));
  ASSERT_TRUE(r.archived);
  // What a crash between two prune chunks leaves: archived rows still stored below the boundary
  // (put back here from a copy of the rows taken before the prune).
  Sql("CREATE TABLE keep AS SELECT * FROM events WHERE idx >= 20 AND idx < 25;"
      "UPDATE keep SET idx = idx - 20;"
      "INSERT INTO events SELECT * FROM keep; DROP TABLE keep;",
      "INSERT INTO bulwark_audit_events SELECT idx - 20, time_us, leaf_hash, leaf FROM "
      "bulwark_audit_events WHERE idx >= 20 AND idx < 25");
  ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log));
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.pending_prune, 5u);
  EXPECT_TRUE(Mentions(v, "5 archived events are still stored below the boundary"));
  auto reader = *ArchivedTreeReader::ForLog(*log);
  std::vector<Hash> leaf;
  EXPECT_FALSE(reader.ReadLeafHashes(2, 3, leaf).has_value());  // never served
  EXPECT_EQ(*RootAt(reader, 40), *RootAt(all_, 40));
  auto deleted = log->DeleteArchivedEvents(2);
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message();
  EXPECT_EQ(*deleted, 5u);
  ASSERT_OK_AND_ASSIGN(v, Verify(*log));
  EXPECT_TRUE(v.clean()) << v.Summary();
  EXPECT_EQ(v.pending_prune, 0u);
}

TEST_F(ArchiveTest, SigkillDuringArchiveLeavesEitherTheWholeLogOrAVerifiedArchive) {
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(100));
    Fill(*log, 0, 3000);
  }
  for (int round = 0; round < 8; ++round) {
    const fs::path out = dir_ / fmt::format("k{}.jsonl", round);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto log = OpenLog(100);
      if (!log) ::_exit(1);
      ArchiveOptions o;
      o.out = out;
      o.before_index = 350 * static_cast<std::uint64_t>(round + 1);
      auto r = ArchiveLog(**log, Verifier(), o);
      ::_exit(r.has_value() ? 0 : 1);
    }
    ::usleep(static_cast<useconds_t>(3000 + round * 25000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);

    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(100));
    ASSERT_OK_AND_ASSIGN(AuditVerification v, Verify(*log));
    ASSERT_TRUE(v.clean()) << "round " << round << ": " << v.Summary();
    EXPECT_EQ(v.report.log_size, 3000u);
    auto records = *log->Archives();
    for (const auto& rec : records) {
      ASSERT_OK_AND_ASSIGN(ArchiveVerification av, VerifyArchiveFile(rec.file, Verifier()));
      CheckArchiveRecorded(records, av);
      EXPECT_TRUE(av.clean()) << av.Summary();
    }
    if (v.pending_prune > 0) {  // killed between two prune chunks: finishing is safe
      ASSERT_TRUE(log->DeleteArchivedEvents().has_value());
      ASSERT_OK_AND_ASSIGN(AuditVerification finished, Verify(*log));
      EXPECT_EQ(finished.pending_prune, 0u);
    }
  }
}

// ---- property
// ------------------------------------------------------------------------------------

#ifndef BULWARK_ARCHIVE_TEST_POSTGRES  // a fresh PostgreSQL schema per case: too slow
RC_GTEST_FIXTURE_PROP(ArchiveTest, RandomBoundariesKeepEveryProofAndTheLogVerifiable, ()) {
  const auto total = *rc::gen::inRange<std::uint64_t>(1, 70);
  const auto n1 = *rc::gen::inRange<std::uint64_t>(1, total + 1);
  const auto n2 = *rc::gen::inRange<std::uint64_t>(n1, total + 1);
  const auto extra = *rc::gen::inRange<std::uint64_t>(0, 20);
  auto opened = OpenLog(*rc::gen::inRange<std::uint64_t>(1, 12));
  RC_ASSERT(opened.has_value());
  AuditLog* log = opened->get();
  Fill(*log, 0, total);
  auto a1 = Archive(*log, n1, "p1.jsonl");
  RC_ASSERT(a1.has_value());
  RC_ASSERT(a1->end == n1);
  if (n2 > n1) {
    auto a2 = Archive(*log, n2, "p2.jsonl");
    RC_ASSERT(a2.has_value());
    RC_ASSERT(a2->end == n2);
  }
  Fill(*log, total, extra);
  const std::uint64_t size = total + extra;
  auto v = Verify(*log);
  RC_ASSERT(v.has_value());
  RC_ASSERT(v->clean());
  RC_ASSERT(v->report.log_size == size);
  RC_ASSERT(IsClean(VerifyFile("p1.jsonl")));
  if (n2 > n1) RC_ASSERT(IsClean(VerifyFile("p2.jsonl")));
  auto reader = *ArchivedTreeReader::ForLog(*log);
  RC_ASSERT(*RootAt(reader, size) == *RootAt(all_, size));
  const auto i = *rc::gen::inRange<std::uint64_t>(n2, std::max(n2 + 1, size));
  if (i < size) RC_ASSERT(*InclusionProof(reader, i, size) == *InclusionProof(all_, i, size));
  const auto old = *rc::gen::inRange<std::uint64_t>(n2, size + 1);
  RC_ASSERT(*ConsistencyProof(reader, old, size) == *ConsistencyProof(all_, old, size));
  std::vector<Hash> leaf;
  RC_ASSERT(!reader.ReadLeafHashes(n2 - 1, n2, leaf).has_value());  // archived: not served
}
#endif

}  // namespace
}  // namespace bulwark::audit
