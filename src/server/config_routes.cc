// /v1/config/... and /v1/compliance/...: the configuration store through the service pipeline
// (authorize, validate, encrypt, store, audit). Every handler parses, calls one service
// operation with the request's context, and prints the result.
#include <fmt/format.h>

#include "bulwark/compliance/report_format.h"
#include "bulwark/config/path.h"
#include "bulwark/server/routes.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::BadField;
using internal::Body;
using internal::ErrorReply;
using internal::OpDoc;
using internal::Ref;
using json = nlohmann::ordered_json;

// The request field an error of the service is about, for the error's `field`.
std::string FieldOf(const Error& e, std::string_view fallback) {
  if (e.code() == ErrorCode::kConflict) return "expected_version";
  if (e.message().find("namespace") != std::string::npos && e.code() == ErrorCode::kInvalidArgument &&
      e.message().find("invalid namespace") != std::string::npos) {
    return "namespace";
  }
  return std::string(fallback);
}

internal::Reply<config::Path> PathArg(const ApiRequest& req, std::string_view field, std::string_view text) {
  auto p = config::Path::ParseAny(text);
  if (!p) return BadField(req, field, p.error().message());
  return std::move(*p);
}

std::string ReadJson(const service::ReadResult& r) {
  std::string out = "{\"info\":";
  out += internal::VersionInfoJson(r.info).dump();
  out += ",\"value\":";
  out += internal::ValueJson(r.value);
  out += ",\"sensitive\":";
  json s = json::array();
  for (const auto& p : r.sensitive) s.push_back(p.ToString());
  out += s.dump();
  out += '}';
  return out;
}

ApiResponse Written(const store::VersionInfo& info) {
  return JsonResponse(200, json({{"info", internal::VersionInfoJson(info)}}).dump());
}

ApiResponse Read(const ApiDeps& deps, const ApiRequest& req, bool reveal) {
  service::ReadRequest r;
  BULWARK_REPLY_OR_RETURN(r.version, internal::QueryVersion(req));
  r.reveal = reveal;
  if (auto path = req.Query("path"); path && !path->empty()) {
    BULWARK_REPLY_OR_RETURN(config::Path p, PathArg(req, "path", *path));
    r.path = std::move(p);
  }
  auto result = deps.service->Get(req.context, req.Param("namespace"), r);
  if (!result) return ErrorReply(req, result.error(), FieldOf(result.error(), ""));
  return JsonResponse(200, ReadJson(*result));
}

template <typename T>
void Fill(service::WriteRequest& w, const T& message, const std::optional<std::int64_t>& expected) {
  if (message) w.message = *message;
  if (expected) w.expected_version = *expected;
}

std::vector<nlohmann::ordered_json> ReadParams() {
  return {internal::NamespaceParam(),
          internal::QueryParam("path", "string", "A dotted path or JSON Pointer inside the document"),
          internal::QueryParam("version", "integer", "A version number (default: the latest)"),
          internal::QueryParam("at", "string", "The version current at this RFC 3339 time")};
}

}  // namespace

Status AddConfigRoutes(Router& router, const ApiDeps& deps) {
  const std::size_t depth = deps.max_json_depth;
  BULWARK_RETURN_IF_ERROR(router.AddSchema("VersionInfo", R"({
    "type": "object",
    "required": ["namespace", "version", "created_at", "author", "operation", "message", "tags", "content_hash", "parent", "rollback_of"],
    "properties": {
      "namespace": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
      "created_at": {"type": "string"}, "author": {"type": "string"},
      "operation": {"type": "string", "enum": ["put", "set", "unset", "rollback", "reencrypt"]},
      "message": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
      "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
      "parent": {"type": ["integer", "null"]}, "rollback_of": {"type": ["integer", "null"]}
    }})"));
  BULWARK_RETURN_IF_ERROR(router.AddSchema("Written", R"({
    "type": "object", "required": ["info"], "properties": {"info": {"$ref": "#/components/schemas/VersionInfo"}}})"));
  BULWARK_RETURN_IF_ERROR(router.AddSchema("ReadResult", R"({
    "type": "object", "required": ["info", "value", "sensitive"],
    "properties": {
      "info": {"$ref": "#/components/schemas/VersionInfo"},
      "value": {"description": "The document or the subtree at `path`; sensitive values are \"[redacted]\" unless revealed"},
      "sensitive": {"type": "array", "items": {"type": "string"}, "description": "Paths of the sensitive values, relative to value"}
    }})"));
  const json write_fields = {
      {"message", {{"type", "string"}, {"description", "Why this change (history and audit)"}}},
      {"expected_version",
       {{"type", "integer"}, {"minimum", 0},
        {"description", "Compare-and-set: fail with 409 unless the latest version is this (0: the namespace must be new)"}}}};

  // GET /v1/config/data/{namespace}
  {
    OpDoc d{.id = "getConfig", .summary = "Read a namespace (or a subtree); secrets redacted", .tag = "config"};
    d.parameters = ReadParams();
    d.success_schema = Ref("ReadResult");
    d.errors = {400, 403, 404, 503};
    BULWARK_RETURN_IF_ERROR(router.Add({.method = "GET", .pattern = "/v1/config/data/{namespace+}",
                                        .openapi = internal::OperationJson(d),
                                        .handler = [deps](const ApiRequest& req) { return Read(deps, req, false); }}));
  }
  // GET /v1/config/reveal/{namespace}
  {
    OpDoc d{.id = "revealConfig", .summary = "Read a namespace with its secrets decrypted (audited as reveal)",
            .tag = "config"};
    d.parameters = ReadParams();
    d.success_schema = Ref("ReadResult");
    d.errors = {400, 403, 404, 422, 503};
    BULWARK_RETURN_IF_ERROR(router.Add({.method = "GET", .pattern = "/v1/config/reveal/{namespace+}",
                                        .openapi = internal::OperationJson(d),
                                        .handler = [deps](const ApiRequest& req) { return Read(deps, req, true); }}));
  }
  // PUT /v1/config/data/{namespace}
  {
    OpDoc d{.id = "putConfig", .summary = "Store a document as the next version of a namespace", .tag = "config"};
    d.parameters = {internal::NamespaceParam()};
    json props = write_fields;
    props["document"] = {{"type", "object"}, {"description", "The whole configuration document"}};
    props["tags"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
    props["schema"] = {{"type", "object"}, {"description", "A JSON Schema (draft 7) to attach to the namespace"}};
    d.request_schema = json{{"type", "object"}, {"required", {"document"}}, {"properties", props},
                            {"additionalProperties", false}};
    d.success_schema = Ref("Written");
    d.errors = {400, 403, 409, 412, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "PUT", .pattern = "/v1/config/data/{namespace+}", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [deps, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::Parse(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"document", "message", "tags", "expected_version", "schema"}));
           const config::Value* doc = body.Find("document");
           if (doc == nullptr) return BadField(req, "document", "required").error();
           if (!doc->is_map()) return BadField(req, "document", "must be a JSON object").error();
           service::PutRequest p;
           BULWARK_REPLY_OR_RETURN(auto message, body.OptionalString("message"));
           BULWARK_REPLY_OR_RETURN(auto expected, body.OptionalInt("expected_version", 0));
           BULWARK_REPLY_OR_RETURN(p.tags, body.OptionalStrings("tags"));
           Fill(p, message, expected);
           if (const config::Value* schema = body.Find("schema"); schema != nullptr && !schema->is_null()) {
             if (!schema->is_map()) return BadField(req, "schema", "must be a JSON Schema object").error();
             p.schema = *schema;
           }
           auto info = deps.service->Put(req.context, req.Param("namespace"), *doc, p);
           if (!info) return ErrorReply(req, info.error(), FieldOf(info.error(), "document"));
           return Written(*info);
         }}));
  }
  // POST /v1/config/set/{namespace}
  {
    OpDoc d{.id = "setConfigValue", .summary = "Set one value (a new version)", .tag = "config"};
    d.parameters = {internal::NamespaceParam()};
    json props = write_fields;
    props["path"] = {{"type", "string"}, {"description", "Dotted path or JSON Pointer"}};
    props["value"] = {{"description", "Any JSON value"}};
    props["secret"] = {{"type", "boolean"}, {"description", "Encrypt even if neither schema nor name says so"}};
    d.request_schema = json{{"type", "object"}, {"required", {"path", "value"}}, {"properties", props},
                            {"additionalProperties", false}};
    d.success_schema = Ref("Written");
    d.errors = {400, 403, 404, 409, 412, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/config/set/{namespace+}", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [deps, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::Parse(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"path", "value", "secret", "message", "expected_version"}));
           BULWARK_REPLY_OR_RETURN(std::string path_text, body.String("path"));
           BULWARK_REPLY_OR_RETURN(config::Path path, PathArg(req, "path", path_text));
           const config::Value* value = body.Find("value");
           if (value == nullptr) return BadField(req, "value", "required").error();
           service::SetRequest s;
           BULWARK_REPLY_OR_RETURN(s.secret, body.OptionalBool("secret", false));
           BULWARK_REPLY_OR_RETURN(auto message, body.OptionalString("message"));
           BULWARK_REPLY_OR_RETURN(auto expected, body.OptionalInt("expected_version", 0));
           Fill(s, message, expected);
           auto info = deps.service->Set(req.context, req.Param("namespace"), path, *value, s);
           if (!info) return ErrorReply(req, info.error(), FieldOf(info.error(), "value"));
           return Written(*info);
         }}));
  }
  // POST /v1/config/unset/{namespace}
  {
    OpDoc d{.id = "unsetConfigValue", .summary = "Remove one path (a new version)", .tag = "config"};
    d.parameters = {internal::NamespaceParam()};
    json props = write_fields;
    props["path"] = {{"type", "string"}};
    d.request_schema = json{{"type", "object"}, {"required", {"path"}}, {"properties", props},
                            {"additionalProperties", false}};
    d.success_schema = Ref("Written");
    d.errors = {400, 403, 404, 409, 412, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/config/unset/{namespace+}", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [deps, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::Parse(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"path", "message", "expected_version"}));
           BULWARK_REPLY_OR_RETURN(std::string path_text, body.String("path"));
           BULWARK_REPLY_OR_RETURN(config::Path path, PathArg(req, "path", path_text));
           service::WriteRequest w;
           BULWARK_REPLY_OR_RETURN(auto message, body.OptionalString("message"));
           BULWARK_REPLY_OR_RETURN(auto expected, body.OptionalInt("expected_version", 0));
           Fill(w, message, expected);
           auto info = deps.service->Unset(req.context, req.Param("namespace"), path, w);
           if (!info) return ErrorReply(req, info.error(), FieldOf(info.error(), "path"));
           return Written(*info);
         }}));
  }
  // GET /v1/config/history/{namespace}
  {
    OpDoc d{.id = "configHistory", .summary = "The versions of a namespace, newest first", .tag = "config"};
    d.parameters = {internal::NamespaceParam()};
    d.success_schema = json{{"type", "object"}, {"required", {"versions"}},
                            {"properties", {{"versions", {{"type", "array"}, {"items", Ref("VersionInfo")}}}}}};
    d.errors = {400, 403, 404, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/config/history/{namespace+}", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           auto versions = deps.service->History(req.context, req.Param("namespace"));
           if (!versions) return ErrorReply(req, versions.error(), FieldOf(versions.error(), ""));
           json arr = json::array();
           for (const auto& v : *versions) arr.push_back(internal::VersionInfoJson(v));
           return JsonResponse(200, json({{"versions", std::move(arr)}}).dump());
         }}));
  }
  // GET /v1/config/diff/{namespace}?from=&to=
  {
    OpDoc d{.id = "configDiff", .summary = "Path-level differences between two versions (secrets: changed only)",
            .tag = "config"};
    d.parameters = {internal::NamespaceParam(), internal::QueryParam("from", "integer", "The older version", true),
                    internal::QueryParam("to", "integer", "The newer version", true)};
    d.success_schema = json{
        {"type", "object"},
        {"required", {"changes"}},
        {"properties",
         {{"changes",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"required", {"path", "change", "sensitive"}},
              {"properties",
               {{"path", {{"type", "string"}}},
                {"change", {{"type", "string"}, {"enum", {"added", "removed", "changed"}}}},
                {"sensitive", {{"type", "boolean"}}},
                {"old", json::object()},
                {"new", json::object()}}}}}}}}}};
    d.errors = {400, 403, 404, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/config/diff/{namespace+}", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(auto from, internal::QueryInt(req, "from", 1));
           BULWARK_REPLY_OR_RETURN(auto to, internal::QueryInt(req, "to", 1));
           if (!from) return BadField(req, "from", "required").error();
           if (!to) return BadField(req, "to", "required").error();
           auto diff = deps.service->Diff(req.context, req.Param("namespace"), *from, *to);
           if (!diff) return ErrorReply(req, diff.error(), FieldOf(diff.error(), ""));
           std::string out = "{\"changes\":[";
           bool first = true;
           for (const auto& e : *diff) {
             if (!first) out += ',';
             first = false;
             out += fmt::format("{{\"path\":{},\"change\":\"{}\",\"sensitive\":{}", json(e.path).dump(),
                                store::DiffKindName(e.kind), e.redacted ? "true" : "false");
             if (e.old_value) out += ",\"old\":" + internal::ValueJson(*e.old_value);
             if (e.new_value) out += ",\"new\":" + internal::ValueJson(*e.new_value);
             out += '}';
           }
           out += "]}";
           return JsonResponse(200, std::move(out));
         }}));
  }
  // POST /v1/config/rollback/{namespace}
  {
    OpDoc d{.id = "rollbackConfig", .summary = "A new version with the content of an old one", .tag = "config"};
    d.parameters = {internal::NamespaceParam()};
    d.request_schema = json{{"type", "object"},
                            {"required", {"to", "reason"}},
                            {"properties", {{"to", {{"type", "integer"}, {"minimum", 1}}}, {"reason", {{"type", "string"}}}}},
                            {"additionalProperties", false}};
    d.success_schema = Ref("Written");
    d.errors = {400, 403, 404, 409, 412, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/config/rollback/{namespace+}", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [deps, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::Parse(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"to", "reason"}));
           BULWARK_REPLY_OR_RETURN(auto to, body.OptionalInt("to", 1));
           if (!to) return BadField(req, "to", "required").error();
           BULWARK_REPLY_OR_RETURN(std::string reason, body.String("reason"));
           if (reason.empty()) return BadField(req, "reason", "must not be empty").error();
           auto info = deps.service->Rollback(req.context, req.Param("namespace"), *to, reason);
           if (!info) return ErrorReply(req, info.error(), FieldOf(info.error(), "to"));
           return Written(*info);
         }}));
  }
  // GET /v1/config/list?prefix=
  {
    OpDoc d{.id = "listNamespaces", .summary = "Namespaces under a prefix", .tag = "config"};
    d.parameters = {internal::QueryParam("prefix", "string", "e.g. production/ (default: every namespace)")};
    d.success_schema = json{
        {"type", "object"},
        {"required", {"namespaces"}},
        {"properties",
         {{"namespaces",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"required", {"namespace", "latest_version", "updated_at"}},
              {"properties",
               {{"namespace", {{"type", "string"}}},
                {"latest_version", {{"type", "integer"}}},
                {"updated_at", {{"type", "string"}}}}}}}}}}}};
    d.errors = {400, 403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/config/list", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           const std::string prefix(req.Query("prefix").value_or(""));
           auto list = deps.service->List(req.context, prefix);
           if (!list) return ErrorReply(req, list.error(), "prefix");
           json arr = json::array();
           for (const auto& n : *list) {
             arr.push_back({{"namespace", n.name}, {"latest_version", n.latest_version},
                            {"updated_at", FormatRfc3339(n.updated_at)}});
           }
           return JsonResponse(200, json({{"namespaces", std::move(arr)}}).dump());
         }}));
  }
  // POST /v1/config/move
  {
    OpDoc d{.id = "moveNamespace", .summary = "Rename a namespace atomically, with its history", .tag = "config"};
    d.request_schema = json{{"type", "object"},
                            {"required", {"from", "to"}},
                            {"properties", {{"from", {{"type", "string"}}}, {"to", {{"type", "string"}}}}},
                            {"additionalProperties", false}};
    d.success_schema = json{{"type", "object"},
                            {"required", {"from", "to"}},
                            {"properties", {{"from", {{"type", "string"}}}, {"to", {{"type", "string"}}}}}};
    d.errors = {400, 403, 404, 409, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/config/move", .openapi = internal::OperationJson(d), .has_body = true,
         .handler = [deps, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::Parse(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"from", "to"}));
           BULWARK_REPLY_OR_RETURN(std::string from, body.String("from"));
           BULWARK_REPLY_OR_RETURN(std::string to, body.String("to"));
           // The service authorizes the source; the destination must be writable too (a grant on
           // staging/* must not move a namespace into production/).
           const service::Decision dest = deps.authorizer->Authorize(
               req.context, service::Action::kWrite, service::Resource{to, {}, false});
           if (!dest.allowed) {
             service::AuditRecord rec;
             rec.time = std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now());
             rec.operation = "namespace.move";
             rec.action = service::Action::kWrite;
             rec.namespace_name = to;
             rec.outcome = service::Outcome::kDenied;
             rec.reason = dest.reason;
             rec.context = req.context;
             (void)deps.audit->Append(rec);
             return ApiErrorResponse(403, "permission_denied",
                                     fmt::format("namespace.move {}: write on the destination {} denied: {}", from,
                                                 to, dest.reason),
                                     req.context.request_id, "to");
           }
           // With the lifecycle, the namespace's secret metadata moves along (or the move is refused).
           auto s = deps.lifecycle ? deps.lifecycle->MoveNamespace(req.context, from, to)
                                   : deps.service->Move(req.context, from, to);
           if (!s) return ErrorReply(req, s.error(), s.error().code() == ErrorCode::kNotFound ? "from" : "to");
           return JsonResponse(200, json({{"from", from}, {"to", to}}).dump());
         }}));
  }
  // GET /v1/compliance/check/{namespace}
  {
    OpDoc d{.id = "checkCompliance", .summary = "Evaluate the compliance rules over a stored version",
            .tag = "compliance"};
    d.parameters = {internal::NamespaceParam(),
                    internal::QueryParam("version", "integer", "A version number (default: the latest)"),
                    internal::QueryParam("at", "string", "The version current at this RFC 3339 time")};
    d.success_schema = json{{"type", "object"},
                            {"description", "The JSON report format of docs/compliance.md"},
                            {"required", {"version", "compliant", "targets"}}};
    d.errors = {400, 403, 404, 412, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/compliance/check/{namespace+}", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(store::VersionRef version, internal::QueryVersion(req));
           auto report = deps.service->Check(req.context, req.Param("namespace"), version);
           if (!report) return ErrorReply(req, report.error(), FieldOf(report.error(), ""));
           return JsonResponse(200, compliance::RenderJson(std::span<const compliance::Report>(&*report, 1)));
         }}));
  }
  // GET /v1/compliance/history/{namespace}
  {
    OpDoc d{.id = "complianceHistory", .summary = "The recorded compliance status of every version",
            .tag = "compliance"};
    d.parameters = {internal::NamespaceParam()};
    d.success_schema = json{
        {"type", "object"},
        {"required", {"versions"}},
        {"properties",
         {{"versions",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"required", {"version", "recorded_at", "partial", "by_severity", "findings"}},
              {"properties",
               {{"version", {{"type", "integer"}}},
                {"recorded_at", {{"type", "string"}}},
                {"partial", {{"type", "boolean"}}},
                {"by_severity", {{"type", "object"}}},
                {"findings", {{"type", "array"}}}}}}}}}}}};
    d.errors = {400, 403, 404, 412, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/compliance/history/{namespace+}", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           auto history = deps.service->ComplianceHistory(req.context, req.Param("namespace"));
           if (!history) return ErrorReply(req, history.error(), FieldOf(history.error(), ""));
           json arr = json::array();
           for (const auto& v : *history) {
             json sev = json::object();
             for (std::size_t i = 0; i < v.by_severity.size(); ++i) {
               sev[std::string(compliance::SeverityName(static_cast<compliance::Severity>(i)))] = v.by_severity[i];
             }
             json findings = json::array();
             for (const auto& f : v.findings) {
               findings.push_back({{"rule_id", f.rule_id}, {"path", f.path},
                                   {"severity", std::string(compliance::SeverityName(f.severity))},
                                   {"message", f.message}});
             }
             arr.push_back({{"version", v.version},
                            {"recorded_at", FormatRfc3339(TimePoint(std::chrono::seconds(v.recorded_at)))},
                            {"partial", v.partial}, {"by_severity", sev}, {"findings", findings}});
           }
           return JsonResponse(200, json({{"versions", std::move(arr)}}).dump(-1, ' ', false,
                                                                              json::error_handler_t::replace));
         }}));
  }
  return OkStatus();
}

}  // namespace bulwark::server
