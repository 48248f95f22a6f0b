// /v1/audit/...: search, export, verify, checkpoints and proofs of the tamper-evident log.
// Authorized as read (publishing a checkpoint: admin) on the resource "audit"; each request is
// itself an audit record (audit.search, audit.export, ...), and refused with 503 when the log
// cannot record it (fail closed).
#include <fmt/format.h>

#include "bulwark/audit/archive.h"
#include "bulwark/audit/log_audit.h"
#include "bulwark/audit/proof.h"
#include "bulwark/auditship/format.h"
#include "bulwark/core/encoding.h"
#include "bulwark/server/routes.h"
#include "server/internal/guard.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::BadField;
using internal::ErrorReply;
using internal::Guard;
using internal::OpDoc;
using internal::Ref;
using json = nlohmann::ordered_json;

constexpr std::uint64_t kDefaultLimit = 100;
constexpr std::uint64_t kMaxLimit = 1000;
constexpr std::uint64_t kExportChunk = 256;

internal::Reply<std::optional<std::int64_t>> QueryTime(const ApiRequest& req, std::string_view name) {
  auto q = req.Query(name);
  if (!q) return std::optional<std::int64_t>();
  auto t = ParseRfc3339(*q);
  if (!t) return BadField(req, name, "must be an RFC 3339 time");
  return std::optional<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count());
}

std::string B64(const audit::Hash& h) { return Base64Encode(h); }

json ProofJson(const std::vector<audit::Hash>& proof) {
  json arr = json::array();
  for (const auto& h : proof) arr.push_back(B64(h));
  return arr;
}

}  // namespace

Status AddAuditRoutes(Router& router, const ApiDeps& deps) {
  BULWARK_RETURN_IF_ERROR(router.AddSchema("Checkpoint", R"({
    "type": "object", "required": ["size", "note"],
    "properties": {"size": {"type": "integer", "minimum": 0},
                   "note": {"type": "string", "description": "C2SP signed note, tlog-checkpoint"}}})"));
  // GET /v1/audit/events
  {
    OpDoc d{.id = "searchAuditEvents", .summary = "Search the audit log, oldest first", .tag = "audit"};
    for (const char* f : {"actor", "namespace", "path", "action", "outcome", "type"}) {
      d.parameters.push_back(internal::QueryParam(f, "string", fmt::format("Only events whose {} is this", f)));
    }
    d.parameters.push_back(internal::QueryParam("impact", "string", "Minimum impact: low, medium, high, critical"));
    d.parameters.push_back(internal::QueryParam("since", "string", "RFC 3339, inclusive"));
    d.parameters.push_back(internal::QueryParam("until", "string", "RFC 3339, exclusive"));
    d.parameters.push_back(internal::QueryParam("from", "integer", "First event index to consider"));
    d.parameters.push_back(internal::QueryParam("limit", "integer", "At most this many events (default 100, max 1000)"));
    d.success_schema = json{
        {"type", "object"},
        {"required", {"events", "next"}},
        {"properties",
         {{"events",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"required", {"index", "event"}},
              {"properties", {{"index", {{"type", "integer"}}}, {"event", {{"type", "object"}}}}}}}}},
          {"next", {{"type", {"integer", "null"}}, {"description", "`from` for the next page, null at the end"}}}}}};
    d.errors = {400, 403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/audit/events", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "audit.search", service::Action::kAuditRead, internal::AuditLogResource());
           if (auto refused = g.Begin()) return *refused;
           audit::EventFilter f;
           auto opt = [&](const char* name, std::optional<std::string>& out) {
             if (auto q = req.Query(name)) out = std::string(*q);
           };
           opt("actor", f.actor);
           opt("namespace", f.namespace_name);
           opt("path", f.path);
           opt("action", f.action);
           opt("outcome", f.outcome);
           opt("type", f.type);
           if (auto q = req.Query("impact")) {
             auto level = audit::ParseImpactLevel(*q);
             if (!level) return g.Fail(BadField(req, "impact", "low, medium, high or critical").error());
             f.min_impact = *level;
           }
           auto since = QueryTime(req, "since");
           if (!since) return g.Fail(since.error());
           auto until = QueryTime(req, "until");
           if (!until) return g.Fail(until.error());
           f.since_us = *since;
           f.until_us = *until;
           auto from = internal::QueryInt(req, "from", 0);
           if (!from) return g.Fail(from.error());
           auto limit = internal::QueryInt(req, "limit", 1);
           if (!limit) return g.Fail(limit.error());
           if (*from) f.from_index = static_cast<std::uint64_t>(**from);
           const std::uint64_t max = std::min<std::uint64_t>(limit->value_or(kDefaultLimit), kMaxLimit);
           f.limit = max + 1;  // one more tells whether there is a next page
           std::string out = "{\"events\":[";
           std::uint64_t n = 0;
           std::optional<std::uint64_t> next;
           Status s = deps.log->Query(f, [&](const audit::StoredEvent& e) -> Status {
             if (n == max) {
               next = e.index;
               return OkStatus();
             }
             out += fmt::format("{}{{\"index\":{},\"event\":{}}}", n == 0 ? "" : ",", e.index, e.leaf);
             ++n;
             return OkStatus();
           });
           if (!s) return g.Fail(ErrorReply(req, s.error()));
           out += fmt::format("],\"next\":{}}}", next ? std::to_string(*next) : "null");
           return g.Succeed(JsonResponse(200, std::move(out)));
         }}));
  }
  // GET /v1/audit/export
  {
    OpDoc d{.id = "exportAuditLog", .summary = "The log as JSON lines {index, leaf, event}, streamed", .tag = "audit"};
    d.parameters = {internal::QueryParam("from", "integer", "First index (default 0)"),
                    internal::QueryParam("to", "integer", "End index, exclusive (default: the log size)")};
    d.success_content_type = "application/x-ndjson";
    d.errors = {400, 403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/audit/export", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "audit.export", service::Action::kAuditRead, internal::AuditLogResource());
           if (auto refused = g.Begin()) return *refused;
           auto from = internal::QueryInt(req, "from", 0);
           if (!from) return g.Fail(from.error());
           auto to = internal::QueryInt(req, "to", 0);
           if (!to) return g.Fail(to.error());
           auto size = deps.log->LeafCount();
           if (!size) return g.Fail(ErrorReply(req, size.error()));
           const std::uint64_t end = std::min<std::uint64_t>(*size, to->value_or(*size));
           auto next = std::make_shared<std::uint64_t>(from->value_or(0));
           ApiResponse r;
           r.content_type = "application/x-ndjson";
           auto log = deps.log;
           r.stream = [log, next, end](std::string& out) -> Result<bool> {
             if (*next >= end) return false;
             const std::uint64_t stop = std::min(end, *next + kExportChunk);
             auditship::FormatContext fc;
             BULWARK_RETURN_IF_ERROR(log->Scan(*next, stop, [&](const audit::StoredEvent& e) -> Status {
               BULWARK_ASSIGN_OR_RETURN(std::string line, auditship::FormatEvent(auditship::EventFormat::kJsonl, e, fc));
               out += line;
               out += '\n';
               return OkStatus();
             }));
             *next = stop;
             return *next < end;
           };
           return g.Succeed(std::move(r));
         }}));
  }
  // POST /v1/audit/verify
  {
    OpDoc d{.id = "verifyAuditLog", .summary = "Recompute the Merkle tree and check every signed checkpoint",
            .tag = "audit"};
    d.success_schema = json{{"type", "object"},
                            {"required", {"clean", "size", "problems", "summary"}},
                            {"properties",
                             {{"clean", {{"type", "boolean"}}},
                              {"size", {{"type", "integer"}}},
                              {"first_bad_index", {{"type", {"integer", "null"}}}},
                              {"problems", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                              {"summary", {{"type", "string"}}}}}};
    d.errors = {403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/audit/verify", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "audit.verify", service::Action::kAuditRead, internal::AuditLogResource());
           if (auto refused = g.Begin()) return *refused;
           if (!deps.verifier) return g.Fail(ErrorReply(req, FailedPreconditionError("no checkpoint verifier").error()));
           auto v = audit::VerifyAuditLog(*deps.log, *deps.verifier, std::nullopt, {});
           if (!v) return g.Fail(ErrorReply(req, v.error()));
           auto size = deps.log->LeafCount();
           json j;
           j["clean"] = v->clean();
           j["size"] = size ? *size : 0;
           j["first_bad_index"] = v->first_bad_index ? json(*v->first_bad_index) : json(nullptr);
           j["problems"] = v->problems;
           j["summary"] = v->Summary();
           return g.Succeed(JsonResponse(200, j.dump(-1, ' ', false, json::error_handler_t::replace)));
         }}));
  }
  // GET /v1/audit/checkpoint, POST /v1/audit/checkpoint
  {
    OpDoc d{.id = "latestCheckpoint", .summary = "The newest signed checkpoint", .tag = "audit"};
    d.success_schema = Ref("Checkpoint");
    d.errors = {403, 404, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/audit/checkpoint", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "audit.checkpoint.get", service::Action::kAuditRead, internal::AuditLogResource());
           if (auto refused = g.Begin()) return *refused;
           auto cp = deps.log->LatestCheckpoint();
           if (!cp) return g.Fail(ErrorReply(req, cp.error()));
           if (!*cp) return g.Fail(ErrorReply(req, NotFoundError("no checkpoint has been published yet").error()));
           return g.Succeed(JsonResponse(200, json({{"size", (*cp)->size}, {"note", (*cp)->note}}).dump()));
         }}));
    OpDoc p{.id = "publishCheckpoint", .summary = "Sign and publish a checkpoint of the current tree now",
            .tag = "audit"};
    p.success_schema = Ref("Checkpoint");
    p.errors = {403, 412, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/audit/checkpoint", .openapi = internal::OperationJson(p),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "audit.checkpoint.publish", service::Action::kAdmin, internal::AuditLogResource());
           if (auto refused = g.Begin()) return *refused;
           auto note = deps.log->PublishCheckpoint();
           if (!note) return g.Fail(ErrorReply(req, note.error()));
           auto cp = deps.log->LatestCheckpoint();
           const std::uint64_t size = cp && *cp ? (*cp)->size : 0;
           return g.Succeed(JsonResponse(200, json({{"size", size}, {"note", *note}}).dump()));
         }}));
  }
  // GET /v1/audit/proof/inclusion?index=
  {
    OpDoc d{.id = "inclusionProof", .summary = "RFC 9162 inclusion proof of one event in a fresh checkpoint",
            .tag = "audit"};
    d.parameters = {internal::QueryParam("index", "integer", "The event index", true)};
    d.success_schema = json{{"type", "object"},
                            {"required", {"index", "tree_size", "leaf_hash", "proof", "checkpoint"}},
                            {"properties",
                             {{"index", {{"type", "integer"}}},
                              {"tree_size", {{"type", "integer"}}},
                              {"leaf_hash", {{"type", "string"}}},
                              {"proof", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                              {"checkpoint", {{"type", "string"}}}}}};
    d.errors = {400, 403, 404, 412, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/audit/proof/inclusion", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "audit.prove", service::Action::kAuditRead, internal::AuditLogResource());
           if (auto refused = g.Begin()) return *refused;
           auto index = internal::QueryInt(req, "index", 0);
           if (!index) return g.Fail(index.error());
           if (!*index) return g.Fail(BadField(req, "index", "required").error());
           const auto i = static_cast<std::uint64_t>(**index);
           auto run = [&]() -> Result<std::string> {
             if (!deps.verifier) return FailedPreconditionError("no checkpoint verifier");
             BULWARK_ASSIGN_OR_RETURN(std::string note, deps.log->PublishCheckpoint());
             BULWARK_ASSIGN_OR_RETURN(audit::Checkpoint cp, deps.verifier->Open(note));
             if (i >= cp.size) return NotFoundError(fmt::format("audit event {}: the log has {} events", i, cp.size));
             BULWARK_ASSIGN_OR_RETURN(auto reader, audit::ArchivedTreeReader::ForLog(*deps.log));
             BULWARK_ASSIGN_OR_RETURN(auto proof, audit::InclusionProof(reader, i, cp.size));
             std::vector<audit::Hash> leaf;
             BULWARK_RETURN_IF_ERROR(reader.ReadLeafHashes(i, i + 1, leaf));
             json j = {{"index", i}, {"tree_size", cp.size}, {"leaf_hash", B64(leaf.at(0))},
                       {"proof", ProofJson(proof)}, {"checkpoint", note}};
             return j.dump();
           };
           auto body = run();
           if (!body) return g.Fail(ErrorReply(req, body.error(), body.error().code() == ErrorCode::kNotFound ? "index" : ""));
           return g.Succeed(JsonResponse(200, std::move(*body)));
         }}));
  }
  // GET /v1/audit/proof/consistency?old=&new=
  {
    OpDoc d{.id = "consistencyProof", .summary = "RFC 9162 consistency proof between two tree sizes", .tag = "audit"};
    d.parameters = {internal::QueryParam("old", "integer", "The older tree size", true),
                    internal::QueryParam("new", "integer", "The newer tree size", true)};
    d.success_schema = json{{"type", "object"},
                            {"required", {"old_size", "new_size", "old_root", "new_root", "proof"}},
                            {"properties",
                             {{"old_size", {{"type", "integer"}}},
                              {"new_size", {{"type", "integer"}}},
                              {"old_root", {{"type", "string"}}},
                              {"new_root", {{"type", "string"}}},
                              {"proof", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
    d.errors = {400, 403, 412, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/audit/proof/consistency", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "audit.consistency", service::Action::kAuditRead, internal::AuditLogResource());
           if (auto refused = g.Begin()) return *refused;
           auto old_size = internal::QueryInt(req, "old", 1);
           if (!old_size) return g.Fail(old_size.error());
           auto new_size = internal::QueryInt(req, "new", 1);
           if (!new_size) return g.Fail(new_size.error());
           if (!*old_size) return g.Fail(BadField(req, "old", "required").error());
           if (!*new_size) return g.Fail(BadField(req, "new", "required").error());
           const auto a = static_cast<std::uint64_t>(**old_size), b = static_cast<std::uint64_t>(**new_size);
           auto run = [&]() -> Result<std::string> {
             if (a > b) return InvalidArgumentError(fmt::format("old ({}) must not exceed new ({})", a, b));
             BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, deps.log->LeafCount());
             if (b > size) return InvalidArgumentError(fmt::format("new ({}) exceeds the log size {}", b, size));
             BULWARK_ASSIGN_OR_RETURN(auto reader, audit::ArchivedTreeReader::ForLog(*deps.log));
             BULWARK_ASSIGN_OR_RETURN(auto proof, audit::ConsistencyProof(reader, a, b));
             BULWARK_ASSIGN_OR_RETURN(audit::Hash r1, audit::RootAt(reader, a));
             BULWARK_ASSIGN_OR_RETURN(audit::Hash r2, audit::RootAt(reader, b));
             json j = {{"old_size", a}, {"new_size", b}, {"old_root", B64(r1)}, {"new_root", B64(r2)},
                       {"proof", ProofJson(proof)}};
             return j.dump();
           };
           auto body = run();
           if (!body) return g.Fail(ErrorReply(req, body.error(), body.error().code() == ErrorCode::kInvalidArgument ? "new" : ""));
           return g.Succeed(JsonResponse(200, std::move(*body)));
         }}));
  }
  return OkStatus();
}

}  // namespace bulwark::server
