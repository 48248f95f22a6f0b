// Internal: one operation of the file or key service in flight, and the guarantee of its single
// audit record (the same steps as ConfigService's pipeline): authorize with the node's
// Authorizer, refuse when the audit sink cannot record (for changes and reveals), then exactly
// one record, whether the operation succeeded, was denied or failed (also when it returns early
// without saying: the destructor records a failure).
#ifndef BULWARK_SRC_SERVICE_AUDITED_OPERATION_H_
#define BULWARK_SRC_SERVICE_AUDITED_OPERATION_H_

#include <fmt/format.h>

#include <array>
#include <string>

#include "bulwark/core/encoding.h"
#include "bulwark/core/runtime.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"

namespace bulwark::service::internal {

class AuditedOperation {
 public:
  AuditedOperation(const Runtime& rt, request::AuditSink& sink,
                   const request::Authorizer& authorizer, const request::RequestContext& ctx,
                   std::string operation, request::Action action, request::ResourceKind kind,
                   std::string name)
      : sink_(sink), authorizer_(authorizer) {
    rec_.time = rt.clock->Now();
    rec_.operation = std::move(operation);
    rec_.action = action;
    rec_.context = ctx;
    rec_.resource_kind = kind;
    rec_.resource_name = std::move(name);
    if (rec_.context.request_id.empty()) {
      std::array<std::uint8_t, 16> id{};
      if (rt.random->Fill(id)) rec_.context.request_id = HexEncode(id);
    }
  }
  AuditedOperation(const AuditedOperation&) = delete;
  AuditedOperation& operator=(const AuditedOperation&) = delete;
  ~AuditedOperation() {
    if (!finished_) {
      rec_.outcome = request::Outcome::kFailure;
      rec_.reason = "operation ended without a result";
      (void)sink_.Append(rec_);
    }
  }

  request::AuditRecord& record() { return rec_; }
  // "file.decrypt /srv/app.yaml": how errors name the operation.
  std::string What() const {
    return rec_.resource_name.empty() ? rec_.operation
                                      : fmt::format("{} {}", rec_.operation, rec_.resource_name);
  }

  // Authorizes `action` on the operation's resource, with `paths` (all sensitive when
  // `sensitive`). A denial is recorded and returned (kPermissionDenied). With `needs_audit`, a
  // sink that cannot record refuses the operation (kUnavailable), fail closed.
  Status Begin(std::vector<std::string> paths = {}, bool sensitive = false,
               bool needs_audit = true) {
    request::Resource r;
    r.paths = std::move(paths);
    r.sensitive = sensitive;
    r.kind = rec_.resource_kind;
    r.name = rec_.resource_name;
    const request::Decision d = authorizer_.Authorize(rec_.context, rec_.action, r);
    if (!d.allowed) {
      rec_.outcome = request::Outcome::kDenied;
      rec_.reason = d.reason;
      rec_.paths = std::move(r.paths);
      finished_ = true;
      (void)sink_.Append(rec_);
      return PermissionDeniedError(
          fmt::format("{}: {} denied: {}", What(), request::ActionName(rec_.action), d.reason));
    }
    if (needs_audit) {
      if (auto h = sink_.HealthCheck(); !h) {
        finished_ = true;  // cannot record anything; refuse
        return std::unexpected(h.error().WithContext(
            fmt::format("{}: refused because the audit log is unavailable", What())));
      }
    }
    return OkStatus();
  }

  // Records the failure (a denial for kPermissionDenied) and returns the error, naming the
  // operation.
  std::unexpected<Error> Fail(const Error& e) {
    rec_.outcome =
        e.code() == ErrorCode::kPermissionDenied ? request::Outcome::kDenied : request::Outcome::kFailure;
    rec_.reason = e.message();
    finished_ = true;
    (void)sink_.Append(rec_);
    return std::unexpected(e.WithContext(What()));
  }

  // Records the success; an error when it could not be recorded (the operation did happen).
  Status Succeed() {
    rec_.outcome = request::Outcome::kSuccess;
    finished_ = true;
    if (auto s = sink_.Append(rec_); !s) {
      return std::unexpected(
          s.error().WithContext(fmt::format("{}: succeeded but could not be audited", What())));
    }
    return OkStatus();
  }

  // Runs `body` (after Begin) and records its outcome.
  template <typename T>
  Result<T> Finish(Result<T> r) {
    if (!r) return Fail(r.error());
    BULWARK_RETURN_IF_ERROR(Succeed());
    return r;
  }
  Status Finish(Status s) {
    if (!s) return Fail(s.error());
    return Succeed();
  }

 private:
  request::AuditSink& sink_;
  const request::Authorizer& authorizer_;
  request::AuditRecord rec_;
  bool finished_ = false;
};

// The canonical dotted form of each path.
template <typename Paths>
std::vector<std::string> PathStrings(const Paths& paths) {
  std::vector<std::string> out;
  out.reserve(paths.size());
  for (const auto& p : paths) out.push_back(p.ToString());
  return out;
}

}  // namespace bulwark::service::internal

#endif  // BULWARK_SRC_SERVICE_AUDITED_OPERATION_H_
