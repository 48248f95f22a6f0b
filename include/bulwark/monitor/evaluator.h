// The evaluator: every enabled rule and the anomaly detectors over one audit event at a time
// (docs/monitor.md), producing alerts ready for the dispatcher.
//
// Rules are compiled once in Create. Process evaluates each rule's condition (CEL, with `event`,
// `event_time`, `settings`); a match of a rule without window raises an alert, a match of a
// windowed rule is counted per group (window.h) and raises one when the count exceeds the
// threshold. Evaluation errors of one rule on one event (e.g. "no such key") are counted in that
// rule's statistics and raise nothing. The monitor's own events (IsMonitorEvent) are skipped.
//
// Memory is bounded by the rules' windows (max_groups groups each) and the detectors
// (anomaly.h), never by the number of events.
//
// Thread safety: none; Process is called from one thread (the monitor's loop).
#ifndef BULWARK_MONITOR_EVALUATOR_H_
#define BULWARK_MONITOR_EVALUATOR_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/monitor/alert.h"
#include "bulwark/monitor/alert_rule.h"
#include "bulwark/monitor/anomaly.h"
#include "bulwark/monitor/event_view.h"

namespace bulwark::monitor {

// `settings` of the rules (docs/monitor.md): working hours in a time zone.
struct RuleSettings {
  std::string timezone = "UTC";
  std::int64_t work_start = 8, work_end = 18;             // hours, [start, end)
  std::vector<std::int64_t> work_days = {1, 2, 3, 4, 5};  // 0 = Sunday
};

struct EvaluatorOptions {
  std::vector<AlertRule> rules;               // disabled ones are kept for Stats but not evaluated
  std::optional<AnomalyOptions> anomalies;    // nullopt: no detectors
  std::vector<std::string> anomaly_channels;  // empty = every channel
  std::chrono::seconds anomaly_cooldown{3600};
  RuleSettings settings;
  std::chrono::seconds default_cooldown{600};
  std::size_t max_groups = 10000;  // groups per windowed rule
};

struct RuleStats {
  std::string id;
  bool enabled = true;
  std::uint64_t matched = 0, alerts = 0, errors = 0;
  std::string last_error;
  std::size_t groups = 0;
  std::uint64_t evicted_live = 0;
};

class Evaluator {
 public:
  // kInvalidArgument naming the rule when an expression does not compile (rules from
  // ParseAlertRules always compile) or a duplicate id is given.
  static Result<std::unique_ptr<Evaluator>> Create(EvaluatorOptions options);
  ~Evaluator();

  // Evaluates `event` and appends the alerts it raises (ids set, suppressed = 0).
  void Process(const EventView& event, std::vector<Alert>& alerts);

  std::vector<RuleStats> Stats() const;
  std::uint64_t events() const;

 private:
  struct Impl;
  explicit Evaluator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_EVALUATOR_H_
