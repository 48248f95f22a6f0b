#include "access/scope.h"

namespace bulwark::access::internal {

bool Scope::Present(const AttributeRef& ref) {
  if (!built_) Build();
  std::size_t n = ref.fields.size() - (ref.test_only ? 1 : 0);
  if (n == 0) return true;
  if (ref.root == "request") {
    const std::string& f = ref.fields[0];
    if (f == "action" || f == "time") return true;
    if (f == "source") return req_.facts.source.has_value();
    if (f == "mfa") return req_.facts.mfa.has_value();
    return false;
  }
  const config::Value* v = ref.root == "principal"  ? &principal_
                           : ref.root == "resource" ? &resource_
                                                    : &context_;
  for (std::size_t i = 0; i < n && v != nullptr; ++i) v = v->Get(ref.fields[i]);
  return v != nullptr;
}

void Scope::Build() {
  built_ = true;
  const Principal& p = *req_.principal;
  principal_ = p.attributes.is_map() ? p.attributes : config::Value::EmptyMap();
  config::ValueMap& pm = principal_.AsMap();
  pm.Set("id", config::Value(p.id));
  pm.Set("kind", config::Value(p.kind));
  config::ValueList roles;
  for (std::string& r : set_.EffectiveRoles(p)) roles.emplace_back(std::move(r));
  pm.Set("roles", config::Value(std::move(roles)));
  config::ValueList groups;
  for (const std::string& g : p.groups) groups.emplace_back(g);
  pm.Set("groups", config::Value(std::move(groups)));

  const ResourceRef& r = req_.resource;
  resource_ = r.attributes != nullptr && r.attributes->is_map() ? *r.attributes
                                                                : config::Value::EmptyMap();
  config::ValueMap& rm = resource_.AsMap();
  rm.Set("type", config::Value(ResourceTypeName(r.type)));
  rm.Set("id", config::Value(FormatResource(r)));
  if (r.type == ResourceType::kConfig) {
    rm.Set("namespace", config::Value(r.name));
    rm.Set("path", config::Value(r.path));
  } else {
    rm.Set("name", config::Value(r.name));
  }
  if (!rm.Contains("environment")) {
    std::string_view env = set_.EnvironmentOf(r);
    if (!env.empty()) rm.Set("environment", config::Value(env));
  }

  expr::MapData request;
  request.entries.emplace_back(expr::Value::String("action"),
                               expr::Value::String(std::string(ActionName(req_.action))));
  request.entries.emplace_back(
      expr::Value::String("time"),
      expr::Value::Timestamp(req_.facts.time_seconds, req_.facts.time_nanos));
  if (req_.facts.source) {
    request.entries.emplace_back(expr::Value::String("source"),
                                 expr::Value::String(*req_.facts.source));
  }
  if (req_.facts.mfa) {
    request.entries.emplace_back(expr::Value::String("mfa"), expr::Value::Bool(*req_.facts.mfa));
  }
  context_ = req_.context != nullptr && req_.context->is_map() ? *req_.context
                                                                : config::Value::EmptyMap();
  act_.BindNode("principal", principal_);
  act_.BindNode("resource", resource_);
  act_.Bind("request", expr::Value::Map(std::move(request)));
  act_.BindNode("context", context_);
}

}  // namespace bulwark::access::internal
