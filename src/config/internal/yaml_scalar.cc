#include "config/internal/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace bulwark::config::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsOctDigit(char c) { return c >= '0' && c <= '7'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsCoreFloat(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  if (int_digits == 0) {
    if (i >= s.size() || s[i] != '.') return false;
    ++i;
    std::size_t frac = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac;
    if (frac == 0) return false;
  } else if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

double ParseDouble(std::string_view s) {
  std::string copy(s);
  return std::strtod(copy.c_str(), nullptr);  // correctly rounded; overflow gives +-HUGE_VAL
}

}  // namespace

Result<Value> ResolvePlainScalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value(false);
  const char first = s[0];
  if (!IsDigit(first) && first != '-' && first != '+' && first != '.') return Value(std::string(s));
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    const int base = s[1] == 'o' ? 8 : 16;
    std::string_view digits = s.substr(2);
    if (AllOf(digits, base == 8 ? IsOctDigit : IsHexDigit)) {
      std::int64_t v = 0;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
      if (ec != std::errc() || ptr != digits.data() + digits.size()) {
        return InvalidArgumentError("integer out of range for int64");
      }
      return Value(v);
    }
    return Value(std::string(s));
  }
  std::string_view unsigned_part = (first == '-' || first == '+') ? s.substr(1) : s;
  if (AllOf(unsigned_part, IsDigit)) {
    std::string_view digits = first == '+' ? s.substr(1) : s;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && ptr == digits.data() + digits.size()) return Value(v);
    return Value(ParseDouble(s));
  }
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF") {
    double inf = std::numeric_limits<double>::infinity();
    return Value(first == '-' ? -inf : inf);
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return Value(std::numeric_limits<double>::quiet_NaN());
  }
  if (IsCoreFloat(s)) return Value(ParseDouble(s));
  return Value(std::string(s));
}

bool ResolvesAsString(std::string_view text) {
  auto v = ResolvePlainScalar(text);
  return v.has_value() && v->is_string();
}

}  // namespace bulwark::config::internal
