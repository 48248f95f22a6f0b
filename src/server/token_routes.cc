// /v1/tokens: the home's API token store over HTTP (include/bulwark/server/token_routes.h).
#include "bulwark/server/token_routes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bulwark/identity/duration.h"
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
using json = nlohmann::ordered_json;

// The grants match "tokens"; the access engine sees policy:api-tokens (who holds which roles is
// access administration), never a config namespace that happens to be called "tokens".
service::Resource TokensResource() {
  return internal::ServerResource("tokens", service::ResourceKind::kPolicy, "api-tokens");
}

json Time(const std::optional<TimePoint>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

// The shape of `bulwark token list --format json`.
json TokenJson(const identity::TokenRecord& r, TimePoint now) {
  return {{"id", r.id},
          {"name", r.name},
          {"roles", r.roles},
          {"namespaces", r.namespaces},
          {"created_by", r.created_by},
          {"created_at", FormatRfc3339(r.created_at)},
          {"expires_at", Time(r.expires_at)},
          {"revoked_at", Time(r.revoked_at)},
          {"last_used_at", Time(r.last_used_at)},
          {"status", r.revoked() ? "revoked" : r.expired(now) ? "expired" : "active"}};
}

std::string Described(const identity::TokenRecord& r) {
  return fmt::format("token '{}' roles [{}]", r.name, fmt::join(r.roles, ","));
}

}  // namespace

Status AddTokenRoutes(Router& router, const ApiDeps& deps, std::shared_ptr<identity::TokenStore> store,
                      std::shared_ptr<Clock> clock) {
  if (!store || !clock) return InvalidArgumentError("token routes: a token store and a clock are required");
  const json nullable_time = {{"type", json::array({"string", "null"})}};
  BULWARK_RETURN_IF_ERROR(router.AddSchema("ApiToken", json({
      {"type", "object"},
      {"required", {"id", "name", "roles", "namespaces", "created_by", "created_at", "expires_at", "revoked_at",
                    "last_used_at", "status"}},
      {"properties", {{"id", {{"type", "string"}}},
                      {"name", {{"type", "string"}}},
                      {"roles", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                      {"namespaces", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                      {"created_by", {{"type", "string"}}},
                      {"created_at", {{"type", "string"}}},
                      {"expires_at", nullable_time},
                      {"revoked_at", nullable_time},
                      {"last_used_at", nullable_time},
                      {"status", {{"type", "string"}, {"enum", {"active", "expired", "revoked"}}}}}}}).dump()));
  {
    OpDoc d{.id = "createToken",
            .summary = "Create an API token (admin): the token is in this response only",
            .tag = "tokens"};
    d.request_schema = json{
        {"type", "object"},
        {"required", {"name", "roles"}},
        {"additionalProperties", false},
        {"properties", {{"name", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._-]{1,64}$"}}},
                        {"roles", {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}}},
                        {"namespaces", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                        {"ttl", {{"type", "string"}, {"description", "30m, 12h, 90d, 2w (default 90d)"}}},
                        {"no_expiry", {{"type", "boolean"}}}}}};
    d.success = 201;
    d.success_schema = json{{"type", "object"},
                            {"required", {"token", "record"}},
                            {"properties", {{"token", {{"type", "string"}, {"description", "bwk_...: shown once"}}},
                                            {"record", Ref("ApiToken")}}}};
    d.errors = {400, 403, 409, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/tokens", .openapi = internal::OperationJson(d), .has_body = true,
         .handler = [deps, store, clock](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "token.create", service::Action::kAdmin, TokensResource());
           if (auto refused = g.Begin()) return *refused;
           auto body = Body::Parse(req, deps.max_json_depth);
           if (!body) return g.Fail(body.error());
           if (auto s = body->OnlyFields({"name", "roles", "namespaces", "ttl", "no_expiry"}); !s) {
             return g.Fail(s.error());
           }
           identity::NewTokenRequest nt;
           auto name = body->String("name");
           if (!name) return g.Fail(name.error());
           nt.name = *name;
           auto roles = body->OptionalStrings("roles");
           if (!roles) return g.Fail(roles.error());
           if (roles->empty()) return g.Fail(BadField(req, "roles", "at least one role is required").error());
           // Minting a role is granting it: the creator must be allowed admin on each role
           // (policy:roles/<role> for the access engine; the grants match "tokens" as above), so a
           // token manager cannot hand out roles it was not given power over.
           for (const std::string& role : *roles) {
             const service::Decision d = deps.authorizer->Authorize(
                 req.context, service::Action::kAdmin,
                 internal::ServerResource("tokens", service::ResourceKind::kPolicy, "roles/" + role));
             if (!d.allowed) {
               return g.Fail(ErrorReply(
                   req,
                   PermissionDeniedError(fmt::format(
                       "roles: {} may not grant role '{}' (needs admin on policy:roles/{}): {}",
                       req.context.principal.id, role, role, d.reason)).error(),
                   "roles"));
             }
           }
           nt.roles = *roles;
           auto namespaces = body->OptionalStrings("namespaces");
           if (!namespaces) return g.Fail(namespaces.error());
           nt.namespaces = *namespaces;
           auto ttl_text = body->OptionalString("ttl");
           if (!ttl_text) return g.Fail(ttl_text.error());
           auto no_expiry = body->OptionalBool("no_expiry", false);
           if (!no_expiry) return g.Fail(no_expiry.error());
           if (*no_expiry && ttl_text->has_value()) {
             return g.Fail(BadField(req, "no_expiry", "give ttl or no_expiry, not both").error());
           }
           if (!*no_expiry) {
             auto ttl = identity::ParseDuration(ttl_text->value_or("90d"), "ttl");
             if (!ttl) return g.Fail(BadField(req, "ttl", ttl.error().message()).error());
             if (ttl->count() <= 0) return g.Fail(BadField(req, "ttl", "must be positive").error());
             nt.expires_at = clock->Now() + *ttl;
           }
           nt.created_by = req.context.principal.id;
           auto created = store->Create(nt);
           if (!created) {
             const ErrorCode code = created.error().code();
             return g.Fail(ErrorReply(req, created.error(),
                                      code == ErrorCode::kInvalidArgument || code == ErrorCode::kAlreadyExists
                                          ? "name"
                                          : ""));
           }
           g.record().paths = {"token:" + created->record.id};
           g.record().reason = Described(created->record);
           json out = {{"token", created->token.RevealAsString()},
                       {"record", TokenJson(created->record, clock->Now())}};
           ApiResponse r = JsonResponse(201, out.dump());
           r.headers.emplace_back("Cache-Control", "no-store");
           return g.Succeed(std::move(r));
         }}));
  }
  {
    OpDoc d{.id = "listTokens", .summary = "The API tokens (admin): revoked and expired ones included, newest first",
            .tag = "tokens"};
    d.success_schema = json{{"type", "object"},
                            {"required", {"tokens"}},
                            {"properties", {{"tokens", {{"type", "array"}, {"items", Ref("ApiToken")}}}}}};
    d.errors = {403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/tokens", .openapi = internal::OperationJson(d),
         .handler = [deps, store, clock](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "token.list", service::Action::kAdmin, TokensResource());
           if (auto refused = g.Begin()) return *refused;
           auto all = store->List();
           if (!all) return g.Fail(ErrorReply(req, all.error()));
           const TimePoint now = clock->Now();
           json arr = json::array();
           for (const auto& t : *all) arr.push_back(TokenJson(t, now));
           return g.Succeed(JsonResponse(200, json({{"tokens", arr}}).dump()));
         }}));
  }
  {
    OpDoc d{.id = "revokeToken", .summary = "Revoke an API token by id or name (admin); it is refused from then on",
            .tag = "tokens"};
    d.parameters = {internal::PathParam("id", "The token's id or name")};
    d.success_schema = json{{"type", "object"}, {"required", {"record"}}, {"properties", {{"record", Ref("ApiToken")}}}};
    d.errors = {400, 403, 404, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "DELETE", .pattern = "/v1/tokens/{id}", .openapi = internal::OperationJson(d),
         .handler = [deps, store, clock](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "token.revoke", service::Action::kAdmin, TokensResource());
           if (auto refused = g.Begin()) return *refused;
           auto r = store->Revoke(req.Param("id"));
           if (!r) return g.Fail(ErrorReply(req, r.error(), "id"));
           g.record().paths = {"token:" + r->id};
           g.record().reason = Described(*r);
           return g.Succeed(JsonResponse(200, json({{"record", TokenJson(*r, clock->Now())}}).dump()));
         }}));
  }
  return OkStatus();
}

}  // namespace bulwark::server
