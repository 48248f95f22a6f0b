#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <random>

#include "bulwark/store/open.h"
#include "bulwark/testing/temp_dir.h"
#include "store/store_conformance.h"

namespace bulwark::store::testing {
namespace {

Result<std::unique_ptr<TestDatabase>> MakeSqlite() { return NewSqliteTestDatabase(); }

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(Backend{"Sqlite", &MakeSqlite}), BackendName);

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void RawSql(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

std::string RawQuery(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  ::bulwark::testing::TempDir tmp_{"bulwark-store-sqlite-file"};
  const std::filesystem::path dir_ = tmp_.path();
  std::filesystem::path db() const { return dir_ / "store.db"; }
  Result<std::unique_ptr<ConfigStore>> Open() {
    return OpenStore("sqlite:" + db().string(), Runtime::System());
  }
};

config::Value Doc(int i) {
  config::ValueMap m;
  m.Set("i", config::Value(i));
  return config::Value(std::move(m));
}

TEST_F(SqliteStoreTest, DataSurvivesReopening) {
  {
    auto store = Open();
    ASSERT_TRUE(store.has_value()) << store.error();
    ASSERT_TRUE((*store)->Put("ns", Doc(1), {}).has_value());
    ASSERT_TRUE((*store)->Put("ns", Doc(2), {}).has_value());
  }
  auto store = Open();
  ASSERT_TRUE(store.has_value()) << store.error();
  EXPECT_EQ((*store)->Get("ns", VersionRef::Latest())->content, Doc(2));
  EXPECT_EQ((*store)->History("ns")->size(), 2u);
}

TEST_F(SqliteStoreTest, UsesWalAndRecordsTheSchemaVersion) {
  ASSERT_TRUE(Open().has_value());
  EXPECT_EQ(RawQuery(db(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery(db(), "PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(RawQuery(db(), "PRAGMA application_id"), std::to_string(0x42574B31));
}

// A store written by a build that knew schema version 1 (versions without tags) opens, migrates
// to version 2 and keeps every version readable, with an empty tag until it is sealed.
TEST_F(SqliteStoreTest, SchemaVersionOneStoreIsMigratedAndKeepsItsVersions) {
  RawSql(db(), R"sql(
    PRAGMA application_id = 1113017137;
    CREATE TABLE bulwark_namespaces (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
      latest_version INTEGER NOT NULL CHECK (latest_version >= 0), updated_at_us INTEGER NOT NULL);
    CREATE TABLE bulwark_versions (namespace_id INTEGER NOT NULL REFERENCES bulwark_namespaces(id),
      version INTEGER NOT NULL CHECK (version >= 1), parent_version INTEGER,
      created_at_us INTEGER NOT NULL, author TEXT NOT NULL, message TEXT NOT NULL,
      tags TEXT NOT NULL, operation TEXT NOT NULL, rollback_of INTEGER,
      content_hash TEXT NOT NULL, content BLOB NOT NULL, PRIMARY KEY (namespace_id, version));
    CREATE INDEX bulwark_versions_by_time ON bulwark_versions (namespace_id, created_at_us);
    CREATE TRIGGER bulwark_versions_no_update BEFORE UPDATE ON bulwark_versions
      BEGIN SELECT RAISE(ABORT, 'bulwark_versions rows are immutable'); END;
    CREATE TRIGGER bulwark_versions_no_delete BEFORE DELETE ON bulwark_versions
      BEGIN SELECT RAISE(ABORT, 'bulwark_versions rows are immutable'); END;
    INSERT INTO bulwark_namespaces VALUES (1, 'ns', 1, 1000);
    INSERT INTO bulwark_versions VALUES (1, 1, NULL, 1000, 'old', 'm', '[]', 'put', NULL,
      '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862', CAST('{"a":1}' AS BLOB));
    PRAGMA user_version = 1;)sql");
  auto store = Open();
  ASSERT_TRUE(store.has_value()) << store.error();
  EXPECT_EQ(RawQuery(db(), "PRAGMA user_version"), "2");
  auto v1 = (*store)->Get("ns", VersionRef::Latest());
  ASSERT_TRUE(v1.has_value()) << v1.error();
  EXPECT_EQ(v1->info.author, "old");
  EXPECT_EQ(v1->info.mac, "");
  EXPECT_EQ((*store)->CountMacs()->with_mac, 0);
  ASSERT_TRUE((*store)->AttachMac("ns", 1, v1->info.content_hash, "sealed").has_value());
  EXPECT_EQ((*store)->Get("ns", VersionRef::Latest())->info.mac, "sealed");
}

// Issue #14: store.db and its WAL and SHM files were 0644 under a umask of 022.
TEST_F(SqliteStoreTest, TheDatabaseAndItsWalAreCreatedPrivateWhateverTheUmask) {
  const mode_t old = ::umask(022);
  {
    auto store = Open();
    ASSERT_TRUE(store.has_value()) << store.error();
    ASSERT_TRUE((*store)->Put("ns", Doc(1), {}).has_value());
    for (const std::string suffix : {"", "-wal", "-shm"}) {
      const auto file = std::filesystem::path(db().string() + suffix);
      ASSERT_TRUE(std::filesystem::exists(file)) << file;
      EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
                std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
          << file;
    }
  }
  ::umask(old);
}

TEST_F(SqliteStoreTest, StoreFromANewerVersionIsRefusedAndUntouched) {
  {
    auto store = Open();
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->Put("ns", Doc(1), {}).has_value());
  }
  RawSql(db(), "PRAGMA user_version = 99");
  std::string before = ReadAll(db());
  auto store = Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message().find("newer Bulwark"), std::string::npos) << store.error();
  EXPECT_NE(store.error().message().find(db().string()), std::string::npos) << store.error();
  EXPECT_EQ(ReadAll(db()), before);
}

TEST_F(SqliteStoreTest, RandomBytesFileIsRefusedAndUntouched) {
  std::string junk(8192, '\0');
  std::mt19937 rng(7);
  for (char& c : junk) c = static_cast<char>(rng());
  { std::ofstream(db(), std::ios::binary) << junk; }
  auto store = Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(store.error().message().find("not an SQLite database"), std::string::npos)
      << store.error();
  EXPECT_EQ(ReadAll(db()), junk);
  EXPECT_FALSE(std::filesystem::exists(db().string() + "-wal"));
}

TEST_F(SqliteStoreTest, StoreWithACorruptHeaderIsRefusedAndUntouched) {
  {
    auto store = Open();
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->Put("ns", Doc(1), {}).has_value());
  }
  std::string bytes = ReadAll(db());
  ASSERT_GT(bytes.size(), 100u);
  for (std::size_t i = 0; i < 100; ++i) bytes[i] = static_cast<char>(0xA5 ^ i);
  { std::ofstream(db(), std::ios::binary | std::ios::trunc) << bytes; }
  auto store = Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(store.error().message().find(db().string()), std::string::npos) << store.error();
  EXPECT_EQ(ReadAll(db()), bytes);
}

TEST_F(SqliteStoreTest, AnotherApplicationsDatabaseIsRefusedAndUntouched) {
  RawSql(db(), "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x')");
  std::string before = ReadAll(db());
  auto store = Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message().find("not a Bulwark store"), std::string::npos)
      << store.error();
  EXPECT_EQ(ReadAll(db()), before);
  EXPECT_EQ(RawQuery(db(), "PRAGMA journal_mode"), "delete");
}

TEST_F(SqliteStoreTest, VersionsAreImmutableInTheDatabase) {
  {
    auto store = Open();
    ASSERT_TRUE((*store)->Put("ns", Doc(1), {}).has_value());
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &raw), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "UPDATE bulwark_versions SET author = 'mallory'", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "DELETE FROM bulwark_versions", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
}

TEST_F(SqliteStoreTest, TamperedContentIsReportedAsDataLoss) {
  {
    auto store = Open();
    ASSERT_TRUE((*store)->Put("ns", Doc(1), {}).has_value());
  }
  RawSql(db(),
         "DROP TRIGGER bulwark_versions_no_update; "
         "UPDATE bulwark_versions SET content = CAST('{\"i\":2}' AS BLOB)");
  auto store = Open();
  ASSERT_TRUE(store.has_value());
  auto got = (*store)->Get("ns", VersionRef::Latest());
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(got.error().message().find("ns version 1"), std::string::npos) << got.error();
}

TEST_F(SqliteStoreTest, MissingDirectoryIsUnavailable) {
  auto store = OpenStore("sqlite:" + (dir_ / "no/such/dir/x.db").string(), Runtime::System());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kUnavailable);
}

TEST(OpenStoreTest, UnknownSchemeIsInvalidArgument) {
  auto store = OpenStore("mysql://u:secret@h/db", Runtime::System());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.error().message().find("secret"), std::string::npos) << store.error();
}

TEST(OpenStoreTest, RedactUrlHidesPasswords) {
  EXPECT_EQ(RedactUrl("postgresql://bob:hunter2@db:5432/x"), "postgresql://bob:***@db:5432/x");
  EXPECT_EQ(RedactUrl("postgresql://db/x?password=hunter2&sslmode=require"),
            "postgresql://db/x?password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://bob@db/x"), "postgresql://bob@db/x");
}

TEST(OpenStoreTest, UnreachablePostgresIsUnavailable) {
  auto store =
      OpenStore("postgresql://nobody:pw@127.0.0.1:1/none?connect_timeout=2", Runtime::System());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store.error().message().find(":pw@"), std::string::npos) << store.error();
}

}  // namespace
}  // namespace bulwark::store::testing
