// Durations written by people: "90s", "5m", "24h", "30d", "2w", "1h30m".
//
// A duration is one or more <integer><unit> terms, largest unit first, each unit at most once:
// units w (7 days), d (24 hours), h, m, s; "0" alone (and "0s", "0m", ...) is zero. No sign, no
// spaces, no fractions; the total is at most 100 years (a larger value is an error, not a wrap).
// Used wherever a configuration or a flag takes a period: alert windows and cool-downs
// (docs/monitor.md), rotation intervals and grace periods (docs/rotation.md), `--within 30d`.
//
// FormatDuration prints the canonical form (largest units first, zero terms left out: 90 s ->
// "1m30s", 0 -> "0s"); ParseDuration(FormatDuration(d)) == d for every d >= 0 in range.
//
// Thread safety: pure functions.
#ifndef BULWARK_CORE_DURATION_H_
#define BULWARK_CORE_DURATION_H_

#include <chrono>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark {

using Seconds = std::chrono::seconds;

// kInvalidArgument naming the text (it is never a secret) and what is wrong with it.
Result<Seconds> ParseDuration(std::string_view text);

std::string FormatDuration(Seconds d);

}  // namespace bulwark

#endif  // BULWARK_CORE_DURATION_H_
