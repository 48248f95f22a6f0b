// /v1/sys/health, /v1/sys/ready, /metrics, /v1/openapi.json, the shared schemas, and the router
// with every route set.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>

#include "bulwark/server/routes.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::OpDoc;
using internal::Ref;
using json = nlohmann::ordered_json;

constexpr std::string_view kApiVersion = "1.0.0";

}  // namespace

void DefineServerMetrics(Metrics& metrics) {
  (void)metrics;  // the server and the decorators define their own families
}

Status AddSysRoutes(Router& router, const ApiDeps& deps) {
  BULWARK_RETURN_IF_ERROR(router.AddSchema("Error", R"({
    "type": "object", "required": ["error"],
    "properties": {"error": {
      "type": "object", "required": ["code", "message", "request_id"],
      "properties": {
        "code": {"type": "string", "enum": ["invalid_argument", "unauthenticated", "permission_denied", "not_found",
                 "method_not_allowed", "already_exists", "conflict", "failed_precondition", "compliance_gate", "payload_too_large",
                 "unsupported_media_type", "data_loss", "rate_limited", "header_too_large", "unavailable", "internal"]},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "The request field or parameter at fault"},
        "request_id": {"type": "string"}
      }}}})"));
  {
    OpDoc d{.id = "health", .summary = "Liveness: 200 while serving, 503 while draining", .tag = "sys"};
    d.success_schema = json{{"type", "object"}, {"required", {"status"}},
                            {"properties", {{"status", {{"type", "string"}, {"enum", {"ok"}}}}}}};
    d.errors = {503};
    d.authenticated = false;
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/sys/health", .openapi = internal::OperationJson(d), .is_public = true,
         .inline_handler = true, .handler = [deps](const ApiRequest& req) -> ApiResponse {
           if (deps.accepting && !deps.accepting()) {
             return ApiErrorResponse(503, "unavailable", "the server is shutting down", req.context.request_id);
           }
           return JsonResponse(200, R"({"status":"ok"})");
         }}));
  }
  {
    const json ready_schema = {
        {"type", "object"},
        {"required", {"ready", "checks"}},
        {"properties",
         {{"ready", {{"type", "boolean"}}},
          {"checks",
           {{"type", "object"},
            {"required", {"store", "keys", "audit"}},
            {"additionalProperties", {{"type", "string"}}},
            {"description", "\"ok\" or why the dependency is not usable"}}}}}};
    json op = {{"operationId", "ready"},
               {"summary", "Readiness: 200 when the store, the keys and the audit log are usable, else 503"},
               {"tags", {"sys"}},
               {"responses",
                {{"200", {{"description", "Ready"}, {"content", {{"application/json", {{"schema", ready_schema}}}}}}},
                 {"503", {{"description", "Not ready"}, {"content", {{"application/json", {{"schema", ready_schema}}}}}}}}}};
    // The route owns the dependencies; the readiness gauge below only observes them (the metrics
    // registry is itself one of them, so a gauge owning them would keep the whole service alive).
    auto held = std::make_shared<const ApiDeps>(deps);
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/sys/ready", .openapi = op.dump(), .is_public = true,
         .handler = [held](const ApiRequest&) -> ApiResponse {
           const ApiDeps& deps = *held;
           json checks;
           bool ok = true;
           auto check = [&](const char* name, const Status& s) {
             checks[name] = s ? std::string("ok") : s.error().ToString();
             ok = ok && s.has_value();
           };
           check("store", deps.store_ready ? deps.store_ready() : OkStatus());
           Status keys = OkStatus();
           if (!deps.keyring) {
             keys = UnavailableError("no keyring is loaded");
           } else if (auto primary = deps.keyring->Get(deps.keyring->primary_id()); !primary) {
             keys = UnavailableError("the keyring has no usable primary key");
           }
           check("keys", keys);
           check("audit", deps.audit->HealthCheck());
           if (deps.accepting && !deps.accepting()) {
             ok = false;
           }
           return JsonResponse(ok ? 200 : 503, json({{"ready", ok}, {"checks", checks}}).dump());
         }}));
    if (deps.metrics) {
      deps.metrics->DefineGauge("bulwark_ready", "1 when store, keys and audit log are usable", {},
                                [weak = std::weak_ptr<const ApiDeps>(held)] {
        double ok = 0;
        if (auto d = weak.lock()) {
          ok = 1;
          if (d->store_ready && !d->store_ready()) ok = 0;
          if (!d->keyring || !d->audit->HealthCheck()) ok = 0;
        }
        return std::vector<std::pair<Metrics::Labels, double>>{{{}, ok}};
      });
      if (deps.keyring) {
        deps.metrics->DefineGauge("bulwark_keys", "Data keys by state", {"state"}, [k = deps.keyring] {
          std::map<std::string, double> by;
          for (auto s : {keys::KeyState::kPrimary, keys::KeyState::kDecryptOnly, keys::KeyState::kDisabled,
                         keys::KeyState::kCompromised, keys::KeyState::kDestroyed}) {
            by[std::string(keys::KeyStateName(s))] = 0;
          }
          for (const auto& info : k->List()) by[std::string(keys::KeyStateName(info.state))] += 1;
          std::vector<std::pair<Metrics::Labels, double>> out;
          for (const auto& [state, n] : by) out.push_back({{state}, n});
          return out;
        });
      }
    }
  }
  {
    OpDoc d{.id = "metrics", .summary = "Prometheus metrics (text exposition format 0.0.4)", .tag = "sys"};
    d.success_content_type = "text/plain";
    d.authenticated = false;
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/metrics", .openapi = internal::OperationJson(d), .is_public = true,
         .handler = [deps](const ApiRequest&) -> ApiResponse {
           ApiResponse r;
           r.content_type = "text/plain; version=0.0.4; charset=utf-8";
           r.body = deps.metrics ? deps.metrics->Render() : std::string();
           return r;
         }}));
  }
  {
    OpDoc d{.id = "openapi", .summary = "This API as an OpenAPI 3.1 document", .tag = "sys"};
    d.success_schema = json{{"type", "object"}, {"required", {"openapi", "paths"}}};
    d.authenticated = false;
    auto once = std::make_shared<std::once_flag>();
    auto doc = std::make_shared<std::string>();
    const Router* r = &router;
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/openapi.json", .openapi = internal::OperationJson(d), .is_public = true,
         .inline_handler = true, .handler = [r, once, doc](const ApiRequest&) -> ApiResponse {
           std::call_once(*once, [&] { *doc = r->OpenApiDocument("Bulwark", kApiVersion); });
           return JsonResponse(200, *doc);
         }}));
  }
  return OkStatus();
}

Result<std::shared_ptr<Router>> BuildApiRouter(const ApiDeps& deps) {
  auto router = std::make_shared<Router>();
  BULWARK_RETURN_IF_ERROR(AddSysRoutes(*router, deps));
  if (deps.service) BULWARK_RETURN_IF_ERROR(AddConfigRoutes(*router, deps));
  if (deps.log) BULWARK_RETURN_IF_ERROR(AddAuditRoutes(*router, deps));
  if (deps.keyring) BULWARK_RETURN_IF_ERROR(AddKeyRoutes(*router, deps));
  if (deps.changes) BULWARK_RETURN_IF_ERROR(AddChangeRoutes(*router, deps));
  BULWARK_RETURN_IF_ERROR(AddLifecycleRoutes(*router, deps));
  return router;
}

}  // namespace bulwark::server
