// Shipper: delivers the audit log to its sinks asynchronously (docs/audit.md "Shipping").
//
// The audit log (AuditLog, durable before an operation is acknowledged) is the spool: writers
// only append to it and never wait for a sink. Each sink has a cursor in a SinkStateStore; a
// batch is the events [cursor, cursor + batch_size) read with AuditLog::Scan, and the cursor
// moves past it only after the sink acknowledged it (sink.h), so a slow or dead sink loses
// nothing and delays nothing but itself: its lag (log size - cursor) grows and is reported by
// Statuses(). After a failure the sink is retried with exponential backoff and full jitter:
// delay = uniform(d/2, d), d = min(retry_max, retry_initial * 2^(consecutive failures - 1)).
// Delivery is at-least-once, in index order per sink.
//
// Run() ships every sink from its own thread (one blocked sink does not hold back the others)
// until stop is requested; a server embeds a Shipper and runs it on a std::jthread.
//
// Thread safety: Statuses() may be called concurrently with anything; ShipBatch/Drain for one sink
// from one thread at a time (Run does this). One shipper per sink across processes: the CLI
// holds an exclusive lock on the state file's companion (<home>/audit-ship.lock).
#ifndef BULWARK_AUDITSHIP_SHIPPER_H_
#define BULWARK_AUDITSHIP_SHIPPER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "bulwark/auditlog/event_store.h"
#include "bulwark/auditship/sink.h"
#include "bulwark/auditship/sink_config.h"
#include "bulwark/auditship/sink_state.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::auditship {

using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const SinkConfig&)>;

struct ShipperOptions {
  Runtime runtime = Runtime::System();
  // How often an idle sink looks for new events, and the longest a backoff sleep lasts before
  // stop is checked again.
  std::chrono::milliseconds poll{250};
  // Called (from the sink's thread) after every failed attempt with the sink name, the error and
  // the backoff before the next attempt. Never sees a secret (errors never contain one).
  std::function<void(const std::string&, const Error&, std::chrono::milliseconds)> on_failure;
};

// What `bulwark audit status` shows per sink.
struct SinkStatus {
  std::string name;
  SinkType type = SinkType::kFile;
  SinkState state;
  std::uint64_t log_size = 0;
  std::uint64_t lag = 0;                            // log_size - cursor
  std::optional<std::int64_t> oldest_unshipped_us;  // time of the event at the cursor
};

class Shipper {
 public:
  static Result<std::unique_ptr<Shipper>> Create(std::shared_ptr<const audit::AuditLog> log,
                                                 std::shared_ptr<SinkStateStore> states,
                                                 std::vector<SinkConfig> sinks, SinkFactory factory,
                                                 ShipperOptions options = {});
  ~Shipper();

  const std::vector<SinkConfig>& sinks() const { return sinks_; }

  // Ships the next batch of `sink` (ignoring any backoff): the number of events acknowledged
  // (0 when caught up), or the sink's error, which is recorded (failure count, last error, next
  // attempt) before it is returned. NotFound for an unknown sink.
  Result<std::size_t> ShipBatch(const std::string& sink);
  // Ships batches until the sink has everything the log held when Drain started; stops at the
  // first error. Returns the number of events acknowledged.
  Result<std::uint64_t> Drain(const std::string& sink);
  // Ships every sink from its own thread, honouring the backoff, until `stop` is requested.
  void Run(std::stop_token stop);

  Result<std::vector<SinkStatus>> Statuses() const;

 private:
  struct Entry;
  Shipper(std::shared_ptr<const audit::AuditLog> log, std::shared_ptr<SinkStateStore> states,
          std::vector<SinkConfig> sinks, SinkFactory factory, ShipperOptions options);
  Result<Entry*> Find(const std::string& name);
  std::chrono::milliseconds Backoff(const SinkConfig& c, std::uint64_t failures) const;
  void RunOne(std::stop_token stop, Entry& e);

  std::shared_ptr<const audit::AuditLog> log_;
  std::shared_ptr<SinkStateStore> states_;
  std::vector<SinkConfig> sinks_;
  SinkFactory factory_;
  ShipperOptions options_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace bulwark::auditship

#endif  // BULWARK_AUDITSHIP_SHIPPER_H_
