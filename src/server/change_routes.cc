// /v1/changes...: change requests (docs/change.md, docs/server.md "Change requests") through the
// node's ChangeService, the same operations as `bulwark change`. Every handler parses, calls one
// operation with the request's context (the actor is the authenticated principal: the token, the
// client certificate), and prints the result; authorization, audit, quorum, self-approval and the
// compliance gate are the service's.
//
// Statuses: 400 a bad body or argument (the error's `field` names it), 403 denied (access policy,
// self-approval, a role the policy does not accept), 404 unknown request or namespace, 409 a
// transition the state does not allow (stale, expired, already applied or rejected, not approved
// yet) or a lost race, 422 a compliance gate refusal (names the rules), 503 audit log, store or
// keys unavailable.
#include <fmt/format.h>

#include "bulwark/change/report.h"
#include "bulwark/server/routes.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::BadField;
using internal::Body;
using internal::OpDoc;
using internal::Ref;
using internal::Reply;
using json = nlohmann::ordered_json;

// The request field an error of the change service is about: its messages start with it
// ("justification: required", "ops[1].path 'x': ...", "--override R: ...").
std::string FieldOf(const Error& e) {
  const std::string& m = e.message();
  std::size_t n = 0;
  while (n < m.size() && (std::isalnum(static_cast<unsigned char>(m[n])) != 0 || m[n] == '_' || m[n] == '[' ||
                          m[n] == ']' || m[n] == '.' || m[n] == '-')) {
    ++n;
  }
  const std::string head = m.substr(0, n);
  if (head == "--override") return "overrides";
  if (head == "change-set") return "ops";
  if (head == "namespace" || head == "justification" || head == "comment" || head.starts_with("ops[")) {
    return head;
  }
  if (m.starts_with("change request id")) return "id";
  return "";
}

ApiResponse ChangeError(const ApiRequest& req, const Error& e) {
  if (change::IsComplianceGateRefusal(e)) {
    return ApiErrorResponse(422, "compliance_gate", e.message(), req.context.request_id, "overrides");
  }
  switch (e.code()) {
    case ErrorCode::kFailedPrecondition:  // stale, expired, decided, not approved: the state's
      return ApiErrorResponse(409, "failed_precondition", e.message(), req.context.request_id);
    case ErrorCode::kInvalidArgument:
      return ApiErrorResponse(e, req.context.request_id, FieldOf(e));
    default:
      return ApiErrorResponse(e, req.context.request_id);
  }
}

ApiResponse ViewReply(const ApiRequest& req, const Result<change::ChangeView>& v, unsigned status = 200) {
  if (!v) return ChangeError(req, v.error());
  return JsonResponse(status, change::ViewJson(*v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// ops[i] of a propose or emergency body: {"op": "put", "document": {...}}, {"op": "set", "path",
// "value", "secret"?}, {"op": "unset", "path"}, {"op": "rollback", "to": N}.
Reply<std::vector<change::ChangeOp>> ParseOps(const ApiRequest& req, const config::Value* ops) {
  if (ops == nullptr) return BadField(req, "ops", "required");
  if (!ops->is_list()) return BadField(req, "ops", "must be a list of operations");
  std::vector<change::ChangeOp> out;
  std::size_t i = 0;
  for (const config::Value& o : ops->AsList()) {
    const std::string at = fmt::format("ops[{}]", i++);
    if (!o.is_map()) return BadField(req, at, "must be an object");
    const config::Value* kind = o.Get("op");
    if (kind == nullptr) return BadField(req, at + ".op", "required (put, set, unset or rollback)");
    if (!kind->is_string()) return BadField(req, at + ".op", "must be a string");
    const std::string k = kind->AsString();
    std::vector<std::string_view> allowed;
    change::ChangeOp op;
    if (k == "put") {
      op.kind = change::ChangeOp::Kind::kPut;
      allowed = {"op", "document"};
      const config::Value* doc = o.Get("document");
      if (doc == nullptr) return BadField(req, at + ".document", "required");
      if (!doc->is_map()) return BadField(req, at + ".document", "must be a JSON object");
      op.value = *doc;
    } else if (k == "set" || k == "unset") {
      op.kind = k == "set" ? change::ChangeOp::Kind::kSet : change::ChangeOp::Kind::kUnset;
      allowed = k == "set" ? std::vector<std::string_view>{"op", "path", "value", "secret"}
                           : std::vector<std::string_view>{"op", "path"};
      const config::Value* path = o.Get("path");
      if (path == nullptr) return BadField(req, at + ".path", "required");
      if (!path->is_string() || path->AsString().empty()) {
        return BadField(req, at + ".path", "must be a non-empty string");
      }
      op.path = path->AsString();
      if (k == "set") {
        const config::Value* value = o.Get("value");
        if (value == nullptr) return BadField(req, at + ".value", "required");
        op.value = *value;
        if (const config::Value* secret = o.Get("secret"); secret != nullptr && !secret->is_null()) {
          if (!secret->is_bool()) return BadField(req, at + ".secret", "must be true or false");
          op.secret = secret->AsBool();
        }
      }
    } else if (k == "rollback") {
      op.kind = change::ChangeOp::Kind::kRollback;
      allowed = {"op", "to"};
      const config::Value* to = o.Get("to");
      if (to == nullptr) return BadField(req, at + ".to", "required");
      if (!to->is_int() || to->AsInt() < 1) return BadField(req, at + ".to", "must be a version number (1 or more)");
      op.to = to->AsInt();
    } else {
      return BadField(req, at + ".op", fmt::format("'{}': expected put, set, unset or rollback", k));
    }
    for (const auto& e : o.AsMap()) {
      if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end()) {
        return BadField(req, at + "." + e.key, fmt::format("unknown field for op {}", k));
      }
    }
    out.push_back(std::move(op));
  }
  return out;
}

// The body of propose and emergency.
Reply<change::ProposeRequest> ParseProposal(const ApiRequest& req, std::size_t depth) {
  BULWARK_REPLY_TRY(Body body, Body::Parse(req, depth));
  if (auto only = body.OnlyFields({"namespace", "ops", "justification", "rollback_plan", "tags"}); !only) {
    return std::unexpected(std::move(only).error());
  }
  change::ProposeRequest p;
  BULWARK_REPLY_TRY(p.ns, body.String("namespace"));
  if (p.ns.empty()) return BadField(req, "namespace", "must not be empty");
  BULWARK_REPLY_TRY(p.ops, ParseOps(req, body.Find("ops")));
  BULWARK_REPLY_TRY(p.justification, body.String("justification"));
  if (p.justification.empty()) return BadField(req, "justification", "must not be empty");
  BULWARK_REPLY_TRY(auto plan, body.OptionalString("rollback_plan"));
  p.rollback_plan = plan.value_or("");
  BULWARK_REPLY_TRY(p.tags, body.OptionalStrings("tags"));
  return p;
}

json ProposalSchema() {
  const json op = {
      {"type", "object"},
      {"required", {"op"}},
      {"description",
       "One operation: {op: put, document}, {op: set, path, value, secret?}, {op: unset, path}, {op: rollback, to}"},
      {"properties",
       {{"op", {{"type", "string"}, {"enum", {"put", "set", "unset", "rollback"}}}},
        {"document", {{"type", "object"}}},
        {"path", {{"type", "string"}}},
        {"value", {{"description", "Any JSON value; stored encrypted when the path is sensitive or `secret`"}}},
        {"secret", {{"type", "boolean"}}},
        {"to", {{"type", "integer"}, {"minimum", 1}}}}},
      {"additionalProperties", false}};
  return json{{"type", "object"},
              {"required", {"namespace", "ops", "justification"}},
              {"properties",
               {{"namespace", {{"type", "string"}}},
                {"ops", {{"type", "array"}, {"minItems", 1}, {"items", op}}},
                {"justification", {{"type", "string"}, {"minLength", 1}}},
                {"rollback_plan", {{"type", "string"}}},
                {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
              {"additionalProperties", false}};
}

json IdParam() { return internal::PathParam("id", "The change request (cr- and 10 hex digits)"); }

json CommentBody(bool required) {
  json j = {{"type", "object"},
            {"properties", {{"comment", {{"type", "string"}}}}},
            {"additionalProperties", false}};
  if (required) j["required"] = {"comment"};
  return j;
}

}  // namespace

Status AddChangeRoutes(Router& router, const ApiDeps& deps) {
  const std::size_t depth = deps.max_json_depth;
  std::shared_ptr<change::ChangeService> changes = deps.changes;
  BULWARK_RETURN_IF_ERROR(router.AddSchema("ChangeRequest", R"({
    "type": "object",
    "description": "A change request as it is now (docs/change.md). Values of the change-set are never included.",
    "required": ["id", "namespace", "kind", "state", "base_version", "latest_version", "change_hash", "requester",
                 "justification", "rollback_plan", "tags", "created_at", "expires_at", "policy",
                 "approvals_required", "approvals_counting", "missing", "impact", "approvals", "rejections", "comments"],
    "properties": {
      "id": {"type": "string", "pattern": "^cr-[0-9a-f]{10}$"}, "namespace": {"type": "string"},
      "kind": {"type": "string", "enum": ["normal", "emergency"]},
      "state": {"type": "string", "enum": ["open", "approved", "applied", "rejected", "stale", "expired"]},
      "base_version": {"type": "integer"}, "latest_version": {"type": "integer"},
      "change_hash": {"type": "string"}, "requester": {"type": "string", "description": "The authenticated principal"},
      "justification": {"type": "string"}, "rollback_plan": {"type": "string"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "created_at": {"type": "string"}, "expires_at": {"type": "string"}, "policy": {"type": "string"},
      "approvals_required": {"type": "integer"}, "approvals_counting": {"type": "integer"}, "missing": {"type": "string"},
      "impact": {"type": "object", "required": ["level", "paths", "sensitive_paths", "blocking_rules", "unoverridden"]},
      "approvals": {"type": "array", "items": {"type": "object", "required": ["by", "roles", "at", "expires_at", "comment", "overrides", "current"]}},
      "rejections": {"type": "array", "items": {"type": "object", "required": ["by", "at", "comment"]}},
      "comments": {"type": "array", "items": {"type": "object", "required": ["by", "at", "comment"]}},
      "applied": {"type": "object", "required": ["by", "at", "version"]},
      "review": {"type": "object", "required": ["required", "deadline", "reviews", "closed", "overdue"]}
    }})"));

  // POST /v1/changes
  {
    OpDoc d{.id = "proposeChange", .summary = "Propose a change-set against one namespace", .tag = "changes"};
    d.request_schema = ProposalSchema();
    d.success = 201;
    d.success_schema = Ref("ChangeRequest");
    d.errors = {400, 403, 404, 413, 415, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/changes", .openapi = internal::OperationJson(d), .has_body = true,
         .handler = [changes, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(change::ProposeRequest p, ParseProposal(req, depth));
           return ViewReply(req, changes->Propose(req.context, p), 201);
         }}));
  }
  // POST /v1/changes/emergency
  {
    OpDoc d{.id = "emergencyChange",
            .summary = "Break glass: apply a change-set at once (an emergency role and a justification); a "
                       "follow-up review opens",
            .tag = "changes"};
    d.request_schema = ProposalSchema();
    d.success = 201;
    d.success_schema = Ref("ChangeRequest");
    d.errors = {400, 403, 404, 409, 413, 415, 422, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/changes/emergency", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [changes, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(change::ProposeRequest p, ParseProposal(req, depth));
           return ViewReply(req, changes->Emergency(req.context, p), 201);
         }}));
  }
  // GET /v1/changes?namespace=PREFIX&state=S
  {
    OpDoc d{.id = "listChanges", .summary = "Change requests the caller may read, newest first", .tag = "changes"};
    d.parameters = {internal::QueryParam("namespace", "string", "Only namespaces under this prefix"),
                    internal::QueryParam("state", "string", "open, approved, applied, rejected, stale or expired")};
    d.success_schema = json{{"type", "object"},
                            {"required", {"changes"}},
                            {"properties", {{"changes", {{"type", "array"}, {"items", Ref("ChangeRequest")}}}}}};
    d.errors = {400, 403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/changes", .openapi = internal::OperationJson(d),
         .handler = [changes](const ApiRequest& req) -> ApiResponse {
           std::optional<change::State> state;
           if (auto s = req.Query("state"); s && !s->empty()) {
             state = change::ParseState(*s);
             if (!state) {
               return BadField(req, "state", "expected open, approved, applied, rejected, stale or expired").error();
             }
           }
           const std::string prefix(req.Query("namespace").value_or(""));
           auto list = changes->List(req.context, prefix, state);
           if (!list) return ChangeError(req, list.error());
           json arr = json::array();
           for (const auto& v : *list) arr.push_back(change::ViewJson(v));
           return JsonResponse(200, json({{"changes", std::move(arr)}})
                                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
         }}));
  }
  // GET /v1/changes/{id}
  {
    OpDoc d{.id = "showChange", .summary = "One change request", .tag = "changes"};
    d.parameters = {IdParam()};
    d.success_schema = Ref("ChangeRequest");
    d.errors = {400, 403, 404, 422, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/changes/{id}", .openapi = internal::OperationJson(d),
         .handler = [changes](const ApiRequest& req) -> ApiResponse {
           return ViewReply(req, changes->Show(req.context, req.Param("id")));
         }}));
  }
  // GET /v1/changes/{id}/diff
  {
    OpDoc d{.id = "diffChange",
            .summary = "The base version against the change applied to it (sensitive values withheld)",
            .tag = "changes"};
    d.parameters = {IdParam()};
    d.success_schema = json{
        {"type", "object"},
        {"required", {"changes"}},
        {"properties",
         {{"changes",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"required", {"kind", "path", "sensitive"}},
              {"properties",
               {{"kind", {{"type", "string"}, {"enum", {"added", "removed", "changed"}}}},
                {"path", {{"type", "string"}}},
                {"sensitive", {{"type", "boolean"}}},
                {"old", json::object()},
                {"new", json::object()}}}}}}}}}};
    d.errors = {400, 403, 404, 422, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/changes/{id}/diff", .openapi = internal::OperationJson(d),
         .handler = [changes](const ApiRequest& req) -> ApiResponse {
           auto diff = changes->Diff(req.context, req.Param("id"));
           if (!diff) return ChangeError(req, diff.error());
           return JsonResponse(200, json({{"changes", change::DiffJson(*diff)}})
                                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
         }}));
  }
  // POST /v1/changes/{id}/approve
  {
    OpDoc d{.id = "approveChange",
            .summary = "Approve as the authenticated principal (never the requester); may override blocking rules",
            .tag = "changes"};
    d.parameters = {IdParam()};
    d.request_schema = json{{"type", "object"},
                            {"properties",
                             {{"comment", {{"type", "string"}}},
                              {"overrides",
                               {{"type", "array"},
                                {"items", {{"type", "string"}}},
                                {"description", "Blocking critical compliance rule ids this approval overrides"}}}}},
                            {"additionalProperties", false}};
    d.success_schema = Ref("ChangeRequest");
    d.errors = {400, 403, 404, 409, 413, 415, 422, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/changes/{id}/approve", .openapi = internal::OperationJson(d),
         .has_body = true, .handler = [changes, depth](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, Body::ParseOptional(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"comment", "overrides"}));
           change::ApproveRequest a;
           BULWARK_REPLY_OR_RETURN(auto comment, body.OptionalString("comment"));
           a.comment = comment.value_or("");
           BULWARK_REPLY_OR_RETURN(a.overrides, body.OptionalStrings("overrides"));
           return ViewReply(req, changes->Approve(req.context, req.Param("id"), a));
         }}));
  }
  // POST /v1/changes/{id}/reject|comment|review
  struct NoteRoute {
    const char* name;
    const char* id;
    const char* summary;
    bool required;
  };
  for (const NoteRoute& n :
       {NoteRoute{"reject", "rejectChange", "Reject (an approver) or withdraw (the requester), with a comment", true},
        NoteRoute{"comment", "commentChange", "A comment kept with the request, in any state", true},
        NoteRoute{"review", "reviewChange", "Review an applied emergency change (closes after N reviews)", false}}) {
    OpDoc d{.id = n.id, .summary = n.summary, .tag = "changes"};
    d.parameters = {IdParam()};
    d.request_schema = CommentBody(n.required);
    d.success_schema = Ref("ChangeRequest");
    d.errors = {400, 403, 404, 409, 413, 415, 422, 503};
    const std::string name = n.name;
    const bool required = n.required;
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = fmt::format("/v1/changes/{{id}}/{}", name),
         .openapi = internal::OperationJson(d), .has_body = true,
         .handler = [changes, depth, name, required](const ApiRequest& req) -> ApiResponse {
           BULWARK_REPLY_OR_RETURN(Body body, required ? Body::Parse(req, depth) : Body::ParseOptional(req, depth));
           BULWARK_REPLY_IF_ERROR(body.OnlyFields({"comment"}));
           BULWARK_REPLY_OR_RETURN(auto comment, body.OptionalString("comment"));
           if (required && (!comment || comment->empty())) {
             return BadField(req, "comment", "required").error();
           }
           const std::string text = comment.value_or("");
           const std::string_view id = req.Param("id");
           if (name == "reject") return ViewReply(req, changes->Reject(req.context, id, text));
           if (name == "comment") return ViewReply(req, changes->Comment(req.context, id, text));
           return ViewReply(req, changes->Review(req.context, id, text));
         }}));
  }
  // POST /v1/changes/{id}/apply|rebase
  for (const bool apply : {true, false}) {
    OpDoc d{.id = apply ? "applyChange" : "rebaseChange",
            .summary = apply ? "Apply an approved change atomically (compare-and-set on its base version)"
                             : "Move a stale change to the latest version (earlier approvals stop counting)",
            .tag = "changes"};
    d.parameters = {IdParam()};
    d.success_schema = Ref("ChangeRequest");
    d.errors = {400, 403, 404, 409, 422, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = apply ? "/v1/changes/{id}/apply" : "/v1/changes/{id}/rebase",
         .openapi = internal::OperationJson(d), .handler = [changes, apply](const ApiRequest& req) -> ApiResponse {
           const std::string_view id = req.Param("id");
           return ViewReply(req, apply ? changes->Apply(req.context, id) : changes->Rebase(req.context, id));
         }}));
  }
  return OkStatus();
}

}  // namespace bulwark::server
