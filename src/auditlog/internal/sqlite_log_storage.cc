// The SQLite LogStorage: one database file, WAL, synchronous=FULL, prepared statements kept for
// the life of the connection. Schema (version 2, PRAGMA user_version) in docs/audit.md.
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "auditlog/internal/log_storage.h"

namespace bulwark::audit::internal {
namespace {

constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE events(
  idx INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  leaf_hash BLOB NOT NULL,
  leaf BLOB NOT NULL);
CREATE INDEX events_time ON events(time_us);
CREATE TABLE terms(
  id INTEGER PRIMARY KEY,
  field INTEGER NOT NULL,
  value TEXT NOT NULL,
  UNIQUE(field, value));
CREATE TABLE postings(
  term INTEGER NOT NULL,
  first_idx INTEGER NOT NULL,
  deltas BLOB NOT NULL);
CREATE TABLE segment_postings(
  term INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  first_idx INTEGER NOT NULL,
  deltas BLOB NOT NULL,
  PRIMARY KEY(term, segment)) WITHOUT ROWID;
CREATE TABLE index_state(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  compacted_below INTEGER NOT NULL);
INSERT INTO index_state VALUES(1, 0);
CREATE TABLE IF NOT EXISTS nodes(
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY(level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tree_state(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL,
  frontier BLOB NOT NULL,
  last_checkpoint_size INTEGER NOT NULL,
  last_checkpoint_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints(
  size INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  note TEXT NOT NULL);
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS nodes_append_only_u BEFORE UPDATE ON nodes
  BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS nodes_append_only_d BEFORE DELETE ON nodes
  BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_u BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_d BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
)sql";

// Retention (archive.h): added to version 2 at open (CREATE ... IF NOT EXISTS, no version change:
// a log never archived has the table empty, and a read-only open reads a missing table as empty).
constexpr const char* kArchivesSchema = R"sql(
CREATE TABLE IF NOT EXISTS archives(
  end_idx INTEGER PRIMARY KEY,
  start_idx INTEGER NOT NULL,
  time_us INTEGER NOT NULL,
  file TEXT NOT NULL,
  sha256 BLOB NOT NULL,
  frontier BLOB NOT NULL,
  checkpoint TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS archives_append_only_u BEFORE UPDATE ON archives
  BEGIN SELECT RAISE(ABORT, 'audit archives are append-only'); END;
CREATE TRIGGER IF NOT EXISTS archives_append_only_d BEFORE DELETE ON archives
  BEGIN SELECT RAISE(ABORT, 'audit archives are append-only'); END;
)sql";

// The prune drops and recreates these inside its transaction (no other connection ever sees the
// log without them).
constexpr const char* kEventsDeleteTrigger =
    "CREATE TRIGGER events_append_only_d BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END";
constexpr const char* kNodesDeleteTrigger =
    "CREATE TRIGGER nodes_append_only_d BEFORE DELETE ON nodes "
    "BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END";

// Version 1 -> 2: the per-field columns and their six indexes plus event_paths become terms and
// postings (one posting row per event and term: v1 did not record the batches).
constexpr const char* kMigrateV1 = R"sql(
DROP TRIGGER IF EXISTS events_append_only_u;
DROP TRIGGER IF EXISTS events_append_only_d;
DROP INDEX IF EXISTS events_time;
DROP INDEX IF EXISTS events_actor;
DROP INDEX IF EXISTS events_namespace;
DROP INDEX IF EXISTS events_action;
DROP INDEX IF EXISTS events_outcome;
DROP INDEX IF EXISTS events_impact;
ALTER TABLE events RENAME TO events_v1;
)sql";

constexpr const char* kMigrateV1Data = R"sql(
INSERT INTO events(idx, time_us, leaf_hash, leaf)
  SELECT idx, time_us, leaf_hash, leaf FROM events_v1 ORDER BY idx;
INSERT OR IGNORE INTO terms(field, value) SELECT DISTINCT 1, type FROM events_v1 WHERE type <> '';
INSERT OR IGNORE INTO terms(field, value) SELECT DISTINCT 2, actor FROM events_v1 WHERE actor <> '';
INSERT OR IGNORE INTO terms(field, value)
  SELECT DISTINCT 3, namespace FROM events_v1 WHERE namespace <> '';
INSERT OR IGNORE INTO terms(field, value)
  SELECT DISTINCT 4, action FROM events_v1 WHERE action <> '';
INSERT OR IGNORE INTO terms(field, value)
  SELECT DISTINCT 5, outcome FROM events_v1 WHERE outcome <> '';
INSERT OR IGNORE INTO terms(field, value) SELECT DISTINCT 6, CAST(impact AS TEXT) FROM events_v1;
INSERT OR IGNORE INTO terms(field, value) SELECT DISTINCT 7, path FROM event_paths WHERE path <> '';
INSERT INTO postings(term, first_idx, deltas)
  SELECT t.id, e.idx, x'' FROM events_v1 e JOIN terms t ON t.field = 1 AND t.value = e.type;
INSERT INTO postings(term, first_idx, deltas)
  SELECT t.id, e.idx, x'' FROM events_v1 e JOIN terms t ON t.field = 2 AND t.value = e.actor;
INSERT INTO postings(term, first_idx, deltas)
  SELECT t.id, e.idx, x'' FROM events_v1 e JOIN terms t ON t.field = 3 AND t.value = e.namespace;
INSERT INTO postings(term, first_idx, deltas)
  SELECT t.id, e.idx, x'' FROM events_v1 e JOIN terms t ON t.field = 4 AND t.value = e.action;
INSERT INTO postings(term, first_idx, deltas)
  SELECT t.id, e.idx, x'' FROM events_v1 e JOIN terms t ON t.field = 5 AND t.value = e.outcome;
INSERT INTO postings(term, first_idx, deltas)
  SELECT t.id, e.idx, x'' FROM events_v1 e JOIN terms t ON t.field = 6 AND t.value = CAST(e.impact AS TEXT);
INSERT INTO postings(term, first_idx, deltas)
  SELECT t.id, p.idx, x'' FROM event_paths p JOIN terms t ON t.field = 7 AND t.value = p.path
  ORDER BY p.idx;
DROP TABLE events_v1;
DROP TABLE event_paths;
PRAGMA user_version = 2;
)sql";

Error SqlError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db);
  std::string msg = fmt::format("audit log: {}: {}", what, sqlite3_errmsg(db));
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return DataLossError(msg).error();
  return UnavailableError(msg).error();
}

Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "error";
    sqlite3_free(err);
    return UnavailableError(fmt::format("audit log: {}: {}", what, m));
  }
  return OkStatus();
}

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    rc_ = sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_), rc_(o.rc_) { o.st_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(st_, o.st_);
    std::swap(rc_, o.rc_);
    return *this;
  }
  Status ok(std::string_view what) const {
    if (rc_ != SQLITE_OK) return std::unexpected(SqlError(db_, what));
    return OkStatus();
  }
  void Bind(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // An empty blob is bound as x'' (a null data pointer would bind NULL).
  void BindBlob(int i, std::span<const std::uint8_t> v) {
    if (v.empty()) {
      sqlite3_bind_zeroblob(st_, i, 0);
      return;
    }
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindBlob(int i, std::string_view v) {
    BindBlob(i, std::span(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> Step(std::string_view what) {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = SqlError(db_, what);
    sqlite3_reset(st_);
    return std::unexpected(e);
  }
  Status Run(std::string_view what) {
    auto r = Step(what);
    sqlite3_reset(st_);
    if (!r) return std::unexpected(r.error());
    return OkStatus();
  }
  void Reset() { sqlite3_reset(st_); }
  sqlite3_stmt* raw() const { return st_; }
  std::int64_t Int(int col) const { return sqlite3_column_int64(st_, col); }
  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(st_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
             : std::string();
  }
  std::span<const std::uint8_t> BlobView(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, col));
    return p ? std::span<const std::uint8_t>(
                   p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
             : std::span<const std::uint8_t>();
  }
  std::vector<std::uint8_t> Blob(int col) const {
    auto v = BlobView(col);
    return {v.begin(), v.end()};
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Resets a statement when the scope ends (also on early returns).
struct ResetOnExit {
  Stmt& s;
  ~ResetOnExit() { s.Reset(); }
};

std::int64_t Clamp(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
}

// WAL checkpoints off the committing thread. SQLite's automatic checkpoint runs inside the COMMIT
// that crosses the threshold: the committing thread copies the whole WAL into the database file
// and fsyncs it (about 100 ms for 64 MiB here), and every appender waits for it. Instead:
//  1. the WAL hook (after each commit) sees the WAL pass `background_frames`
//     (AuditLogOptions::wal_checkpoint_pages) and wakes a checkpointer thread (started on first
//     use), which copies the WAL into the database with its own connection (PASSIVE: never
//     blocks the writer), repeating until a pass had at most a quarter of that (at most
//     kTailFrames) to copy;
//  2. the next write (BeginWrite, on the committing thread) checkpoints the short remainder on
//     its own connection, so the WAL is fully copied and its BEGIN restarts the WAL at the
//     beginning of the file (a WAL that is never fully copied would grow without bound).
// Durability is unchanged: commits are durable by the WAL fsync (synchronous=FULL); a checkpoint
// only moves committed pages into the database file (and fsyncs it) and is crash-safe.
class WalCheckpointer {
 public:
  static constexpr int kTailFrames = 256;
  static constexpr int kMaxPasses = 8;

  WalCheckpointer(std::string path, int background_frames)
      : path_(std::move(path)),
        background_frames_(std::max(1, background_frames)),
        tail_frames_(std::min(kTailFrames, background_frames_ / 4)) {}
  ~WalCheckpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    sqlite3_close(db_);
  }
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // The WAL hook of the writing connection: `frames` pages are in the WAL after a commit.
  void AfterCommit(int frames) {
    if (frames < background_frames_ || state_.load(std::memory_order_relaxed) != kIdle) return;
    {
      std::lock_guard lock(mu_);
      if (state_.load() != kIdle || stop_) return;
      state_.store(kRunning);
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    }
    cv_.notify_one();
  }

  // On the writing connection before it begins a write: copies what the checkpointer left.
  void BeforeWrite(sqlite3* writer) {
    if (state_.load(std::memory_order_acquire) != kTailPending) return;
    (void)sqlite3_wal_checkpoint_v2(writer, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    state_.store(kIdle, std::memory_order_release);
  }

 private:
  enum State { kIdle, kRunning, kTailPending };

  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || state_.load() == kRunning; });
      if (stop_) return;
      lock.unlock();
      const bool copied = Passes();
      lock.lock();
      // On failure (another process checkpointing, I/O error) the next commit past the threshold
      // tries again.
      state_.store(copied ? kTailPending : kIdle, std::memory_order_release);
    }
  }

  // PASSIVE checkpoints until one copies at most tail_frames_ (or kMaxPasses); false on an error.
  bool Passes() {
    if (db_ == nullptr) {
      if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                          nullptr) != SQLITE_OK ||
          sqlite3_busy_timeout(db_, 1000) != SQLITE_OK ||  // bounded, like every handle
          sqlite3_exec(db_, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_close(db_);
        db_ = nullptr;
        return false;
      }
    }
    // A pass copies the frames that were in the WAL when it started (its `log` and `done` say
    // nothing of the frames committed meanwhile); the next pass copies those. When a pass had
    // little to copy, it was short, and what was committed during it is the small remainder.
    int before = -1;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      int log = 0, done = 0;
      if (sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
          SQLITE_OK) {
        return false;
      }
      if (before >= 0 && done - before <= tail_frames_) break;
      before = done;
    }
    return true;
  }

  const std::string path_;
  const int background_frames_, tail_frames_;
  sqlite3* db_ = nullptr;  // the checkpointer's connection (its thread only)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<int> state_{kIdle};
  std::thread thread_;
};

class SqliteLogStorage final : public LogStorage {
 public:
  SqliteLogStorage(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteLogStorage() override {
    checkpointer_.reset();  // before the last connection closes (which checkpoints the rest)
    stmts_.clear();
    sqlite3_close(db_);
  }

  // Read-write opens: WAL checkpoints by WalCheckpointer instead of inside COMMIT (the hook
  // replaces SQLite's automatic checkpoint).
  void StartCheckpointer(std::uint32_t pages) {
    checkpointer_ = std::make_unique<WalCheckpointer>(
        path_, static_cast<int>(std::min<std::uint32_t>(pages, INT32_MAX)));
    sqlite3_wal_hook(
        db_,
        [](void* arg, sqlite3*, const char*, int frames) {
          static_cast<WalCheckpointer*>(arg)->AfterCommit(frames);
          return SQLITE_OK;
        },
        checkpointer_.get());
  }

  Status Prepare() {
    const char* sqls[] = {
        /*kInsEvent*/ "INSERT INTO events(idx, time_us, leaf_hash, leaf) VALUES(?, ?, ?, ?)",
        /*kInsNode*/ "INSERT OR REPLACE INTO nodes(level, idx, hash) VALUES(?, ?, ?)",
        /*kInsPosting*/ "INSERT INTO postings(term, first_idx, deltas) VALUES(?, ?, ?)",
        /*kState*/
        "SELECT size, frontier, last_checkpoint_size, last_checkpoint_us FROM tree_state "
        "WHERE id = 1",
        /*kWriteState*/
        "UPDATE tree_state SET size = ?, frontier = ?, last_checkpoint_size = ?, "
        "last_checkpoint_us = ? WHERE id = 1",
        /*kInsCheckpoint*/
        "INSERT OR IGNORE INTO checkpoints(size, time_us, note) VALUES(?, ?, ?)",
        /*kFindTerm*/ "SELECT id FROM terms WHERE field = ? AND value = ?",
        /*kInsTerm*/ "INSERT INTO terms(field, value) VALUES(?, ?)",
        /*kLeaves*/ "SELECT idx, leaf_hash FROM events WHERE idx >= ? AND idx < ? ORDER BY idx",
        /*kNodes*/
        "SELECT idx, hash FROM nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
        /*kEvent*/ "SELECT idx, leaf, leaf_hash, time_us FROM events WHERE idx = ?",
    };
    for (const char* sql : sqls) {
      stmts_.emplace_back(db_, sql);
      BULWARK_RETURN_IF_ERROR(stmts_.back().ok(fmt::format("prepare {}", sql)));
    }
    // kRowsPerInsert rows per statement: one statement execution (VDBE setup, reset) per chunk
    // instead of per row.
    auto rows = [](const char* head, const char* row) {
      std::string sql = head;
      for (std::size_t i = 0; i < kRowsPerInsert; ++i) sql += i ? std::string(",") + row : row;
      return sql;
    };
    for (const std::string& sql :
         {rows("INSERT INTO events(idx, time_us, leaf_hash, leaf) VALUES", "(?, ?, ?, ?)"),
          rows("INSERT INTO postings(term, first_idx, deltas) VALUES", "(?, ?, ?)")}) {
      stmts_.emplace_back(db_, sql);
      BULWARK_RETURN_IF_ERROR(stmts_.back().ok("prepare multi-row insert"));
    }
    return OkStatus();
  }

  Status BeginWrite() override {
    if (checkpointer_) checkpointer_->BeforeWrite(db_);
    return Exec(db_, "BEGIN IMMEDIATE", "begin write");
  }
  Status Commit() override { return Exec(db_, "COMMIT", "commit"); }
  void Rollback() override { (void)Exec(db_, "ROLLBACK", "rollback"); }

  Result<TreeState> ReadState(bool) override {
    Stmt& s = stmts_[kState];
    ResetOnExit r{s};
    BULWARK_ASSIGN_OR_RETURN(bool row, s.Step("read tree state"));
    if (!row) return DataLossError("audit log: the tree state row is missing");
    TreeState st;
    st.size = static_cast<std::uint64_t>(s.Int(0));
    auto f = s.BlobView(1);
    if (f.size() % kHashSize != 0)
      return DataLossError("audit log: tree state frontier is malformed");
    for (std::size_t i = 0; i < f.size(); i += kHashSize) {
      Hash h;
      std::memcpy(h.data(), f.data() + i, kHashSize);
      st.frontier.push_back(h);
    }
    st.last_checkpoint_size = static_cast<std::uint64_t>(s.Int(2));
    st.last_checkpoint_us = s.Int(3);
    return st;
  }

  Status WriteState(const TreeState& st) override {
    std::vector<std::uint8_t> frontier;
    for (const Hash& h : st.frontier) frontier.insert(frontier.end(), h.begin(), h.end());
    Stmt& s = stmts_[kWriteState];
    s.Bind(1, static_cast<std::int64_t>(st.size));
    s.BindBlob(2, frontier);
    s.Bind(3, static_cast<std::int64_t>(st.last_checkpoint_size));
    s.Bind(4, st.last_checkpoint_us);
    return s.Run("update tree state");
  }

  Status InsertEvents(std::span<const EventRow> rows) override {
    auto bind = [](Stmt& s, int col, const EventRow& e) {
      s.Bind(col, static_cast<std::int64_t>(e.index));
      s.Bind(col + 1, e.time_us);
      s.BindBlob(col + 2, *e.leaf_hash);
      s.BindBlob(col + 3, e.leaf);
    };
    return InsertRows(rows, stmts_[kInsEvents], stmts_[kInsEvent], 4, bind, "insert event");
  }

  Status InsertNodes(std::span<const NodeRow> rows) override {
    Stmt& s = stmts_[kInsNode];
    for (const NodeRow& n : rows) {
      s.Bind(1, static_cast<std::int64_t>(n.level));
      s.Bind(2, static_cast<std::int64_t>(n.index));
      s.BindBlob(3, n.hash);
      BULWARK_RETURN_IF_ERROR(s.Run("insert tree node"));
    }
    return OkStatus();
  }

  Status InsertPostings(std::span<const PostingRow> rows) override {
    auto bind = [](Stmt& s, int col, const PostingRow& p) {
      s.Bind(col, p.term);
      s.Bind(col + 1, static_cast<std::int64_t>(p.first_index));
      s.BindBlob(col + 2, std::string_view(p.deltas));
    };
    return InsertRows(rows, stmts_[kInsPostings], stmts_[kInsPosting], 3, bind, "insert posting");
  }

  Status InsertCheckpoint(const StoredCheckpoint& c) override {
    Stmt& s = stmts_[kInsCheckpoint];
    s.Bind(1, static_cast<std::int64_t>(c.size));
    s.Bind(2, c.time_us);
    s.Bind(3, std::string_view(c.note));
    return s.Run("store checkpoint");
  }

  Result<std::optional<std::int64_t>> FindTerm(TermField field, std::string_view value) override {
    Stmt& s = stmts_[kFindTerm];
    ResetOnExit r{s};
    s.Bind(1, static_cast<std::int64_t>(field));
    s.Bind(2, value);
    BULWARK_ASSIGN_OR_RETURN(bool row, s.Step("find term"));
    if (!row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(s.Int(0));
  }

  Result<std::int64_t> InsertTerm(TermField field, std::string_view value) override {
    Stmt& s = stmts_[kInsTerm];
    s.Bind(1, static_cast<std::int64_t>(field));
    s.Bind(2, value);
    BULWARK_RETURN_IF_ERROR(s.Run("insert term"));
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::vector<std::int64_t>> TermsBetween(TermField field, std::string_view lo,
                                                 std::string_view hi) override {
    Stmt s(db_, "SELECT id FROM terms WHERE field = ? AND value > ? AND value < ?");
    BULWARK_RETURN_IF_ERROR(s.ok("find terms"));
    s.Bind(1, static_cast<std::int64_t>(field));
    s.Bind(2, lo);
    s.Bind(3, hi);
    std::vector<std::int64_t> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, s.Step("find terms"));
      if (!row) break;
      out.push_back(s.Int(0));
    }
    return out;
  }

  Result<std::vector<StoredCheckpoint>> ReadCheckpoints(bool newest_only) override {
    Stmt q(db_, newest_only
                    ? "SELECT size, time_us, note FROM checkpoints ORDER BY size DESC LIMIT 1"
                    : "SELECT size, time_us, note FROM checkpoints ORDER BY size");
    BULWARK_RETURN_IF_ERROR(q.ok("read checkpoints"));
    std::vector<StoredCheckpoint> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read checkpoints"));
      if (!row) break;
      out.push_back(StoredCheckpoint{static_cast<std::uint64_t>(q.Int(0)), q.Text(2), q.Int(1)});
    }
    return out;
  }

  Result<std::optional<std::string>> ReadCheckpointNote(std::uint64_t size) override {
    Stmt q(db_, "SELECT note FROM checkpoints WHERE size = ?");
    BULWARK_RETURN_IF_ERROR(q.ok("read checkpoint"));
    q.Bind(1, static_cast<std::int64_t>(size));
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read checkpoint"));
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(q.Text(0));
  }

  Status ScanEvents(std::uint64_t begin, std::uint64_t end, std::optional<std::int64_t> since,
                    std::optional<std::int64_t> until, std::uint64_t limit, bool with_leaf,
                    const std::function<Status(const StoredEvent&)>& fn) override {
    std::string sql = with_leaf ? "SELECT idx, leaf, leaf_hash, time_us FROM events"
                                : "SELECT idx, NULL, leaf_hash, time_us FROM events";
    // Without a time filter the primary key range is the plan (an index on time_us could
    // otherwise be chosen for ORDER BY-free scans).
    sql += " WHERE idx >= ? AND idx < ?";
    if (since) sql += " AND time_us >= ?";
    if (until) sql += " AND time_us < ?";
    sql += " ORDER BY idx";
    if (limit > 0) sql += fmt::format(" LIMIT {}", limit);
    Stmt q(db_, sql);
    BULWARK_RETURN_IF_ERROR(q.ok("scan events"));
    int i = 1;
    q.Bind(i++, Clamp(begin));
    q.Bind(i++, Clamp(end));
    if (since) q.Bind(i++, *since);
    if (until) q.Bind(i++, *until);
    StoredEvent e;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("scan events"));
      if (!row) break;
      Fill(q, e);
      BULWARK_RETURN_IF_ERROR(fn(e));
    }
    return OkStatus();
  }

  Status ReadEvents(std::span<const std::uint64_t> indices,
                    const std::function<Status(const StoredEvent&)>& fn) override {
    Stmt& q = stmts_[kEvent];
    StoredEvent e;
    for (std::uint64_t idx : indices) {
      ResetOnExit r{q};
      q.Bind(1, Clamp(idx));
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read event"));
      if (!row) continue;
      Fill(q, e);
      q.Reset();
      BULWARK_RETURN_IF_ERROR(fn(e));
    }
    return OkStatus();
  }

  Status ReadNodes(
      unsigned level, std::uint64_t begin, std::uint64_t end,
      const std::function<Status(std::uint64_t, std::span<const std::uint8_t>)>& fn) override {
    Stmt& q = level == 0 ? stmts_[kLeaves] : stmts_[kNodes];
    ResetOnExit r{q};
    int col = 1;
    if (level != 0) q.Bind(col++, static_cast<std::int64_t>(level));
    q.Bind(col++, Clamp(begin));
    q.Bind(col++, Clamp(end));
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read tree nodes"));
      if (!row) break;
      BULWARK_RETURN_IF_ERROR(fn(static_cast<std::uint64_t>(q.Int(0)), q.BlobView(1)));
    }
    return OkStatus();
  }

  Status ScanNodes(const std::function<Status(unsigned, std::uint64_t,
                                              std::span<const std::uint8_t>)>& fn) override {
    Stmt q(db_, "SELECT level, idx, hash FROM nodes ORDER BY level, idx");
    BULWARK_RETURN_IF_ERROR(q.ok("scan tree nodes"));
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("scan tree nodes"));
      if (!row) break;
      BULWARK_RETURN_IF_ERROR(
          fn(static_cast<unsigned>(q.Int(0)), static_cast<std::uint64_t>(q.Int(1)), q.BlobView(2)));
    }
    return OkStatus();
  }

  Status ScanPostings(
      std::span<const std::int64_t> terms,
      const std::function<Status(std::uint64_t, std::span<const std::uint8_t>)>& fn) override {
    if (terms.empty()) return OkStatus();
    std::string in = "(";
    for (std::size_t i = 0; i < terms.size(); ++i) in += i ? ",?" : "?";
    in += ")";
    for (const char* table : {"segment_postings", "postings"}) {
      Stmt q(db_, fmt::format("SELECT first_idx, deltas FROM {} WHERE term IN {}", table, in));
      BULWARK_RETURN_IF_ERROR(q.ok("scan postings"));
      for (std::size_t i = 0; i < terms.size(); ++i) q.Bind(static_cast<int>(i + 1), terms[i]);
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("scan postings"));
        if (!row) break;
        BULWARK_RETURN_IF_ERROR(fn(static_cast<std::uint64_t>(q.Int(0)), q.BlobView(1)));
      }
    }
    return OkStatus();
  }

  Result<std::uint64_t> ReadCompactedBelow() override {
    Stmt q(db_, "SELECT compacted_below FROM index_state WHERE id = 1");
    BULWARK_RETURN_IF_ERROR(q.ok("read index state"));
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read index state"));
    return row ? static_cast<std::uint64_t>(q.Int(0)) : 0;
  }

  Status WriteCompactedBelow(std::uint64_t index) override {
    Stmt q(db_, "UPDATE index_state SET compacted_below = ? WHERE id = 1");
    BULWARK_RETURN_IF_ERROR(q.ok("write index state"));
    q.Bind(1, Clamp(index));
    return q.Run("write index state");
  }

  Status ScanPostingRange(std::uint64_t begin, std::uint64_t end,
                          const std::function<Status(std::int64_t, std::uint64_t,
                                                     std::span<const std::uint8_t>)>& fn) override {
    Stmt q(db_,
           "SELECT term, first_idx, deltas FROM postings WHERE first_idx >= ? AND "
           "first_idx < ?");
    BULWARK_RETURN_IF_ERROR(q.ok("read postings"));
    q.Bind(1, Clamp(begin));
    q.Bind(2, Clamp(end));
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read postings"));
      if (!row) break;
      BULWARK_RETURN_IF_ERROR(fn(q.Int(0), static_cast<std::uint64_t>(q.Int(1)), q.BlobView(2)));
    }
    return OkStatus();
  }

  Status DeletePostingRange(std::uint64_t begin, std::uint64_t end) override {
    Stmt q(db_, "DELETE FROM postings WHERE first_idx >= ? AND first_idx < ?");
    BULWARK_RETURN_IF_ERROR(q.ok("delete postings"));
    q.Bind(1, Clamp(begin));
    q.Bind(2, Clamp(end));
    return q.Run("delete postings");
  }

  Status InsertSegmentPostings(std::uint64_t segment, std::span<const PostingRow> rows) override {
    Stmt q(db_,
           "INSERT OR REPLACE INTO segment_postings(term, segment, first_idx, deltas) "
           "VALUES(?, ?, ?, ?)");
    BULWARK_RETURN_IF_ERROR(q.ok("insert segment postings"));
    for (const PostingRow& r : rows) {
      q.Bind(1, r.term);
      q.Bind(2, static_cast<std::int64_t>(segment));
      q.Bind(3, static_cast<std::int64_t>(r.first_index));
      q.BindBlob(4, std::string_view(r.deltas));
      BULWARK_RETURN_IF_ERROR(q.Run("insert segment postings"));
    }
    return OkStatus();
  }

  Result<std::vector<ArchiveRecord>> ReadArchives() override {
    std::vector<ArchiveRecord> out;
    // A read-only open of a database created before the archives table existed.
    Stmt t(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'archives'");
    BULWARK_RETURN_IF_ERROR(t.ok("read archives"));
    BULWARK_ASSIGN_OR_RETURN(bool exists, t.Step("read archives"));
    if (!exists) return out;
    Stmt q(db_,
           "SELECT start_idx, end_idx, time_us, file, sha256, frontier, checkpoint FROM archives "
           "ORDER BY end_idx");
    BULWARK_RETURN_IF_ERROR(q.ok("read archives"));
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read archives"));
      if (!row) break;
      ArchiveRecord r;
      r.start = static_cast<std::uint64_t>(q.Int(0));
      r.end = static_cast<std::uint64_t>(q.Int(1));
      r.time_us = q.Int(2);
      r.file = q.Text(3);
      r.sha256 = q.Blob(4);
      r.frontier = q.Blob(5);
      r.checkpoint = q.Text(6);
      out.push_back(std::move(r));
    }
    return out;
  }

  Status InsertArchive(const ArchiveRecord& r) override {
    Stmt ins(db_,
             "INSERT INTO archives(end_idx, start_idx, time_us, file, sha256, frontier, "
             "checkpoint) VALUES(?, ?, ?, ?, ?, ?, ?)");
    BULWARK_RETURN_IF_ERROR(ins.ok("record archive"));
    ins.Bind(1, Clamp(r.end));
    ins.Bind(2, Clamp(r.start));
    ins.Bind(3, r.time_us);
    ins.Bind(4, std::string_view(r.file));
    ins.BindBlob(5, std::span<const std::uint8_t>(r.sha256));
    ins.BindBlob(6, std::span<const std::uint8_t>(r.frontier));
    ins.Bind(7, std::string_view(r.checkpoint));
    return ins.Run("record archive");
  }

  Result<std::optional<std::uint64_t>> FirstEventIndex() override {
    Stmt q(db_, "SELECT MIN(idx) FROM events");
    BULWARK_RETURN_IF_ERROR(q.ok("read first event"));
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read first event"));
    if (!row || sqlite3_column_type(q.raw(), 0) == SQLITE_NULL) {
      return std::optional<std::uint64_t>();
    }
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(q.Int(0)));
  }

  Result<std::uint64_t> DeleteArchivedEvents(std::uint64_t lo, std::uint64_t hi) override {
    std::uint64_t deleted = 0;
    BULWARK_RETURN_IF_ERROR(
        Unguarded("events_append_only_d", kEventsDeleteTrigger, [&]() -> Status {
          Stmt d(db_, "DELETE FROM events WHERE idx >= ? AND idx < ?");
          BULWARK_RETURN_IF_ERROR(d.ok("prune events"));
          d.Bind(1, Clamp(lo));
          d.Bind(2, Clamp(hi));
          BULWARK_RETURN_IF_ERROR(d.Run("prune events"));
          deleted = static_cast<std::uint64_t>(sqlite3_changes(db_));
          return OkStatus();
        }));
    return deleted;
  }

  Status DeleteArchivedNodes(std::uint64_t n) override {
    return Unguarded("nodes_append_only_d", kNodesDeleteTrigger, [&]() -> Status {
      Stmt d(db_, "DELETE FROM nodes WHERE (idx + 1) << level <= ?");
      BULWARK_RETURN_IF_ERROR(d.ok("prune tree nodes"));
      d.Bind(1, Clamp(n));
      return d.Run("prune tree nodes");
    });
  }

  Status HealthCheck() override {
    // Taking the write lock proves the database accepts writes now (disk, permissions, locks).
    BULWARK_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", "health check"));
    auto st = ReadState(true);
    Rollback();
    if (!st) return std::unexpected(st.error());
    if (::access(path_.c_str(), W_OK) != 0) {
      return UnavailableError(
          fmt::format("audit log {}: not writable: {}", path_, std::strerror(errno)));
    }
    return OkStatus();
  }

 private:
  // Inside a write: runs `body` with the DELETE trigger `name` dropped, recreating it with
  // `create` before returning (on failure the caller rolls the drop back).
  Status Unguarded(const char* name, const char* create, const std::function<Status()>& body) {
    BULWARK_RETURN_IF_ERROR(Exec(db_, fmt::format("DROP TRIGGER IF EXISTS {}", name).c_str(),
                                 "prune: lift delete guard"));
    BULWARK_RETURN_IF_ERROR(body());
    return Exec(db_, create, "prune: restore delete guard");
  }

  // Inserts `rows` with the kRowsPerInsert-row statement `multi` per full chunk, then `one` per
  // remaining row; `bind(stmt, first column, row)` binds the `width` columns of one row.
  template <typename Row, typename Bind>
  Status InsertRows(std::span<const Row> rows, Stmt& multi, Stmt& one, int width, Bind bind,
                    std::string_view what) {
    std::size_t i = 0;
    for (; i + kRowsPerInsert <= rows.size(); i += kRowsPerInsert) {
      for (std::size_t k = 0; k < kRowsPerInsert; ++k) {
        bind(multi, 1 + static_cast<int>(k) * width, rows[i + k]);
      }
      BULWARK_RETURN_IF_ERROR(multi.Run(what));
    }
    for (; i < rows.size(); ++i) {
      bind(one, 1, rows[i]);
      BULWARK_RETURN_IF_ERROR(one.Run(what));
    }
    return OkStatus();
  }

  static constexpr std::size_t kRowsPerInsert = 32;
  enum {
    kInsEvent,
    kInsNode,
    kInsPosting,
    kState,
    kWriteState,
    kInsCheckpoint,
    kFindTerm,
    kInsTerm,
    kLeaves,
    kNodes,
    kEvent,
    kInsEvents,    // kRowsPerInsert rows
    kInsPostings,  // kRowsPerInsert rows
  };
  static void Fill(const Stmt& q, StoredEvent& e) {
    e.index = static_cast<std::uint64_t>(q.Int(0));
    e.leaf = q.Text(1);
    e.leaf_hash = q.Blob(2);
    e.time_us = q.Int(3);
  }

  sqlite3* db_;
  std::string path_;
  std::vector<Stmt> stmts_;
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

Result<int> UserVersion(sqlite3* db) {
  Stmt q(db, "PRAGMA user_version");
  BULWARK_RETURN_IF_ERROR(q.ok("read schema version"));
  BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read schema version"));
  return row ? static_cast<int>(q.Int(0)) : 0;
}

Result<bool> HasTable(sqlite3* db, const char* name) {
  Stmt q(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  BULWARK_RETURN_IF_ERROR(q.ok("read schema"));
  q.Bind(1, std::string_view(name));
  return q.Step("read schema");
}

// Creates the version 2 schema, or migrates version 1, in one transaction.
Status CreateOrMigrate(sqlite3* db, const std::string& path, std::int64_t now_us) {
  BULWARK_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "begin schema setup"));
  auto body = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(int version, UserVersion(db));
    if (version == kLogSchemaVersion) return Exec(db, kArchivesSchema, "create archives table");
    if (version > kLogSchemaVersion) {
      return FailedPreconditionError(fmt::format(
          "audit log {}: schema version {} is newer than this bulwark supports ({}); use a newer "
          "bulwark",
          path, version, kLogSchemaVersion));
    }
    BULWARK_ASSIGN_OR_RETURN(bool v1, HasTable(db, "events"));
    if (v1) BULWARK_RETURN_IF_ERROR(Exec(db, kMigrateV1, "migrate schema 1 to 2"));
    BULWARK_RETURN_IF_ERROR(Exec(db, kSchemaV2, fmt::format("create schema in {}", path).c_str()));
    if (v1) BULWARK_RETURN_IF_ERROR(Exec(db, kMigrateV1Data, "migrate schema 1 to 2"));
    BULWARK_RETURN_IF_ERROR(Exec(db, kArchivesSchema, "create archives table"));
    // The interval clock of the first checkpoint starts when the log is created.
    const std::string init =
        fmt::format("INSERT OR IGNORE INTO tree_state VALUES(1, 0, x'', 0, {})", now_us);
    BULWARK_RETURN_IF_ERROR(Exec(db, init.c_str(), "initialize tree state"));
    return Exec(db, "PRAGMA user_version = 2", "set schema version");
  };
  Status s = body();
  if (!s) {
    (void)Exec(db, "ROLLBACK", "rollback schema setup");
    return s;
  }
  return Exec(db, "COMMIT", "commit schema setup");
}

}  // namespace

Result<std::unique_ptr<LogStorage>> OpenSqliteLogStorage(const AuditLogOptions& options,
                                                         const std::string& path,
                                                         std::int64_t now_us) {
  if (!options.read_only) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return UnavailableError(fmt::format("audit log {}: open: {}", path, std::strerror(errno)));
    }
    ::close(fd);
  }
  sqlite3* db = nullptr;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = SqlError(db, fmt::format("open {}", path));
    sqlite3_close(db);
    return std::unexpected(e);
  }
  auto storage = std::make_unique<SqliteLogStorage>(db, path);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  if (!options.read_only) {
    BULWARK_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode = WAL", "set WAL"));
    BULWARK_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous = FULL", "set synchronous"));
    // A 64 MiB page cache keeps the hot pages.
    BULWARK_RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size = -65536", "set cache size"));
    BULWARK_RETURN_IF_ERROR(CreateOrMigrate(db, path, now_us));
    storage->StartCheckpointer(options.wal_checkpoint_pages);
  } else {
    BULWARK_ASSIGN_OR_RETURN(int version, UserVersion(db));
    if (version != kLogSchemaVersion) {
      return FailedPreconditionError(
          fmt::format("audit log {}: schema version {} (this bulwark reads {}); {}", path, version,
                      kLogSchemaVersion,
                      version > kLogSchemaVersion ? "use a newer bulwark"
                                                  : "open it once read-write to migrate it"));
    }
  }
  BULWARK_RETURN_IF_ERROR(storage->Prepare());
  return std::unique_ptr<LogStorage>(std::move(storage));
}

}  // namespace bulwark::audit::internal
