// The SQLite backend: one database file, WAL journal, synchronous=FULL, one connection per store
// object guarded by a mutex, BEGIN IMMEDIATE for writes (the database write lock serializes
// read-modify-write across processes), BEGIN for consistent reads.
#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "bulwark/store/open.h"
#include "store/internal/codec.h"
#include "store/internal/sql_store.h"

namespace bulwark::store {
namespace {

using internal::FromMicros;
using internal::StoredVersion;
using internal::ToMicros;

// PRAGMA application_id of a Bulwark store: "BWK1".
constexpr std::int32_t kApplicationId = 0x42574B31;

constexpr const char* kSchemaV1[] = {
    R"sql(CREATE TABLE bulwark_namespaces (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      latest_version INTEGER NOT NULL CHECK (latest_version >= 0),
      updated_at_us INTEGER NOT NULL))sql",
    R"sql(CREATE TABLE bulwark_versions (
      namespace_id INTEGER NOT NULL REFERENCES bulwark_namespaces(id),
      version INTEGER NOT NULL CHECK (version >= 1),
      parent_version INTEGER,
      created_at_us INTEGER NOT NULL,
      author TEXT NOT NULL,
      message TEXT NOT NULL,
      tags TEXT NOT NULL,
      operation TEXT NOT NULL,
      rollback_of INTEGER,
      content_hash TEXT NOT NULL,
      content BLOB NOT NULL,
      PRIMARY KEY (namespace_id, version)))sql",
    "CREATE INDEX bulwark_versions_by_time ON bulwark_versions (namespace_id, created_at_us)",
    R"sql(CREATE TRIGGER bulwark_versions_no_update BEFORE UPDATE ON bulwark_versions
      BEGIN SELECT RAISE(ABORT, 'bulwark_versions rows are immutable'); END)sql",
    R"sql(CREATE TRIGGER bulwark_versions_no_delete BEFORE DELETE ON bulwark_versions
      BEGIN SELECT RAISE(ABORT, 'bulwark_versions rows are immutable'); END)sql",
};

// Schema version 2: version tags (docs/store.md, "Authenticated versions"). The update trigger
// allows exactly one change to a stored version: an empty mac becoming non-empty.
constexpr const char* kSchemaV2[] = {
    "ALTER TABLE bulwark_versions ADD COLUMN mac TEXT NOT NULL DEFAULT ''",
    "DROP TRIGGER bulwark_versions_no_update",
    R"sql(CREATE TRIGGER bulwark_versions_no_update BEFORE UPDATE ON bulwark_versions
      WHEN NOT (OLD.mac = '' AND NEW.mac <> '' AND NEW.namespace_id IS OLD.namespace_id
        AND NEW.version IS OLD.version AND NEW.parent_version IS OLD.parent_version
        AND NEW.created_at_us IS OLD.created_at_us AND NEW.author IS OLD.author
        AND NEW.message IS OLD.message AND NEW.tags IS OLD.tags AND NEW.operation IS OLD.operation
        AND NEW.rollback_of IS OLD.rollback_of AND NEW.content_hash IS OLD.content_hash
        AND NEW.content IS OLD.content)
      BEGIN SELECT RAISE(ABORT, 'bulwark_versions rows are immutable'); END)sql",
};

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  int primary = rc & 0xff;
  std::string msg =
      fmt::format("sqlite {}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(ErrorCode::kUnavailable, msg + " (database is locked)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error(ErrorCode::kDataLoss, msg);
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
      return Error(ErrorCode::kResourceExhausted, msg);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Error(ErrorCode::kPermissionDenied, msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Error(ErrorCode::kUnavailable, msg);
    default:
      return Error(ErrorCode::kInternal, msg);
  }
}

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s, bool cached = false) : db_(db), s_(s), cached_(cached) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    if (s_ == nullptr) return;
    if (cached_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    } else {
      sqlite3_finalize(s_);
    }
  }

  static Result<Stmt> Prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(SqliteError(db, rc, "prepare"));
    return Result<Stmt>(std::in_place, db, s);
  }
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_), cached_(o.cached_) { o.s_ = nullptr; }

  Stmt& Bind(int i, std::string_view text) {
    sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, std::string_view data) {
    sqlite3_bind_blob(s_, i, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::optional<std::int64_t> v) {
    if (v) {
      sqlite3_bind_int64(s_, i, *v);
    } else {
      sqlite3_bind_null(s_, i);
    }
    return *this;
  }
  // true: a row is available; false: done.
  Result<bool> Step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(SqliteError(db_, rc, "step"));
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::optional<std::int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
  std::string Text(int col) const {
    const void* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
  bool cached_;
};

// Prepared statements kept for the life of the connection (the store's SQL is a small fixed
// set). A Stmt from the cache is reset, not finalized, when it goes out of scope; at most one
// Stmt per SQL text is alive at a time (the store's mutex serializes transactions).
class StmtCache {
 public:
  explicit StmtCache(sqlite3* db) : db_(db) {}
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;
  ~StmtCache() {
    for (auto& [sql, s] : stmts_) sqlite3_finalize(s);
  }

  Result<Stmt> Get(std::string_view sql) {
    auto it = stmts_.find(std::string(sql));
    if (it == stmts_.end()) {
      sqlite3_stmt* s = nullptr;
      int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) return std::unexpected(SqliteError(db_, rc, "prepare"));
      it = stmts_.emplace(std::string(sql), s).first;
    }
    return Result<Stmt>(std::in_place, db_, it->second, true);
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Error e = SqliteError(db, rc, sql);
    sqlite3_free(err);
    return std::unexpected(e);
  }
  return OkStatus();
}

Result<std::int64_t> QueryInt(sqlite3* db, const char* sql) {
  BULWARK_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(db, sql));
  BULWARK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return InternalError(fmt::format("sqlite: no result for {}", sql));
  return s.Int(0);
}

Result<Operation> ParseOperation(std::string_view s) {
  for (Operation op : {Operation::kPut, Operation::kSet, Operation::kUnset, Operation::kRollback}) {
    if (OperationName(op) == s) return op;
  }
  return DataLossError(fmt::format("unknown stored operation '{}'", s));
}

// Columns 0-11 of a version row (ReadInfo) and the tables they come from: the parent's row is
// joined for its mac.
constexpr const char* kVersionColumns =
    "v.version, v.parent_version, v.created_at_us, v.author, v.message, v.tags, v.operation, "
    "v.rollback_of, v.content_hash, length(v.content), v.mac, coalesce(p.mac, '')";
constexpr const char* kVersionTables =
    "bulwark_versions v JOIN bulwark_namespaces n ON v.namespace_id = n.id "
    "LEFT JOIN bulwark_versions p ON p.namespace_id = v.namespace_id "
    "AND p.version = v.parent_version";

Result<VersionInfo> ReadInfo(const Stmt& s, std::string_view ns) {
  VersionInfo info;
  info.namespace_name = std::string(ns);
  info.version = s.Int(0);
  info.parent = s.OptInt(1);
  info.created_at = FromMicros(s.Int(2));
  info.author = s.Text(3);
  info.message = s.Text(4);
  BULWARK_ASSIGN_OR_RETURN(info.tags, internal::DecodeTags(s.Text(5)));
  BULWARK_ASSIGN_OR_RETURN(info.operation, ParseOperation(s.Text(6)));
  info.rollback_of = s.OptInt(7);
  info.content_hash = s.Text(8);
  info.content_size = static_cast<std::size_t>(s.Int(9));
  info.mac = s.Text(10);
  info.parent_mac = s.Text(11);
  return info;
}

class SqliteTxn final : public internal::Txn {
 public:
  SqliteTxn(sqlite3* db, StmtCache& cache) : db_(db), cache_(cache) {}

  Result<std::optional<NamespaceInfo>> Head(std::string_view ns) override {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt s, cache_.Get("SELECT latest_version, updated_at_us FROM bulwark_namespaces "
                           "WHERE name = ?1"));
    s.Bind(1, ns);
    BULWARK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<NamespaceInfo>();
    return std::optional<NamespaceInfo>(
        NamespaceInfo{std::string(ns), s.Int(0), FromMicros(s.Int(1))});
  }

  Result<std::optional<StoredVersion>> Load(std::string_view ns, VersionRef ref) override {
    std::string sql = fmt::format("SELECT {}, v.content FROM {} WHERE n.name = ?1 AND ",
                                  kVersionColumns, kVersionTables);
    switch (ref.kind()) {
      case VersionRef::Kind::kLatest:
        sql += "v.version = n.latest_version";
        break;
      case VersionRef::Kind::kNumber:
        sql += "v.version = ?2";
        break;
      case VersionRef::Kind::kAt:
        sql += "v.created_at_us <= ?2 ORDER BY v.version DESC LIMIT 1";
        break;
    }
    BULWARK_ASSIGN_OR_RETURN(Stmt s, cache_.Get(sql));
    s.Bind(1, ns);
    if (ref.kind() == VersionRef::Kind::kNumber) s.Bind(2, std::int64_t{ref.number()});
    if (ref.kind() == VersionRef::Kind::kAt) s.Bind(2, ToMicros(ref.time()));
    BULWARK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<StoredVersion>();
    StoredVersion v;
    BULWARK_ASSIGN_OR_RETURN(v.info, ReadInfo(s, ns));
    v.content = s.Text(12);
    return std::optional<StoredVersion>(std::move(v));
  }

  Result<std::optional<VersionInfo>> Info(std::string_view ns, Version version) override {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt s, cache_.Get(fmt::format("SELECT {} FROM {} WHERE n.name = ?1 AND v.version = ?2",
                                       kVersionColumns, kVersionTables)));
    s.Bind(1, ns).Bind(2, std::int64_t{version});
    BULWARK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<VersionInfo>();
    BULWARK_ASSIGN_OR_RETURN(VersionInfo info, ReadInfo(s, ns));
    return std::optional<VersionInfo>(std::move(info));
  }

  Status AttachMac(std::string_view ns, Version version, std::string_view content_hash,
                   std::string_view mac) override {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt s, cache_.Get("UPDATE bulwark_versions SET mac = ?3 WHERE mac = '' AND "
                           "content_hash = ?4 AND version = ?2 AND namespace_id = "
                           "(SELECT id FROM bulwark_namespaces WHERE name = ?1)"));
    s.Bind(1, ns).Bind(2, std::int64_t{version}).Bind(3, mac).Bind(4, content_hash);
    BULWARK_RETURN_IF_ERROR(s.Step());
    return OkStatus();
  }

  Result<MacCounts> CountMacs() override {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt s, cache_.Get("SELECT count(*), count(NULLIF(mac, '')) FROM bulwark_versions"));
    BULWARK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return MacCounts{};
    return MacCounts{s.Int(0), s.Int(1)};
  }

  Status Insert(const VersionInfo& info, std::string_view content) override {
    std::int64_t t = ToMicros(info.created_at);
    if (info.version == 1) {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt ins, cache_.Get("INSERT INTO bulwark_namespaces (name, latest_version, "
                               "updated_at_us) VALUES (?1, 0, ?2) ON CONFLICT DO NOTHING"));
      ins.Bind(1, info.namespace_name).Bind(2, t);
      BULWARK_RETURN_IF_ERROR(ins.Step());
    }
    BULWARK_ASSIGN_OR_RETURN(
        Stmt up, cache_.Get("UPDATE bulwark_namespaces SET latest_version = ?2, "
                            "updated_at_us = ?3 WHERE name = ?1 AND latest_version = ?4 "
                            "RETURNING id"));
    up.Bind(1, info.namespace_name).Bind(2, info.version).Bind(3, t).Bind(4, info.version - 1);
    BULWARK_ASSIGN_OR_RETURN(bool row, up.Step());
    if (!row) {
      return ConflictError(fmt::format("another writer stored version {} first", info.version));
    }
    std::int64_t id = up.Int(0);
    BULWARK_RETURN_IF_ERROR(up.Step());
    BULWARK_ASSIGN_OR_RETURN(Stmt ins,
                             cache_.Get("INSERT INTO bulwark_versions (namespace_id, version, "
                                        "parent_version, created_at_us, author, message, tags, "
                                        "operation, rollback_of, content_hash, content, mac) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                        "?12)"));
    ins.Bind(1, id)
        .Bind(2, info.version)
        .Bind(3, info.parent)
        .Bind(4, t)
        .Bind(5, info.author)
        .Bind(6, info.message)
        .Bind(7, internal::EncodeTags(info.tags))
        .Bind(8, OperationName(info.operation))
        .Bind(9, info.rollback_of)
        .Bind(10, info.content_hash)
        .BindBlob(11, content)
        .Bind(12, info.mac);
    BULWARK_RETURN_IF_ERROR(ins.Step());
    return OkStatus();
  }

  Result<std::vector<VersionInfo>> History(std::string_view ns, std::size_t limit) override {
    std::string sql =
        fmt::format("SELECT {} FROM {} WHERE n.name = ?1 ORDER BY v.version DESC LIMIT ?2",
                    kVersionColumns, kVersionTables);
    BULWARK_ASSIGN_OR_RETURN(Stmt s, cache_.Get(sql));
    s.Bind(1, ns).Bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    std::vector<VersionInfo> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      BULWARK_ASSIGN_OR_RETURN(VersionInfo info, ReadInfo(s, ns));
      out.push_back(std::move(info));
    }
    return out;
  }

  Result<std::vector<NamespaceInfo>> List(std::string_view prefix) override {
    // Namespace characters are all below 0x7f, so [prefix, prefix + "\x7f") holds every name
    // that starts with prefix.
    BULWARK_ASSIGN_OR_RETURN(Stmt s, cache_.Get("SELECT name, latest_version, updated_at_us FROM "
                                                "bulwark_namespaces WHERE name >= ?1 AND name < ?2 "
                                                "AND latest_version > 0 ORDER BY name"));
    std::string upper = std::string(prefix) + "\x7f";
    s.Bind(1, prefix).Bind(2, upper);
    std::vector<NamespaceInfo> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(NamespaceInfo{s.Text(0), s.Int(1), FromMicros(s.Int(2))});
    }
    return out;
  }

  Status Rename(std::string_view from, std::string_view to) override {
    BULWARK_ASSIGN_OR_RETURN(std::optional<NamespaceInfo> src, Head(from));
    if (!src) return NotFoundError(fmt::format("namespace {} does not exist", from));
    BULWARK_ASSIGN_OR_RETURN(std::optional<NamespaceInfo> dst, Head(to));
    if (dst) return AlreadyExistsError(fmt::format("namespace {} already exists", to));
    BULWARK_ASSIGN_OR_RETURN(Stmt s,
                             cache_.Get("UPDATE bulwark_namespaces SET name = ?2 WHERE name = ?1"));
    s.Bind(1, from).Bind(2, to);
    BULWARK_RETURN_IF_ERROR(s.Step());
    return OkStatus();
  }

 private:
  [[maybe_unused]] sqlite3* db_;
  StmtCache& cache_;
};

class SqliteStore final : public internal::SqlStore {
 public:
  SqliteStore(std::shared_ptr<Clock> clock, sqlite3* db, std::string path,
              std::chrono::milliseconds busy_timeout)
      : SqlStore(std::move(clock)),
        db_(db),
        cache_(std::make_unique<StmtCache>(db)),
        path_(std::move(path)),
        busy_timeout_(busy_timeout) {}
  ~SqliteStore() override {
    cache_.reset();
    sqlite3_close_v2(db_);
  }

  std::string DisplayUrl() const override { return "sqlite:" + path_; }

 protected:
  Status Transact(bool write, const std::function<Status(internal::Txn&)>& fn) const override {
    std::lock_guard lock(mu_);
    // BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so a write's
    // read-modify-write never has to be upgraded and cannot deadlock with another writer.
    auto deadline = std::chrono::steady_clock::now() + busy_timeout_;
    while (true) {
      Status begun = Exec(db_, write ? "BEGIN IMMEDIATE" : "BEGIN");
      if (begun) break;
      if (begun.error().code() != ErrorCode::kUnavailable ||
          std::chrono::steady_clock::now() >= deadline) {
        return begun;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    SqliteTxn txn(db_, *cache_);
    Status st = fn(txn);
    if (st) {
      st = Exec(db_, "COMMIT");
      if (st) return st;
    }
    if (sqlite3_get_autocommit(db_) == 0) (void)Exec(db_, "ROLLBACK");
    return st;
  }

 private:
  mutable std::mutex mu_;
  sqlite3* db_;
  std::unique_ptr<StmtCache> cache_;
  std::string path_;
  std::chrono::milliseconds busy_timeout_;
};

// Checks that `db` is empty or a Bulwark store this build can read, then migrates it to
// kSchemaVersion. Refuses (and leaves untouched) anything else.
Status CheckAndMigrate(sqlite3* db, const std::string& where) {
  auto ctx = [&](Error e) { return std::unexpected(e.WithContext(fmt::format("open {}", where))); };
  // These reads are the first access to the file: a file that is not a database fails here,
  // before anything is written.
  auto app_id = QueryInt(db, "PRAGMA application_id");
  if (!app_id) {
    if (app_id.error().code() == ErrorCode::kDataLoss) {
      return ctx(Error(ErrorCode::kDataLoss,
                       "not an SQLite database or corrupt (" + app_id.error().message() + ")"));
    }
    return ctx(app_id.error());
  }
  BULWARK_ASSIGN_OR_RETURN(std::int64_t user_version, QueryInt(db, "PRAGMA user_version"));
  BULWARK_ASSIGN_OR_RETURN(std::int64_t objects,
                           QueryInt(db, "SELECT count(*) FROM sqlite_master"));
  bool empty = *app_id == 0 && user_version == 0 && objects == 0;
  if (!empty && *app_id != kApplicationId) {
    return ctx(Error(ErrorCode::kFailedPrecondition,
                     fmt::format("not a Bulwark store (SQLite application_id {:#x}, {} schema "
                                 "objects); refusing to modify it",
                                 static_cast<std::uint32_t>(*app_id), objects)));
  }
  if (user_version > kSchemaVersion) {
    return ctx(Error(ErrorCode::kFailedPrecondition,
                     fmt::format("store schema version {} was written by a newer Bulwark (this "
                                 "build knows up to {}); upgrade Bulwark",
                                 user_version, kSchemaVersion)));
  }
  if (auto st = Exec(db, "PRAGMA journal_mode = WAL"); !st) return ctx(st.error());
  if (auto st = Exec(db, "PRAGMA synchronous = FULL"); !st) return ctx(st.error());
  if (auto st = Exec(db, "PRAGMA foreign_keys = ON"); !st) return ctx(st.error());
  if (user_version == kSchemaVersion) return OkStatus();

  // Migrate inside one write transaction; re-check the version under the lock, since another
  // process may have migrated meanwhile.
  if (auto st = Exec(db, "BEGIN IMMEDIATE"); !st) return ctx(st.error());
  auto migrate = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(std::int64_t v, QueryInt(db, "PRAGMA user_version"));
    if (v == 0) {
      for (const char* sql : kSchemaV1) BULWARK_RETURN_IF_ERROR(Exec(db, sql));
      v = 1;
    }
    if (v == 1) {
      for (const char* sql : kSchemaV2) BULWARK_RETURN_IF_ERROR(Exec(db, sql));
      v = 2;
    }
    // Future migrations: if (v == 2) { ...; v = 3; }
    BULWARK_RETURN_IF_ERROR(
        Exec(db, fmt::format("PRAGMA application_id = {}", kApplicationId).c_str()));
    BULWARK_RETURN_IF_ERROR(Exec(db, fmt::format("PRAGMA user_version = {}", v).c_str()));
    return Exec(db, "COMMIT");
  };
  if (auto st = migrate(); !st) {
    (void)Exec(db, "ROLLBACK");
    return ctx(st.error().WithContext("migrate schema"));
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<ConfigStore>> OpenSqliteStore(const std::filesystem::path& path,
                                                     const Runtime& runtime,
                                                     const StoreOptions& options) {
  std::string where = "sqlite:" + path.string();
  if (!runtime.clock) return InvalidArgumentError(fmt::format("open {}: no clock", where));
  if (path != ":memory:") {
    // Created 0600 before SQLite creates it with the umask's mode; SQLite gives the -wal and -shm
    // files the database file's mode. An existing file keeps its mode.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return UnavailableError(fmt::format("open {}: {}", where, std::strerror(errno)));
    }
    ::close(fd);
  }
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = SqliteError(db, rc, "open").WithContext(fmt::format("open {}", where));
    sqlite3_close_v2(db);
    return std::unexpected(e);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  if (auto st = CheckAndMigrate(db, where); !st) {
    sqlite3_close_v2(db);
    return std::unexpected(st.error());
  }
  return std::unique_ptr<ConfigStore>(
      new SqliteStore(runtime.clock, db, path.string(), options.busy_timeout));
}

}  // namespace bulwark::store
