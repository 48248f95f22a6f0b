// An alert: what a rule or an anomaly detector raises, and the CloudEvents document channels
// deliver (docs/monitor.md "Alerts").
//
// Thread safety: values; the functions are pure.
#ifndef BULWARK_MONITOR_ALERT_H_
#define BULWARK_MONITOR_ALERT_H_

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::monitor {

enum class Severity : std::uint8_t { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };
// "info", "low", "medium", "high", "critical".
std::string_view SeverityName(Severity s);
// kInvalidArgument naming the accepted words otherwise.
Result<Severity> ParseSeverity(std::string_view name);

struct Alert {
  std::string id;    // AlertId(rule, group, event index)
  std::string rule;  // rule id, or "anomaly.<detector>"
  std::string kind;  // "rule" or "anomaly"
  std::string title;
  Severity severity = Severity::kMedium;
  std::string summary;                 // never a configuration value (events carry none)
  std::string group;                   // the group key ("" when the rule has none)
  std::optional<std::uint64_t> count;  // windowed rules and counting detectors
  std::optional<std::int64_t> window_seconds;

  // The event that raised it.
  std::uint64_t event_index = 0;
  std::string event_id, event_time, actor, operation, namespace_name;
  std::int64_t event_time_us = 0;

  nlohmann::json details = nlohmann::json::object();  // detector evidence
  std::vector<std::string> channels;                  // names; empty = every channel
  std::chrono::seconds cooldown{600};
  std::uint64_t suppressed = 0;  // set by the dispatcher: held back since the last delivery
};

// hex(SHA-256(rule || 0x00 || group || 0x00 || decimal event index))[0:32].
std::string AlertId(std::string_view rule, std::string_view group, std::uint64_t event_index);

// The CloudEvents document (docs/monitor.md): `raised` is when the monitor raised it,
// `host` names the source (bulwark://<host>/monitor).
nlohmann::json AlertDocument(const Alert& alert, TimePoint raised, std::string_view host);

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_ALERT_H_
