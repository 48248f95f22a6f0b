// The PostgreSQL LogStorage (libpq): tables bulwark_audit_* (docs/audit.md), one connection per
// AuditLog. A write is a READ COMMITTED transaction that starts with SELECT ... FOR UPDATE on the
// single tree-state row, so appenders on several servers serialize on it and each extends the
// tree it read. Rows are sent as multi-row INSERTs with binary bytea parameters; results are
// read in binary. Commits wait for the WAL flush (synchronous_commit = on is set per session).
#include <endian.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <deque>

#include "auditlog/internal/log_storage.h"
#include "pgutil/pg_result.h"

namespace bulwark::audit::internal {
namespace {

// pg_advisory_xact_lock key that serializes schema setup across servers ("BWKA").
constexpr std::int64_t kSchemaLockKey = 0x42574B41;

constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE bulwark_audit_schema (version integer NOT NULL);
CREATE TABLE bulwark_audit_events (
  idx bigint PRIMARY KEY,
  time_us bigint NOT NULL,
  leaf_hash bytea NOT NULL,
  leaf bytea NOT NULL);
CREATE INDEX bulwark_audit_events_time ON bulwark_audit_events (time_us);
CREATE TABLE bulwark_audit_terms (
  id bigserial PRIMARY KEY,
  field integer NOT NULL,
  value text COLLATE "C" NOT NULL,
  UNIQUE (field, value));
CREATE TABLE bulwark_audit_postings (
  term bigint NOT NULL,
  first_idx bigint NOT NULL,
  deltas bytea NOT NULL);
CREATE TABLE bulwark_audit_segment_postings (
  term bigint NOT NULL,
  segment bigint NOT NULL,
  first_idx bigint NOT NULL,
  deltas bytea NOT NULL,
  PRIMARY KEY (term, segment));
CREATE TABLE bulwark_audit_index_state (
  id integer PRIMARY KEY CHECK (id = 1),
  compacted_below bigint NOT NULL);
INSERT INTO bulwark_audit_index_state VALUES (1, 0);
CREATE TABLE bulwark_audit_nodes (
  level integer NOT NULL,
  idx bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (level, idx));
CREATE TABLE bulwark_audit_state (
  id integer PRIMARY KEY CHECK (id = 1),
  size bigint NOT NULL,
  frontier bytea NOT NULL,
  last_checkpoint_size bigint NOT NULL,
  last_checkpoint_us bigint NOT NULL);
CREATE TABLE bulwark_audit_checkpoints (
  size bigint PRIMARY KEY,
  time_us bigint NOT NULL,
  note text NOT NULL);
CREATE FUNCTION bulwark_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit table % is append-only', TG_TABLE_NAME; END $$;
CREATE TRIGGER bulwark_audit_events_append_only BEFORE UPDATE OR DELETE ON bulwark_audit_events
  FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();
CREATE TRIGGER bulwark_audit_nodes_append_only BEFORE UPDATE OR DELETE ON bulwark_audit_nodes
  FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();
CREATE TRIGGER bulwark_audit_checkpoints_append_only BEFORE UPDATE OR DELETE
  ON bulwark_audit_checkpoints FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();
)sql";

// Retention (archive.h), added to version 2 at open when the archives table is missing (no version
// change). Deletes of events and nodes go through bulwark_audit_prune_guard(): allowed only when
// the transaction set `SET LOCAL bulwark.pruning = 'on'` (DeleteArchived*, reset before they
// return) AND the row lies entirely below the newest archive's end; anything else is refused as
// before. A session setting rather than dropping the triggers as on SQLite: DDL would take an
// ACCESS EXCLUSIVE lock on the tables (blocking readers too) for every chunk, and the boundary
// check keeps even a session that sets it from deleting unarchived rows.
constexpr const char* kArchivesSchema = R"sql(
CREATE TABLE bulwark_audit_archives (
  end_idx bigint PRIMARY KEY,
  start_idx bigint NOT NULL,
  time_us bigint NOT NULL,
  file text NOT NULL,
  sha256 bytea NOT NULL,
  frontier bytea NOT NULL,
  checkpoint text NOT NULL);
CREATE TRIGGER bulwark_audit_archives_append_only BEFORE UPDATE OR DELETE
  ON bulwark_audit_archives FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();
CREATE FUNCTION bulwark_audit_prune_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  boundary bigint;
BEGIN
  IF coalesce(current_setting('bulwark.pruning', true), '') = 'on' THEN
    SELECT coalesce(max(end_idx), 0) INTO boundary FROM bulwark_audit_archives;
    -- (no short-circuit AND in PL/pgSQL: OLD.level exists only on nodes)
    IF TG_TABLE_NAME = 'bulwark_audit_events' THEN
      IF OLD.idx < boundary THEN
        RETURN OLD;
      END IF;
    ELSIF TG_TABLE_NAME = 'bulwark_audit_nodes' THEN
      IF OLD.level < 63 AND (OLD.idx + 1) <= (boundary >> OLD.level) THEN
        RETURN OLD;
      END IF;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit table % is append-only', TG_TABLE_NAME;
END $$;
DROP TRIGGER bulwark_audit_events_append_only ON bulwark_audit_events;
CREATE TRIGGER bulwark_audit_events_append_only BEFORE UPDATE ON bulwark_audit_events
  FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();
CREATE TRIGGER bulwark_audit_events_delete_guard BEFORE DELETE ON bulwark_audit_events
  FOR EACH ROW EXECUTE FUNCTION bulwark_audit_prune_guard();
DROP TRIGGER bulwark_audit_nodes_append_only ON bulwark_audit_nodes;
CREATE TRIGGER bulwark_audit_nodes_append_only BEFORE UPDATE ON bulwark_audit_nodes
  FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();
CREATE TRIGGER bulwark_audit_nodes_delete_guard BEFORE DELETE ON bulwark_audit_nodes
  FOR EACH ROW EXECUTE FUNCTION bulwark_audit_prune_guard();
)sql";

// Query results (binary columns here) are read through the shared libpq helper.
using pgutil::PgResult;

// Parameters of one statement: integers as text, byte strings as binary.
class Params {
 public:
  void Int(std::int64_t v) {
    texts_.push_back(std::to_string(v));
    Add(texts_.back().data(), texts_.back().size(), 0);
  }
  // A null pointer would send NULL: empty byte strings point at "".
  void Bytes(const void* p, std::size_t n) { Add(n == 0 ? "" : static_cast<const char*>(p), n, 1); }
  void Text(std::string_view s) {
    texts_.emplace_back(s);
    Add(texts_.back().data(), texts_.back().size(), 0);
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void Add(const char* p, std::size_t n, int format) {
    values_.push_back(p);
    lengths_.push_back(static_cast<int>(n));
    formats_.push_back(format);
  }
  std::deque<std::string> texts_;  // stable addresses
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

std::string ArrayLiteral(std::span<const std::int64_t> v) {
  std::string s = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "}";
}

std::int64_t Clamp(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
}

class PostgresLogStorage final : public LogStorage {
 public:
  explicit PostgresLogStorage(PGconn* c) : c_(c) {}
  ~PostgresLogStorage() override { PQfinish(c_); }

  Result<PgResult> Exec(const std::string& sql, const Params& p, std::string_view what) {
    PgResult r(
        PQexecParams(c_, sql.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(), 1));
    return Check(std::move(r), what);
  }
  Result<PgResult> Exec(const std::string& sql, std::string_view what) {
    return Check(PgResult(PQexec(c_, sql.c_str())), what);
  }

  Status Setup(std::int64_t now_us, bool read_only) {
    BULWARK_RETURN_IF_ERROR(Exec("SET synchronous_commit = on", "set synchronous_commit"));
    BULWARK_RETURN_IF_ERROR(Exec("BEGIN", "begin schema setup"));
    auto body = [&]() -> Status {
      BULWARK_RETURN_IF_ERROR(
          Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kSchemaLockKey), "lock schema"));
      BULWARK_ASSIGN_OR_RETURN(
          PgResult r,
          Exec("SELECT to_regclass('bulwark_audit_schema') IS NULL", Params(), "read schema"));
      const bool fresh = PQgetvalue(r.get(), 0, 0)[0] != 0;  // binary bool
      if (fresh) {
        BULWARK_RETURN_IF_ERROR(Exec(kSchemaV2, "create audit schema"));
        BULWARK_RETURN_IF_ERROR(
            Exec(fmt::format("INSERT INTO bulwark_audit_schema VALUES ({}); "
                             "INSERT INTO bulwark_audit_state VALUES (1, 0, '\\x', 0, {})",
                             kLogSchemaVersion, now_us),
                 "initialize audit schema"));
        BULWARK_RETURN_IF_ERROR(Exec(kArchivesSchema, "create audit archives table"));
        return OkStatus();
      }
      BULWARK_ASSIGN_OR_RETURN(PgResult v, Exec("SELECT max(version) FROM bulwark_audit_schema",
                                                Params(), "read schema version"));
      const std::int64_t version = v.rows() && !PQgetisnull(v.get(), 0, 0) ? v.Int(0, 0) : 0;
      if (version != kLogSchemaVersion) {
        return FailedPreconditionError(
            fmt::format("audit log: PostgreSQL schema version {} ({}supported: {}){}", version,
                        version > kLogSchemaVersion ? "newer than " : "", kLogSchemaVersion,
                        version > kLogSchemaVersion ? "; use a newer bulwark" : ""));
      }
      BULWARK_ASSIGN_OR_RETURN(bool archives, HasArchivesTable());
      if (!archives && !read_only) {
        BULWARK_RETURN_IF_ERROR(Exec(kArchivesSchema, "create audit archives table"));
      }
      return OkStatus();
    };
    Status s = body();
    if (!s) {
      Rollback();
      return s;
    }
    return Commit();
  }

  Status BeginWrite() override { return Discard(Exec("BEGIN", "begin write")); }
  Status Commit() override { return Discard(Exec("COMMIT", "commit")); }
  void Rollback() override { (void)Exec("ROLLBACK", "rollback"); }

  Result<TreeState> ReadState(bool for_update) override {
    std::string sql =
        "SELECT size, frontier, last_checkpoint_size, last_checkpoint_us FROM bulwark_audit_state "
        "WHERE id = 1";
    if (for_update) sql += " FOR UPDATE";
    BULWARK_ASSIGN_OR_RETURN(PgResult r, Exec(sql, Params(), "read tree state"));
    if (r.rows() != 1) return DataLossError("audit log: the tree state row is missing");
    TreeState st;
    st.size = static_cast<std::uint64_t>(r.Int(0, 0));
    auto f = r.Bytes(0, 1);
    if (f.size() % kHashSize != 0)
      return DataLossError("audit log: tree state frontier is malformed");
    for (std::size_t i = 0; i < f.size(); i += kHashSize) {
      Hash h;
      std::memcpy(h.data(), f.data() + i, kHashSize);
      st.frontier.push_back(h);
    }
    st.last_checkpoint_size = static_cast<std::uint64_t>(r.Int(0, 2));
    st.last_checkpoint_us = r.Int(0, 3);
    return st;
  }

  Status WriteState(const TreeState& st) override {
    std::vector<std::uint8_t> frontier;
    for (const Hash& h : st.frontier) frontier.insert(frontier.end(), h.begin(), h.end());
    Params p;
    p.Int(static_cast<std::int64_t>(st.size));
    p.Bytes(frontier.data(), frontier.size());
    p.Int(static_cast<std::int64_t>(st.last_checkpoint_size));
    p.Int(st.last_checkpoint_us);
    return Discard(
        Exec("UPDATE bulwark_audit_state SET size = $1, frontier = $2, "
             "last_checkpoint_size = $3, last_checkpoint_us = $4 WHERE id = 1",
             p, "update tree state"));
  }

  // Multi-row INSERT of `n` rows of `cols` columns each, `add(i, params)` adding row i's values.
  template <typename AddRow>
  Status InsertRows(std::string_view head, std::string_view tail, int cols, std::size_t n,
                    AddRow add, std::string_view what) {
    constexpr std::size_t kChunk = 1000;
    for (std::size_t start = 0; start < n; start += kChunk) {
      const std::size_t end = std::min(n, start + kChunk);
      std::string sql(head);
      sql += " VALUES ";
      Params p;
      int k = 1;
      for (std::size_t i = start; i < end; ++i) {
        sql += i == start ? "(" : ",(";
        for (int c = 0; c < cols; ++c) {
          if (c) sql += ',';
          sql += '$';
          sql += std::to_string(k++);
        }
        sql += ')';
        add(i, p);
      }
      sql += tail;
      BULWARK_RETURN_IF_ERROR(Discard(Exec(sql, p, what)));
    }
    return OkStatus();
  }

  Status InsertEvents(std::span<const EventRow> rows) override {
    return InsertRows(
        "INSERT INTO bulwark_audit_events (idx, time_us, leaf_hash, leaf)", "", 4, rows.size(),
        [&](std::size_t i, Params& p) {
          p.Int(static_cast<std::int64_t>(rows[i].index));
          p.Int(rows[i].time_us);
          p.Bytes(rows[i].leaf_hash->data(), kHashSize);
          p.Bytes(rows[i].leaf.data(), rows[i].leaf.size());
        },
        "insert events");
  }

  Status InsertNodes(std::span<const NodeRow> rows) override {
    return InsertRows(
        "INSERT INTO bulwark_audit_nodes (level, idx, hash)", " ON CONFLICT DO NOTHING", 3,
        rows.size(),
        [&](std::size_t i, Params& p) {
          p.Int(rows[i].level);
          p.Int(static_cast<std::int64_t>(rows[i].index));
          p.Bytes(rows[i].hash.data(), kHashSize);
        },
        "insert tree nodes");
  }

  Status InsertPostings(std::span<const PostingRow> rows) override {
    return InsertRows(
        "INSERT INTO bulwark_audit_postings (term, first_idx, deltas)", "", 3, rows.size(),
        [&](std::size_t i, Params& p) {
          p.Int(rows[i].term);
          p.Int(static_cast<std::int64_t>(rows[i].first_index));
          p.Bytes(rows[i].deltas.data(), rows[i].deltas.size());
        },
        "insert postings");
  }

  Status InsertCheckpoint(const StoredCheckpoint& c) override {
    Params p;
    p.Int(static_cast<std::int64_t>(c.size));
    p.Int(c.time_us);
    p.Text(c.note);
    return Discard(
        Exec("INSERT INTO bulwark_audit_checkpoints (size, time_us, note) "
             "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
             p, "store checkpoint"));
  }

  Result<std::optional<std::int64_t>> FindTerm(TermField field, std::string_view value) override {
    Params p;
    p.Int(static_cast<std::int64_t>(field));
    p.Text(value);
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        Exec("SELECT id FROM bulwark_audit_terms WHERE field = $1 AND value = $2", p, "find term"));
    if (r.rows() == 0) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(r.Int(0, 0));
  }

  Result<std::int64_t> InsertTerm(TermField field, std::string_view value) override {
    Params p;
    p.Int(static_cast<std::int64_t>(field));
    p.Text(value);
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        Exec("INSERT INTO bulwark_audit_terms (field, value) VALUES ($1, $2) RETURNING id", p,
             "insert term"));
    return r.Int(0, 0);
  }

  Result<std::vector<std::int64_t>> TermsBetween(TermField field, std::string_view lo,
                                                 std::string_view hi) override {
    Params p;
    p.Int(static_cast<std::int64_t>(field));
    p.Text(lo);
    p.Text(hi);
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        Exec("SELECT id FROM bulwark_audit_terms WHERE field = $1 AND value > $2 AND value < $3", p,
             "find terms"));
    std::vector<std::int64_t> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Int(i, 0));
    return out;
  }

  Result<std::vector<StoredCheckpoint>> ReadCheckpoints(bool newest_only) override {
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        Exec(newest_only
                 ? "SELECT size, time_us, note FROM bulwark_audit_checkpoints ORDER BY "
                   "size DESC LIMIT 1"
                 : "SELECT size, time_us, note FROM bulwark_audit_checkpoints ORDER BY size",
             Params(), "read checkpoints"));
    std::vector<StoredCheckpoint> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(
          StoredCheckpoint{static_cast<std::uint64_t>(r.Int(i, 0)), r.Text(i, 2), r.Int(i, 1)});
    }
    return out;
  }

  Result<std::optional<std::string>> ReadCheckpointNote(std::uint64_t size) override {
    Params p;
    p.Int(static_cast<std::int64_t>(size));
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        Exec("SELECT note FROM bulwark_audit_checkpoints WHERE size = $1", p, "read checkpoint"));
    if (r.rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r.Text(0, 0));
  }

  Status ScanEvents(std::uint64_t begin, std::uint64_t end, std::optional<std::int64_t> since,
                    std::optional<std::int64_t> until, std::uint64_t limit, bool with_leaf,
                    const std::function<Status(const StoredEvent&)>& fn) override {
    // Pages of at most 4096 rows by primary key (a scan of the whole log stays bounded in memory).
    constexpr std::uint64_t kPage = 4096;
    std::string sql = with_leaf ? "SELECT idx, leaf, leaf_hash, time_us FROM bulwark_audit_events"
                                : "SELECT idx, ''::bytea, leaf_hash, time_us FROM "
                                  "bulwark_audit_events";
    sql += " WHERE idx >= $1 AND idx < $2";
    int k = 3;
    if (since) sql += fmt::format(" AND time_us >= ${}", k++);
    if (until) sql += fmt::format(" AND time_us < ${}", k++);
    sql += fmt::format(" ORDER BY idx LIMIT ${}", k++);
    std::uint64_t next = begin, sent = 0;
    StoredEvent e;
    while (next < end) {
      const std::uint64_t page = limit > 0 ? std::min(kPage, limit - sent) : kPage;
      Params p;
      p.Int(Clamp(next));
      p.Int(Clamp(end));
      if (since) p.Int(*since);
      if (until) p.Int(*until);
      p.Int(static_cast<std::int64_t>(page));
      BULWARK_ASSIGN_OR_RETURN(PgResult r, Exec(sql, p, "scan events"));
      for (int i = 0; i < r.rows(); ++i) {
        Fill(r, i, e);
        BULWARK_RETURN_IF_ERROR(fn(e));
        next = e.index + 1;
      }
      sent += static_cast<std::uint64_t>(r.rows());
      if (static_cast<std::uint64_t>(r.rows()) < page || (limit > 0 && sent >= limit)) break;
    }
    return OkStatus();
  }

  Status ReadEvents(std::span<const std::uint64_t> indices,
                    const std::function<Status(const StoredEvent&)>& fn) override {
    if (indices.empty()) return OkStatus();
    std::vector<std::int64_t> ids;
    for (std::uint64_t i : indices) ids.push_back(Clamp(i));
    Params p;
    p.Text(ArrayLiteral(ids));
    BULWARK_ASSIGN_OR_RETURN(PgResult r, Exec("SELECT idx, leaf, leaf_hash, time_us FROM "
                                              "bulwark_audit_events WHERE idx = ANY($1::bigint[]) "
                                              "ORDER BY idx",
                                              p, "read events"));
    StoredEvent e;
    for (int i = 0; i < r.rows(); ++i) {
      Fill(r, i, e);
      BULWARK_RETURN_IF_ERROR(fn(e));
    }
    return OkStatus();
  }

  Status ReadNodes(
      unsigned level, std::uint64_t begin, std::uint64_t end,
      const std::function<Status(std::uint64_t, std::span<const std::uint8_t>)>& fn) override {
    Params p;
    p.Int(Clamp(begin));
    p.Int(Clamp(end));
    std::string sql;
    if (level == 0) {
      sql =
          "SELECT idx, leaf_hash FROM bulwark_audit_events WHERE idx >= $1 AND idx < $2 "
          "ORDER BY idx";
    } else {
      p.Int(level);
      sql =
          "SELECT idx, hash FROM bulwark_audit_nodes WHERE idx >= $1 AND idx < $2 AND "
          "level = $3 ORDER BY idx";
    }
    BULWARK_ASSIGN_OR_RETURN(PgResult r, Exec(sql, p, "read tree nodes"));
    for (int i = 0; i < r.rows(); ++i) {
      BULWARK_RETURN_IF_ERROR(fn(static_cast<std::uint64_t>(r.Int(i, 0)), r.Bytes(i, 1)));
    }
    return OkStatus();
  }

  Status ScanNodes(const std::function<Status(unsigned, std::uint64_t,
                                              std::span<const std::uint8_t>)>& fn) override {
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r, Exec("SELECT level, idx, hash FROM bulwark_audit_nodes ORDER BY level, idx",
                         Params(), "scan tree nodes"));
    for (int i = 0; i < r.rows(); ++i) {
      BULWARK_RETURN_IF_ERROR(fn(static_cast<unsigned>(r.Int(i, 0)),
                                 static_cast<std::uint64_t>(r.Int(i, 1)), r.Bytes(i, 2)));
    }
    return OkStatus();
  }

  Status ScanPostings(
      std::span<const std::int64_t> terms,
      const std::function<Status(std::uint64_t, std::span<const std::uint8_t>)>& fn) override {
    if (terms.empty()) return OkStatus();
    Params p;
    p.Text(ArrayLiteral(terms));
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        Exec("SELECT first_idx, deltas FROM bulwark_audit_segment_postings WHERE term = "
             "ANY($1::bigint[]) UNION ALL SELECT first_idx, deltas FROM bulwark_audit_postings "
             "WHERE term = ANY($1::bigint[])",
             p, "scan postings"));
    for (int i = 0; i < r.rows(); ++i) {
      BULWARK_RETURN_IF_ERROR(fn(static_cast<std::uint64_t>(r.Int(i, 0)), r.Bytes(i, 1)));
    }
    return OkStatus();
  }

  Result<std::uint64_t> ReadCompactedBelow() override {
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r, Exec("SELECT compacted_below FROM bulwark_audit_index_state WHERE id = 1",
                         Params(), "read index state"));
    return r.rows() ? static_cast<std::uint64_t>(r.Int(0, 0)) : 0;
  }

  Status WriteCompactedBelow(std::uint64_t index) override {
    Params p;
    p.Int(Clamp(index));
    return Discard(Exec("UPDATE bulwark_audit_index_state SET compacted_below = $1 WHERE id = 1", p,
                        "write index state"));
  }

  Status ScanPostingRange(std::uint64_t begin, std::uint64_t end,
                          const std::function<Status(std::int64_t, std::uint64_t,
                                                     std::span<const std::uint8_t>)>& fn) override {
    Params p;
    p.Int(Clamp(begin));
    p.Int(Clamp(end));
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r, Exec("SELECT term, first_idx, deltas FROM bulwark_audit_postings WHERE "
                         "first_idx >= $1 AND first_idx < $2",
                         p, "read postings"));
    for (int i = 0; i < r.rows(); ++i) {
      BULWARK_RETURN_IF_ERROR(
          fn(r.Int(i, 0), static_cast<std::uint64_t>(r.Int(i, 1)), r.Bytes(i, 2)));
    }
    return OkStatus();
  }

  Status DeletePostingRange(std::uint64_t begin, std::uint64_t end) override {
    Params p;
    p.Int(Clamp(begin));
    p.Int(Clamp(end));
    return Discard(
        Exec("DELETE FROM bulwark_audit_postings WHERE first_idx >= $1 AND first_idx < $2", p,
             "delete postings"));
  }

  Status InsertSegmentPostings(std::uint64_t segment, std::span<const PostingRow> rows) override {
    return InsertRows(
        "INSERT INTO bulwark_audit_segment_postings (term, segment, first_idx, deltas)",
        " ON CONFLICT (term, segment) DO UPDATE SET first_idx = EXCLUDED.first_idx, deltas = "
        "EXCLUDED.deltas",
        4, rows.size(),
        [&](std::size_t i, Params& p) {
          p.Int(rows[i].term);
          p.Int(static_cast<std::int64_t>(segment));
          p.Int(static_cast<std::int64_t>(rows[i].first_index));
          p.Bytes(rows[i].deltas.data(), rows[i].deltas.size());
        },
        "insert segment postings");
  }

  Result<std::vector<ArchiveRecord>> ReadArchives() override {
    std::vector<ArchiveRecord> out;
    BULWARK_ASSIGN_OR_RETURN(bool exists, HasArchivesTable());
    if (!exists) return out;  // a read-only open of a log that predates them
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r, Exec("SELECT start_idx, end_idx, time_us, file, sha256, frontier, checkpoint "
                         "FROM bulwark_audit_archives ORDER BY end_idx",
                         Params(), "read archives"));
    for (int i = 0; i < r.rows(); ++i) {
      ArchiveRecord a;
      a.start = static_cast<std::uint64_t>(r.Int(i, 0));
      a.end = static_cast<std::uint64_t>(r.Int(i, 1));
      a.time_us = r.Int(i, 2);
      a.file = r.Text(i, 3);
      auto sha = r.Bytes(i, 4);
      a.sha256.assign(sha.begin(), sha.end());
      auto frontier = r.Bytes(i, 5);
      a.frontier.assign(frontier.begin(), frontier.end());
      a.checkpoint = r.Text(i, 6);
      out.push_back(std::move(a));
    }
    return out;
  }

  Status InsertArchive(const ArchiveRecord& a) override {
    Params p;
    p.Int(Clamp(a.end));
    p.Int(Clamp(a.start));
    p.Int(a.time_us);
    p.Text(a.file);
    p.Bytes(a.sha256.data(), a.sha256.size());
    p.Bytes(a.frontier.data(), a.frontier.size());
    p.Text(a.checkpoint);
    return Discard(Exec(
        "INSERT INTO bulwark_audit_archives (end_idx, start_idx, time_us, file, sha256, frontier, "
        "checkpoint) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        p, "record archive"));
  }

  Result<std::optional<std::uint64_t>> FirstEventIndex() override {
    BULWARK_ASSIGN_OR_RETURN(PgResult r, Exec("SELECT min(idx) FROM bulwark_audit_events", Params(),
                                              "read first event"));
    if (!r.rows() || PQgetisnull(r.get(), 0, 0)) return std::optional<std::uint64_t>();
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(r.Int(0, 0)));
  }

  Result<std::uint64_t> DeleteArchivedEvents(std::uint64_t lo, std::uint64_t hi) override {
    Params p;
    p.Int(Clamp(lo));
    p.Int(Clamp(hi));
    std::uint64_t deleted = 0;
    BULWARK_RETURN_IF_ERROR(Unguarded([&]() -> Status {
      BULWARK_ASSIGN_OR_RETURN(
          PgResult r,
          Exec("DELETE FROM bulwark_audit_events WHERE idx >= $1 AND idx < $2", p, "prune events"));
      const char* n = PQcmdTuples(r.get());
      deleted = n && *n ? std::strtoull(n, nullptr, 10) : 0;
      return OkStatus();
    }));
    return deleted;
  }

  Status DeleteArchivedNodes(std::uint64_t n) override {
    Params p;
    p.Int(Clamp(n));
    return Unguarded([&]() -> Status {
      return Discard(Exec(
          "DELETE FROM bulwark_audit_nodes WHERE level < 63 AND idx + 1 <= ($1::bigint >> level)",
          p, "prune tree nodes"));
    });
  }

  Status HealthCheck() override {
    BULWARK_RETURN_IF_ERROR(BeginWrite());
    auto st = ReadState(true);
    Rollback();
    if (!st) return std::unexpected(st.error());
    return OkStatus();
  }

 private:
  Result<bool> HasArchivesTable() {
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        Exec("SELECT to_regclass('bulwark_audit_archives') IS NOT NULL", Params(), "read schema"));
    return PQgetvalue(r.get(), 0, 0)[0] != 0;  // binary bool
  }

  // Inside a write: runs `body` with the prune guard open (SET LOCAL: for this transaction only,
  // and switched off again before returning).
  Status Unguarded(const std::function<Status()>& body) {
    BULWARK_RETURN_IF_ERROR(Exec("SET LOCAL bulwark.pruning = 'on'", "prune: lift delete guard"));
    BULWARK_RETURN_IF_ERROR(body());
    return Discard(Exec("SET LOCAL bulwark.pruning = 'off'", "prune: restore delete guard"));
  }

  static Status Discard(Result<PgResult> r) {
    if (!r) return std::unexpected(r.error());
    return OkStatus();
  }

  static void Fill(const PgResult& r, int i, StoredEvent& e) {
    e.index = static_cast<std::uint64_t>(r.Int(i, 0));
    auto leaf = r.Bytes(i, 1);
    e.leaf.assign(reinterpret_cast<const char*>(leaf.data()), leaf.size());
    auto h = r.Bytes(i, 2);
    e.leaf_hash.assign(h.begin(), h.end());
    e.time_us = r.Int(i, 3);
  }

  Result<PgResult> Check(PgResult r, std::string_view what) {
    PGresult* raw = r.get();
    const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    const std::string code = state ? state : "";
    std::string msg = raw ? PQresultErrorMessage(raw) : PQerrorMessage(c_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const bool lost = PQstatus(c_) != CONNECTION_OK;
    if (lost) PQreset(c_);  // the next call gets a fresh connection
    const std::string text = fmt::format("audit log: {}: postgresql: {} (SQLSTATE {})", what, msg,
                                         code.empty() ? "none" : code);
    if (code == "XX001" || code == "XX002") return DataLossError(text);
    return UnavailableError(text);
  }

  PGconn* c_;
};

}  // namespace

Result<std::unique_ptr<LogStorage>> OpenPostgresLogStorage(const AuditLogOptions& options,
                                                           const std::string& url,
                                                           std::int64_t now_us) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    // The URL may hold a password: name the host and database only.
    return UnavailableError(fmt::format("audit log: connect to PostgreSQL: {}", msg));
  }
  auto storage = std::make_unique<PostgresLogStorage>(c);
  if (options.read_only) {
    BULWARK_RETURN_IF_ERROR(
        storage->Exec("SET default_transaction_read_only = on", "set read-only"));
  }
  BULWARK_RETURN_IF_ERROR(storage->Setup(now_us, options.read_only));
  return std::unique_ptr<LogStorage>(std::move(storage));
}

}  // namespace bulwark::audit::internal
