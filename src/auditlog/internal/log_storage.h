// LogStorage: the storage operations of AuditLog (event_store.h), one implementation per store
// backend (SQLite: sqlite_log_storage.cc, PostgreSQL: postgres_log_storage.cc). AuditLog owns the
// group commit, the tree integration, checkpoint signing and query planning; a LogStorage only
// reads and writes rows. The schemas are described in docs/audit.md.
//
// Write protocol (one group commit): BeginWrite, ReadState(/*for_update=*/true) (the state row is
// locked until Commit/Rollback, so several processes or servers can append to one log), then any
// of InsertEvents / InsertNodes / InsertPostings / InsertTerm / InsertCheckpoint / WriteState,
// then Commit (durable on return: SQLite WAL fsync, PostgreSQL commit with synchronous_commit on).
//
// Postings: the query index. For every committed batch and every term (field, value) that occurs
// in it, one row (term, first index, the other indices of the batch holding the term as LEB128
// deltas). Rows are only ever appended at the end, so a commit writes a few contiguous pages
// instead of one random page per secondary index entry. Once a segment of indices is
// complete, the next commit compacts its posting rows into one row per term in segment_postings,
// keyed (term, segment): a query then reads a few rows per term by primary key plus the posting
// rows of the newest, uncompacted segments.
//
// Thread safety: none; AuditLog serializes all calls.
#ifndef BULWARK_SRC_AUDIT_INTERNAL_LOG_STORAGE_H_
#define BULWARK_SRC_AUDIT_INTERNAL_LOG_STORAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/auditlog/event_store.h"

namespace bulwark::audit::internal {

// The current schema version of both backends. Version 1 (SQLite only) had one indexed column
// per field and six secondary indexes; it is migrated on open. Newer versions are refused.
inline constexpr int kLogSchemaVersion = 2;

// Default indices per compacted posting segment (AuditLogOptions::index_segment).
inline constexpr std::uint64_t kSegmentSize = std::uint64_t{1} << 16;

// Term fields (stored as integers).
enum class TermField : int {
  kType = 1,
  kActor = 2,
  kNamespace = 3,
  kAction = 4,
  kOutcome = 5,
  kImpact = 6,  // value: the level's number "0".."3"
  kPath = 7,
};

struct EventRow {
  std::uint64_t index = 0;
  std::int64_t time_us = 0;
  const Hash* leaf_hash = nullptr;
  std::string_view leaf;
};

struct NodeRow {
  unsigned level = 0;
  std::uint64_t index = 0;
  Hash hash{};
};

struct PostingRow {
  std::int64_t term = 0;
  std::uint64_t first_index = 0;
  std::string deltas;  // LEB128 gaps to the following indices
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // The tree-state row; with `for_update` (inside a write) it stays locked until the end of it.
  virtual Result<TreeState> ReadState(bool for_update) = 0;
  virtual Status WriteState(const TreeState& state) = 0;
  virtual Status InsertEvents(std::span<const EventRow> rows) = 0;
  virtual Status InsertNodes(std::span<const NodeRow> rows) = 0;
  virtual Status InsertPostings(std::span<const PostingRow> rows) = 0;
  virtual Status InsertCheckpoint(const StoredCheckpoint& checkpoint) = 0;
  // Terms: the id of (field, value), nullopt if it was never stored.
  virtual Result<std::optional<std::int64_t>> FindTerm(TermField field, std::string_view value) = 0;
  // Inside a write: stores a new term and returns its id.
  virtual Result<std::int64_t> InsertTerm(TermField field, std::string_view value) = 0;
  // Ids of the terms of `field` whose value v has lo < v < hi (byte order).
  virtual Result<std::vector<std::int64_t>> TermsBetween(TermField field, std::string_view lo,
                                                         std::string_view hi) = 0;

  // Checkpoints in size order (only the newest with `newest_only`).
  virtual Result<std::vector<StoredCheckpoint>> ReadCheckpoints(bool newest_only) = 0;
  virtual Result<std::optional<std::string>> ReadCheckpointNote(std::uint64_t size) = 0;
  // Events with begin <= index < end and, when set, since <= time < until, in index order, at most
  // `limit` (0: all). `with_leaf` false leaves StoredEvent::leaf empty.
  virtual Status ScanEvents(std::uint64_t begin, std::uint64_t end,
                            std::optional<std::int64_t> since_us,
                            std::optional<std::int64_t> until_us, std::uint64_t limit,
                            bool with_leaf,
                            const std::function<Status(const StoredEvent&)>& fn) = 0;
  // The events at `indices` (ascending), in that order; missing ones are skipped.
  virtual Status ReadEvents(std::span<const std::uint64_t> indices,
                            const std::function<Status(const StoredEvent&)>& fn) = 0;
  // Nodes of one level with begin <= index < end, in index order.
  virtual Status ReadNodes(
      unsigned level, std::uint64_t begin, std::uint64_t end,
      const std::function<Status(std::uint64_t, std::span<const std::uint8_t>)>& fn) = 0;
  virtual Status ScanNodes(
      const std::function<Status(unsigned, std::uint64_t, std::span<const std::uint8_t>)>& fn) = 0;
  // Compaction (inside a write): segments below this index are compacted.
  virtual Result<std::uint64_t> ReadCompactedBelow() = 0;
  virtual Status WriteCompactedBelow(std::uint64_t index) = 0;
  // Posting rows whose first index is in [begin, end), with their term.
  virtual Status ScanPostingRange(
      std::uint64_t begin, std::uint64_t end,
      const std::function<Status(std::int64_t term, std::uint64_t first_index,
                                 std::span<const std::uint8_t>)>& fn) = 0;
  virtual Status DeletePostingRange(std::uint64_t begin, std::uint64_t end) = 0;
  // `segment`: the first index of the compacted range (unique whatever the segment size).
  virtual Status InsertSegmentPostings(std::uint64_t segment, std::span<const PostingRow> rows) = 0;
  // Posting rows (recent and compacted) of any of `terms` (any order).
  virtual Status ScanPostings(std::span<const std::int64_t> terms,
                              const std::function<Status(std::uint64_t first_index,
                                                         std::span<const std::uint8_t>)>& fn) = 0;

  // Retention (archive.h). The archive rows, oldest first (empty when the store predates them).
  virtual Result<std::vector<ArchiveRecord>> ReadArchives() = 0;
  // Inside a write: appends one archive row (the caller checked start and size under the lock).
  virtual Status InsertArchive(const ArchiveRecord& record) = 0;
  // The lowest stored event index, nullopt when no event is stored.
  virtual Result<std::optional<std::uint64_t>> FirstEventIndex() = 0;
  // Inside a write: deletes the events with lo <= index < hi (all below the newest archive's
  // end), lifting the append-only guard only within the transaction (SQLite: the DELETE trigger
  // is dropped and recreated in it; PostgreSQL: SET LOCAL bulwark.pruning, which the trigger
  // function checks together with the archive boundary). Their posting rows stay (ReadEvents
  // skips missing events). Returns the number of events deleted.
  virtual Result<std::uint64_t> DeleteArchivedEvents(std::uint64_t lo, std::uint64_t hi) = 0;
  // Inside a write, guarded the same way: deletes the cached nodes entirely inside [0, n), i.e.
  // (index + 1) * 2^level <= n.
  virtual Status DeleteArchivedNodes(std::uint64_t n) = 0;

  // Unavailable when the store cannot take writes now.
  virtual Status HealthCheck() = 0;
};

// Opens the SQLite log at options.path (or the sqlite: URL), creating or migrating the schema.
Result<std::unique_ptr<LogStorage>> OpenSqliteLogStorage(const AuditLogOptions& options,
                                                         const std::string& path,
                                                         std::int64_t now_us);
// Opens the PostgreSQL log at `url` (postgresql://... or postgres://...).
Result<std::unique_ptr<LogStorage>> OpenPostgresLogStorage(const AuditLogOptions& options,
                                                           const std::string& url,
                                                           std::int64_t now_us);

// LEB128 helpers for posting deltas.
inline void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Appends first_index and the decoded indices of a posting row to `out`; false when malformed.
inline bool DecodePosting(std::uint64_t first_index, std::span<const std::uint8_t> deltas,
                          std::vector<std::uint64_t>& out) {
  std::uint64_t cur = first_index;
  out.push_back(cur);
  std::uint64_t v = 0;
  unsigned shift = 0;
  for (std::uint8_t b : deltas) {
    if (shift > 63) return false;
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (b & 0x80) {
      shift += 7;
      continue;
    }
    cur += v;
    out.push_back(cur);
    v = 0;
    shift = 0;
  }
  return shift == 0;
}

}  // namespace bulwark::audit::internal

#endif  // BULWARK_SRC_AUDIT_INTERNAL_LOG_STORAGE_H_
