#include "bulwark/access/resource.h"

#include <fmt/format.h>

#include <array>

#include "bulwark/config/path.h"

namespace bulwark::access {
namespace {

constexpr std::array<std::string_view, kResourceTypeCount> kTypeNames = {"config", "audit", "key",
                                                                         "policy", "change"};

// The prefix up to and including the last `sep`, or "" when there is none.
std::string_view CutAtLast(std::string_view s, char sep) {
  std::size_t p = s.rfind(sep);
  return p == std::string_view::npos ? std::string_view() : s.substr(0, p + 1);
}

}  // namespace

std::string_view ResourceTypeName(ResourceType type) {
  auto i = static_cast<std::size_t>(type);
  return i < kTypeNames.size() ? kTypeNames[i] : std::string_view("unknown");
}

std::optional<ResourceType> ParseResourceType(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<ResourceType>(i);
  }
  return std::nullopt;
}

ActionSet ApplicableActions(ResourceType type) {
  using A = Action;
  auto of = [](std::initializer_list<Action> list) {
    ActionSet s;
    for (Action a : list) s.Add(a);
    return s;
  };
  switch (type) {
    case ResourceType::kConfig:
      return of({A::kRead, A::kReveal, A::kWrite, A::kDelete, A::kList, A::kRotate, A::kAdmin});
    case ResourceType::kAudit:
      return of({A::kAuditRead, A::kList, A::kAdmin});
    case ResourceType::kKey:
      return of({A::kRead, A::kWrite, A::kDelete, A::kList, A::kRotate, A::kAdmin});
    case ResourceType::kPolicy:
      return of({A::kRead, A::kWrite, A::kDelete, A::kList, A::kAdmin});
    case ResourceType::kChange:
      return of({A::kRead, A::kWrite, A::kDelete, A::kList, A::kApprove, A::kAdmin});
  }
  return {};
}

Result<ResourceName> ResourceName::Parse(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("resource '{}': expected TYPE:NAME (config:NS[:PATH], audit:NAME, key:ID, "
                    "policy:NAME, change:ID)",
                    text));
  }
  auto type = ParseResourceType(text.substr(0, colon));
  if (!type) {
    return InvalidArgumentError(fmt::format(
        "resource '{}': unknown type '{}' (config, audit, key, policy, change)", text,
        text.substr(0, colon)));
  }
  ResourceName r;
  r.type = *type;
  std::string_view rest = text.substr(colon + 1);
  std::string_view path;
  bool has_path = false;
  if (r.type == ResourceType::kConfig) {
    std::size_t c2 = rest.find(':');
    if (c2 != std::string_view::npos) {
      path = rest.substr(c2 + 1);
      rest = rest.substr(0, c2);
      has_path = true;
    }
  }
  if (rest.empty()) return InvalidArgumentError(fmt::format("resource '{}': empty name", text));
  if (rest.find_first_of("*?[") != std::string_view::npos) {
    return InvalidArgumentError(fmt::format(
        "resource '{}': a resource name cannot contain '*', '?' or '[' (patterns belong in "
        "policies)",
        text));
  }
  r.name = std::string(rest);
  if (has_path) {
    if (path.empty()) {
      return InvalidArgumentError(
          fmt::format("resource '{}': empty path after the second ':'", text));
    }
    auto parsed = config::Path::Parse(path);
    if (!parsed) {
      return InvalidArgumentError(
          fmt::format("resource '{}': path: {}", text, parsed.error().message()));
    }
    r.path = parsed->ToString();
    if (r.path.empty()) {
      return InvalidArgumentError(fmt::format("resource '{}': empty path", text));
    }
  }
  return r;
}

std::string FormatResource(const ResourceRef& r) {
  std::string out(ResourceTypeName(r.type));
  out += ':';
  out += r.name;
  if (!r.path.empty()) {
    out += ':';
    out += r.path;
  }
  return out;
}

std::string ResourceName::ToString() const { return FormatResource(ref()); }

Result<ResourcePattern> ResourcePattern::Parse(std::string_view text) {
  ResourcePattern p;
  p.text_ = std::string(text);
  auto fail = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("resource pattern '{}': {}", text, why));
  };
  if (text == "*") {
    p.scope_ = Scope::kEverything;
    return p;
  }
  std::size_t colon = text.find(':');
  std::string_view type_text = text.substr(0, colon);
  auto type = ParseResourceType(type_text);
  if (!type) {
    return fail(fmt::format("unknown type '{}' (config, audit, key, policy, change, or * for "
                            "everything)",
                            type_text));
  }
  p.type_ = *type;
  if (colon == std::string_view::npos) {
    p.scope_ = Scope::kType;
    return p;
  }
  std::string_view rest = text.substr(colon + 1);
  std::string_view path;
  bool has_path = false;
  if (p.type_ == ResourceType::kConfig) {
    // The namespace part cannot contain ':' (nor can namespaces), so the next ':' starts the path.
    std::size_t c2 = rest.find(':');
    if (c2 != std::string_view::npos) {
      path = rest.substr(c2 + 1);
      rest = rest.substr(0, c2);
      has_path = true;
    }
  }
  if (rest.empty()) return fail("empty name after ':'");
  auto name = Glob::Compile(rest, '/', /*classes=*/true);
  if (!name) return fail(name.error().message());
  p.name_ = std::move(*name);
  p.scope_ = Scope::kName;
  if (has_path) {
    if (path.empty()) return fail("empty path after the second ':'");
    auto pg = Glob::Compile(path, '.', /*classes=*/false);
    if (!pg) return fail(pg.error().message());
    p.path_ = std::move(*pg);
    p.scope_ = Scope::kPath;
  }
  return p;
}

bool ResourcePattern::Matches(const ResourceRef& r) const {
  switch (scope_) {
    case Scope::kEverything:
      return true;
    case Scope::kType:
      return r.type == type_;
    case Scope::kName:
      return r.type == type_ && name_.Matches(r.name);
    case Scope::kPath:
      return r.type == type_ && name_.Matches(r.name) && path_.Matches(r.path);
  }
  return false;
}

std::string ResourcePattern::IndexKey() const {
  if (scope_ == Scope::kEverything) return "";
  std::string key(ResourceTypeName(type_));
  key += ':';
  if (scope_ == Scope::kType) return key;
  if (!name_.is_literal()) {
    key += CutAtLast(name_.literal_prefix(), '/');
    return key;
  }
  key += name_.literal_prefix();
  key += ':';
  if (scope_ == Scope::kPath) {
    if (path_.is_literal()) {
      key += path_.literal_prefix();
      key += '.';
    } else if (path_.Matches("")) {
      // ".**" also matches the namespace itself, which has no path keys.
    } else {
      key += CutAtLast(path_.literal_prefix(), '.');
    }
  }
  return key;
}

}  // namespace bulwark::access
