// Internal interfaces of the expression engine shared by the planner and the function library.
#ifndef BULWARK_SRC_EXPR_INTERNAL_H_
#define BULWARK_SRC_EXPR_INTERNAL_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bulwark/core/runtime.h"
#include "bulwark/expr/program.h"
#include "bulwark/expr/value.h"

namespace bulwark::expr::internal {

class TimeZones;

// State of one evaluation.
struct Frame {
  Value* slots = nullptr;                 // comprehension variables
  const Value* const* globals = nullptr;  // bound variables (nullptr: unbound)
  std::uint64_t cost = 0;
  std::uint64_t budget = 0;
  bool exhausted = false;
  const EvalLimits* limits = nullptr;
  const TimeZones* zones = nullptr;

  // Adds `n` cost units; false (and the frame is marked exhausted) when over budget.
  bool Charge(std::uint64_t n) {
    cost += n;
    if (cost > budget) exhausted = true;
    return !exhausted;
  }
};

// The type denoted by an identifier used as a value (`int`, `google.protobuf.Timestamp`, the
// extension types `net.IP`, `net.CIDR`, `semver.Version`), or empty when `name` names no type.
// The checker and the planner both resolve identifiers with it, so what type-checks evaluates.
inline std::string_view TypeIdentifier(std::string_view name) {
  static constexpr std::string_view kTypes[] = {"int",
                                                "uint",
                                                "double",
                                                "bool",
                                                "string",
                                                "bytes",
                                                "list",
                                                "map",
                                                "null_type",
                                                "type",
                                                "google.protobuf.Timestamp",
                                                "google.protobuf.Duration",
                                                "net.IP",
                                                "net.CIDR",
                                                "semver.Version"};
  for (std::string_view t : kTypes) {
    if (t == name) return t;
  }
  return {};
}

// Equality of short strings without a call into libc (keys and literals are mostly short).
inline bool FastEqual(std::string_view a, std::string_view b) {
  std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  while (n >= 8) {
    std::uint64_t x, y;
    std::memcpy(&x, p, 8);
    std::memcpy(&y, q, 8);
    if (x != y) return false;
    p += 8;
    q += 8;
    n -= 8;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}

// Number of UTF-8 code points (bytes that are not continuation bytes), eight bytes at a time.
inline std::size_t CodePointCount(std::string_view s) {
  std::size_t count = 0, i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // A byte starts a code point unless it is 10xxxxxx: bit 7 clear or bit 6 set.
    std::uint64_t starts = ((~w >> 7) | (w >> 6)) & 0x0101010101010101ULL;
    count += static_cast<std::size_t>((starts * 0x0101010101010101ULL) >> 56);
  }
  for (; i < s.size(); ++i) count += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  return count;
}

Value BudgetError();
Value NoSuchOverload(std::string_view fn, std::span<const Value> args);
Value NoSuchKey(const Value& key);

using Function = Value (*)(Frame&, std::span<const Value>);

// The standard and extension function for `name` called with `argc` arguments (a receiver counts
// as the first argument), or nullptr.
Function LookupFunction(std::string_view name, std::size_t argc, bool receiver);

// Strict operators used directly by the planner.
Value Add(Frame& f, const Value& a, const Value& b);
Value Index(Frame& f, const Value& container, const Value& key);
Value In(Frame& f, const Value& elem, const Value& container);
Value SelectField(const Value& operand, std::string_view field);
Value HasField(const Value& operand, std::string_view field);

// Time zones: IANA names through the system tz database, fixed offsets "+05:30", "-08:00", "UTC".
class TimeZones {
 public:
  explicit TimeZones(std::shared_ptr<FileSystem> fs);
  ~TimeZones();
  // UTC offset in seconds of zone `name` at the instant `unix_seconds`.
  Result<std::int64_t> OffsetAt(std::string_view name, std::int64_t unix_seconds) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// RFC 3339 formatting/parsing and duration strings ("1h2m3.5s").
std::string FormatTimestamp(std::int64_t seconds, std::int32_t nanos);
std::string FormatDuration(std::int64_t seconds, std::int32_t nanos);
Value ParseTimestamp(std::string_view text);
Value ParseDuration(std::string_view text);
Value MakeTimestampChecked(__int128 total_nanos);
void CivilFromDays(std::int64_t days, std::int64_t* y, unsigned* m, unsigned* d);
std::int64_t DaysFromCivilPublic(std::int64_t y, unsigned m, unsigned d);
Value MakeDurationChecked(__int128 total_nanos);

}  // namespace bulwark::expr::internal

#endif  // BULWARK_SRC_EXPR_INTERNAL_H_
