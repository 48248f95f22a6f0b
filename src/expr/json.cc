#include "bulwark/expr/json.h"

#include <fmt/format.h>

#include <cmath>

#include "bulwark/core/encoding.h"
#include "bulwark/core/quoted_string.h"
#include "expr/internal.h"

namespace bulwark::expr {
namespace {

void AppendString(std::string& out, std::string_view s) { AppendQuotedString(out, s); }

std::string KeyText(const Value& k) {
  switch (k.kind()) {
    case Kind::kString:
      return std::string(k.str());
    case Kind::kBool:
      return k.bool_value() ? "true" : "false";
    case Kind::kInt:
      return fmt::format("{}", k.int_value());
    case Kind::kUint:
      return fmt::format("{}", k.uint_value());
    default:
      return k.DebugString();
  }
}

Status Write(std::string& out, const Value& v, int indent, int depth) {
  if (depth > 256) return InvalidArgumentError("value nested too deeply for JSON output");
  auto newline = [&](int d) {
    if (indent < 0) return;
    out.push_back('\n');
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  switch (v.kind()) {
    case Kind::kNull:
      out += "null";
      return OkStatus();
    case Kind::kBool:
      out += v.bool_value() ? "true" : "false";
      return OkStatus();
    case Kind::kInt:
      out += fmt::format("{}", v.int_value());
      return OkStatus();
    case Kind::kUint:
      out += fmt::format("{}", v.uint_value());
      return OkStatus();
    case Kind::kDouble: {
      double d = v.double_value();
      if (std::isnan(d)) {
        out += "\"NaN\"";
      } else if (std::isinf(d)) {
        out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
      } else if (d == std::floor(d) && std::fabs(d) < 1e16) {
        out += fmt::format("{:.1f}", d);  // keep it visibly a double: 2.0
      } else {
        out += fmt::format("{}", d);
      }
      return OkStatus();
    }
    case Kind::kString:
      AppendString(out, v.str());
      return OkStatus();
    case Kind::kBytes:
      AppendString(out, Base64Encode(v.str()));
      return OkStatus();
    case Kind::kTimestamp:
      AppendString(out, internal::FormatTimestamp(v.seconds(), v.nanos()));
      return OkStatus();
    case Kind::kDuration:
      AppendString(out, internal::FormatDuration(v.seconds(), v.nanos()));
      return OkStatus();
    case Kind::kType:
      AppendString(out, v.str());
      return OkStatus();
    case Kind::kOpaque:
      AppendString(out, v.opaque().ToString());
      return OkStatus();
    case Kind::kList: {
      std::size_t n = v.ListSize();
      if (n == 0) {
        out += "[]";
        return OkStatus();
      }
      out.push_back('[');
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += indent < 0 ? "," : ",";
        newline(depth + 1);
        BULWARK_RETURN_IF_ERROR(Write(out, v.ListAt(i), indent, depth + 1));
      }
      newline(depth);
      out.push_back(']');
      return OkStatus();
    }
    case Kind::kMap: {
      std::size_t n = v.MapSize();
      if (n == 0) {
        out += "{}";
        return OkStatus();
      }
      out.push_back('{');
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        newline(depth + 1);
        AppendString(out, KeyText(v.MapKeyAt(i)));
        out += indent < 0 ? ":" : ": ";
        BULWARK_RETURN_IF_ERROR(Write(out, v.MapValueAt(i), indent, depth + 1));
      }
      newline(depth);
      out.push_back('}');
      return OkStatus();
    }
    case Kind::kError:
      return InvalidArgumentError("an error value has no JSON form: " + v.error_message());
  }
  return InternalError("unknown value kind");
}

}  // namespace

Result<std::string> ToJson(const Value& value, int indent) {
  std::string out;
  BULWARK_RETURN_IF_ERROR(Write(out, value, indent, 0));
  return out;
}

}  // namespace bulwark::expr
