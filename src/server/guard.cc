#include "server/internal/guard.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/server/api_error.h"

namespace bulwark::server::internal {

service::Resource ServerResource(std::string namespace_name, service::ResourceKind kind, std::string name) {
  service::Resource r;
  r.namespace_name = std::move(namespace_name);
  r.kind = kind;
  r.name = std::move(name);
  return r;
}

service::Resource AuditLogResource() { return ServerResource("audit", service::ResourceKind::kAudit, "log"); }

service::Resource KeyringResource() {
  return ServerResource("keys", service::ResourceKind::kKeyring, "keyring");
}

service::Resource KeyResource(std::string key_id) {
  return ServerResource("keys", service::ResourceKind::kKey, std::move(key_id));
}

Guard::Guard(const ApiDeps& deps, const ApiRequest& req, std::string operation, service::Action action,
             std::string resource)
    : Guard(deps, req, std::move(operation), action, service::Resource{std::move(resource), {}, false}) {}

Guard::Guard(const ApiDeps& deps, const ApiRequest& req, std::string operation, service::Action action,
             service::Resource resource)
    : deps_(deps), req_(req), resource_(std::move(resource)) {
  rec_.time = std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now());
  rec_.operation = std::move(operation);
  rec_.action = action;
  rec_.context = req.context;
}

Guard::~Guard() {
  if (open_) {
    rec_.outcome = service::Outcome::kFailure;
    rec_.reason = "operation ended without a result";
    (void)deps_.audit->Append(rec_);
  }
}

std::optional<ApiResponse> Guard::Begin() {
  const service::Decision d =
      deps_.authorizer->Authorize(req_.context, rec_.action, resource_);
  if (!d.allowed) {
    rec_.outcome = service::Outcome::kDenied;
    rec_.reason = d.reason;
    (void)deps_.audit->Append(rec_);
    return ApiErrorResponse(403, "permission_denied",
                            fmt::format("{}: {} denied: {}", rec_.operation, service::ActionName(rec_.action), d.reason),
                            req_.context.request_id);
  }
  if (auto h = deps_.audit->HealthCheck(); !h) {
    return ApiErrorResponse(503, "unavailable",
                            fmt::format("{}: refused because the audit log is unavailable: {}", rec_.operation,
                                        h.error().message()),
                            req_.context.request_id);
  }
  open_ = true;
  return std::nullopt;
}

ApiResponse Guard::Succeed(ApiResponse response) {
  open_ = false;
  rec_.outcome = service::Outcome::kSuccess;
  if (auto s = deps_.audit->Append(rec_); !s) {
    return ApiErrorResponse(503, "unavailable",
                            fmt::format("{}: the audit record could not be written: {}", rec_.operation,
                                        s.error().message()),
                            req_.context.request_id);
  }
  return response;
}

ApiResponse Guard::Fail(ApiResponse response) {
  open_ = false;
  rec_.outcome = response.status == 403 ? service::Outcome::kDenied : service::Outcome::kFailure;
  try {
    rec_.reason = nlohmann::json::parse(response.body).at("error").at("message").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    rec_.reason = fmt::format("HTTP {}", response.status);
  }
  (void)deps_.audit->Append(rec_);
  return response;
}

}  // namespace bulwark::server::internal
