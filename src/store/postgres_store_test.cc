// Runs the conformance suite against the PostgreSQL test server. Requires the server: ctest starts
// it (fixture store_pg_server); by hand, run scripts/pg-test-server.sh start first. A missing
// server fails these tests, never skips them.
#include <libpq-fe.h>

#include "bulwark/store/open.h"
#include "store/store_conformance.h"

namespace bulwark::store::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(Backend{"Postgres", &NewPostgresTestDatabase}),
                         BackendName);

void RawExec(const std::string& url, const char* sql) {
  PGconn* c = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql);
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
}

TEST(PostgresStoreTest, StoreFromANewerVersionIsRefused) {
  auto db = NewPostgresTestDatabase();
  ASSERT_TRUE(db.has_value()) << db.error();
  {
    auto store = OpenStore((*db)->url(), Runtime::System());
    ASSERT_TRUE(store.has_value()) << store.error();
  }
  RawExec((*db)->url(), "UPDATE bulwark_schema SET version = 99");
  auto store = OpenStore((*db)->url(), Runtime::System());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message().find("newer Bulwark"), std::string::npos) << store.error();
}

TEST(PostgresStoreTest, ReopeningAMigratedStoreKeepsData) {
  auto db = NewPostgresTestDatabase();
  ASSERT_TRUE(db.has_value()) << db.error();
  config::ValueMap m;
  m.Set("a", config::Value(1));
  {
    auto store = OpenStore((*db)->url(), Runtime::System());
    ASSERT_TRUE(store.has_value()) << store.error();
    ASSERT_TRUE((*store)->Put("ns", config::Value(m), {}).has_value());
  }
  auto store = OpenStore((*db)->url(), Runtime::System());
  ASSERT_TRUE(store.has_value()) << store.error();
  EXPECT_EQ((*store)->Get("ns", VersionRef::Latest())->content, config::Value(m));
}

TEST(PostgresStoreTest, VersionsAreImmutableInTheDatabase) {
  auto db = NewPostgresTestDatabase();
  ASSERT_TRUE(db.has_value()) << db.error();
  {
    auto store = OpenStore((*db)->url(), Runtime::System());
    ASSERT_TRUE(store.has_value()) << store.error();
    ASSERT_TRUE((*store)->Put("ns", config::Value::EmptyMap(), {}).has_value());
  }
  PGconn* c = PQconnectdb((*db)->url().c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK);
  PGresult* r = PQexec(c, "UPDATE bulwark_versions SET author = 'mallory'");
  EXPECT_EQ(PQresultStatus(r), PGRES_FATAL_ERROR);
  PQclear(r);
  r = PQexec(c, "DELETE FROM bulwark_versions");
  EXPECT_EQ(PQresultStatus(r), PGRES_FATAL_ERROR);
  PQclear(r);
  PQfinish(c);
}

}  // namespace
}  // namespace bulwark::store::testing
