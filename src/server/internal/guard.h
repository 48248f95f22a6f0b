// One request of a route that is not a service operation (audit, keys): authorization on a
// server resource, the fail-closed audit check, and exactly one audit record, as the service's
// pipeline does for configuration operations.
#ifndef BULWARK_SRC_SERVER_INTERNAL_GUARD_H_
#define BULWARK_SRC_SERVER_INTERNAL_GUARD_H_

#include <optional>
#include <string>

#include "bulwark/server/http.h"
#include "bulwark/server/routes.h"

namespace bulwark::server::internal {

// The resources of the routes that are not configuration: the grants match their namespace_name
// ("audit", "keys", "tokens", ...); the access engine sees the kind and name (audit:log,
// key:keyring, key:<id>, policy:...), as for the CLI's commands, never a configuration namespace
// that happens to have that name.
service::Resource ServerResource(std::string namespace_name, service::ResourceKind kind, std::string name);
service::Resource AuditLogResource();
service::Resource KeyringResource();
service::Resource KeyResource(std::string key_id);

class Guard {
 public:
  // `resource` is the name the grants match (a namespace-kind resource: "audit", "keys").
  Guard(const ApiDeps& deps, const ApiRequest& req, std::string operation, service::Action action,
        std::string resource);
  // A resource of another kind for the access engine (e.g. policy:api-tokens), whose
  // namespace_name is what the grants match.
  Guard(const ApiDeps& deps, const ApiRequest& req, std::string operation, service::Action action,
        service::Resource resource);
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // Authorizes and checks that the audit log can record. The refusal to send (403 after
  // recording the denial, 503 when the log is unavailable), or nullopt to go on.
  std::optional<ApiResponse> Begin();
  // Records success and returns `response`; 503 instead if the record cannot be made durable
  // (nothing is served unaudited).
  ApiResponse Succeed(ApiResponse response);
  // Records the failure (the error message of `response` as the reason) and returns `response`.
  ApiResponse Fail(ApiResponse response);

  service::AuditRecord& record() { return rec_; }

 private:
  const ApiDeps& deps_;
  const ApiRequest& req_;
  service::AuditRecord rec_;
  service::Resource resource_;
  bool open_ = false;
};

}  // namespace bulwark::server::internal

#endif  // BULWARK_SRC_SERVER_INTERNAL_GUARD_H_
