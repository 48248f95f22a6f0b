// Finding severities, ordered from least to most severe.
#ifndef BULWARK_COMPLIANCE_SEVERITY_H_
#define BULWARK_COMPLIANCE_SEVERITY_H_

#include <cstdint>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::compliance {

// The numeric order is the severity order: kCritical > kHigh > ... > kInfo.
enum class Severity : std::uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };

// "info", "low", "medium", "high", "critical".
std::string_view SeverityName(Severity s);
// Accepts exactly the names above; kInvalidArgument listing them otherwise.
Result<Severity> ParseSeverity(std::string_view name);

}  // namespace bulwark::compliance

#endif  // BULWARK_COMPLIANCE_SEVERITY_H_
