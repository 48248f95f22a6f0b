// The shipping state of every audit sink: its cursor (events [0, cursor) were acknowledged by
// the sink) and its health, in a small SQLite database of its own (<home>/audit-sinks.db, WAL,
// synchronous=FULL, mode 0600), separate from the audit log so that shipping never writes to
// the log and the log's storage can change independently. A cursor only moves forward, and only
// after the sink acknowledged the batch (docs/audit.md "Shipping").
//
// Thread safety: all methods may be called concurrently (one connection, one mutex); several
// processes may open the same file (SQLite serializes them).
#ifndef BULWARK_AUDITSHIP_SINK_STATE_H_
#define BULWARK_AUDITSHIP_SINK_STATE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bulwark/core/error.h"

struct sqlite3;

namespace bulwark::auditship {

struct SinkState {
  std::string name;
  std::uint64_t cursor = 0;                // next index to ship
  std::uint64_t shipped = 0;               // events acknowledged, in total
  std::uint64_t batches = 0;               // batches acknowledged, in total
  std::uint64_t failures = 0;              // failed attempts, in total
  std::uint64_t consecutive_failures = 0;  // since the last success (drives the backoff)
  std::string last_error;                  // empty after a success
  std::int64_t last_error_us = 0, last_success_us = 0;
  std::int64_t next_attempt_us = 0;  // backoff: no attempt before (0: now)
};

class SinkStateStore {
 public:
  static Result<std::unique_ptr<SinkStateStore>> Open(const std::filesystem::path& path);
  ~SinkStateStore();
  SinkStateStore(const SinkStateStore&) = delete;
  SinkStateStore& operator=(const SinkStateStore&) = delete;

  // The state of `name` (all zero for a sink never seen).
  Result<SinkState> Get(const std::string& name) const;
  Result<std::vector<SinkState>> All() const;
  // Stores `state` durably. FailedPrecondition if it would move the stored cursor backwards
  // (another shipper advanced it meanwhile).
  Status Put(const SinkState& state);

 private:
  explicit SinkStateStore(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  mutable std::mutex mu_;
};

}  // namespace bulwark::auditship

#endif  // BULWARK_AUDITSHIP_SINK_STATE_H_
