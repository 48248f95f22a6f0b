#include "bulwark/server/grant_authorizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace bulwark::server {
namespace {

constexpr std::array<service::Action, 9> kActions = {
    service::Action::kRead,    service::Action::kReveal, service::Action::kWrite,
    service::Action::kDelete,  service::Action::kList,   service::Action::kRotate,
    service::Action::kApprove, service::Action::kAdmin,  service::Action::kAuditRead};

struct CompiledGrant {
  Grant grant;
  std::uint32_t actions = 0;  // bit per Action
};

class GrantAuthorizer final : public service::Authorizer {
 public:
  explicit GrantAuthorizer(std::vector<CompiledGrant> g) : grants_(std::move(g)) {}
  service::Decision Authorize(const service::RequestContext& ctx, service::Action action,
                              const service::Resource& resource) const override {
    const std::uint32_t bit = 1u << static_cast<unsigned>(action);
    for (std::size_t i = 0; i < grants_.size(); ++i) {
      const CompiledGrant& g = grants_[i];
      if ((g.actions & bit) == 0) continue;
      const bool who =
          std::any_of(g.grant.roles.begin(), g.grant.roles.end(),
                      [&](const std::string& r) {
                        return std::find(ctx.principal.roles.begin(), ctx.principal.roles.end(), r) !=
                               ctx.principal.roles.end();
                      }) ||
          std::find(g.grant.principals.begin(), g.grant.principals.end(), ctx.principal.id) !=
              g.grant.principals.end();
      if (!who) continue;
      const bool what = std::any_of(g.grant.resources.begin(), g.grant.resources.end(),
                                    [&](const std::string& p) { return ResourceMatches(p, resource.namespace_name); });
      if (!what) continue;
      return {true, fmt::format("grant {} allows {}", i + 1, service::ActionName(action))};
    }
    return {false, fmt::format("no grant allows {} on '{}' for {}", service::ActionName(action),
                               resource.namespace_name, ctx.principal.id)};
  }

 private:
  std::vector<CompiledGrant> grants_;
};

}  // namespace

bool ResourceMatches(std::string_view pattern, std::string_view resource) {
  if (pattern == "*") return true;
  if (pattern.ends_with('*')) return resource.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == resource;
}

Result<std::unique_ptr<service::Authorizer>> NewGrantAuthorizer(std::vector<Grant> grants) {
  std::vector<CompiledGrant> out;
  for (std::size_t i = 0; i < grants.size(); ++i) {
    CompiledGrant c{std::move(grants[i]), 0};
    const std::string where = fmt::format("authorization.grants[{}]", i);
    if (c.grant.roles.empty() && c.grant.principals.empty()) {
      return InvalidArgumentError(where + ": needs roles or principals");
    }
    if (c.grant.resources.empty()) return InvalidArgumentError(where + ".resources: at least one pattern");
    for (const auto& r : c.grant.resources) {
      if (r.empty()) return InvalidArgumentError(where + ".resources: an empty pattern");
    }
    for (const auto& a : c.grant.actions) {
      if (a == "*") {
        c.actions = ~0u;
        continue;
      }
      bool known = false;
      for (service::Action act : kActions) {
        if (service::ActionName(act) == a) {
          c.actions |= 1u << static_cast<unsigned>(act);
          known = true;
        }
      }
      if (!known) {
        return InvalidArgumentError(fmt::format(
            "{}.actions: unknown action '{}' (read, reveal, write, delete, list, rotate, approve, admin, audit.read, *)",
            where, a));
      }
    }
    if (c.actions == 0) return InvalidArgumentError(where + ".actions: at least one action");
    // The audit routes ask for audit.read (as the access engine and the CLI do); a grant's "read"
    // has always covered them and still does.
    if ((c.actions & (1u << static_cast<unsigned>(service::Action::kRead))) != 0) {
      c.actions |= 1u << static_cast<unsigned>(service::Action::kAuditRead);
    }
    out.push_back(std::move(c));
  }
  return std::unique_ptr<service::Authorizer>(std::make_unique<GrantAuthorizer>(std::move(out)));
}

}  // namespace bulwark::server
