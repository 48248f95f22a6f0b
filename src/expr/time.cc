// Timestamps, durations and time zones.
//
// Timestamps cover 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z (as in CEL); durations
// are limited to what a signed 64-bit count of nanoseconds holds (about +-292 years), as in the
// reference implementation. Time zones come from the system tz database (TZif files under
// /usr/share/zoneinfo, read through FileSystem) or are fixed offsets such as "+05:30".
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "expr/internal.h"

namespace bulwark::expr::internal {
namespace {

constexpr std::int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr __int128 kNanos = 1'000'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool ParseDigits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

std::int64_t DaysFromCivilPublic(std::int64_t y, unsigned m, unsigned d) {
  return DaysFromCivil(y, m, d);
}

Value MakeTimestampChecked(__int128 total) {
  __int128 s = total / kNanos;
  __int128 n = total % kNanos;
  if (n < 0) {
    n += kNanos;
    s -= 1;
  }
  if (s < kMinTimestampSeconds || s > kMaxTimestampSeconds) {
    return Value::Error("timestamp out of range");
  }
  return Value::Timestamp(static_cast<std::int64_t>(s), static_cast<std::int32_t>(n));
}

Value MakeDurationChecked(__int128 total) {
  if (total > std::numeric_limits<std::int64_t>::max() ||
      total < std::numeric_limits<std::int64_t>::min()) {
    return Value::Error("duration out of range");
  }
  return Value::Duration(static_cast<std::int64_t>(total / kNanos),
                         static_cast<std::int32_t>(total % kNanos));
}

std::string FormatTimestamp(std::int64_t seconds, std::int32_t nanos) {
  std::int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  std::int64_t rem = seconds - days * 86400;
  std::int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, rem / 3600,
                                (rem / 60) % 60, rem % 60);
  if (nanos != 0) {
    std::string frac = fmt::format("{:09}", nanos);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "Z";
}

std::string FormatDuration(std::int64_t seconds, std::int32_t nanos) {
  std::string out;
  if (seconds < 0 || nanos < 0) {
    out = "-";
    seconds = -seconds;
    nanos = -nanos;
  }
  out += fmt::format("{}", seconds);
  if (nanos != 0) {
    std::string frac = fmt::format("{:09}", nanos);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "s";
}

Value ParseTimestamp(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  int year, mon, day, hour, min, sec;
  auto bad = [&] { return Value::Error(fmt::format("invalid timestamp '{}'", s)); };
  if (!ParseDigits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !ParseDigits(s, 5, 2, &mon) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !ParseDigits(s, 11, 2, &hour) || s[13] != ':' || !ParseDigits(s, 14, 2, &min) ||
      s[16] != ':' || !ParseDigits(s, 17, 2, &sec)) {
    return bad();
  }
  std::size_t i = 19;
  std::int64_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    if (i == start) return bad();
    while (digits++ < 9) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!ParseDigits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !ParseDigits(s, i + 4, 2, &om)) {
      return bad();
    }
    offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mon < 1 || mon > 12 || day < 1 || day > kDaysIn[mon - 1] || hour > 23 || min > 59 ||
      sec > 60) {
    return bad();
  }
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (mon == 2 && day == 29 && !leap) return bad();
  if (sec == 60) sec = 59;  // leap second: clamp, as the reference implementations do
  std::int64_t secs =
      DaysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + min * 60 + sec - offset;
  return MakeTimestampChecked(static_cast<__int128>(secs) * kNanos + nanos);
}

Value ParseDuration(std::string_view s) {
  auto bad = [&] { return Value::Error(fmt::format("invalid duration '{}'", s)); };
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    neg = s[i] == '-';
    ++i;
  }
  if (i >= s.size()) return bad();
  if (s.substr(i) == "0") return Value::Duration(0, 0);
  __int128 total = 0;
  while (i < s.size()) {
    // number (with optional fraction) followed by a unit
    __int128 whole = 0;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      if (whole > static_cast<__int128>(1) << 100) return bad();
      ++i;
    }
    __int128 frac = 0, frac_scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (frac_scale < static_cast<__int128>(1'000'000'000'000'000'000)) {
          frac = frac * 10 + (s[i] - '0');
          frac_scale *= 10;
        }
        ++i;
      }
    }
    if (i == start || (i == start + 1 && s[start] == '.')) return bad();
    std::size_t u = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '\xC2' || s[i] == '\xB5')) ++i;
    std::string_view unit = s.substr(u, i - u);
    __int128 scale;
    if (unit == "h") {
      scale = 3600 * kNanos;
    } else if (unit == "m") {
      scale = 60 * kNanos;
    } else if (unit == "s") {
      scale = kNanos;
    } else if (unit == "ms") {
      scale = 1'000'000;
    } else if (unit == "us" || unit == "\xC2\xB5s") {
      scale = 1'000;
    } else if (unit == "ns") {
      scale = 1;
    } else {
      return bad();
    }
    total += whole * scale + frac * scale / frac_scale;
    if (total > static_cast<__int128>(1) << 100) return bad();
  }
  return MakeDurationChecked(neg ? -total : total);
}

// ---- time zones ----

struct ZoneData {
  std::vector<std::int64_t> transitions;  // sorted unix times
  std::vector<std::uint8_t> index;        // ttinfo index per transition
  std::vector<std::int32_t> offsets;      // ttinfo utc offsets
  std::int32_t initial_offset = 0;
};

struct TimeZones::Impl {
  std::shared_ptr<FileSystem> fs;
  mutable std::mutex mu;
  mutable std::map<std::string, std::shared_ptr<const ZoneData>, std::less<>> cache;
};

TimeZones::TimeZones(std::shared_ptr<FileSystem> fs) : impl_(std::make_unique<Impl>()) {
  impl_->fs = fs ? std::move(fs) : NewLocalFileSystem();
}
TimeZones::~TimeZones() = default;

namespace {

std::int64_t ReadBE(const std::string& d, std::size_t pos, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(d[pos + i]);
  if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

// Parses a TZif file (RFC 8536), preferring the 64-bit (version 2+) block.
std::optional<ZoneData> ParseTzif(const std::string& d) {
  auto parse_block = [&](std::size_t pos, int time_size,
                         std::size_t* end) -> std::optional<ZoneData> {
    if (pos + 44 > d.size() || d.compare(pos, 4, "TZif") != 0) return std::nullopt;
    std::int64_t isutcnt = ReadBE(d, pos + 20, 4), isstdcnt = ReadBE(d, pos + 24, 4),
                 leapcnt = ReadBE(d, pos + 28, 4), timecnt = ReadBE(d, pos + 32, 4),
                 typecnt = ReadBE(d, pos + 36, 4), charcnt = ReadBE(d, pos + 40, 4);
    if (timecnt < 0 || typecnt <= 0 || typecnt > 256 || timecnt > 100000) return std::nullopt;
    std::size_t p = pos + 44;
    std::size_t need = static_cast<std::size_t>(timecnt) * (time_size + 1) + typecnt * 6 + charcnt +
                       leapcnt * (time_size + 4) + isstdcnt + isutcnt;
    if (p + need > d.size()) return std::nullopt;
    ZoneData z;
    for (std::int64_t i = 0; i < timecnt; ++i)
      z.transitions.push_back(ReadBE(d, p + i * time_size, time_size));
    p += timecnt * time_size;
    for (std::int64_t i = 0; i < timecnt; ++i) {
      std::uint8_t idx = static_cast<std::uint8_t>(d[p + i]);
      if (idx >= typecnt) return std::nullopt;
      z.index.push_back(idx);
    }
    p += timecnt;
    for (std::int64_t i = 0; i < typecnt; ++i)
      z.offsets.push_back(static_cast<std::int32_t>(ReadBE(d, p + i * 6, 4)));
    z.initial_offset = z.offsets[0];
    *end = pos + 44 + need;
    return z;
  };
  std::size_t end = 0;
  auto v1 = parse_block(0, 4, &end);
  if (!v1) return std::nullopt;
  if (d.size() > 4 && d[4] >= '2') {
    std::size_t end2 = 0;
    auto v2 = parse_block(end, 8, &end2);
    if (v2) return v2;
  }
  return v1;
}

bool ValidZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '/' ||
      name.find("..") != std::string_view::npos)
    return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+'))
      return false;
  }
  return true;
}

}  // namespace

Result<std::int64_t> TimeZones::OffsetAt(std::string_view name, std::int64_t t) const {
  if (name.empty()) return InvalidArgumentError("empty time zone");
  // Fixed offsets: [+-]HH:MM (a missing sign means +).
  char c0 = name[0];
  if (c0 == '+' || c0 == '-' || (c0 >= '0' && c0 <= '9')) {
    std::string_view s = name;
    int sign = 1;
    if (s[0] == '+' || s[0] == '-') {
      sign = s[0] == '-' ? -1 : 1;
      s.remove_prefix(1);
    }
    int h, m;
    if (s.size() != 5 || s[2] != ':' || !ParseDigits(s, 0, 2, &h) || !ParseDigits(s, 3, 2, &m) ||
        h > 23 || m > 59) {
      return InvalidArgumentError(fmt::format("invalid time zone offset '{}'", name));
    }
    return sign * (h * 3600 + m * 60);
  }
  if (name == "UTC" || name == "utc" || name == "Z") return 0;
  if (!ValidZoneName(name))
    return InvalidArgumentError(fmt::format("invalid time zone '{}'", name));
  std::shared_ptr<const ZoneData> zone;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->cache.find(name);
    if (it != impl_->cache.end()) zone = it->second;
  }
  if (!zone) {
    auto data =
        impl_->fs->ReadFile(std::string("/usr/share/zoneinfo/") + std::string(name), 1 << 20);
    if (!data) return InvalidArgumentError(fmt::format("unknown time zone '{}'", name));
    auto parsed = ParseTzif(*data);
    if (!parsed) return InvalidArgumentError(fmt::format("unreadable time zone '{}'", name));
    zone = std::make_shared<const ZoneData>(std::move(*parsed));
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->cache.emplace(std::string(name), zone);
  }
  const auto& tr = zone->transitions;
  auto it = std::upper_bound(tr.begin(), tr.end(), t);
  if (it == tr.begin()) return zone->initial_offset;
  return zone->offsets[zone->index[static_cast<std::size_t>(it - tr.begin() - 1)]];
}

}  // namespace bulwark::expr::internal
