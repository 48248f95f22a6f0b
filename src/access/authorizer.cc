#include "bulwark/access/authorizer.h"

#include <fmt/format.h>

#include <chrono>
#include <utility>

#include "bulwark/config/loader.h"

namespace bulwark::access {
namespace {

Action ToAccessAction(request::Action a) {
  // The two enums list the same actions in the same order (request/action.h, access/action.h).
  static_assert(static_cast<std::size_t>(request::kActionCount) == kActionCount);
  return static_cast<Action>(static_cast<std::uint8_t>(a));
}

// The principal a policy sees for the service's principal.
Principal ToAccessPrincipal(const request::Principal& p, const AccessSettings& settings) {
  Principal out;
  if (p.kind == "local" && p.id.starts_with("local:")) {
    auto mapped = LocalPrincipal(settings, std::string_view(p.id).substr(6));
    if (mapped) out = std::move(*mapped);  // settings were validated when they were read
  }
  if (out.id.empty()) out.id = p.id;
  out.kind = p.kind;
  for (const std::string& r : p.roles) out.roles.push_back(r);
  if (p.attributes.is_map()) {
    if (!out.attributes.is_map()) out.attributes = config::Value::EmptyMap();
    config::ValueMap& attrs = out.attributes.AsMap();
    for (const config::MapEntry& e : p.attributes.AsMap()) {
      const std::string& key = e.key;
      const config::Value& value = e.value;
      if (key == "groups" && value.is_list()) {
        for (const config::Value& g : value.AsList()) {
          if (g.is_string()) out.groups.push_back(g.AsString());
        }
        continue;
      }
      if (!attrs.Contains(key)) attrs.Set(key, value);
    }
  }
  return out;
}

RequestFacts Facts(const request::RequestContext& ctx, const Clock& clock) {
  RequestFacts f;
  const auto since = clock.Now().time_since_epoch();
  const auto secs = std::chrono::floor<std::chrono::seconds>(since);
  f.time_seconds = secs.count();
  f.time_nanos = static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count());
  if (!ctx.source_address.empty() && ctx.source_address != "local") f.source = ctx.source_address;
  if (const config::Value* mfa = ctx.principal.attributes.Get("mfa");
      mfa != nullptr && mfa->is_bool()) {
    f.mfa = mfa->AsBool();
  }
  return f;
}

ResourceRef ToResource(const request::Resource& r) {
  using request::ResourceKind;
  switch (r.kind) {
    case ResourceKind::kNamespace:
      return {ResourceType::kConfig, r.namespace_name, {}, nullptr};
    case ResourceKind::kFile:
      return {ResourceType::kConfig, r.name, {}, nullptr};
    case ResourceKind::kKey:
      return {ResourceType::kKey, r.name, {}, nullptr};
    case ResourceKind::kKeyring:
      return {ResourceType::kKey, "keyring", {}, nullptr};
    case ResourceKind::kAudit:
      return {ResourceType::kAudit, "log", {}, nullptr};
    case ResourceKind::kPolicy:
      return {ResourceType::kPolicy, r.name, {}, nullptr};
    case ResourceKind::kChangeRequest:
      return {ResourceType::kChange, r.name, {}, nullptr};
  }
  return {ResourceType::kConfig, r.namespace_name, {}, nullptr};
}

class DenyAll final : public request::Authorizer {
 public:
  explicit DenyAll(std::string reason) : reason_(std::move(reason)) {}
  request::Decision Authorize(const request::RequestContext&, request::Action,
                              const request::Resource&) const override {
    return {.allowed = false, .reason = reason_};
  }

 private:
  std::string reason_;
};

}  // namespace

PolicyAuthorizer::PolicyAuthorizer(std::shared_ptr<const PolicySet> set, AccessSettings settings,
                                   std::shared_ptr<Clock> clock)
    : set_(std::move(set)), settings_(std::move(settings)), clock_(std::move(clock)) {}

request::Decision PolicyAuthorizer::Authorize(const request::RequestContext& ctx,
                                              request::Action action,
                                              const request::Resource& resource) const {
  const Principal principal = ToAccessPrincipal(ctx.principal, settings_);
  Request req;
  req.principal = &principal;
  req.action = ToAccessAction(action);
  req.resource = ToResource(resource);
  req.facts = Facts(ctx, *clock_);
  config::Value attributes = config::Value::EmptyMap();
  if (resource.sensitive) attributes.AsMap().Set("sensitive", config::Value(true));
  req.resource.attributes = &attributes;

  const bool per_path = (resource.kind == request::ResourceKind::kNamespace ||
                         resource.kind == request::ResourceKind::kFile) &&
                        !resource.paths.empty();
  if (!per_path) {
    const Decision d = set_->Decide(req);
    return {.allowed = d.allowed, .reason = d.Describe()};
  }
  // One decision per path: every path must be allowed; the first denial is the answer.
  for (const std::string& path : resource.paths) {
    req.resource.path = path;
    const Decision d = set_->Decide(req);
    if (!d.allowed) return {.allowed = false, .reason = d.Describe()};
  }
  req.resource.path = resource.paths.front();
  return {.allowed = true, .reason = set_->Decide(req).Describe()};
}

std::pair<std::string, std::vector<std::string>> PolicyAuthorizer::EffectivePrincipal(
    const request::RequestContext& ctx) const {
  const Principal principal = ToAccessPrincipal(ctx.principal, settings_);
  return {principal.id, set_->EffectiveRoles(principal)};
}

std::unique_ptr<request::Authorizer> NewDenyAllAuthorizer(std::string reason) {
  return std::make_unique<DenyAll>(std::move(reason));
}

std::shared_ptr<const request::Authorizer> LoadHomeAuthorizer(const Runtime& rt,
                                                              const std::filesystem::path& home) {
  auto fail = [](const Error& e) -> std::shared_ptr<const request::Authorizer> {
    return NewDenyAllAuthorizer(
        fmt::format("access policies unavailable, every request is denied: {}", e.message()));
  };
  const std::filesystem::path config_file = home / "config.yaml";
  auto config_exists = rt.fs->Exists(config_file);
  if (!config_exists) return fail(config_exists.error());
  config::Document doc;
  if (*config_exists) {
    auto loaded = config::LoadFile(*rt.fs, config_file, config::Format::kYaml);
    if (!loaded) return fail(loaded.error());
    doc = std::move(*loaded);
  }
  auto settings = ReadAccessSettings(doc, home);
  if (!settings) return fail(settings.error());
  auto dir_exists = rt.fs->Exists(settings->policies_dir);
  if (!dir_exists) return fail(dir_exists.error());
  if (!settings->configured && !*dir_exists) return nullptr;
  if (!*dir_exists) {
    return fail(Error(ErrorCode::kNotFound,
                      fmt::format("policy directory {} does not exist (named by access.policies "
                                  "in {})",
                                  settings->policies_dir.string(), config_file.string())));
  }
  PolicySetOptions options;
  options.fs = rt.fs;
  auto set = PolicySet::LoadDirectory(*rt.fs, settings->policies_dir, options);
  if (!set) return fail(set.error());
  return std::make_shared<PolicyAuthorizer>(std::move(*set), std::move(*settings), rt.clock);
}

}  // namespace bulwark::access
