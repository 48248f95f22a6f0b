// GET /v1/sys/status (the node's health summary, authenticated), POST /v1/rotate/due (the
// rotation schedule now) and POST /v1/secrets/rotate/{namespace} (one rotation, e.g. an
// emergency), over the node's SecretLifecycle (docs/server.md, docs/rotation.md). The services
// authorize and audit; the routes only parse and print. No route ever returns a secret value.
#include <fmt/format.h>

#include "bulwark/core/duration.h"
#include "bulwark/server/routes.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::Body;
using internal::OpDoc;
using json = nlohmann::ordered_json;

json OutcomeJson(const lifecycle::RotationOutcome& o) {
  json j = {{"id", o.id}, {"state", o.state}, {"resumed", o.resumed}};
  if (o.old_version) j["old_version"] = *o.old_version;
  if (o.new_version) j["new_version"] = *o.new_version;
  if (o.grace_until) j["grace_until"] = FormatRfc3339(*o.grace_until);
  if (!o.error.empty()) j["error"] = o.error;
  return j;
}

json DueJson(const lifecycle::DueReport& r, bool dry_run) {
  json items = json::array();
  for (const auto& i : r.items) {
    items.push_back({{"namespace", i.ns}, {"path", i.path}, {"action", i.action},
                     {"outcome", i.outcome}, {"detail", i.detail}});
  }
  return {{"dry_run", dry_run}, {"problems", r.problems()}, {"items", std::move(items)}};
}

}  // namespace

Status AddLifecycleRoutes(Router& router, const ApiDeps& deps) {
  if (deps.status) {
    OpDoc d{.id = "status",
            .summary = "The node's health: keys, secrets due or overdue (paths and dates, never values), "
                       "audit backlog and last checkpoint; 200 with healthy true or false",
            .tag = "sys"};
    d.parameters = {internal::QueryParam("within", "string", "Horizon of \"due soon\" (default 30d)")};
    d.success_schema = json{{"type", "object"},
                            {"required", {"healthy", "keys", "secrets", "audit"}},
                            {"description", "The JSON of `bulwark status --json` (docs/rotation.md section 6)"}};
    d.errors = {400, 403};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/sys/status", .openapi = internal::OperationJson(d),
         .handler = [status = deps.status](const ApiRequest& req) -> ApiResponse {
           std::chrono::seconds within = std::chrono::days(30);
           if (auto w = req.Query("within")) {
             auto d = ParseDuration(*w);
             if (!d) return internal::BadField(req, "within", d.error().message()).error();
             within = *d;
           }
           auto [healthy, body] = status(req.context, within);
           (void)healthy;  // in the body; the route answers 200 either way (health is /v1/sys/health)
           return JsonResponse(200, body);
         }}));
  }
  if (!deps.lifecycle) return OkStatus();
  const std::size_t depth = deps.max_json_depth;
  // POST /v1/rotate/due
  {
    OpDoc d{.id = "rotateDue",
            .summary = "Run the rotation schedule now (`bulwark rotate due`): resume, finish grace "
                       "periods, rotate what is due, record notices and overdue secrets",
            .tag = "lifecycle"};
    d.request_schema = json{{"type", "object"},
                            {"properties", {{"dry_run", {{"type", "boolean"}, {"default", false}}}}},
                            {"additionalProperties", false}};
    d.success_schema = json{
        {"type", "object"},
        {"required", {"dry_run", "problems", "items"}},
        {"properties",
         {{"dry_run", {{"type", "boolean"}}},
          {"problems", {{"type", "boolean"}, {"description", "anything overdue, failed or rolled back"}}},
          {"items", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
    d.errors = {400, 403, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/rotate/due", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [lc = deps.lifecycle, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::ParseOptional(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"dry_run"}));
           BULWARK_REPLY_OR_RETURN(bool dry_run, body.OptionalBool("dry_run", false));
           auto report = lc->RunDue(req.context, dry_run);
           if (!report) return internal::ErrorReply(req, report.error());
           return JsonResponse(200, DueJson(*report, dry_run).dump());
         }}));
  }
  // POST /v1/secrets/rotate/{namespace} (the namespace, which has slashes, comes last)
  {
    OpDoc d{.id = "rotateSecret",
            .summary = "Rotate one secret now (or resume its rotation); emergency: grace 0, reason required",
            .tag = "lifecycle"};
    d.parameters = {internal::NamespaceParam()};
    d.request_schema = json{{"type", "object"},
                            {"required", {"path"}},
                            {"properties",
                             {{"path", {{"type", "string"}}},
                              {"emergency", {{"type", "boolean"}, {"default", false}}},
                              {"reason", {{"type", "string"}}},
                              {"force", {{"type", "boolean"}, {"default", false}}}}},
                            {"additionalProperties", false}};
    d.success_schema = json{{"type", "object"},
                            {"required", {"id", "state"}},
                            {"properties",
                             {{"id", {{"type", "string"}}},
                              {"state", {{"type", "string"}, {"enum", {"done", "in_grace", "rolled_back"}}}},
                              {"error", {{"type", "string"}, {"description", "why it rolled back"}}}}}};
    d.errors = {400, 403, 404, 409, 412, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/secrets/rotate/{namespace+}", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [lc = deps.lifecycle, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::Parse(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"path", "emergency", "reason", "force"}));
           BULWARK_REPLY_OR_RETURN(std::string path_text, body.String("path"));
           auto path = config::Path::Parse(path_text);
           if (!path) return internal::BadField(req, "path", path.error().message()).error();
           lifecycle::RotateOptions o;
           BULWARK_REPLY_OR_RETURN(o.emergency, body.OptionalBool("emergency", false));
           BULWARK_REPLY_OR_RETURN(o.force, body.OptionalBool("force", false));
           BULWARK_REPLY_OR_RETURN(auto reason, body.OptionalString("reason"));
           if (reason) o.reason = *reason;
           if (o.emergency && o.reason.empty()) {
             return internal::BadField(req, "reason", "required with emergency").error();
           }
           auto out = lc->Rotate(req.context, req.Param("namespace"), *path, o);
           if (!out) return internal::ErrorReply(req, out.error(), "path");
           return JsonResponse(200, OutcomeJson(*out).dump());
         }}));
  }
  return OkStatus();
}

}  // namespace bulwark::server
