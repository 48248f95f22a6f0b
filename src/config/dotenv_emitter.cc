// dotenv emitter: the tree flattened to NAME="value" lines.
//
// Names join the path segments with "__" (keys verbatim, list indices in decimal) and must be
// valid dotenv names ([A-Za-z_][A-Za-z0-9_.-]*), otherwise emission fails naming the path. Every
// value is written double-quoted with \n \t \r \" \\ \$ escapes (other characters as is), so
// ParseDotenv reads back exactly the same strings. Only a flat map of strings round-trips: numbers,
// bools and null come back as their text, bytes as base64, nested values under flattened names,
// and empty maps and lists are dropped.
#include <fmt/format.h>

#include <string>

#include "config/internal/flatten.h"
#include "config/internal/formats.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

bool IsDotenvName(std::string_view name) {
  if (name.empty()) return false;
  char c0 = name[0];
  if (!((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z') || c0 == '_')) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::string> EmitDotenv(const Value& root, const EmitOptions&) {
  BULWARK_ASSIGN_OR_RETURN(
      auto entries, Flatten(root, "dotenv", "", [](std::string_view k) { return std::string(k); }));
  std::string out;
  for (const FlatEntry& e : entries) {
    if (!IsDotenvName(e.name)) {
      return InvalidArgumentError(fmt::format(
          "emit dotenv: the value at '{}' would need the name {}, which is not a valid dotenv "
          "name ([A-Za-z_][A-Za-z0-9_.-]*)",
          e.path.ToString().substr(0, 2 * kMaxExcerpt), Excerpt(e.name)));
    }
    if (FindInvalidUtf8Fast(e.text) != std::string_view::npos) {
      return InvalidArgumentError(fmt::format("emit dotenv: string at '{}' is not valid UTF-8",
                                              e.path.ToString().substr(0, 2 * kMaxExcerpt)));
    }
    out += e.name;
    out += "=\"";
    for (char c : e.text) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '$':
          out += "\\$";
          break;
        default:
          out += c;
      }
    }
    out += "\"\n";
  }
  return out;
}

}  // namespace bulwark::config::internal
