#include "config/internal/flatten.h"

#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "bulwark/core/encoding.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

std::string ScalarText(const Value& v) {
  switch (v.type()) {
    case ValueType::kNull:
      return "";
    case ValueType::kBool:
      return v.AsBool() ? "true" : "false";
    case ValueType::kInt:
      return fmt::format("{}", v.AsInt());
    case ValueType::kDouble:
      return FormatDouble(v.AsDouble(), kPlainNonFinite);
    case ValueType::kString:
      return v.AsString();
    case ValueType::kBytes:
      return Base64Encode(v.AsBytes());
    default:
      return "";
  }
}

std::string ShortPath(const Path& p) {
  std::string s = p.ToString();
  if (s.size() > 2 * kMaxExcerpt) s = s.substr(0, 2 * kMaxExcerpt) + "...";
  return s;
}

}  // namespace

Result<std::vector<FlatEntry>> Flatten(
    const Value& root, std::string_view format, std::string_view prefix,
    const std::function<std::string(std::string_view)>& segment) {
  if (!root.is_map()) {
    return InvalidArgumentError(fmt::format("emit {}: the root must be a map, not a {}", format,
                                            ValueTypeName(root.type())));
  }
  std::vector<FlatEntry> out;
  std::unordered_map<std::string, std::size_t> seen;
  Status status;
  WalkLeaves(root, [&](const Path& path, const Value& v) {
    if (!status || v.is_container()) return;
    std::string name(prefix);
    bool first = true;
    for (const PathSegment& s : path.segments()) {
      if (!first) name += "__";
      first = false;
      name += s.is_key() ? segment(s.key()) : std::to_string(s.index());
    }
    if (auto [it, inserted] = seen.emplace(name, out.size()); !inserted) {
      status = InvalidArgumentError(
          fmt::format("emit {}: paths '{}' and '{}' both become the variable {}", format,
                      ShortPath(out[it->second].path), ShortPath(path), Excerpt(name)));
      return;
    }
    out.push_back(FlatEntry{std::move(name), ScalarText(v), path});
  });
  if (!status) return std::unexpected(status.error());
  return out;
}

}  // namespace bulwark::config::internal
