#include "store/test_database.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "bulwark/testing/temp_dir.h"

namespace bulwark::store::testing {
namespace {

std::atomic<int> counter{0};

class SqliteTestDatabase final : public TestDatabase {
 public:
  std::string url() const override { return "sqlite:" + (dir_ / "store.db").string(); }
  Status Exec(const std::string& sql) const override {
    sqlite3* db = nullptr;
    int rc = sqlite3_open((dir_ / "store.db").c_str(), &db);
    char* err = nullptr;
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(db, 10'000);
      rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    }
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) return InternalError("sqlite: " + msg);
    return OkStatus();
  }

 private:
  ::bulwark::testing::TempDir dir_{"bulwark-store-sqlite"};
};

class PostgresTestDatabase final : public TestDatabase {
 public:
  PostgresTestDatabase(std::string base, std::string schema)
      : base_(std::move(base)), schema_(std::move(schema)) {}
  ~PostgresTestDatabase() override {
    PGconn* c = PQconnectdb(base_.c_str());
    if (PQstatus(c) == CONNECTION_OK) {
      PQclear(PQexec(c, fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_).c_str()));
    }
    PQfinish(c);
  }
  std::string url() const override {
    return fmt::format("{}{}options=-csearch_path%3D{}", base_,
                       base_.find('?') == std::string::npos ? "?" : "&", schema_);
  }
  Status Exec(const std::string& sql) const override {
    PGconn* c = PQconnectdb(url().c_str());
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok =
        PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string msg = PQresultErrorMessage(r);
    if (PQstatus(c) != CONNECTION_OK) msg = PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    if (!ok) return InternalError("postgresql: " + msg);
    return OkStatus();
  }

 private:
  std::string base_;
  std::string schema_;
};

}  // namespace

std::unique_ptr<TestDatabase> NewSqliteTestDatabase() {
  return std::make_unique<SqliteTestDatabase>();
}

std::string PostgresTestServerUrl() {
  const char* env = std::getenv("BULWARK_TEST_PG_URL");
  return env && *env ? env : "postgresql://postgres@127.0.0.1:54329/bulwark_test";
}

Result<std::unique_ptr<TestDatabase>> NewPostgresTestDatabase() {
  std::string base = PostgresTestServerUrl();
  PGconn* c = PQconnectdb(base.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    return UnavailableError(
        fmt::format("PostgreSQL test server at {} is not running ({}); start it with "
                    "scripts/pg-test-server.sh start (ctest does this automatically)",
                    base, msg));
  }
  std::random_device rd;
  std::string schema = fmt::format("t_{}_{}_{:x}", getpid(), counter++, rd());
  PGresult* r = PQexec(c, fmt::format("CREATE SCHEMA {}", schema).c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) return UnavailableError("create test schema: " + msg);
  return std::unique_ptr<TestDatabase>(new PostgresTestDatabase(base, schema));
}

}  // namespace bulwark::store::testing
