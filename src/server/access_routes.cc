// /v1/access/...: the server's access policies asked over HTTP (include/bulwark/server/access_routes.h).
#include "bulwark/server/access_routes.h"

#include <fmt/format.h>

#include "bulwark/access/report.h"
#include "bulwark/access/analysis.h"
#include "server/internal/guard.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::BadField;
using internal::Body;
using internal::ErrorReply;
using internal::Guard;
using internal::OpDoc;
using internal::Ref;
using internal::Reply;
using json = nlohmann::ordered_json;

service::Resource DecisionsResource() {
  return internal::ServerResource("policies", service::ResourceKind::kPolicy, "decisions");
}

Reply<config::Value> MapField(const ApiRequest& req, const Body& body, std::string_view field) {
  const config::Value* v = body.Find(field);
  if (v == nullptr || v->is_null()) return config::Value::EmptyMap();
  if (!v->is_map()) return BadField(req, field, "must be an object");
  config::Value copy = *v;
  config::ClearLocations(copy);
  return copy;
}

// The request a check or explain asks about.
Reply<access::OwnedRequest> BuildRequest(const ApiRequest& req, const Body& body, const Clock& clock) {
  if (auto s = body.OnlyFields({"principal", "kind", "roles", "groups", "attributes", "action", "resource",
                                "resource_attributes", "context", "source", "mfa", "time"});
      !s) {
    return std::unexpected(s.error());
  }
  access::OwnedRequest r;
  BULWARK_REPLY_TRY(auto principal, body.OptionalString("principal"));
  BULWARK_REPLY_TRY(auto kind, body.OptionalString("kind"));
  BULWARK_REPLY_TRY(auto roles, body.OptionalStrings("roles"));
  BULWARK_REPLY_TRY(auto groups, body.OptionalStrings("groups"));
  BULWARK_REPLY_TRY(r.principal.attributes, MapField(req, body, "attributes"));
  if (principal) {
    if (principal->empty()) return BadField(req, "principal", "must not be empty");
    r.principal.id = *principal;
    r.principal.kind = kind ? *kind : principal->substr(0, principal->find(':'));
  } else {
    // The caller as it authenticated: its roles, groups and attributes, plus any given.
    if (kind) return BadField(req, "kind", "only with principal");
    const service::Principal& me = req.context.principal;
    r.principal.id = me.id;
    r.principal.kind = me.kind;
    r.principal.roles = me.roles;
    if (me.attributes.is_map()) {
      for (const config::MapEntry& e : me.attributes.AsMap()) {
        if (e.key == "groups" && e.value.is_list()) {
          for (const config::Value& g : e.value.AsList()) {
            if (g.is_string()) r.principal.groups.push_back(g.AsString());
          }
        } else if (!r.principal.attributes.AsMap().Contains(e.key)) {
          r.principal.attributes.AsMap().Set(e.key, e.value);
        }
      }
    }
  }
  r.principal.roles.insert(r.principal.roles.end(), roles.begin(), roles.end());
  r.principal.groups.insert(r.principal.groups.end(), groups.begin(), groups.end());
  BULWARK_REPLY_TRY(std::string action, body.String("action"));
  auto parsed_action = access::ParseAction(action);
  if (!parsed_action) {
    return BadField(req, "action",
                    fmt::format("unknown action '{}' (read, reveal, write, delete, list, rotate, approve, admin, "
                                "audit.read)",
                                action));
  }
  r.action = *parsed_action;
  BULWARK_REPLY_TRY(std::string resource, body.String("resource"));
  auto parsed_resource = access::ResourceName::Parse(resource);
  if (!parsed_resource) return BadField(req, "resource", parsed_resource.error().message());
  r.resource = std::move(*parsed_resource);
  BULWARK_REPLY_TRY(r.resource_attributes, MapField(req, body, "resource_attributes"));
  BULWARK_REPLY_TRY(r.context, MapField(req, body, "context"));
  BULWARK_REPLY_TRY(auto source, body.OptionalString("source"));
  if (source) r.facts.source = *source;
  if (const config::Value* mfa = body.Find("mfa"); mfa != nullptr && !mfa->is_null()) {
    if (!mfa->is_bool()) return BadField(req, "mfa", "must be true or false");
    r.facts.mfa = mfa->AsBool();
  } else if (!principal) {
    if (const config::Value* m = req.context.principal.attributes.Get("mfa"); m != nullptr && m->is_bool()) {
      r.facts.mfa = m->AsBool();
    }
  }
  TimePoint t = clock.Now();
  BULWARK_REPLY_TRY(auto time, body.OptionalString("time"));
  if (time) {
    auto parsed = ParseRfc3339(*time);
    if (!parsed) return BadField(req, "time", "an RFC 3339 time");
    t = *parsed;
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  r.facts.time_seconds = ns / 1'000'000'000;
  r.facts.time_nanos = static_cast<std::int32_t>(ns % 1'000'000'000);
  return r;
}


json RequestSchema() {
  const json strings = {{"type", "array"}, {"items", {{"type", "string"}}}};
  return {{"type", "object"},
          {"required", {"action", "resource"}},
          {"additionalProperties", false},
          {"properties",
           {{"principal", {{"type", "string"}, {"description", "who to ask about (default: the caller)"}}},
            {"kind", {{"type", "string"}}},
            {"roles", strings},
            {"groups", strings},
            {"attributes", {{"type", "object"}}},
            {"action", {{"type", "string"}}},
            {"resource", {{"type", "string"}, {"description", "config:NS:PATH, audit:log, key:ID, ..."}}},
            {"resource_attributes", {{"type", "object"}}},
            {"context", {{"type", "object"}}},
            {"source", {{"type", "string"}}},
            {"mfa", {{"type", "boolean"}}},
            {"time", {{"type", "string"}, {"description", "RFC 3339 (default: now)"}}}}}};
}

}  // namespace

Status AddAccessRoutes(Router& router, const ApiDeps& deps, std::shared_ptr<const access::PolicyAuthorizer> engine,
                       std::shared_ptr<Clock> clock) {
  if (!engine || !clock) return InvalidArgumentError("access routes: an access engine and a clock are required");
  const json nullable_statement = {
      {"oneOf", json::array({json{{"type", "null"}}, Ref("AccessStatement")})}};
  BULWARK_RETURN_IF_ERROR(router.AddSchema("AccessStatement", R"({
    "type": "object", "required": ["id", "effect", "location"],
    "properties": {"id": {"type": "string"}, "effect": {"type": "string", "enum": ["allow", "deny"]},
                   "location": {"type": "string"}}})"));
  json decision = {{"type", "object"},
                   {"required", {"allowed", "reason", "statement", "principal", "action", "resource", "describe"}},
                   {"properties",
                    {{"allowed", {{"type", "boolean"}}},
                     {"reason", {{"type", "string"}}},
                     {"statement", nullable_statement},
                     {"principal", {{"type", "string"}}},
                     {"action", {{"type", "string"}}},
                     {"resource", {{"type", "string"}}},
                     {"describe", {{"type", "string"}}}}}};
  BULWARK_RETURN_IF_ERROR(router.AddSchema("AccessDecision", decision.dump()));
  for (const bool explain : {false, true}) {
    OpDoc d{.id = explain ? "explainAccess" : "checkAccess",
            .summary = explain ? "The policies' decision with every deciding and candidate statement"
                               : "The policies' decision for a principal, action and resource",
            .tag = "access"};
    d.request_schema = RequestSchema();
    if (explain) {
      d.success_schema = json{
          {"allOf", json::array({Ref("AccessDecision"),
                                 json{{"type", "object"},
                                      {"required", {"effective_roles", "deciding", "candidates", "text"}},
                                      {"properties",
                                       {{"effective_roles", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                                        {"deciding", {{"type", "array"}, {"items", Ref("AccessStatement")}}},
                                        {"candidates", {{"type", "array"}, {"items", {{"type", "object"}}}}},
                                        {"text", {{"type", "string"}}}}}}})}};
    } else {
      d.success_schema = Ref("AccessDecision");
    }
    d.errors = {400, 403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = explain ? "/v1/access/explain" : "/v1/access/check",
         .openapi = internal::OperationJson(d), .has_body = true,
         .handler = [deps, engine, clock, explain](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, explain ? "access.explain" : "access.check", service::Action::kRead,
                   DecisionsResource());
           if (auto refused = g.Begin()) return *refused;
           auto body = Body::Parse(req, deps.max_json_depth);
           if (!body) return g.Fail(body.error());
           auto r = BuildRequest(req, *body, *clock);
           if (!r) return g.Fail(r.error());
           const access::PolicySet& set = engine->policies();
           access::Explanation ex;
           if (explain) {
             ex = set.Explain(r->view());
           } else {
             ex.decision = set.Decide(r->view());
           }
           g.record().reason = fmt::format("{} {} {}: {}", r->principal.id, access::ActionName(r->action),
                                           r->resource.ToString(), ex.decision.allowed ? "allow" : "deny");
           return g.Succeed(JsonResponse(200, access::DecisionJson(*r, ex, explain).dump()));
         }}));
  }
  {
    OpDoc d{.id = "whoCan", .summary = "Every principal and role the policies allow, and through which statements",
            .tag = "access"};
    d.parameters = {internal::QueryParam("action", "string", "read, reveal, write, ...", true),
                    internal::QueryParam("resource", "string", "config:NS:PATH, audit:log, ...", true)};
    const json conditional = {{"type", "array"},
                              {"items", {{"type", "object"},
                                         {"required", {"statement", "when"}},
                                         {"properties", {{"statement", {{"type", "string"}}},
                                                         {"when", {{"type", "string"}}}}}}}};
    d.success_schema = json{
        {"type", "object"},
        {"required", {"action", "resource", "subjects"}},
        {"properties",
         {{"action", {{"type", "string"}}},
          {"resource", {{"type", "string"}}},
          {"subjects", {{"type", "array"},
                        {"items", {{"type", "object"},
                                   {"required", {"subject", "condition", "allowed_by", "unless"}},
                                   {"properties", {{"subject", {{"type", "string"}}},
                                                   {"condition", {{"type", json::array({"string", "null"})}}},
                                                   {"allowed_by", conditional},
                                                   {"unless", conditional}}}}}}}}}};
    d.errors = {400, 403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/access/who-can", .openapi = internal::OperationJson(d),
         .handler = [deps, engine](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "access.who_can", service::Action::kRead, DecisionsResource());
           if (auto refused = g.Begin()) return *refused;
           auto action_text = req.Query("action");
           if (!action_text || action_text->empty()) return g.Fail(BadField(req, "action", "required").error());
           auto action = access::ParseAction(*action_text);
           if (!action) return g.Fail(BadField(req, "action", fmt::format("unknown action '{}'", *action_text)).error());
           auto resource_text = req.Query("resource");
           if (!resource_text || resource_text->empty()) {
             return g.Fail(BadField(req, "resource", "required").error());
           }
           auto resource = access::ResourceName::Parse(*resource_text);
           if (!resource) return g.Fail(BadField(req, "resource", resource.error().message()).error());
           const std::vector<access::WhoCanEntry> entries =
               access::WhoCan(engine->policies(), *action, *resource, config::Value::EmptyMap());
           auto list = [](const std::vector<access::ConditionalStatement>& v) {
             json arr = json::array();
             for (const auto& c : v) arr.push_back({{"statement", c.statement}, {"when", c.condition}});
             return arr;
           };
           json subjects = json::array();
           for (const access::WhoCanEntry& e : entries) {
             subjects.push_back({{"subject", e.subject.Describe()},
                                 {"condition", e.condition.empty() ? json(nullptr) : json(e.condition)},
                                 {"allowed_by", list(e.allows)},
                                 {"unless", list(e.denies)}});
           }
           g.record().reason = fmt::format("who can {} {}", access::ActionName(*action), resource->ToString());
           return g.Succeed(JsonResponse(200, json({{"action", access::ActionName(*action)},
                                                    {"resource", resource->ToString()},
                                                    {"subjects", subjects}})
                                                  .dump()));
         }}));
  }
  return OkStatus();
}

}  // namespace bulwark::server
