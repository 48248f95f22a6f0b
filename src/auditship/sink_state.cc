#include "bulwark/auditship/sink_state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

namespace bulwark::auditship {
namespace {

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

std::unexpected<Error> SqlError(sqlite3* db, const std::string& what) {
  return UnavailableError(fmt::format("audit sink state: {}: {}", what, sqlite3_errmsg(db)));
}

constexpr const char* kColumns =
    "name, cursor, shipped, batches, failures, consecutive_failures, last_error, last_error_us, "
    "last_success_us, next_attempt_us";

SinkState Row(sqlite3_stmt* s) {
  SinkState st;
  st.name = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  st.cursor = static_cast<std::uint64_t>(sqlite3_column_int64(s, 1));
  st.shipped = static_cast<std::uint64_t>(sqlite3_column_int64(s, 2));
  st.batches = static_cast<std::uint64_t>(sqlite3_column_int64(s, 3));
  st.failures = static_cast<std::uint64_t>(sqlite3_column_int64(s, 4));
  st.consecutive_failures = static_cast<std::uint64_t>(sqlite3_column_int64(s, 5));
  if (const unsigned char* t = sqlite3_column_text(s, 6)) {
    st.last_error = reinterpret_cast<const char*>(t);
  }
  st.last_error_us = sqlite3_column_int64(s, 7);
  st.last_success_us = sqlite3_column_int64(s, 8);
  st.next_attempt_us = sqlite3_column_int64(s, 9);
  return st;
}

}  // namespace

Result<std::unique_ptr<SinkStateStore>> SinkStateStore::Open(const std::filesystem::path& path) {
  // Create the file 0600 before SQLite does (it would use the umask).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError(fmt::format("audit sink state {}: cannot open", path.string()));
  }
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    auto e = UnavailableError(
        fmt::format("audit sink state {}: {}", path.string(), db ? sqlite3_errmsg(db) : "open"));
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<SinkStateStore> store(new SinkStateStore(db));
  sqlite3_busy_timeout(db, 10000);
  char* err = nullptr;
  const char* schema =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
      "CREATE TABLE IF NOT EXISTS sink_state(name TEXT PRIMARY KEY, cursor INTEGER NOT NULL,"
      " shipped INTEGER NOT NULL, batches INTEGER NOT NULL, failures INTEGER NOT NULL,"
      " consecutive_failures INTEGER NOT NULL, last_error TEXT, last_error_us INTEGER NOT NULL,"
      " last_success_us INTEGER NOT NULL, next_attempt_us INTEGER NOT NULL);";
  if (sqlite3_exec(db, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    auto e = UnavailableError(
        fmt::format("audit sink state {}: schema: {}", path.string(), err ? err : "?"));
    sqlite3_free(err);
    return e;
  }
  return store;
}

SinkStateStore::~SinkStateStore() { sqlite3_close(db_); }

Result<SinkState> SinkStateStore::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  Stmt st;
  const std::string sql = fmt::format("SELECT {} FROM sink_state WHERE name = ?", kColumns);
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
    return SqlError(db_, "read " + name);
  }
  sqlite3_bind_text(st.s, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st.s);
  if (rc == SQLITE_ROW) return Row(st.s);
  if (rc != SQLITE_DONE) return SqlError(db_, "read " + name);
  SinkState s;
  s.name = name;
  return s;
}

Result<std::vector<SinkState>> SinkStateStore::All() const {
  std::lock_guard lock(mu_);
  Stmt st;
  const std::string sql = fmt::format("SELECT {} FROM sink_state ORDER BY name", kColumns);
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
    return SqlError(db_, "list");
  }
  std::vector<SinkState> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) out.push_back(Row(st.s));
  if (rc != SQLITE_DONE) return SqlError(db_, "list");
  return out;
}

Status SinkStateStore::Put(const SinkState& s) {
  std::lock_guard lock(mu_);
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(db_, "write " + s.name);
  }
  auto rollback = [&](Error e) -> Status {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return std::unexpected(std::move(e));
  };
  {
    Stmt q;
    if (sqlite3_prepare_v2(db_, "SELECT cursor FROM sink_state WHERE name = ?", -1, &q.s,
                           nullptr) != SQLITE_OK) {
      return rollback(SqlError(db_, "write " + s.name).error());
    }
    sqlite3_bind_text(q.s, 1, s.name.data(), static_cast<int>(s.name.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(q.s) == SQLITE_ROW &&
        static_cast<std::uint64_t>(sqlite3_column_int64(q.s, 0)) > s.cursor) {
      return rollback(FailedPreconditionError(
                          fmt::format("audit sink '{}': the stored cursor {} is ahead of {} "
                                      "(another shipper?)",
                                      s.name, sqlite3_column_int64(q.s, 0), s.cursor))
                          .error());
    }
  }
  Stmt st;
  const std::string sql =
      fmt::format("INSERT OR REPLACE INTO sink_state({}) VALUES (?,?,?,?,?,?,?,?,?,?)", kColumns);
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
    return rollback(SqlError(db_, "write " + s.name).error());
  }
  sqlite3_bind_text(st.s, 1, s.name.data(), static_cast<int>(s.name.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 2, static_cast<sqlite3_int64>(s.cursor));
  sqlite3_bind_int64(st.s, 3, static_cast<sqlite3_int64>(s.shipped));
  sqlite3_bind_int64(st.s, 4, static_cast<sqlite3_int64>(s.batches));
  sqlite3_bind_int64(st.s, 5, static_cast<sqlite3_int64>(s.failures));
  sqlite3_bind_int64(st.s, 6, static_cast<sqlite3_int64>(s.consecutive_failures));
  sqlite3_bind_text(st.s, 7, s.last_error.data(), static_cast<int>(s.last_error.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 8, s.last_error_us);
  sqlite3_bind_int64(st.s, 9, s.last_success_us);
  sqlite3_bind_int64(st.s, 10, s.next_attempt_us);
  if (sqlite3_step(st.s) != SQLITE_DONE) return rollback(SqlError(db_, "write " + s.name).error());
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return rollback(SqlError(db_, "commit " + s.name).error());
  }
  return OkStatus();
}

}  // namespace bulwark::auditship
