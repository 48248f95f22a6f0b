#include "bulwark/audit/event_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/tree_builder.h"

namespace bulwark::audit {

struct AuditLog::Slot {
  std::condition_variable cv;  // signalled when done, or when this appender should lead
  bool done = false;
  Status status;
  std::uint64_t index = 0;
};

namespace {

constexpr unsigned kNodeStride = 4;  // cache subtree hashes at levels 4, 8, 12, ...

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  idx INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  namespace TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  impact INTEGER NOT NULL,
  leaf_hash BLOB NOT NULL,
  leaf BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_time ON events(time_us);
CREATE INDEX IF NOT EXISTS events_actor ON events(actor, time_us);
CREATE INDEX IF NOT EXISTS events_namespace ON events(namespace, time_us);
CREATE INDEX IF NOT EXISTS events_action ON events(action, time_us);
CREATE INDEX IF NOT EXISTS events_outcome ON events(outcome, time_us);
CREATE INDEX IF NOT EXISTS events_impact ON events(impact, time_us);
CREATE TABLE IF NOT EXISTS event_paths(
  path TEXT NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY(path, idx)) WITHOUT ROWID;
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
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS nodes_append_only_u BEFORE UPDATE ON nodes
  BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS nodes_append_only_d BEFORE DELETE ON nodes
  BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_u BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_d BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
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

// PruneBefore drops and recreates these inside its transaction (no other connection sees the
// log without them).
constexpr const char* kEventsDeleteTrigger =
    "CREATE TRIGGER events_append_only_d BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END";
constexpr const char* kNodesDeleteTrigger =
    "CREATE TRIGGER nodes_append_only_d BEFORE DELETE ON nodes "
    "BEGIN SELECT RAISE(ABORT, 'audit tree nodes are append-only'); END";

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

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Status ok(std::string_view what) const {
    if (rc_ != SQLITE_OK) return std::unexpected(SqlError(db_, what));
    return OkStatus();
  }
  void Bind(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, std::span<const std::uint8_t> v) {
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> Step(std::string_view what) {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(SqlError(db_, what));
  }
  Status Run(std::string_view what) {
    BULWARK_ASSIGN_OR_RETURN(bool row, Step(what));
    (void)row;
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    return OkStatus();
  }
  void Reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(st_, col); }
  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(st_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
             : std::string();
  }
  std::vector<std::uint8_t> Blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, col));
    return p ? std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(st_, col))
             : std::vector<std::uint8_t>();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int rc_ = SQLITE_OK;
};

std::int64_t NowUs(const Runtime& rt) {
  return std::chrono::duration_cast<std::chrono::microseconds>(rt.clock->Now().time_since_epoch())
      .count();
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

EventColumns ColumnsOfEvent(const nlohmann::json& ev) {
  EventColumns c;
  if (auto t = ParseRfc3339(JsonString(ev, "time"))) {
    c.time_us =
        std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
  }
  c.type = JsonString(ev, "type");
  auto d = ev.find("data");
  if (d == ev.end() || !d->is_object()) return c;
  if (auto a = d->find("actor"); a != d->end() && a->is_object()) c.actor = JsonString(*a, "id");
  c.namespace_name = JsonString(*d, "namespace");
  c.action = JsonString(*d, "action");
  c.outcome = JsonString(*d, "outcome");
  if (auto i = d->find("impact"); i != d->end() && i->is_object()) {
    if (auto l = ParseImpactLevel(JsonString(*i, "level"))) c.impact = *l;
  }
  if (auto p = d->find("paths"); p != d->end() && p->is_array()) {
    for (const auto& s : *p) {
      if (s.is_string()) c.paths.push_back(s.get<std::string>());
    }
  }
  return c;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(AuditLogOptions options) {
  const std::string path = options.path.string();
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
      SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = SqlError(db, fmt::format("open {}", path));
    sqlite3_close(db);
    return std::unexpected(e);
  }
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(options), db));
  sqlite3_busy_timeout(db, static_cast<int>(log->options_.busy_timeout.count()));
  if (!log->options_.read_only) {
    BULWARK_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode = WAL", "set WAL"));
    BULWARK_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous = FULL", "set synchronous"));
    // A 64 MiB page cache keeps the index pages hot; checkpointing the WAL every ~64 MiB instead
    // of every 4 MiB amortizes the database fsync over more group commits.
    BULWARK_RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size = -65536", "set cache size"));
    BULWARK_RETURN_IF_ERROR(Exec(db, "PRAGMA wal_autocheckpoint = 16384", "set WAL checkpoint"));
    BULWARK_RETURN_IF_ERROR(Exec(db, kSchema, fmt::format("create schema in {}", path).c_str()));
    // The interval clock of the first checkpoint starts when the log is created.
    const std::string init = fmt::format(
        "INSERT OR IGNORE INTO tree_state VALUES(1, 0, x'', 0, {})", NowUs(log->options_.runtime));
    BULWARK_RETURN_IF_ERROR(Exec(db, init.c_str(), "initialize tree state"));
  }
  return log;
}

AuditLog::~AuditLog() { sqlite3_close(db_); }

Result<TreeState> AuditLog::StateLocked() const {
  Stmt s(db_,
         "SELECT size, frontier, last_checkpoint_size, last_checkpoint_us FROM tree_state "
         "WHERE id = 1");
  BULWARK_RETURN_IF_ERROR(s.ok("read tree state"));
  BULWARK_ASSIGN_OR_RETURN(bool row, s.Step("read tree state"));
  if (!row) return DataLossError("audit log: the tree state row is missing");
  TreeState st;
  st.size = static_cast<std::uint64_t>(s.Int(0));
  auto f = s.Blob(1);
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

Result<TreeState> AuditLog::State() const {
  std::lock_guard lock(db_mu_);
  return StateLocked();
}

Status AuditLog::MaybeCheckpointLocked(const TreeState& st, const Hash& root, bool force,
                                       std::string* note_out) {
  if (options_.signers.empty()) {
    if (force) return FailedPreconditionError("audit log: no checkpoint signing key configured");
    return OkStatus();
  }
  const std::int64_t now = NowUs(options_.runtime);
  const bool due =
      force || st.size >= st.last_checkpoint_size + options_.checkpoint_every ||
      (st.size > st.last_checkpoint_size &&
       now - st.last_checkpoint_us >=
           std::chrono::duration_cast<std::chrono::microseconds>(options_.checkpoint_interval)
               .count());
  if (!due) return OkStatus();
  if (st.size == st.last_checkpoint_size) {
    // Already covered: return the stored note.
    if (note_out != nullptr) {
      Stmt q(db_, "SELECT note FROM checkpoints WHERE size = ?");
      BULWARK_RETURN_IF_ERROR(q.ok("read checkpoint"));
      q.Bind(1, static_cast<std::int64_t>(st.size));
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read checkpoint"));
      if (row) {
        *note_out = q.Text(0);
        return OkStatus();
      }
    }
  }
  std::vector<const NoteSigner*> signers;
  for (const auto& s : options_.signers) signers.push_back(s.get());
  BULWARK_ASSIGN_OR_RETURN(std::string note,
                           SignCheckpoint(Checkpoint{options_.origin, st.size, root, {}}, signers));
  Stmt ins(db_, "INSERT OR IGNORE INTO checkpoints(size, time_us, note) VALUES(?, ?, ?)");
  BULWARK_RETURN_IF_ERROR(ins.ok("store checkpoint"));
  ins.Bind(1, static_cast<std::int64_t>(st.size));
  ins.Bind(2, now);
  ins.Bind(3, note);
  BULWARK_RETURN_IF_ERROR(ins.Run("store checkpoint"));
  Stmt up(db_,
          "UPDATE tree_state SET last_checkpoint_size = ?, last_checkpoint_us = ? WHERE id = 1");
  BULWARK_RETURN_IF_ERROR(up.ok("update tree state"));
  up.Bind(1, static_cast<std::int64_t>(st.size));
  up.Bind(2, now);
  BULWARK_RETURN_IF_ERROR(up.Run("update tree state"));
  if (note_out != nullptr) *note_out = std::move(note);
  return OkStatus();
}

Status AuditLog::Commit(std::vector<Pending>& batch, std::uint64_t& first_index) {
  std::lock_guard lock(db_mu_);
  BULWARK_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", "begin append"));
  auto body = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(TreeState st, StateLocked());
    BULWARK_ASSIGN_OR_RETURN(TreeBuilder tb, TreeBuilder::FromFrontier(st.size, st.frontier));
    first_index = st.size;
    Stmt ev(db_,
            "INSERT INTO events(idx, time_us, type, actor, namespace, action, outcome, impact, "
            "leaf_hash, leaf) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    BULWARK_RETURN_IF_ERROR(ev.ok("prepare event insert"));
    Stmt pa(db_, "INSERT OR IGNORE INTO event_paths(path, idx) VALUES(?, ?)");
    BULWARK_RETURN_IF_ERROR(pa.ok("prepare path insert"));
    Stmt no(db_, "INSERT OR REPLACE INTO nodes(level, idx, hash) VALUES(?, ?, ?)");
    BULWARK_RETURN_IF_ERROR(no.ok("prepare node insert"));
    Status node_status = OkStatus();
    const NodeSink sink = [&](unsigned level, std::uint64_t index, const Hash& hash) {
      if (level == 0 || level % kNodeStride != 0 || !node_status) return;
      no.Bind(1, static_cast<std::int64_t>(level));
      no.Bind(2, static_cast<std::int64_t>(index));
      no.BindBlob(3, hash);
      node_status = no.Run("insert tree node");
    };
    for (Pending& p : batch) {
      const std::uint64_t idx = tb.size();
      const Hash lh = HashLeaf(p.leaf);
      ev.Bind(1, static_cast<std::int64_t>(idx));
      ev.Bind(2, p.columns.time_us);
      ev.Bind(3, p.columns.type);
      ev.Bind(4, p.columns.actor);
      ev.Bind(5, p.columns.namespace_name);
      ev.Bind(6, p.columns.action);
      ev.Bind(7, p.columns.outcome);
      ev.Bind(8, static_cast<std::int64_t>(p.columns.impact));
      ev.BindBlob(9, lh);
      ev.BindBlob(10,
                  std::span(reinterpret_cast<const std::uint8_t*>(p.leaf.data()), p.leaf.size()));
      BULWARK_RETURN_IF_ERROR(ev.Run("insert event"));
      for (const auto& path : p.columns.paths) {
        pa.Bind(1, path);
        pa.Bind(2, static_cast<std::int64_t>(idx));
        BULWARK_RETURN_IF_ERROR(pa.Run("insert event path"));
      }
      tb.AppendLeafHash(lh, sink);
      BULWARK_RETURN_IF_ERROR(node_status);
    }
    std::vector<std::uint8_t> frontier;
    for (const Hash& h : tb.frontier()) frontier.insert(frontier.end(), h.begin(), h.end());
    Stmt up(db_, "UPDATE tree_state SET size = ?, frontier = ? WHERE id = 1");
    BULWARK_RETURN_IF_ERROR(up.ok("update tree state"));
    up.Bind(1, static_cast<std::int64_t>(tb.size()));
    up.BindBlob(2, frontier);
    BULWARK_RETURN_IF_ERROR(up.Run("update tree state"));
    st.size = tb.size();
    st.frontier = tb.frontier();
    return MaybeCheckpointLocked(st, tb.Root(), false, nullptr);
  };
  Status s = body();
  if (!s) {
    (void)Exec(db_, "ROLLBACK", "rollback append");
    return s;
  }
  if (Status c = Exec(db_, "COMMIT", "commit append"); !c) {
    (void)Exec(db_, "ROLLBACK", "rollback append");
    return c;
  }
  return OkStatus();
}

Result<std::uint64_t> AuditLog::Append(std::string leaf, EventColumns columns) {
  std::vector<std::pair<std::string, EventColumns>> one;
  one.emplace_back(std::move(leaf), std::move(columns));
  return AppendBatch(std::move(one));
}

Result<std::uint64_t> AuditLog::AppendBatch(
    std::vector<std::pair<std::string, EventColumns>> events) {
  if (options_.read_only) return FailedPreconditionError("audit log: opened read-only");
  if (events.empty()) return InvalidArgumentError("audit log: empty batch");
  auto slot = std::make_shared<Slot>();
  std::unique_lock lock(q_mu_);
  // Queued under one lock hold, so one leader takes them all: consecutive indices.
  for (auto& [leaf, columns] : events) {
    queue_.push_back(Pending{std::move(leaf), std::move(columns), slot});
  }
  while (!slot->done) {
    if (!leader_active_) {
      // Lead: commit everything queued so far (including our own events) in one transaction.
      leader_active_ = true;
      std::vector<Pending> batch;
      batch.swap(queue_);
      lock.unlock();
      std::uint64_t first = 0;
      Status s = Commit(batch, first);
      lock.lock();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Slot& sl = *batch[i].slot;
        if (sl.done) continue;  // a later event of the same AppendBatch
        sl.done = true;
        sl.status = s;
        sl.index = first + i;
        sl.cv.notify_one();
      }
      leader_active_ = false;
      // Wake exactly one waiting appender to lead the next batch (no thundering herd).
      if (!queue_.empty()) queue_.front().slot->cv.notify_one();
    } else {
      slot->cv.wait(lock);
    }
  }
  if (!slot->status) return std::unexpected(slot->status.error());
  return slot->index;
}

Result<std::string> AuditLog::PublishCheckpoint() {
  std::lock_guard lock(db_mu_);
  BULWARK_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", "begin checkpoint"));
  auto body = [&]() -> Result<std::string> {
    BULWARK_ASSIGN_OR_RETURN(TreeState st, StateLocked());
    BULWARK_ASSIGN_OR_RETURN(TreeBuilder tb, TreeBuilder::FromFrontier(st.size, st.frontier));
    std::string note;
    BULWARK_RETURN_IF_ERROR(MaybeCheckpointLocked(st, tb.Root(), true, &note));
    return note;
  };
  auto r = body();
  if (!r) {
    (void)Exec(db_, "ROLLBACK", "rollback checkpoint");
    return r;
  }
  BULWARK_RETURN_IF_ERROR(Exec(db_, "COMMIT", "commit checkpoint"));
  return r;
}

Result<std::optional<StoredCheckpoint>> AuditLog::LatestCheckpoint() const {
  std::lock_guard lock(db_mu_);
  Stmt q(db_, "SELECT size, time_us, note FROM checkpoints ORDER BY size DESC LIMIT 1");
  BULWARK_RETURN_IF_ERROR(q.ok("read checkpoints"));
  BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read checkpoints"));
  if (!row) return std::optional<StoredCheckpoint>();
  return std::optional<StoredCheckpoint>(
      StoredCheckpoint{static_cast<std::uint64_t>(q.Int(0)), q.Text(2), q.Int(1)});
}

Result<std::vector<StoredCheckpoint>> AuditLog::Checkpoints() const {
  std::lock_guard lock(db_mu_);
  Stmt q(db_, "SELECT size, time_us, note FROM checkpoints ORDER BY size");
  BULWARK_RETURN_IF_ERROR(q.ok("read checkpoints"));
  std::vector<StoredCheckpoint> out;
  while (true) {
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read checkpoints"));
    if (!row) break;
    out.push_back(StoredCheckpoint{static_cast<std::uint64_t>(q.Int(0)), q.Text(2), q.Int(1)});
  }
  return out;
}

Status AuditLog::Scan(std::uint64_t begin, std::uint64_t end,
                      const std::function<Status(const StoredEvent&)>& fn) const {
  std::lock_guard lock(db_mu_);
  Stmt q(db_,
         "SELECT idx, leaf, leaf_hash, time_us FROM events WHERE idx >= ? AND idx < ? "
         "ORDER BY idx");
  BULWARK_RETURN_IF_ERROR(q.ok("scan events"));
  q.Bind(1, static_cast<std::int64_t>(begin));
  q.Bind(2,
         end > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(end));
  StoredEvent e;
  while (true) {
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("scan events"));
    if (!row) break;
    e.index = static_cast<std::uint64_t>(q.Int(0));
    e.leaf = q.Text(1);
    e.leaf_hash = q.Blob(2);
    e.time_us = q.Int(3);
    BULWARK_RETURN_IF_ERROR(fn(e));
  }
  return OkStatus();
}

Status AuditLog::ScanNodes(
    const std::function<Status(unsigned, std::uint64_t, std::span<const std::uint8_t>)>& fn) const {
  std::lock_guard lock(db_mu_);
  Stmt q(db_, "SELECT level, idx, hash FROM nodes ORDER BY level, idx");
  BULWARK_RETURN_IF_ERROR(q.ok("scan tree nodes"));
  while (true) {
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("scan tree nodes"));
    if (!row) break;
    auto h = q.Blob(2);
    BULWARK_RETURN_IF_ERROR(
        fn(static_cast<unsigned>(q.Int(0)), static_cast<std::uint64_t>(q.Int(1)), h));
  }
  return OkStatus();
}

Status AuditLog::Query(const EventFilter& f,
                       const std::function<Status(const StoredEvent&)>& fn) const {
  // With only an impact (and time) filter, SQLite prefers walking the primary key in ORDER BY
  // order and scans everything when nothing matches; make it use the impact index.
  const bool by_impact = f.min_impact && !f.actor && !f.namespace_name && !f.path && !f.action &&
                         !f.outcome && !f.type;
  std::string sql = by_impact ? "SELECT idx, leaf, leaf_hash, time_us FROM events INDEXED BY "
                                "events_impact WHERE 1"
                              : "SELECT idx, leaf, leaf_hash, time_us FROM events WHERE 1";
  std::vector<std::function<void(Stmt&, int)>> binds;
  auto text = [&](const std::optional<std::string>& v, const char* clause) {
    if (!v) return;
    sql += clause;
    std::string val = *v;
    binds.push_back([val](Stmt& s, int i) { s.Bind(i, val); });
  };
  auto num = [&](std::optional<std::int64_t> v, const char* clause) {
    if (!v) return;
    sql += clause;
    binds.push_back([x = *v](Stmt& s, int i) { s.Bind(i, x); });
  };
  text(f.actor, " AND actor = ?");
  text(f.namespace_name, " AND namespace = ?");
  text(f.action, " AND action = ?");
  text(f.outcome, " AND outcome = ?");
  text(f.type, " AND type = ?");
  if (f.path) {
    // The path itself or anything below it ("db" matches "db" and "db.host").
    sql += " AND idx IN (SELECT idx FROM event_paths WHERE path = ? OR (path > ? AND path < ?))";
    std::string p = *f.path;
    binds.push_back([p](Stmt& s, int i) { s.Bind(i, p); });
    binds.push_back([p](Stmt& s, int i) { s.Bind(i, p + "."); });
    binds.push_back([p](Stmt& s, int i) { s.Bind(i, p + "/"); });
  }
  if (f.min_impact) num(static_cast<std::int64_t>(*f.min_impact), " AND impact >= ?");
  num(f.since_us, " AND time_us >= ?");
  num(f.until_us, " AND time_us < ?");
  if (f.from_index) num(static_cast<std::int64_t>(*f.from_index), " AND idx >= ?");
  sql += " ORDER BY idx";
  if (f.limit > 0) sql += fmt::format(" LIMIT {}", f.limit);
  std::lock_guard lock(db_mu_);
  Stmt q(db_, sql);
  BULWARK_RETURN_IF_ERROR(q.ok("query events"));
  for (std::size_t i = 0; i < binds.size(); ++i) binds[i](q, static_cast<int>(i + 1));
  StoredEvent e;
  while (true) {
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("query events"));
    if (!row) break;
    e.index = static_cast<std::uint64_t>(q.Int(0));
    e.leaf = q.Text(1);
    e.leaf_hash = q.Blob(2);
    e.time_us = q.Int(3);
    BULWARK_RETURN_IF_ERROR(fn(e));
  }
  return OkStatus();
}

Status AuditLog::HealthCheck() const {
  if (options_.read_only) return UnavailableError("audit log: opened read-only");
  std::lock_guard lock(db_mu_);
  // Taking the write lock proves the database accepts writes now (disk, permissions, locks).
  BULWARK_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", "health check"));
  Status s = OkStatus();
  {
    Stmt q(db_, "SELECT size FROM tree_state WHERE id = 1");
    s = q.ok("health check");
    if (s) {
      auto row = q.Step("health check");
      if (!row)
        s = std::unexpected(row.error());
      else if (!*row)
        s = UnavailableError("audit log: the tree state row is missing");
    }
  }
  (void)Exec(db_, "ROLLBACK", "health check");
  if (s && ::access(options_.path.c_str(), W_OK) != 0) {
    return UnavailableError(fmt::format("audit log {}: not writable: {}", options_.path.string(),
                                        std::strerror(errno)));
  }
  return s;
}

Result<std::uint64_t> AuditLog::LeafCount() const {
  BULWARK_ASSIGN_OR_RETURN(TreeState st, State());
  return st.size;
}

Status AuditLog::ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                                std::vector<Hash>& out) const {
  std::lock_guard lock(db_mu_);
  Stmt q(db_, "SELECT idx, leaf_hash FROM events WHERE idx >= ? AND idx < ? ORDER BY idx");
  BULWARK_RETURN_IF_ERROR(q.ok("read leaf hashes"));
  q.Bind(1, static_cast<std::int64_t>(begin));
  q.Bind(2, static_cast<std::int64_t>(end));
  std::uint64_t expect = begin;
  while (true) {
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read leaf hashes"));
    if (!row) break;
    if (static_cast<std::uint64_t>(q.Int(0)) != expect) {
      return DataLossError(fmt::format("audit log: event {} is missing", expect));
    }
    auto b = q.Blob(1);
    BULWARK_ASSIGN_OR_RETURN(Hash h, HashFromBytes(b, fmt::format("leaf hash {}", expect)));
    out.push_back(h);
    ++expect;
  }
  if (expect != end) return DataLossError(fmt::format("audit log: event {} is missing", expect));
  return OkStatus();
}

Status AuditLog::ReadNodeHashes(std::span<const NodeId> ids,
                                std::span<std::optional<Hash>> out) const {
  // Levels 4, 8, 12, ... are stored; a node at level 4k + r (r < 4) is folded from its at most 8
  // descendants at level 4k (leaf hashes for k = 0), so every proof node costs one small query.
  std::lock_guard lock(db_mu_);
  Stmt nodes(db_,
             "SELECT idx, hash FROM nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx");
  BULWARK_RETURN_IF_ERROR(nodes.ok("read tree nodes"));
  Stmt leaves(db_, "SELECT idx, leaf_hash FROM events WHERE idx >= ? AND idx < ? ORDER BY idx");
  BULWARK_RETURN_IF_ERROR(leaves.ok("read leaf hashes"));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out[i] = std::nullopt;
    const unsigned base = ids[i].level - ids[i].level % kNodeStride;
    const unsigned r = ids[i].level - base;
    const std::uint64_t begin = ids[i].index << r, end = (ids[i].index + 1) << r;
    Stmt& q = base == 0 ? leaves : nodes;
    int col = 1;
    if (base != 0) q.Bind(col++, static_cast<std::int64_t>(base));
    q.Bind(col++, static_cast<std::int64_t>(begin));
    q.Bind(col++, static_cast<std::int64_t>(end));
    std::vector<Hash> level;
    std::uint64_t expect = begin;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, q.Step("read tree nodes"));
      if (!row) break;
      auto b = q.Blob(1);
      auto h = HashFromBytes(b, "tree node");
      if (!h || static_cast<std::uint64_t>(q.Int(0)) != expect) break;
      level.push_back(*h);
      ++expect;
    }
    q.Reset();
    if (level.size() != end - begin) continue;  // not stored: the caller recomputes it
    while (level.size() > 1) {
      std::vector<Hash> up;
      for (std::size_t k = 0; k + 1 < level.size(); k += 2) {
        up.push_back(HashChildren(level[k], level[k + 1]));
      }
      level.swap(up);
    }
    out[i] = level[0];
  }
  return OkStatus();
}

// ---- retention (archive.h) -------------------------------------------------------------------

Result<std::vector<ArchiveRecord>> AuditLog::Archives() const {
  std::lock_guard lock(db_mu_);
  // A read-only open of a database created before the archives table existed.
  Stmt t(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'archives'");
  BULWARK_RETURN_IF_ERROR(t.ok("read archives"));
  BULWARK_ASSIGN_OR_RETURN(bool exists, t.Step("read archives"));
  std::vector<ArchiveRecord> out;
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

namespace {

// Runs `body` in one BEGIN IMMEDIATE transaction (rolled back on error).
Status InWriteTransaction(sqlite3* db, std::string_view what, const std::function<Status()>& body) {
  BULWARK_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", fmt::format("begin {}", what)));
  Status s = body();
  if (s) s = Exec(db, "COMMIT", fmt::format("commit {}", what));
  if (!s) (void)Exec(db, "ROLLBACK", fmt::format("rollback {}", what));
  return s;
}

Result<std::uint64_t> ArchiveBoundaryLocked(sqlite3* db) {
  Stmt b(db, "SELECT COALESCE(MAX(end_idx), 0) FROM archives");
  BULWARK_RETURN_IF_ERROR(b.ok("read archive boundary"));
  BULWARK_ASSIGN_OR_RETURN(bool row, b.Step("read archive boundary"));
  return row ? static_cast<std::uint64_t>(b.Int(0)) : std::uint64_t{0};
}

}  // namespace

Status AuditLog::PruneBefore(const ArchiveRecord& record, std::uint64_t chunk_events) {
  if (options_.read_only) return FailedPreconditionError("audit log: opened read-only");
  if (record.end <= record.start) {
    return InvalidArgumentError(
        fmt::format("audit log prune: empty range [{}, {})", record.start, record.end));
  }
  if (record.end > static_cast<std::uint64_t>(INT64_MAX)) {
    return InvalidArgumentError("audit log prune: boundary out of range");
  }
  {
    std::lock_guard lock(db_mu_);
    BULWARK_RETURN_IF_ERROR(InWriteTransaction(db_, "archive record", [&]() -> Status {
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t boundary, ArchiveBoundaryLocked(db_));
      if (boundary != record.start) {
        return FailedPreconditionError(fmt::format(
            "audit log prune: the log now starts at event {}, the archive starts at {} (another "
            "archive ran concurrently?)",
            boundary, record.start));
      }
      BULWARK_ASSIGN_OR_RETURN(TreeState st, StateLocked());
      if (record.end > st.size) {
        return FailedPreconditionError(
            fmt::format("audit log prune: boundary {} is beyond the {} events of the log",
                        record.end, st.size));
      }
      Stmt ins(db_,
               "INSERT INTO archives(end_idx, start_idx, time_us, file, sha256, frontier, "
               "checkpoint) VALUES(?, ?, ?, ?, ?, ?, ?)");
      BULWARK_RETURN_IF_ERROR(ins.ok("record archive"));
      ins.Bind(1, static_cast<std::int64_t>(record.end));
      ins.Bind(2, static_cast<std::int64_t>(record.start));
      ins.Bind(3, record.time_us);
      ins.Bind(4, record.file);
      ins.BindBlob(5, record.sha256);
      ins.BindBlob(6, record.frontier);
      ins.Bind(7, record.checkpoint);
      return ins.Run("record archive");
    }));
  }
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t deleted, DeleteArchivedEvents(chunk_events));
  (void)deleted;
  return OkStatus();
}

Result<std::uint64_t> AuditLog::DeleteArchivedEvents(std::uint64_t chunk_events) {
  if (options_.read_only) return FailedPreconditionError("audit log: opened read-only");
  chunk_events = std::max<std::uint64_t>(1, chunk_events);
  std::uint64_t deleted = 0;
  while (true) {
    bool done = false;
    std::lock_guard lock(db_mu_);
    BULWARK_RETURN_IF_ERROR(InWriteTransaction(db_, "prune", [&]() -> Status {
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t boundary, ArchiveBoundaryLocked(db_));
      Stmt m(db_, "SELECT COALESCE(MIN(idx), -1) FROM events");
      BULWARK_RETURN_IF_ERROR(m.ok("prune"));
      BULWARK_ASSIGN_OR_RETURN(bool row, m.Step("prune"));
      const bool empty = !row || m.Int(0) < 0;
      const auto lo = empty ? boundary : static_cast<std::uint64_t>(m.Int(0));
      BULWARK_RETURN_IF_ERROR(
          Exec(db_, "DROP TRIGGER IF EXISTS events_append_only_d", "prune: lift delete guard"));
      BULWARK_RETURN_IF_ERROR(
          Exec(db_, "DROP TRIGGER IF EXISTS nodes_append_only_d", "prune: lift delete guard"));
      if (lo >= boundary) {
        // Last step: the cached nodes entirely inside [0, boundary): (idx + 1) * 2^level <= n.
        done = true;
        Stmt d(db_, "DELETE FROM nodes WHERE (idx + 1) << level <= ?");
        BULWARK_RETURN_IF_ERROR(d.ok("prune tree nodes"));
        d.Bind(1, static_cast<std::int64_t>(boundary));
        BULWARK_RETURN_IF_ERROR(d.Run("prune tree nodes"));
      } else {
        const std::uint64_t hi = std::min(boundary, lo + chunk_events);
        for (const char* sql : {"DELETE FROM event_paths WHERE idx >= ? AND idx < ?",
                                "DELETE FROM events WHERE idx >= ? AND idx < ?"}) {
          Stmt d(db_, sql);
          BULWARK_RETURN_IF_ERROR(d.ok("prune events"));
          d.Bind(1, static_cast<std::int64_t>(lo));
          d.Bind(2, static_cast<std::int64_t>(hi));
          BULWARK_RETURN_IF_ERROR(d.Run("prune events"));
        }
        deleted += static_cast<std::uint64_t>(sqlite3_changes(db_));
      }
      BULWARK_RETURN_IF_ERROR(Exec(db_, kEventsDeleteTrigger, "prune: restore delete guard"));
      return Exec(db_, kNodesDeleteTrigger, "prune: restore delete guard");
    }));
    if (done) return deleted;
  }
}

}  // namespace bulwark::audit
