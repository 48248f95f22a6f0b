// Internal interfaces of the expression engine shared by the planner and the function library.
#ifndef BULWARK_SRC_EXPR_INTERNAL_H_
#define BULWARK_SRC_EXPR_INTERNAL_H_

#include <cstdint>
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
  Value* slots = nullptr;
  bool* present = nullptr;
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
