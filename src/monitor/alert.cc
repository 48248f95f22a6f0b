#include "bulwark/monitor/alert.h"

#include <fmt/format.h>

#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::monitor {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

Result<Severity> ParseSeverity(std::string_view name) {
  for (Severity s :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return InvalidArgumentError(
      fmt::format("severity '{}': expected critical, high, medium, low or info", name));
}

std::string AlertId(std::string_view rule, std::string_view group, std::uint64_t event_index) {
  std::string input;
  input.reserve(rule.size() + group.size() + 24);
  input.append(rule);
  input.push_back('\0');
  input.append(group);
  input.push_back('\0');
  input.append(std::to_string(event_index));
  auto digest = crypto::Sha256(input);
  if (!digest) return std::string(32, '0');  // SHA-256 does not fail on memory input
  return HexEncode(std::span<const std::uint8_t>(digest->data(), 16));
}

nlohmann::json AlertDocument(const Alert& a, TimePoint raised, std::string_view host) {
  nlohmann::json event = {{"index", a.event_index},   {"id", a.event_id},
                          {"time", a.event_time},     {"actor", a.actor},
                          {"operation", a.operation}, {"namespace", a.namespace_name}};
  nlohmann::json data = {{"rule", a.rule},
                         {"kind", a.kind},
                         {"title", a.title},
                         {"severity", std::string(SeverityName(a.severity))},
                         {"summary", a.summary},
                         {"group", a.group},
                         {"suppressed", a.suppressed},
                         {"event", std::move(event)},
                         {"details", a.details}};
  if (a.count) data["count"] = *a.count;
  if (a.window_seconds) data["window_seconds"] = *a.window_seconds;
  return {{"specversion", "1.0"},
          {"type", "dev.bulwark.alert"},
          {"source", fmt::format("bulwark://{}/monitor", host)},
          {"id", a.id},
          {"time", FormatRfc3339(raised)},
          {"subject", a.rule},
          {"datacontenttype", "application/json"},
          {"data", std::move(data)}};
}

}  // namespace bulwark::monitor
