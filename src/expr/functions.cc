// The standard CEL function library: operators, conversions, string and time functions.
#include <fmt/format.h>
#include <re2/re2.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "bulwark/core/encoding.h"
#include "expr/extensions.h"
#include "expr/internal.h"

namespace bulwark::expr::internal {
namespace {

constexpr double kTwo63 = 9223372036854775808.0;
constexpr double kTwo64 = 18446744073709551616.0;
constexpr __int128 kNanos = 1'000'000'000;

Value Err(std::string m) { return Value::Error(std::move(m)); }
Value Overflow() { return Err("return error for overflow"); }

__int128 TotalNanos(const Value& v) {
  return static_cast<__int128>(v.seconds()) * kNanos + v.nanos();
}

bool IsNum(const Value& v) {
  return v.kind() == Kind::kInt || v.kind() == Kind::kUint || v.kind() == Kind::kDouble;
}

// ---- arithmetic ----

Value Sub(Frame&, std::span<const Value> a) {
  const Value &x = a[0], &y = a[1];
  if (x.kind() == Kind::kInt && y.kind() == Kind::kInt) {
    std::int64_t r;
    if (__builtin_sub_overflow(x.int_value(), y.int_value(), &r)) return Overflow();
    return Value::Int(r);
  }
  if (x.kind() == Kind::kUint && y.kind() == Kind::kUint) {
    std::uint64_t r;
    if (__builtin_sub_overflow(x.uint_value(), y.uint_value(), &r)) return Overflow();
    return Value::Uint(r);
  }
  if (x.kind() == Kind::kDouble && y.kind() == Kind::kDouble) {
    return Value::Double(x.double_value() - y.double_value());
  }
  if (x.kind() == Kind::kTimestamp && y.kind() == Kind::kTimestamp) {
    return MakeDurationChecked(TotalNanos(x) - TotalNanos(y));
  }
  if (x.kind() == Kind::kTimestamp && y.kind() == Kind::kDuration) {
    return MakeTimestampChecked(TotalNanos(x) - TotalNanos(y));
  }
  if (x.kind() == Kind::kDuration && y.kind() == Kind::kDuration) {
    return MakeDurationChecked(TotalNanos(x) - TotalNanos(y));
  }
  return NoSuchOverload("_-_", a);
}

Value AddFn(Frame& f, std::span<const Value> a) { return Add(f, a[0], a[1]); }

Value Mul(Frame&, std::span<const Value> a) {
  const Value &x = a[0], &y = a[1];
  if (x.kind() == Kind::kInt && y.kind() == Kind::kInt) {
    std::int64_t r;
    if (__builtin_mul_overflow(x.int_value(), y.int_value(), &r)) return Overflow();
    return Value::Int(r);
  }
  if (x.kind() == Kind::kUint && y.kind() == Kind::kUint) {
    std::uint64_t r;
    if (__builtin_mul_overflow(x.uint_value(), y.uint_value(), &r)) return Overflow();
    return Value::Uint(r);
  }
  if (x.kind() == Kind::kDouble && y.kind() == Kind::kDouble) {
    return Value::Double(x.double_value() * y.double_value());
  }
  return NoSuchOverload("_*_", a);
}

Value Div(Frame&, std::span<const Value> a) {
  const Value &x = a[0], &y = a[1];
  if (x.kind() == Kind::kInt && y.kind() == Kind::kInt) {
    if (y.int_value() == 0) return Err("divide by zero");
    if (x.int_value() == std::numeric_limits<std::int64_t>::min() && y.int_value() == -1)
      return Overflow();
    return Value::Int(x.int_value() / y.int_value());
  }
  if (x.kind() == Kind::kUint && y.kind() == Kind::kUint) {
    if (y.uint_value() == 0) return Err("divide by zero");
    return Value::Uint(x.uint_value() / y.uint_value());
  }
  if (x.kind() == Kind::kDouble && y.kind() == Kind::kDouble) {
    return Value::Double(x.double_value() / y.double_value());
  }
  return NoSuchOverload("_/_", a);
}

Value Mod(Frame&, std::span<const Value> a) {
  const Value &x = a[0], &y = a[1];
  if (x.kind() == Kind::kInt && y.kind() == Kind::kInt) {
    if (y.int_value() == 0) return Err("modulus by zero");
    if (x.int_value() == std::numeric_limits<std::int64_t>::min() && y.int_value() == -1)
      return Overflow();
    return Value::Int(x.int_value() % y.int_value());
  }
  if (x.kind() == Kind::kUint && y.kind() == Kind::kUint) {
    if (y.uint_value() == 0) return Err("modulus by zero");
    return Value::Uint(x.uint_value() % y.uint_value());
  }
  return NoSuchOverload("_%_", a);
}

Value Neg(Frame&, std::span<const Value> a) {
  const Value& x = a[0];
  if (x.kind() == Kind::kInt) {
    if (x.int_value() == std::numeric_limits<std::int64_t>::min()) return Overflow();
    return Value::Int(-x.int_value());
  }
  if (x.kind() == Kind::kDouble) return Value::Double(-x.double_value());
  if (x.kind() == Kind::kDuration) return MakeDurationChecked(-TotalNanos(x));
  return NoSuchOverload("-_", a);
}

Value Not(Frame&, std::span<const Value> a) {
  if (a[0].kind() != Kind::kBool) return NoSuchOverload("!_", a);
  return Value::Bool(!a[0].bool_value());
}

// ---- comparison ----

Value EqFn(Frame&, std::span<const Value> a) { return Value::Bool(Equal(a[0], a[1])); }
Value NeFn(Frame&, std::span<const Value> a) { return Value::Bool(!Equal(a[0], a[1])); }

template <int kOp>
Value Rel(Frame&, std::span<const Value> a) {
  static constexpr const char* kNames[] = {"_<_", "_<=_", "_>_", "_>=_"};
  int c;
  if (!Compare(a[0], a[1], &c)) {
    bool nan_pair = IsNum(a[0]) && IsNum(a[1]);
    if (nan_pair) return Value::Bool(false);  // NaN is unordered
    return NoSuchOverload(kNames[kOp], a);
  }
  switch (kOp) {
    case 0:
      return Value::Bool(c < 0);
    case 1:
      return Value::Bool(c <= 0);
    case 2:
      return Value::Bool(c > 0);
    default:
      return Value::Bool(c >= 0);
  }
}

Value IndexFn(Frame& f, std::span<const Value> a) { return Index(f, a[0], a[1]); }
Value InFn(Frame& f, std::span<const Value> a) { return In(f, a[0], a[1]); }

// ---- strings ----

Value Size(Frame&, std::span<const Value> a) {
  const Value& x = a[0];
  switch (x.kind()) {
    case Kind::kString:
      return Value::Int(static_cast<std::int64_t>(CodePointCount(x.str())));
    case Kind::kBytes:
      return Value::Int(static_cast<std::int64_t>(x.str().size()));
    case Kind::kList:
      return Value::Int(static_cast<std::int64_t>(x.ListSize()));
    case Kind::kMap:
      return Value::Int(static_cast<std::int64_t>(x.MapSize()));
    default:
      return NoSuchOverload("size", a);
  }
}

Value Contains(Frame& f, std::span<const Value> a) {
  if (a[0].kind() != Kind::kString || a[1].kind() != Kind::kString)
    return NoSuchOverload("contains", a);
  if (!f.Charge(1 + a[0].str().size() / 10)) return BudgetError();
  return Value::Bool(a[0].str().find(a[1].str()) != std::string_view::npos);
}
Value StartsWith(Frame&, std::span<const Value> a) {
  if (a[0].kind() != Kind::kString || a[1].kind() != Kind::kString)
    return NoSuchOverload("startsWith", a);
  return Value::Bool(a[0].str().starts_with(a[1].str()));
}
Value EndsWith(Frame&, std::span<const Value> a) {
  if (a[0].kind() != Kind::kString || a[1].kind() != Kind::kString)
    return NoSuchOverload("endsWith", a);
  return Value::Bool(a[0].str().ends_with(a[1].str()));
}
Value Matches(Frame& f, std::span<const Value> a) {
  if (a[0].kind() != Kind::kString || a[1].kind() != Kind::kString)
    return NoSuchOverload("matches", a);
  if (!f.Charge(1 + (a[0].str().size() + a[1].str().size()) / 10)) return BudgetError();
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(re2::StringPiece(a[1].str().data(), a[1].str().size()), opts);
  if (!re.ok()) return Err(fmt::format("invalid regular expression: {}", re.error()));
  return Value::Bool(RE2::PartialMatch(re2::StringPiece(a[0].str().data(), a[0].str().size()), re));
}

// ---- conversions ----

Value ToInt(Frame&, std::span<const Value> a) {
  const Value& x = a[0];
  switch (x.kind()) {
    case Kind::kInt:
      return x;
    case Kind::kUint:
      if (x.uint_value() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return Err("integer overflow converting uint to int: range error");
      return Value::Int(static_cast<std::int64_t>(x.uint_value()));
    case Kind::kDouble: {
      double d = x.double_value();
      if (std::isnan(d) || !(d > -kTwo63 && d < kTwo63)) return Err("double out of int range");
      return Value::Int(static_cast<std::int64_t>(d));
    }
    case Kind::kString: {
      std::string_view s = x.str();
      std::int64_t v = 0;
      bool neg = false;
      std::size_t i = 0;
      if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
      }
      if (i >= s.size()) return Err(fmt::format("cannot convert '{}' to int", s));
      for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return Err(fmt::format("cannot convert '{}' to int", s));
        int d = s[i] - '0';
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, neg ? -d : d, &v))
          return Err(fmt::format("int conversion of '{}': range error", s));
      }
      return Value::Int(v);
    }
    case Kind::kTimestamp:
      return Value::Int(x.seconds());
    default:
      return NoSuchOverload("int", a);
  }
}

Value ToUint(Frame&, std::span<const Value> a) {
  const Value& x = a[0];
  switch (x.kind()) {
    case Kind::kUint:
      return x;
    case Kind::kInt:
      if (x.int_value() < 0) return Err("negative int converted to uint: range error");
      return Value::Uint(static_cast<std::uint64_t>(x.int_value()));
    case Kind::kDouble: {
      double d = x.double_value();
      if (std::isnan(d) || d < 0 || d >= kTwo64) return Err("double out of uint range");
      return Value::Uint(static_cast<std::uint64_t>(d));
    }
    case Kind::kString: {
      std::string_view s = x.str();
      if (s.empty()) return Err("cannot convert '' to uint");
      std::uint64_t v = 0;
      for (char c : s) {
        if (c < '0' || c > '9') return Err(fmt::format("cannot convert '{}' to uint", s));
        if (__builtin_mul_overflow(v, 10u, &v) ||
            __builtin_add_overflow(v, static_cast<unsigned>(c - '0'), &v))
          return Err(fmt::format("uint conversion of '{}': range error", s));
      }
      return Value::Uint(v);
    }
    default:
      return NoSuchOverload("uint", a);
  }
}

Value ToDouble(Frame&, std::span<const Value> a) {
  const Value& x = a[0];
  switch (x.kind()) {
    case Kind::kDouble:
      return x;
    case Kind::kInt:
      return Value::Double(static_cast<double>(x.int_value()));
    case Kind::kUint:
      return Value::Double(static_cast<double>(x.uint_value()));
    case Kind::kString: {
      std::string s(x.str());
      if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])))
        return Err(fmt::format("cannot convert '{}' to double", s));
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end != s.c_str() + s.size()) return Err(fmt::format("cannot convert '{}' to double", s));
      return Value::Double(d);
    }
    default:
      return NoSuchOverload("double", a);
  }
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", d);
}

Value ToString(Frame&, std::span<const Value> a) {
  const Value& x = a[0];
  switch (x.kind()) {
    case Kind::kString:
      return x;
    case Kind::kInt:
      return Value::String(fmt::format("{}", x.int_value()));
    case Kind::kUint:
      return Value::String(fmt::format("{}", x.uint_value()));
    case Kind::kDouble:
      return Value::String(FormatDouble(x.double_value()));
    case Kind::kBool:
      return Value::StringView(x.bool_value() ? "true" : "false");
    case Kind::kBytes:
      if (!IsValidUtf8(x.str())) return Err("invalid UTF-8 in bytes converted to string");
      return Value::String(std::string(x.str()));
    case Kind::kTimestamp:
      return Value::String(FormatTimestamp(x.seconds(), x.nanos()));
    case Kind::kDuration:
      return Value::String(FormatDuration(x.seconds(), x.nanos()));
    case Kind::kType:
      return Value::String(std::string(x.str()));
    case Kind::kOpaque:
      return Value::String(x.opaque().ToString());
    default:
      return NoSuchOverload("string", a);
  }
}

Value ToBytes(Frame&, std::span<const Value> a) {
  if (a[0].kind() == Kind::kBytes) return a[0];
  if (a[0].kind() == Kind::kString) return Value::Bytes(std::string(a[0].str()));
  return NoSuchOverload("bytes", a);
}

Value ToBool(Frame&, std::span<const Value> a) {
  if (a[0].kind() == Kind::kBool) return a[0];
  if (a[0].kind() == Kind::kString) {
    std::string_view s = a[0].str();
    if (s == "true" || s == "TRUE" || s == "True" || s == "t" || s == "1") return Value::Bool(true);
    if (s == "false" || s == "FALSE" || s == "False" || s == "f" || s == "0")
      return Value::Bool(false);
    return Err(fmt::format("cannot convert '{}' to bool", s));
  }
  return NoSuchOverload("bool", a);
}

Value Dyn(Frame&, std::span<const Value> a) { return a[0]; }

Value TypeOf(Frame&, std::span<const Value> a) { return Value::Type(a[0].TypeName()); }

Value ToTimestamp(Frame&, std::span<const Value> a) {
  if (a[0].kind() == Kind::kTimestamp) return a[0];
  if (a[0].kind() == Kind::kString) return ParseTimestamp(a[0].str());
  if (a[0].kind() == Kind::kInt)
    return MakeTimestampChecked(static_cast<__int128>(a[0].int_value()) * kNanos);
  return NoSuchOverload("timestamp", a);
}

Value ToDuration(Frame&, std::span<const Value> a) {
  if (a[0].kind() == Kind::kDuration) return a[0];
  if (a[0].kind() == Kind::kString) return ParseDuration(a[0].str());
  if (a[0].kind() == Kind::kInt)
    return MakeDurationChecked(static_cast<__int128>(a[0].int_value()) * kNanos);
  return NoSuchOverload("duration", a);
}

// ---- timestamp and duration accessors ----

enum class Field {
  kFullYear,
  kMonth,
  kDayOfYear,
  kDate,
  kDayOfMonth,
  kDayOfWeek,
  kHours,
  kMinutes,
  kSeconds,
  kMillis
};

template <Field kField>
Value TimeGetter(Frame& f, std::span<const Value> a) {
  const Value& x = a[0];
  if (x.kind() == Kind::kDuration && a.size() == 1) {
    __int128 n = TotalNanos(x);
    switch (kField) {
      case Field::kHours:
        return Value::Int(static_cast<std::int64_t>(n / (3600 * kNanos)));
      case Field::kMinutes:
        return Value::Int(static_cast<std::int64_t>(n / (60 * kNanos)));
      case Field::kSeconds:
        return Value::Int(static_cast<std::int64_t>(n / kNanos));
      case Field::kMillis:
        return Value::Int(static_cast<std::int64_t>((n % kNanos) / 1'000'000));
      default:
        return NoSuchOverload("duration accessor", a);
    }
  }
  if (x.kind() != Kind::kTimestamp || (a.size() == 2 && a[1].kind() != Kind::kString)) {
    return NoSuchOverload("timestamp accessor", a);
  }
  std::int64_t secs = x.seconds();
  if (a.size() == 2) {
    if (f.zones == nullptr) return Err("time zones are not available");
    auto off = f.zones->OffsetAt(a[1].str(), secs);
    if (!off) return Err(off.error().message());
    secs += *off;
  }
  std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  std::int64_t rem = secs - days * 86400;
  std::int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  switch (kField) {
    case Field::kFullYear:
      return Value::Int(y);
    case Field::kMonth:
      return Value::Int(static_cast<std::int64_t>(m) - 1);
    case Field::kDayOfYear:
      return Value::Int(days - DaysFromCivilPublic(y, 1, 1));
    case Field::kDate:
      return Value::Int(d);
    case Field::kDayOfMonth:
      return Value::Int(static_cast<std::int64_t>(d) - 1);
    case Field::kDayOfWeek: {
      std::int64_t w = (days + 4) % 7;  // 1970-01-01 was a Thursday
      return Value::Int(w < 0 ? w + 7 : w);
    }
    case Field::kHours:
      return Value::Int(rem / 3600);
    case Field::kMinutes:
      return Value::Int((rem / 60) % 60);
    case Field::kSeconds:
      return Value::Int(rem % 60);
    case Field::kMillis:
      return Value::Int(x.nanos() / 1'000'000);
  }
  return Err("unreachable");
}

struct Entry {
  std::string_view name;
  std::uint8_t min_args, max_args;
  Function fn;
};

constexpr Entry kFunctions[] = {
    {"_+_", 2, 2, AddFn},
    {"_-_", 2, 2, Sub},
    {"_*_", 2, 2, Mul},
    {"_/_", 2, 2, Div},
    {"_%_", 2, 2, Mod},
    {"-_", 1, 1, Neg},
    {"!_", 1, 1, Not},
    {"_==_", 2, 2, EqFn},
    {"_!=_", 2, 2, NeFn},
    {"_<_", 2, 2, Rel<0>},
    {"_<=_", 2, 2, Rel<1>},
    {"_>_", 2, 2, Rel<2>},
    {"_>=_", 2, 2, Rel<3>},
    {"_[_]", 2, 2, IndexFn},
    {"@in", 2, 2, InFn},
    {"size", 1, 1, Size},
    {"contains", 2, 2, Contains},
    {"startsWith", 2, 2, StartsWith},
    {"endsWith", 2, 2, EndsWith},
    {"matches", 2, 2, Matches},
    {"int", 1, 1, ToInt},
    {"uint", 1, 1, ToUint},
    {"double", 1, 1, ToDouble},
    {"string", 1, 1, ToString},
    {"bytes", 1, 1, ToBytes},
    {"bool", 1, 1, ToBool},
    {"dyn", 1, 1, Dyn},
    {"type", 1, 1, TypeOf},
    {"timestamp", 1, 1, ToTimestamp},
    {"duration", 1, 1, ToDuration},
    {"getFullYear", 1, 2, TimeGetter<Field::kFullYear>},
    {"getMonth", 1, 2, TimeGetter<Field::kMonth>},
    {"getDayOfYear", 1, 2, TimeGetter<Field::kDayOfYear>},
    {"getDate", 1, 2, TimeGetter<Field::kDate>},
    {"getDayOfMonth", 1, 2, TimeGetter<Field::kDayOfMonth>},
    {"getDayOfWeek", 1, 2, TimeGetter<Field::kDayOfWeek>},
    {"getHours", 1, 2, TimeGetter<Field::kHours>},
    {"getMinutes", 1, 2, TimeGetter<Field::kMinutes>},
    {"getSeconds", 1, 2, TimeGetter<Field::kSeconds>},
    {"getMilliseconds", 1, 2, TimeGetter<Field::kMillis>},
};

}  // namespace

Value BudgetError() {
  return Value::Error("evaluation cost budget exceeded", ErrorCode::kResourceExhausted);
}

Value NoSuchOverload(std::string_view fn, std::span<const Value> args) {
  std::string types;
  for (const auto& a : args) {
    if (!types.empty()) types += ", ";
    types += a.TypeName();
  }
  return Value::Error(fmt::format("no such overload: {}({})", fn, types));
}

Value NoSuchKey(const Value& key) {
  if (key.kind() == Kind::kString) return Value::Error(fmt::format("no such key: {}", key.str()));
  return Value::Error(fmt::format("no such key: {}", key.DebugString()));
}

Value Add(Frame& f, const Value& x, const Value& y) {
  if (x.kind() == Kind::kInt && y.kind() == Kind::kInt) {
    std::int64_t r;
    if (__builtin_add_overflow(x.int_value(), y.int_value(), &r)) return Overflow();
    return Value::Int(r);
  }
  if (x.kind() == Kind::kUint && y.kind() == Kind::kUint) {
    std::uint64_t r;
    if (__builtin_add_overflow(x.uint_value(), y.uint_value(), &r)) return Overflow();
    return Value::Uint(r);
  }
  if (x.kind() == Kind::kDouble && y.kind() == Kind::kDouble) {
    return Value::Double(x.double_value() + y.double_value());
  }
  if ((x.kind() == Kind::kString && y.kind() == Kind::kString) ||
      (x.kind() == Kind::kBytes && y.kind() == Kind::kBytes)) {
    std::size_t n = x.str().size() + y.str().size();
    if (n > f.limits->max_string_size) {
      return Value::Error(
          fmt::format("string size limit of {} bytes exceeded", f.limits->max_string_size),
          ErrorCode::kResourceExhausted);
    }
    if (!f.Charge(1 + n / 10)) return BudgetError();
    std::string s;
    s.reserve(n);
    s.append(x.str());
    s.append(y.str());
    return x.kind() == Kind::kString ? Value::String(std::move(s)) : Value::Bytes(std::move(s));
  }
  if (x.kind() == Kind::kList && y.kind() == Kind::kList) {
    std::size_t n = x.ListSize() + y.ListSize();
    if (n > f.limits->max_list_size) {
      return Value::Error(
          fmt::format("list size limit of {} elements exceeded", f.limits->max_list_size),
          ErrorCode::kResourceExhausted);
    }
    if (!f.Charge(n)) return BudgetError();
    std::vector<Value> out;
    out.reserve(n);
    for (std::size_t i = 0; i < x.ListSize(); ++i) out.push_back(x.ListAt(i));
    for (std::size_t i = 0; i < y.ListSize(); ++i) out.push_back(y.ListAt(i));
    return Value::List(std::move(out));
  }
  if (x.kind() == Kind::kTimestamp && y.kind() == Kind::kDuration) {
    return MakeTimestampChecked(TotalNanos(x) + TotalNanos(y));
  }
  if (x.kind() == Kind::kDuration && y.kind() == Kind::kTimestamp) {
    return MakeTimestampChecked(TotalNanos(x) + TotalNanos(y));
  }
  if (x.kind() == Kind::kDuration && y.kind() == Kind::kDuration) {
    return MakeDurationChecked(TotalNanos(x) + TotalNanos(y));
  }
  Value args[] = {x, y};
  return NoSuchOverload("_+_", args);
}

Value Index(Frame&, const Value& c, const Value& key) {
  if (c.kind() == Kind::kList) {
    std::int64_t i;
    if (key.kind() == Kind::kInt) {
      i = key.int_value();
    } else if (key.kind() == Kind::kUint) {
      if (key.uint_value() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return Value::Error("index out of range");
      i = static_cast<std::int64_t>(key.uint_value());
    } else if (key.kind() == Kind::kDouble) {
      double d = key.double_value();
      if (d != std::floor(d) || !(d > -kTwo63 && d < kTwo63)) {
        return Value::Error(fmt::format("invalid list index: {}", d));
      }
      i = static_cast<std::int64_t>(d);
    } else {
      Value args[] = {c, key};
      return NoSuchOverload("_[_]", args);
    }
    if (i < 0 || static_cast<std::uint64_t>(i) >= c.ListSize()) {
      return Value::Error(fmt::format("index out of range: {}", i));
    }
    return c.ListAt(static_cast<std::size_t>(i));
  }
  if (c.kind() == Kind::kMap) {
    Kind k = key.kind();
    if (k != Kind::kString && k != Kind::kInt && k != Kind::kUint && k != Kind::kBool &&
        k != Kind::kDouble) {
      Value args[] = {c, key};
      return NoSuchOverload("_[_]", args);
    }
    Value out;
    if (c.MapFind(key, &out)) return out;
    return NoSuchKey(key);
  }
  Value args[] = {c, key};
  return NoSuchOverload("_[_]", args);
}

Value In(Frame& f, const Value& elem, const Value& c) {
  if (c.kind() == Kind::kList) {
    std::size_t n = c.ListSize();
    if (!f.Charge(n / 4)) return BudgetError();
    for (std::size_t i = 0; i < n; ++i) {
      if (Equal(elem, c.ListAt(i))) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (c.kind() == Kind::kMap) {
    Value out;
    return Value::Bool(c.MapFind(elem, &out));
  }
  Value args[] = {elem, c};
  return NoSuchOverload("@in", args);
}

Value SelectField(const Value& v, std::string_view field) {
  if (v.kind() == Kind::kMap) {
    if (const config::Value* node = v.borrowed_node()) {
      const config::Value* child = node->AsMap().Find(field);
      if (child == nullptr) return Value::Error(fmt::format("no such key: {}", field));
      return Value::Borrow(*child);
    }
    Value out;
    if (v.MapFindString(field, &out)) return out;
    return Value::Error(fmt::format("no such key: {}", field));
  }
  if (v.IsError()) return v;
  return Value::Error(
      fmt::format("type '{}' does not support field selection (field '{}')", v.TypeName(), field));
}

Value HasField(const Value& v, std::string_view field) {
  if (v.kind() == Kind::kMap) {
    Value out;
    return Value::Bool(v.MapFindString(field, &out));
  }
  if (v.IsError()) return v;
  return Value::Error(fmt::format("invalid type for has(): '{}'", v.TypeName()));
}

Function LookupFunction(std::string_view name, std::size_t argc, bool /*receiver*/) {
  for (const auto& e : kFunctions) {
    if (e.name == name && argc >= e.min_args && argc <= e.max_args) return e.fn;
  }
  return LookupExtension(name, argc);
}

}  // namespace bulwark::expr::internal
