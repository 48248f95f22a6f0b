#include "bulwark/access/local_identity.h"

#include <fmt/format.h>

#include "bulwark/access/policy_tests.h"

namespace bulwark::access {

Result<AccessSettings> ReadAccessSettings(const config::Document& doc,
                                          const std::filesystem::path& home) {
  AccessSettings out;
  out.policies_dir = home / "policies";
  const config::Value* access = doc.root.Get("access");
  if (access == nullptr) return out;
  auto fail = [&](const config::Path& path, std::string_view msg) {
    std::string where = "config.yaml";
    if (auto loc = doc.LocationOf(path)) where = loc->ToString();
    return InvalidArgumentError(fmt::format("{}: {}: {}", where, path.ToString(), msg));
  };
  const config::Path base = config::Path().Key("access");
  if (!access->is_map()) return fail(base, "expected a map (policies, local_users)");
  out.configured = true;
  for (const config::MapEntry& e : access->AsMap()) {
    if (e.key == "policies") {
      if (!e.value.is_string() || e.value.AsString().empty()) {
        return fail(base.Key("policies"), "expected a directory name");
      }
      std::filesystem::path dir = e.value.AsString();
      out.policies_dir = dir.is_absolute() ? dir : home / dir;
    } else if (e.key == "local_users") {
      if (!e.value.is_map()) return fail(base.Key("local_users"), "expected a map of user names");
      for (const config::MapEntry& u : e.value.AsMap()) {
        const config::Path upath = base.Key("local_users").Key(u.key);
        if (!u.value.is_map()) return fail(upath, "expected a map {id, roles, groups, attributes}");
        config::Value entry = u.value;
        if (entry.Get("id") == nullptr) {
          entry.AsMap().Set("id", config::Value(u.key == "*" ? "local:*" : "local:" + u.key));
        }
        auto p = PrincipalFromValue(entry, "local user");
        if (!p) return fail(upath, p.error().message());
        config::ClearLocations(entry);
        out.local_users.emplace(u.key, std::move(entry));
      }
    } else {
      return fail(base.Key(e.key), "unknown field (policies, local_users)");
    }
  }
  return out;
}

Result<Principal> LocalPrincipal(const AccessSettings& settings, std::string_view user) {
  auto it = settings.local_users.find(user);
  if (it == settings.local_users.end()) it = settings.local_users.find("*");
  Principal p;
  if (it != settings.local_users.end()) {
    BULWARK_ASSIGN_OR_RETURN(p, PrincipalFromValue(it->second, "local user"));
    if (p.id == "local:*") p.id.clear();
  }
  if (p.id.empty()) p.id = "local:" + std::string(user);
  p.kind = "local";
  return p;
}

}  // namespace bulwark::access
