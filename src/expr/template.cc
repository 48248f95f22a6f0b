#include "bulwark/expr/template.h"

#include <fmt/format.h>

namespace bulwark::expr {

Result<std::vector<TemplateSegment>> SplitTemplate(std::string_view t) {
  std::vector<TemplateSegment> out;
  std::size_t pos = 0;
  while (pos < t.size()) {
    const std::size_t open = t.find("{{", pos);
    if (open == std::string_view::npos) {
      out.push_back({false, std::string(t.substr(pos))});
      break;
    }
    if (open > pos) out.push_back({false, std::string(t.substr(pos, open - pos))});
    const std::size_t close = t.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return InvalidArgumentError(fmt::format("message: '{{{{' at offset {} is not closed", open));
    }
    std::string_view inner = t.substr(open + 2, close - open - 2);
    while (!inner.empty() && (inner.front() == ' ' || inner.front() == '\t')) {
      inner.remove_prefix(1);
    }
    while (!inner.empty() && (inner.back() == ' ' || inner.back() == '\t')) inner.remove_suffix(1);
    if (inner.empty()) {
      return InvalidArgumentError(fmt::format("message: empty '{{{{ }}}}' at offset {}", open));
    }
    out.push_back({true, std::string(inner)});
    pos = close + 2;
  }
  return out;
}

void AppendValueText(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::kString:
      out.append(v.str());
      return;
    case Kind::kBool:
      out.append(v.bool_value() ? "true" : "false");
      return;
    case Kind::kInt:
      out.append(fmt::format("{}", v.int_value()));
      return;
    case Kind::kUint:
      out.append(fmt::format("{}", v.uint_value()));
      return;
    case Kind::kDouble:
      out.append(fmt::format("{}", v.double_value()));
      return;
    case Kind::kNull:
      out.append("null");
      return;
    default:
      out.append(v.DebugString());
  }
}

}  // namespace bulwark::expr
