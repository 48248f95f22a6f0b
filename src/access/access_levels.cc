#include "bulwark/access/access_levels.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/access/policy.h"
#include "bulwark/access/resource.h"
#include "bulwark/config/format.h"

namespace bulwark::access {
namespace {

// Checks {SUBJECT: [LEVEL...]} and returns it as a config map (levels deduplicated).
Result<config::Value> Levels(const config::Value& v, std::string_view where) {
  if (!v.is_map() || v.AsMap().empty()) {
    return InvalidArgumentError(
        fmt::format("{}: expected a map of subjects to lists of levels (READ, WRITE, ROTATE, "
                    "ADMIN)",
                    where));
  }
  config::ValueMap out;
  for (const config::MapEntry& e : v.AsMap()) {
    if (!e.value.is_list() || e.value.AsList().empty()) {
      return InvalidArgumentError(fmt::format("{}: {}: expected a list of levels", where, e.key));
    }
    config::ValueList levels;
    for (const config::Value& l : e.value.AsList()) {
      if (!l.is_string() || AccessLevelActions(l.AsString()).empty()) {
        return InvalidArgumentError(fmt::format(
            "{}: {}: unknown level (READ, WRITE, ROTATE, ADMIN)", where, e.key));
      }
      config::Value level(l.AsString());
      if (std::find(levels.begin(), levels.end(), level) == levels.end()) levels.push_back(level);
    }
    out.Set(e.key, config::Value(std::move(levels)));
  }
  return config::Value(std::move(out));
}

Status CheckResource(std::string_view r) {
  auto p = ResourcePattern::Parse(r);
  if (!p) return std::unexpected(p.error());
  return OkStatus();
}

}  // namespace

Result<std::string> ImportAccessLevels(const config::Value& levels,
                                       std::optional<std::string> resource, std::string name) {
  config::ValueList entries;
  auto entry = [](const std::string& r, config::Value lv) {
    config::ValueMap e;
    e.Set("resources", config::Value(config::ValueList{config::Value(r)}));
    e.Set("levels", std::move(lv));
    return config::Value(std::move(e));
  };
  if (resource) {
    BULWARK_RETURN_IF_ERROR(CheckResource(*resource));
    BULWARK_ASSIGN_OR_RETURN(config::Value lv, Levels(levels, *resource));
    entries.push_back(entry(*resource, std::move(lv)));
  } else {
    if (!levels.is_map() || levels.AsMap().empty()) {
      return InvalidArgumentError(
          "expected {RESOURCE: {SUBJECT: [LEVEL...]}} (or give --resource for {SUBJECT: [LEVEL...]})");
    }
    for (const config::MapEntry& e : levels.AsMap()) {
      if (e.value.is_list()) {
        return InvalidArgumentError(fmt::format(
            "'{}' maps to a list: this is a per-secret policy of one resource; give --resource",
            e.key));
      }
      BULWARK_RETURN_IF_ERROR(CheckResource(e.key));
      BULWARK_ASSIGN_OR_RETURN(config::Value lv, Levels(e.value, e.key));
      entries.push_back(entry(e.key, std::move(lv)));
    }
  }
  config::ValueMap root;
  root.Set("apiVersion", config::Value("bulwark/v1"));
  root.Set("kind", config::Value("AccessPolicy"));
  root.Set("name", config::Value(name));
  root.Set("description", config::Value("Per-secret access levels (imported)."));
  root.Set("access_levels", config::Value(std::move(entries)));
  BULWARK_ASSIGN_OR_RETURN(std::string yaml,
                           config::EmitDocument(config::Value(std::move(root)), config::Format::kYaml));
  // The output must be a valid policy.
  BULWARK_RETURN_IF_ERROR(ParsePolicy(yaml, name + ".yaml"));
  return yaml;
}

}  // namespace bulwark::access
