#include "bulwark/audit/jcs.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <vector>

#include "bulwark/core/encoding.h"
#include "bulwark/core/quoted_string.h"

namespace bulwark::audit {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxExactInteger = std::uint64_t{1} << 53;

constexpr int kMaxDepth = 512;

// Where a value sits in the document ("$.data.paths[2]"), built only when an error is reported.
struct Where {
  const Where* parent = nullptr;
  std::string_view name;
  std::size_t index = 0;
  bool is_index = false;

  std::string ToString() const {
    std::string out = parent == nullptr ? "$" : parent->ToString();
    if (parent == nullptr) return out;
    return is_index ? fmt::format("{}[{}]", out, index) : fmt::format("{}.{}", out, name);
  }
};

// The code point starting at s[i] (s is valid UTF-8), or -1 at the end.
long CodePointAt(std::string_view s, std::size_t i) {
  if (i >= s.size()) return -1;
  const auto b = static_cast<unsigned char>(s[i]);
  const int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  long cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// The first UTF-16 code unit of a code point (its high surrogate above U+FFFF).
long FirstUtf16Unit(long cp) { return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10); }

// a < b comparing the UTF-16 encodings of two valid UTF-8 strings. UTF-8 byte order is code point
// order, which differs from UTF-16 order only between U+E000..U+FFFF and supplementary characters,
// so only the first differing code point needs a closer look.
bool Utf16Less(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  const std::size_t n = std::min(a.size(), b.size());
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size();
  while (i > 0 && (static_cast<unsigned char>(a[i]) & 0xC0) == 0x80) --i;  // start of code point
  const long ca = CodePointAt(a, i), cb = CodePointAt(b, i);
  const long ua = FirstUtf16Unit(ca), ub = FirstUtf16Unit(cb);
  return ua != ub ? ua < ub : ca < cb;
}

Status AppendString(std::string& out, std::string_view s, const Where& where) {
  if (!IsValidUtf8(s)) {
    return InvalidArgumentError(fmt::format("jcs: {}: invalid UTF-8", where.ToString()));
  }
  AppendJcsString(out, s);
  return OkStatus();
}

// strict_integers: reject integers beyond 2^53 (values built by the program) instead of rounding
// them as ECMAScript's JSON.parse does (JSON text).
Status Append(std::string& out, const json& v, const Where& where, bool strict_integers,
              int depth) {
  if (depth > kMaxDepth) {
    return ResourceExhaustedError(
        fmt::format("jcs: {}: nested deeper than {} levels", where.ToString(), kMaxDepth));
  }
  switch (v.type()) {
    case json::value_t::null:
      out += "null";
      return OkStatus();
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return OkStatus();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: {
      // Compare as integers: converting first would round 2^53 + 1 down to 2^53.
      const std::uint64_t magnitude =
          v.is_number_unsigned()
              ? v.get<std::uint64_t>()
              : (v.get<std::int64_t>() < 0 ? 0 - static_cast<std::uint64_t>(v.get<std::int64_t>())
                                           : static_cast<std::uint64_t>(v.get<std::int64_t>()));
      if (strict_integers && magnitude > kMaxExactInteger) {
        return InvalidArgumentError(
            fmt::format("jcs: {}: integer {} is beyond 2^53 and cannot be an exact I-JSON number",
                        where.ToString(), v.dump()));
      }
      const double d = v.is_number_unsigned() ? static_cast<double>(v.get<std::uint64_t>())
                                              : static_cast<double>(v.get<std::int64_t>());
      BULWARK_ASSIGN_OR_RETURN(std::string s, FormatEcmaScriptNumber(d));
      out += s;
      return OkStatus();
    }
    case json::value_t::number_float: {
      auto s = FormatEcmaScriptNumber(v.get<double>());
      if (!s) {
        return InvalidArgumentError(
            fmt::format("jcs: {}: {}", where.ToString(), s.error().message()));
      }
      out += *s;
      return OkStatus();
    }
    case json::value_t::string:
      return AppendString(out, v.get_ref<const std::string&>(), where);
    case json::value_t::array: {
      out += '[';
      std::size_t i = 0;
      for (const auto& e : v) {
        if (i > 0) out += ',';
        const Where child{&where, {}, i, true};
        BULWARK_RETURN_IF_ERROR(Append(out, e, child, strict_integers, depth + 1));
        ++i;
      }
      out += ']';
      return OkStatus();
    }
    case json::value_t::object: {
      std::vector<json::const_iterator> members;
      members.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!IsValidUtf8(it.key())) {
          return InvalidArgumentError(
              fmt::format("jcs: {}: member name is invalid UTF-8", where.ToString()));
        }
        members.push_back(it);
      }
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return Utf16Less(a.key(), b.key()); });
      out += '{';
      bool first = true;
      for (const auto& it : members) {
        if (!first) out += ',';
        first = false;
        const Where child{&where, it.key(), 0, false};
        BULWARK_RETURN_IF_ERROR(AppendString(out, it.key(), child));
        out += ':';
        BULWARK_RETURN_IF_ERROR(Append(out, it.value(), child, strict_integers, depth + 1));
      }
      out += '}';
      return OkStatus();
    }
    case json::value_t::binary:
      return InvalidArgumentError(
          fmt::format("jcs: {}: binary values are not JSON", where.ToString()));
    case json::value_t::discarded:
      return InvalidArgumentError(fmt::format("jcs: {}: discarded value", where.ToString()));
  }
  return InternalError("jcs: unknown JSON type");
}

}  // namespace

Result<std::string> FormatEcmaScriptNumber(double value) {
  if (std::isnan(value) || std::isinf(value)) {
    return InvalidArgumentError("NaN and Infinity are not valid JSON numbers");
  }
  if (value == 0) return std::string("0");  // also -0
  std::string out;
  if (value < 0) {
    out += '-';
    value = -value;
  }
  // Shortest round-trip digits: "d.ddde[+-]XX" (or "de[+-]XX").
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  if (res.ec != std::errc()) return InternalError("format number: to_chars failed");
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 < 0 ? '-' : '+';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

Result<std::string> CanonicalizeJson(const json& value) {
  std::string out;
  BULWARK_RETURN_IF_ERROR(Append(out, value, Where{}, /*strict_integers=*/true, 0));
  return out;
}

Result<std::string> CanonicalizeJsonText(std::string_view text) {
  // Track the member names of each open object to reject duplicates (nlohmann keeps the last).
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& name = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(name).second && duplicate.empty()) duplicate = name;
        break;
      }
      default:
        break;
    }
    return true;
  };
  json value;
  try {
    value = json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("jcs: parse JSON: {}", e.what()));
  }
  if (!duplicate.empty()) {
    return InvalidArgumentError(fmt::format("jcs: duplicate member name \"{}\"", duplicate));
  }
  std::string out;
  BULWARK_RETURN_IF_ERROR(Append(out, value, Where{}, /*strict_integers=*/false, 0));
  return out;
}

void AppendJcsString(std::string& out, std::string_view s) {
  AppendQuotedString(out, s);  // the default style is RFC 8785's
}

}  // namespace bulwark::audit
