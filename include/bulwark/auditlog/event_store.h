// AuditLog: the durable, tamper-evident audit log: events, their RFC 9162 Merkle tree, cached
// subtree hashes, a query index and signed checkpoints, on SQLite (one database file,
// <home>/audit.db for the CLI) or PostgreSQL (tables bulwark_audit_* in a database); see
// docs/audit.md for the schemas.
//
// Appends (Append) are durable before they return: SQLite WAL with synchronous=FULL, or a
// PostgreSQL commit. Concurrent appenders share one transaction and one fsync (group commit):
// appenders hash their leaves themselves, then the first appender to find no commit in progress
// becomes the leader, takes every queued event, and in one write transaction reads (and locks)
// the single tree-state row (size + frontier), inserts the events with their leaf hashes,
// integrates them into the tree (caching the hash of every completed perfect subtree whose level
// is a multiple of 4), appends the batch's posting rows (the query index), writes the new tree
// state, signs a checkpoint when one is due (every `checkpoint_every` events or
// `checkpoint_interval` since the last one), and commits. The others wait for it and return their
// indices. Because each transaction starts from the locked stored tree state, several processes
// or servers may append to the same log (SQLite's writer lock; PostgreSQL SELECT ... FOR UPDATE).
//
// Triggers refuse UPDATE and DELETE on the events, nodes and checkpoints tables; they are a guard
// against accidents, not a security boundary: VerifyAuditLog (log_audit.h) is. The schema is
// versioned; a newer version is refused (docs/audit.md).
//
// Thread safety: all methods may be called concurrently.
#ifndef BULWARK_AUDITLOG_EVENT_STORE_H_
#define BULWARK_AUDITLOG_EVENT_STORE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/auditlog/event.h"
#include "bulwark/audit/merkle_hash.h"
#include "bulwark/audit/note.h"
#include "bulwark/audit/tree_reader.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::audit {
namespace internal {
class LogStorage;
}

// Indexed columns of an event (copies of fields of the leaf, for queries only: verification
// never trusts them).
struct EventColumns {
  std::int64_t time_us = 0;  // microseconds since the Unix epoch
  std::string type, actor, namespace_name, action, outcome;
  ImpactLevel impact = ImpactLevel::kLow;
  std::vector<std::string> paths;
};

// Extracts the indexed columns from an event document (BuildEvent's shape).
EventColumns ColumnsOfEvent(const nlohmann::json& event);

struct AuditLogOptions {
  // The SQLite database file (used when `url` is empty).
  std::filesystem::path path;
  // Optional store URL, as for the configuration store: "sqlite:PATH" or "postgresql://..." /
  // "postgres://..." (libpq connection URI). Takes precedence over `path`.
  std::string url;
  std::string origin;  // checkpoint origin line
  // Checkpoint signers (several during a key rotation). Empty: no checkpoints are published.
  std::vector<std::shared_ptr<const NoteSigner>> signers;
  std::uint64_t checkpoint_every = 1000;
  std::chrono::seconds checkpoint_interval{60};
  std::chrono::milliseconds busy_timeout{10000};
  // Events per segment of the query index: posting rows of a complete segment are compacted into
  // one row per term (docs/audit.md). Fixed for the life of a log; tests use small values.
  std::uint64_t index_segment = 65536;
  // SQLite: once the WAL holds this many pages (4 KiB each) after a commit, a background thread
  // of the log copies it into the database file, so that no append waits for that copy (only the
  // next write copies the short remainder); the WAL then restarts at the beginning of its file.
  // Tests use small values. Ignored by PostgreSQL.
  std::uint32_t wal_checkpoint_pages = 16384;
  bool read_only = false;
  Runtime runtime = Runtime::System();
};

struct StoredEvent {
  std::uint64_t index = 0;
  std::string leaf;                     // canonical bytes
  std::vector<std::uint8_t> leaf_hash;  // as stored (verification recomputes it)
  std::int64_t time_us = 0;
};

struct StoredCheckpoint {
  std::uint64_t size = 0;
  std::string note;
  std::int64_t time_us = 0;
};

struct TreeState {
  std::uint64_t size = 0;
  std::vector<Hash> frontier;
  std::uint64_t last_checkpoint_size = 0;
  std::int64_t last_checkpoint_us = 0;
};

// One archive of the log (archive.h): events [start, end) were moved into `file`.
struct ArchiveRecord {
  std::uint64_t start = 0, end = 0;
  std::int64_t time_us = 0;            // when the archive was made
  std::string file;                    // the archive file as named when it was written
  std::vector<std::uint8_t> sha256;    // SHA-256 of the archive file
  std::vector<std::uint8_t> frontier;  // compact range of [0, end): 32 * popcount(end) bytes
  std::string checkpoint;              // signed checkpoint of size `end`
};

struct EventFilter {
  std::optional<std::string> actor, namespace_name, path, action, outcome, type;
  std::optional<ImpactLevel> min_impact;
  std::optional<std::int64_t> since_us, until_us;  // [since, until)
  std::optional<std::uint64_t> from_index;
  std::uint64_t limit = 0;  // 0 = no limit
};

class AuditLog final : public TreeReader {
 public:
  // Opens (creating if needed, mode 0600) the database and its schema.
  static Result<std::unique_ptr<AuditLog>> Open(AuditLogOptions options);
  ~AuditLog() override;

  // Appends one event (canonical leaf bytes + its columns), durably; returns its index.
  Result<std::uint64_t> Append(std::string leaf, EventColumns columns);
  // Appends several events of one caller (e.g. a server front end that collected them) in the
  // same group commit, at consecutive indices; returns the first index. Durable on return.
  Result<std::uint64_t> AppendBatch(std::vector<std::pair<std::string, EventColumns>> events);

  // Signs and stores a checkpoint of the current tree now (if the newest one does not already
  // cover it) and returns the signed note. FailedPrecondition without signers.
  Result<std::string> PublishCheckpoint();

  Result<TreeState> State() const;
  Result<std::optional<StoredCheckpoint>> LatestCheckpoint() const;
  Result<std::vector<StoredCheckpoint>> Checkpoints() const;

  // Calls `fn` for every stored event with begin <= index < end, in index order (streaming).
  Status Scan(std::uint64_t begin, std::uint64_t end,
              const std::function<Status(const StoredEvent&)>& fn) const;
  // Every stored node (level, index, hash bytes) of the subtree cache.
  Status ScanNodes(const std::function<Status(unsigned, std::uint64_t,
                                              std::span<const std::uint8_t>)>& fn) const;
  // Events matching `filter`, in index order.
  Status Query(const EventFilter& filter,
               const std::function<Status(const StoredEvent&)>& fn) const;

  // Archives made so far, oldest first (empty for a log never archived). The newest one's `end`
  // is where the stored events start (archive.h).
  Result<std::vector<ArchiveRecord>> Archives() const;
  // Records `record` (one transaction: FailedPrecondition when the log no longer starts at
  // record.start or has fewer than record.end events), then DeleteArchivedEvents. The caller
  // (archive.h) must have made the archive file durable and verified it first.
  Status PruneBefore(const ArchiveRecord& record, std::uint64_t chunk_events = 1024);
  // Deletes the stored events below the newest archive's end (with their path rows, then the
  // cached nodes entirely inside the archived range), `chunk_events` per transaction so that
  // appenders wait for one chunk at most; each transaction lifts the append-only DELETE guards
  // only within itself. Resumes an interrupted prune; returns the number of events deleted.
  Result<std::uint64_t> DeleteArchivedEvents(std::uint64_t chunk_events = 1024);

  // Unavailable when the database cannot currently take writes.
  Status HealthCheck() const;

  // TreeReader over the stored tree (LeafCount = tree-state size).
  Result<std::uint64_t> LeafCount() const override;
  Status ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                        std::vector<Hash>& out) const override;
  Status ReadNodeHashes(std::span<const NodeId> ids,
                        std::span<std::optional<Hash>> out) const override;

  const AuditLogOptions& options() const { return options_; }

 private:
  struct Slot;
  struct Pending {
    std::string leaf;
    EventColumns columns;
    Hash leaf_hash;
    // Term ids resolved by the appender from the committed term cache (-1: new or not cached,
    // left to the committing thread): type, actor, namespace, action, outcome, impact, paths.
    std::vector<std::int64_t> term_ids;
    std::shared_ptr<Slot> slot;
  };
  struct Impl;
  AuditLog(AuditLogOptions options, std::unique_ptr<Impl> impl);
  Status Commit(std::vector<Pending>& batch, std::uint64_t& first_index);
  Status MaybeCheckpointLocked(TreeState& state, const Hash& root, bool force,
                               std::string* note_out);

  AuditLogOptions options_;
  std::unique_ptr<Impl> impl_;  // storage and term cache
  mutable std::mutex db_mu_;    // guards impl_
  std::mutex q_mu_;
  std::vector<Pending> queue_;
  bool leader_active_ = false;
};

}  // namespace bulwark::audit

#endif  // BULWARK_AUDITLOG_EVENT_STORE_H_
