#include "bulwark/core/duration.h"

#include <fmt/format.h>

#include <cstdint>

namespace bulwark {
namespace {

constexpr std::int64_t kMaxSeconds = std::int64_t{100} * 366 * 86400;

std::int64_t UnitSeconds(char unit) {
  switch (unit) {
    case 'w':
      return 7 * 86400;
    case 'd':
      return 86400;
    case 'h':
      return 3600;
    case 'm':
      return 60;
    case 's':
      return 1;
    default:
      return 0;
  }
}

}  // namespace

Result<Seconds> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    // Quote at most 64 characters of the input.
    return InvalidArgumentError(fmt::format(
        "duration '{}': {} (expected e.g. 90s, 5m, 24h, 30d, 2w, 1h30m)", text.substr(0, 64), why));
  };
  if (text == "0") return Seconds(0);
  if (text.empty()) return bad("empty");
  std::int64_t total = 0;
  std::int64_t last_unit = 0;  // seconds of the previous term's unit (0 before the first)
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    std::int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > kMaxSeconds) return bad("too large");
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start) return bad("expected a number");
    if (i == text.size()) return bad("a number needs a unit (w, d, h, m or s)");
    const std::int64_t unit = UnitSeconds(text[i]);
    if (unit == 0) return bad(fmt::format("unknown unit '{}'", text[i]));
    if (last_unit != 0 && unit >= last_unit)
      return bad("units must go from largest to smallest, each once");
    last_unit = unit;
    ++i;
    if (n > kMaxSeconds / unit) return bad("too large");
    total += n * unit;
    if (total > kMaxSeconds) return bad("too large");
  }
  return Seconds(total);
}

std::string FormatDuration(Seconds d) {
  std::int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out += '-';
    s = -s;
  }
  for (char unit : {'w', 'd', 'h', 'm', 's'}) {
    const std::int64_t u = UnitSeconds(unit);
    if (s >= u) {
      out += fmt::format("{}{}", s / u, unit);
      s %= u;
    }
  }
  return out;
}

}  // namespace bulwark
