// The dispatcher: cool-down and de-duplication, routing to channels, retries, and the audit
// record of every alert delivered (docs/monitor.md "Alerts").
//
// Cool-down: the key of an alert is (rule, group). An alert whose key was delivered less than its
// `cooldown` ago (in event time, so replays are deterministic) is suppressed and counted; the
// next one delivered carries the count in `suppressed`. The cool-down starts only when at least
// one channel acknowledged (or no channel was meant to get it). The table is bounded
// (max_cooldown_keys; expired entries go first) and exported/restored by the monitor's state file.
//
// Routing: each channel (in configuration order) whose name is in alert.channels (all channels
// when empty) and whose min_severity the alert meets; a failed delivery is retried
// `retries` times, 0.2 s then 1 s apart (DispatcherOptions::sleep).
//
// Auditing: after delivery, one AuditRecord (operation "monitor.alert", action admin, outcome
// success when every channel acknowledged, else failure, reason naming the alert and the
// channels) through the audit sink. An audit failure does not undo the delivery; it is reported.
//
// Thread safety: none; Dispatch from one thread.
#ifndef BULWARK_MONITOR_DISPATCHER_H_
#define BULWARK_MONITOR_DISPATCHER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/monitor/alert.h"
#include "bulwark/monitor/channel.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/context.h"

namespace bulwark::monitor {

struct DispatcherOptions {
  std::vector<std::unique_ptr<Channel>> channels;
  std::shared_ptr<request::AuditSink> audit;  // null: alerts are not audited (dry runs, tests)
  request::RequestContext context;            // the monitor's principal in audit records
  std::string hostname = "localhost";         // the alert document's source
  Runtime runtime = Runtime::System();
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this thread sleeps
  std::size_t max_cooldown_keys = 100000;
};

struct DeliveryReport {
  Alert alert;  // with `suppressed` filled
  bool suppressed = false;
  std::string json;  // the document delivered (empty when suppressed)
  std::vector<std::string> delivered;
  std::vector<std::pair<std::string, Error>> failed;
  std::optional<Error> audit_error;
};

struct CooldownEntry {
  std::string rule, group;
  std::int64_t until_us = 0;  // event time until which the key is cooling down
  std::uint64_t suppressed = 0;
};

class Dispatcher {
 public:
  // kInvalidArgument for two channels of one name.
  static Result<std::unique_ptr<Dispatcher>> Create(DispatcherOptions options);
  ~Dispatcher();

  DeliveryReport Dispatch(Alert alert);

  std::vector<CooldownEntry> Cooldowns() const;
  void RestoreCooldowns(const std::vector<CooldownEntry>& entries);
  std::vector<std::string> ChannelNames() const;

 private:
  struct Impl;
  explicit Dispatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_DISPATCHER_H_
