#include "bulwark/compliance/severity.h"

#include <string>

namespace bulwark::compliance {

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
  return "unknown";
}

Result<Severity> ParseSeverity(std::string_view name) {
  for (Severity s :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (name == SeverityName(s)) return s;
  }
  return InvalidArgumentError("unknown severity '" + std::string(name.substr(0, 32)) +
                              "' (expected critical, high, medium, low or info)");
}

}  // namespace bulwark::compliance
