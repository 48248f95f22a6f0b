// Throwaway databases for the store's tests: a fresh SQLite file in a temp directory, or a fresh
// schema in the PostgreSQL test server (scripts/pg-test-server.sh; URL from BULWARK_TEST_PG_URL).
#ifndef BULWARK_SRC_STORE_TEST_DATABASE_H_
#define BULWARK_SRC_STORE_TEST_DATABASE_H_

#include <filesystem>
#include <memory>
#include <string>

#include "bulwark/core/error.h"

namespace bulwark::store::testing {

class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  // A store URL for OpenStore; every open of it sees the same (initially empty) database.
  virtual std::string url() const = 0;
  // Runs SQL statements directly on the database, as whoever can write it (a restored backup, a
  // DBA) would: no store code, no triggers disabled unless the SQL does it. kInternal with the
  // database's message on failure.
  virtual Status Exec(const std::string& sql) const = 0;
};

// A new SQLite file under a fresh temp directory (deleted with the object).
std::unique_ptr<TestDatabase> NewSqliteTestDatabase();
// A new schema in the PostgreSQL test server (dropped with the object). kUnavailable, with the
// command that starts the server, when it is not running.
Result<std::unique_ptr<TestDatabase>> NewPostgresTestDatabase();
// The test server URL: $BULWARK_TEST_PG_URL or the script's default.
std::string PostgresTestServerUrl();

}  // namespace bulwark::store::testing

#endif  // BULWARK_SRC_STORE_TEST_DATABASE_H_
