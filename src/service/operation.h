// One operation of the service in flight (internal to config_service*.cc): it authorizes, checks
// that the audit log can record, and guarantees exactly one audit record per operation.
#ifndef BULWARK_SRC_SERVICE_OPERATION_H_
#define BULWARK_SRC_SERVICE_OPERATION_H_

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "bulwark/service/config_service.h"
#include "service/namespace_meta.h"

namespace bulwark::service {

// One operation in flight: guarantees exactly one audit record.
struct ConfigService::Op {
  ConfigService& svc;
  AuditRecord rec;
  bool finished = false;

  Op(ConfigService& s, const RequestContext& ctx, std::string operation, Action action,
     std::string_view ns)
      : svc(s),
        // Constructed in place (the context copy-constructed, not default-constructed and then
        // assigned: that built and dropped an empty attribute map and assigned every string).
        rec{.time = s.deps_.runtime.clock->Now(),
            .operation = std::move(operation),
            .action = action,
            .namespace_name = std::string(ns),
            .context = ctx} {
    if (rec.context.request_id.empty()) {
      rec.context.request_id = s.NewRequestId();
    }
  }

  ~Op() {
    if (!finished) {
      rec.outcome = Outcome::kFailure;
      rec.reason = "operation ended without a result";
      (void)svc.deps_.audit->Append(rec);
    }
  }

  std::string What() const {
    return rec.namespace_name.empty() ? rec.operation
                                      : fmt::format("{} {}", rec.operation, rec.namespace_name);
  }

  // Authorization of the operation's action on `resource`; a denial is audited and ends it.
  Status Authorize(const Resource& resource) {
    const Decision d = svc.deps_.authorizer->Authorize(rec.context, rec.action, resource);
    if (!d.allowed) {
      rec.outcome = Outcome::kDenied;
      rec.reason = d.reason;
      finished = true;
      (void)svc.deps_.audit->Append(rec);
      return PermissionDeniedError(
          fmt::format("{}: {} denied: {}", What(), ActionName(rec.action), d.reason));
    }
    return OkStatus();
  }

  // Authorization plus the fail-closed audit check.
  Status Begin(Resource resource, bool needs_audit = true) {
    BULWARK_RETURN_IF_ERROR(Authorize(resource));
    if (needs_audit) {
      if (auto h = svc.deps_.audit->HealthCheck(); !h) {
        finished = true;  // cannot record anything; refuse
        return std::unexpected(h.error().WithContext(
            fmt::format("{}: refused because the audit log is unavailable", What())));
      }
    }
    return OkStatus();
  }

  std::unexpected<Error> Fail(Error e) {
    rec.outcome = e.code() == ErrorCode::kPermissionDenied ? Outcome::kDenied : Outcome::kFailure;
    rec.reason = e.message();
    finished = true;
    (void)svc.deps_.audit->Append(rec);
    return std::unexpected(e.WithContext(What()));
  }

  Status Succeed() {
    rec.outcome = Outcome::kSuccess;
    finished = true;
    if (auto s = svc.deps_.audit->Append(rec); !s) {
      return std::unexpected(s.error().WithContext(
          fmt::format("{}: succeeded but could not be audited", What())));
    }
    return OkStatus();
  }

  // The service's verified reads, for the helpers of an operation.
  Result<Verified> Load(std::string_view ns, store::VersionRef ref, ReadCheck check) {
    return svc.LoadVerified(ns, ref, check);
  }
  const ServiceDeps& deps() const { return svc.deps_; }

  void Notify(std::int64_t version) {
    ChangeEvent ev{rec.operation, rec.namespace_name, version, rec.paths, rec.sensitive_paths,
                   rec.context.principal.id};
    for (const auto& n : svc.deps_.notifiers) n->Notify(ev);
  }
};

}  // namespace bulwark::service

#endif  // BULWARK_SRC_SERVICE_OPERATION_H_
