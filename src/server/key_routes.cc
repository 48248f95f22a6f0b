// /v1/keys...: the data keys of the server's keyring. Listing is a read on the resource "keys";
// rotation needs rotate, state changes admin. Every change is saved (ApiDeps::save_keyring) before
// it is acknowledged, and audited (keys.rotate, keys.disable, keys.enable).
#include <fmt/format.h>

#include "bulwark/keys/key_id.h"
#include "bulwark/server/routes.h"
#include "server/internal/guard.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::ErrorReply;
using internal::Guard;
using internal::OpDoc;
using internal::Ref;
using json = nlohmann::ordered_json;

json KeyJson(const keys::KeyInfo& k) {
  return {{"id", keys::FormatKeyId(k.id)},
          {"version", k.version},
          {"algorithm", std::string(crypto::AeadAlgorithmName(k.algorithm))},
          {"state", std::string(keys::KeyStateName(k.state))},
          {"created", FormatRfc3339(k.created)},
          {"usage", k.usage},
          {"usage_limit", k.usage_limit}};
}

// Runs a state change under the guard: apply, save, record.
ApiResponse Change(const ApiDeps& deps, const ApiRequest& req, const char* op, service::Action action,
                   service::Resource resource,
                   const std::function<Result<keys::KeyId>(keys::Keyring&)>& apply) {
  Guard g(deps, req, op, action, std::move(resource));
  if (auto refused = g.Begin()) return *refused;
  auto id = apply(*deps.keyring);
  if (!id) return g.Fail(ErrorReply(req, id.error(), id.error().code() == ErrorCode::kNotFound ? "id" : ""));
  g.record().paths = {keys::FormatKeyId(*id)};
  if (deps.save_keyring) {
    if (auto s = deps.save_keyring(*deps.keyring); !s) return g.Fail(ErrorReply(req, s.error()));
  }
  auto info = deps.keyring->Get(*id);
  if (!info) return g.Fail(ErrorReply(req, info.error()));
  return g.Succeed(JsonResponse(200, json({{"key", KeyJson(*info)}}).dump()));
}

}  // namespace

Status AddKeyRoutes(Router& router, const ApiDeps& deps) {
  BULWARK_RETURN_IF_ERROR(router.AddSchema("Key", R"({
    "type": "object", "required": ["id", "version", "algorithm", "state", "created", "usage", "usage_limit"],
    "properties": {"id": {"type": "string"}, "version": {"type": "integer"}, "algorithm": {"type": "string"},
                   "state": {"type": "string", "enum": ["primary", "decrypt-only", "disabled", "compromised", "destroyed"]},
                   "created": {"type": "string"}, "usage": {"type": "integer"}, "usage_limit": {"type": "integer"}}})"));
  const json one_key = {{"type", "object"}, {"required", {"key"}}, {"properties", {{"key", Ref("Key")}}}};
  {
    OpDoc d{.id = "listKeys", .summary = "The data keys: ids, versions, states, usage", .tag = "keys"};
    d.success_schema = json{{"type", "object"},
                            {"required", {"keys", "primary"}},
                            {"properties", {{"keys", {{"type", "array"}, {"items", Ref("Key")}}},
                                            {"primary", {{"type", "string"}}}}}};
    d.errors = {403, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "GET", .pattern = "/v1/keys", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           Guard g(deps, req, "keys.list", service::Action::kRead, internal::KeyringResource());
           if (auto refused = g.Begin()) return *refused;
           json arr = json::array();
           for (const auto& k : deps.keyring->List()) arr.push_back(KeyJson(k));
           return g.Succeed(JsonResponse(
               200, json({{"keys", arr}, {"primary", keys::FormatKeyId(deps.keyring->primary_id())}}).dump()));
         }}));
  }
  {
    OpDoc d{.id = "rotateKey", .summary = "Make a new primary key (old keys stay decrypt-only)", .tag = "keys"};
    d.success_schema = one_key;
    d.errors = {403, 412, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = "/v1/keys/rotate", .openapi = internal::OperationJson(d),
         .handler = [deps](const ApiRequest& req) -> ApiResponse {
           return Change(deps, req, "keys.rotate", service::Action::kRotate, internal::KeyringResource(),
                         [](keys::Keyring& k) { return k.Rotate(); });
         }}));
  }
  for (const char* verb : {"disable", "enable"}) {
    const bool disable = std::string_view(verb) == "disable";
    OpDoc d{.id = disable ? "disableKey" : "enableKey",
            .summary = disable ? "Disable a key (it neither encrypts nor decrypts; reversible)" : "Enable a disabled key",
            .tag = "keys"};
    d.parameters = {internal::PathParam("id", "The key id as listed")};
    d.success_schema = one_key;
    d.errors = {400, 403, 404, 412, 503};
    BULWARK_RETURN_IF_ERROR(router.Add(
        {.method = "POST", .pattern = fmt::format("/v1/keys/{{id}}/{}", verb), .openapi = internal::OperationJson(d),
         .handler = [deps, disable](const ApiRequest& req) -> ApiResponse {
           auto id = keys::ParseKeyId(req.Param("id"));
           if (!id) return ErrorReply(req, id.error(), "id");
           return Change(deps, req, disable ? "keys.disable" : "keys.enable", service::Action::kAdmin,
                         internal::KeyResource(keys::FormatKeyId(*id)), [&](keys::Keyring& k) -> Result<keys::KeyId> {
                           BULWARK_RETURN_IF_ERROR(disable ? k.Disable(*id) : k.Enable(*id));
                           return *id;
                         });
         }}));
  }
  return OkStatus();
}

}  // namespace bulwark::server
