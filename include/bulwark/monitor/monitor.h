// Monitor: follows an audit log and runs every event through the evaluator and the dispatcher
// (docs/monitor.md "Following the log").
//
// State (<home>/monitor-state.json, 0600, replaced atomically): the cursor (the next index to
// evaluate) and the dispatcher's cool-down table. The cursor moves past events only after the
// alerts they raised were dispatched (delivered and audited); the state is saved after every
// batch that raised an alert and otherwise at most once a second, so a crash re-evaluates at
// most that second (alerts keep their ids, receivers can drop duplicates).
//
// At Create, the `history` events before the cursor are replayed through the evaluator with the
// alerts discarded (learning), so windows and baselines continue where a previous run left off.
// Without a state file the cursor starts at the end of the log (or 0 with from_start).
//
// Thread safety: RunOnce/Run from one thread; Stats() may be called from any.
#ifndef BULWARK_MONITOR_MONITOR_H_
#define BULWARK_MONITOR_MONITOR_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "bulwark/audit/event_store.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/monitor/dispatcher.h"
#include "bulwark/monitor/evaluator.h"

namespace bulwark::monitor {

struct MonitorState {
  std::uint64_t cursor = 0;
  std::vector<CooldownEntry> cooldowns;
};

// nullopt when the file does not exist; kDataLoss naming the file when it is not a state file.
Result<std::optional<MonitorState>> ReadMonitorState(const FileSystem& fs,
                                                     const std::filesystem::path& file);
Status WriteMonitorState(FileSystem& fs, const std::filesystem::path& file,
                         const MonitorState& state);

struct MonitorOptions {
  std::shared_ptr<const audit::AuditLog> log;
  std::filesystem::path state_file;
  std::uint64_t history = 100000;
  std::uint64_t batch = 10000;
  bool from_start = false;  // without a state file, evaluate the whole log
  bool dry_run = false;     // never write the state file
  std::chrono::milliseconds poll{500};
  Runtime runtime = Runtime::System();
};

struct MonitorStats {
  std::uint64_t cursor = 0;
  std::uint64_t log_size = 0;
  std::uint64_t learned = 0;  // events replayed at start
  std::uint64_t evaluated = 0;
  std::uint64_t unreadable = 0;  // events that did not parse (skipped, counted)
  std::uint64_t alerts = 0, delivered = 0, suppressed = 0, delivery_failures = 0,
                audit_failures = 0;
};

using AlertCallback = std::function<void(const DeliveryReport&)>;

class Monitor {
 public:
  // Reads the state, replays history. kDataLoss for a corrupt state file; errors of the log.
  static Result<std::unique_ptr<Monitor>> Create(MonitorOptions options,
                                                 std::unique_ptr<Evaluator> evaluator,
                                                 std::unique_ptr<Dispatcher> dispatcher);
  ~Monitor();

  // Evaluates every event up to the log's current size; returns how many were evaluated.
  // `on_alert` sees every dispatched alert (delivered, failed or suppressed).
  Result<std::uint64_t> RunOnce(const AlertCallback& on_alert = {});

  // RunOnce every `poll` until stop is requested; errors of a pass go to `on_error` and the loop
  // goes on (the log may be briefly unavailable).
  void Run(std::stop_token stop, const AlertCallback& on_alert,
           const std::function<void(const Error&)>& on_error);

  MonitorStats Stats() const;
  const Evaluator& evaluator() const;

 private:
  struct Impl;
  explicit Monitor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_MONITOR_H_
