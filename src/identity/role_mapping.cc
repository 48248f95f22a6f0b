#include "bulwark/identity/role_mapping.h"

#include <fmt/format.h>

#include <algorithm>

#include "identity/internal/config_reader.h"

namespace bulwark::identity {

std::vector<std::string> RoleMapping::Map(const std::vector<std::string>& member_of) const {
  std::vector<std::string> roles = default_roles;
  for (const auto& group : member_of) {
    auto it = groups.find(group);
    if (it != groups.end()) {
      roles.insert(roles.end(), it->second.begin(), it->second.end());
    } else if (pass_through && !group.empty()) {
      roles.push_back(group);
    }
  }
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

Result<RoleMapping> RoleMapping::FromValue(const config::Value& value, std::string_view where) {
  RoleMapping m;
  if (value.is_null()) return m;
  BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(value, std::string(where)));
  BULWARK_RETURN_IF_ERROR(r.OnlyKeys({"default", "groups", "pass_through"}));
  BULWARK_ASSIGN_OR_RETURN(m.default_roles, r.Strings("default"));
  BULWARK_ASSIGN_OR_RETURN(m.pass_through, r.Bool("pass_through", false));
  if (const config::Value* g = r.Find("groups"); g != nullptr && !g->is_null()) {
    BULWARK_ASSIGN_OR_RETURN(auto gr, internal::ConfigReader::Create(*g, r.Where("groups")));
    for (const auto& e : g->AsMap()) {
      BULWARK_ASSIGN_OR_RETURN(auto roles, gr.Strings(e.key));
      m.groups[e.key] = std::move(roles);
    }
  }
  for (const auto& role : m.default_roles) {
    if (role.empty())
      return InvalidArgumentError(fmt::format("{}.default: empty role name", where));
  }
  for (const auto& [group, roles] : m.groups) {
    for (const auto& role : roles) {
      if (role.empty()) {
        return InvalidArgumentError(fmt::format("{}.groups.{}: empty role name", where, group));
      }
    }
  }
  return m;
}

}  // namespace bulwark::identity
