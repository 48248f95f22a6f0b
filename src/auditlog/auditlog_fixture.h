// The fixture of the audit log tests: a fresh log on SQLite (a temp file) or PostgreSQL (a fresh
// schema in the test server, scripts/pg-test-server.sh), filled through LogAuditSink, and direct
// SQL access to its tables as an attacker would have (Tamper). AuditLogConformance runs the same
// tests on each backend (auditlog_conformance.cc); AuditLogTest is the SQLite-only fixture.
#ifndef BULWARK_SRC_AUDIT_AUDITLOG_FIXTURE_H_
#define BULWARK_SRC_AUDIT_AUDITLOG_FIXTURE_H_

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>

#include "audit/verification_for_test.h"
#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/auditlog/event.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/auditlog/log_audit.h"
#include "bulwark/testing/assert_ok.h"
#include "store/test_database.h"

namespace bulwark::audit::logtest {

namespace fs = std::filesystem;

inline request::AuditRecord Record(std::string op, request::Action action, std::string ns,
                                   std::vector<std::string> paths) {
  request::AuditRecord r;
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

inline std::shared_ptr<const NoteSigner> TestSigner(std::uint8_t fill,
                                                    std::string name = "test/log") {
  std::vector<std::uint8_t> seed(32, fill);
  return std::shared_ptr<const NoteSigner>(*NoteSigner::Create(name, SecretBytes(seed)));
}

inline constexpr const char* kSqlite = "sqlite";
inline constexpr const char* kPostgres = "postgresql";

// The SQLite schema's statements in PostgreSQL: table names, blob literals.
inline std::string ToPostgresSql(std::string sql) {
  sql =
      std::regex_replace(sql, std::regex(R"(CAST\(x'([0-9a-fA-F]*)' AS BLOB\))"), "'\\x$1'::bytea");
  sql = std::regex_replace(sql, std::regex(R"(\bx'([0-9a-fA-F]*)')"), "'\\x$1'::bytea");
  sql = std::regex_replace(sql, std::regex(R"(\b(events|nodes|checkpoints|postings)\b)"),
                           "bulwark_audit_$1");
  return std::regex_replace(sql, std::regex(R"(\btree_state\b)"), "bulwark_audit_state");
}

class AuditLogFixture : public ::testing::Test {
 protected:
  virtual std::string Backend() const { return kSqlite; }
  bool postgres() const { return Backend() == kPostgres; }

  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / fmt::format("bulwark_auditlog_{}_{}", ::getpid(), counter_++);
    fs::create_directories(dir_);
    signer_ = TestSigner(7);
    if (postgres()) {
      auto db = store::testing::NewPostgresTestDatabase();
      ASSERT_TRUE(db.has_value()) << db.error().message();
      pg_ = std::move(*db);
    }
  }
  void TearDown() override {
    pg_.reset();
    fs::remove_all(dir_);
  }

  AuditLogOptions Options() {
    AuditLogOptions o;
    o.path = dir_ / "audit.db";
    if (pg_) o.url = pg_->url();
    o.origin = "test/log";
    o.signers = {signer_};
    o.checkpoint_every = checkpoint_every_;
    o.checkpoint_interval = std::chrono::hours(24);
    return o;
  }
  Result<std::shared_ptr<AuditLog>> OpenLog() {
    BULWARK_ASSIGN_OR_RETURN(auto l, AuditLog::Open(Options()));
    return std::shared_ptr<AuditLog>(std::move(l));
  }
  CheckpointVerifier Verifier() {
    return *CheckpointVerifier::Create("test/log", {signer_->Verifier()});
  }

  // Appends n events through the sink (namespace cycles, paths vary).
  void Fill(const std::shared_ptr<AuditLog>& log, int n) {
    LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://test/config", Runtime::System());
    for (int i = 0; i < n; ++i) {
      auto r = Record("config.set", i % 3 == 0 ? request::Action::kRead : request::Action::kWrite,
                      i % 2 ? "production/app" : "dev/app", {fmt::format("key{}", i)});
      if (i % 4 == 0) r.outcome = request::Outcome::kDenied;
      ASSERT_TRUE(sink.Append(r).has_value());
    }
  }
  // Opens the log and fills it with n events through the sink (the log is closed again).
  void FillNewLog(int n) {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
    Fill(log, n);
  }
  Result<AuditVerification> VerifyNow(const std::optional<std::string>& trusted = std::nullopt) {
    BULWARK_ASSIGN_OR_RETURN(auto log, OpenLog());
    return VerifyAuditLog(*log, Verifier(), trusted, {});
  }

  // Runs SQL (SQLite dialect, translated for PostgreSQL unless `pg_sql` is given) on the
  // database; true when it succeeded.
  bool RawExec(const std::string& sql, const std::string& pg_sql = "") {
    if (postgres()) {
      PGconn* c = PQconnectdb(pg_->url().c_str());
      PGresult* r = PQexec(c, (pg_sql.empty() ? ToPostgresSql(sql) : pg_sql).c_str());
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      if (!ok) last_error_ = PQresultErrorMessage(r);
      PQclear(r);
      PQfinish(c);
      return ok;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open((dir_ / "audit.db").c_str(), &db) != SQLITE_OK) return false;
    char* err = nullptr;
    const bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK;
    if (!ok) last_error_ = err ? err : "error";
    sqlite3_free(err);
    sqlite3_close(db);
    return ok;
  }

  // Runs SQL with the append-only triggers dropped (an attacker with write access to the
  // database). `pg_sql`: the PostgreSQL form when the automatic translation does not fit.
  void Tamper(const std::string& sql, const std::string& pg_sql = "") {
    const std::string sqlite_pre =
        "DROP TRIGGER IF EXISTS events_append_only_u; DROP TRIGGER IF EXISTS events_append_only_d;"
        "DROP TRIGGER IF EXISTS nodes_append_only_u; DROP TRIGGER IF EXISTS nodes_append_only_d;"
        "DROP TRIGGER IF EXISTS checkpoints_append_only_u;"
        "DROP TRIGGER IF EXISTS checkpoints_append_only_d;";
    const std::string pg_pre =
        "ALTER TABLE bulwark_audit_events DISABLE TRIGGER USER;"
        "ALTER TABLE bulwark_audit_nodes DISABLE TRIGGER USER;"
        "ALTER TABLE bulwark_audit_checkpoints DISABLE TRIGGER USER;";
    ASSERT_TRUE(RawExec(sqlite_pre + sql, pg_pre + (pg_sql.empty() ? ToPostgresSql(sql) : pg_sql)))
        << last_error_;
  }

  fs::path dir_;
  std::shared_ptr<const NoteSigner> signer_;
  std::unique_ptr<store::testing::TestDatabase> pg_;
  std::string last_error_;
  std::uint64_t checkpoint_every_ = 5;  // a test may publish checkpoints less often
  static inline int counter_ = 0;
};

// SQLite-only tests.
using AuditLogTest = AuditLogFixture;

// The backend-independent tests, parameterized by backend name.
class AuditLogConformance : public AuditLogFixture,
                            public ::testing::WithParamInterface<std::string> {
 protected:
  std::string Backend() const override { return GetParam(); }
};

}  // namespace bulwark::audit::logtest

#endif  // BULWARK_SRC_AUDIT_AUDITLOG_FIXTURE_H_
