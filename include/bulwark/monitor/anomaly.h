// Anomaly detection over the audit stream (docs/monitor.md "Anomaly detection"): per principal,
// a new source address, an unusual hour (learned from its history), a rate spike (z-score over a
// rolling baseline of per-bucket counts) and many distinct secrets revealed in a short time.
//
// Detectors work in event time (EventView::time_us), learn from every event they observe
// (alerting or not), and keep bounded state: at most `max_principals` principals each (least
// recently seen evicted), with fixed-size state per principal.
//
// Thread safety: none; one AnomalyDetectors per evaluating thread.
#ifndef BULWARK_MONITOR_ANOMALY_H_
#define BULWARK_MONITOR_ANOMALY_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/monitor/alert.h"
#include "bulwark/monitor/event_view.h"

namespace bulwark::monitor {

struct NewSourceOptions {
  bool enabled = true;
  std::uint32_t min_events = 20;     // events of the principal before a new address alerts
  std::uint32_t max_addresses = 32;  // addresses remembered per principal (least recent dropped)
  Severity severity = Severity::kMedium;
};

struct UnusualHourOptions {
  bool enabled = true;
  std::uint32_t min_events = 100;
  double max_share = 0.01;  // share of the hour and its two neighbours below which it is unusual
  Severity severity = Severity::kMedium;
};

struct RateSpikeOptions {
  bool enabled = true;
  std::chrono::seconds bucket{60};
  std::uint32_t baseline = 60;      // buckets in the rolling baseline
  std::uint32_t min_baseline = 10;  // buckets of history before it alerts
  double z = 4.0;
  std::uint32_t min_count = 20;
  Severity severity = Severity::kMedium;
};

struct MassReadOptions {
  bool enabled = true;
  std::chrono::seconds window{600};
  std::uint32_t threshold = 50;  // alert when more distinct sensitive paths are revealed
  Severity severity = Severity::kHigh;
};

struct AnomalyOptions {
  NewSourceOptions new_source;
  UnusualHourOptions unusual_hour;
  RateSpikeOptions rate_spike;
  MassReadOptions mass_read;
  std::size_t max_principals = 10000;
  std::string timezone = "UTC";  // for hours: an IANA name, "UTC" or "+05:30"
};

// What a detector found in one event.
struct AnomalyFinding {
  std::string detector;  // "new_source", "unusual_hour", "rate_spike", "mass_read"
  // The cool-down key: the principal (new_source: and the address; unusual_hour: and the hour).
  std::string group;
  Severity severity = Severity::kMedium;
  std::string title, summary;
  nlohmann::json details = nlohmann::json::object();
  std::optional<std::uint64_t> count;
  std::optional<std::int64_t> window_seconds;
};

class AnomalyDetectors {
 public:
  // kInvalidArgument for an unknown time zone or out-of-range options.
  static Result<std::unique_ptr<AnomalyDetectors>> Create(AnomalyOptions options);
  ~AnomalyDetectors();

  // Learns from `event` and appends what it found to `out`. Events without an actor are skipped.
  void Observe(const EventView& event, std::vector<AnomalyFinding>& out);

 private:
  struct Impl;
  explicit AnomalyDetectors(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_ANOMALY_H_
