#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bulwark/service/audit_sink.h"

namespace bulwark::service {

std::string AuditRecordToJson(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["time"] = FormatRfc3339(r.time);
  j["operation"] = r.operation;
  j["action"] = std::string(ActionName(r.action));
  j["namespace"] = r.namespace_name;
  j["paths"] = r.paths;
  j["sensitive_paths"] = r.sensitive_paths.get();
  j["revealed"] = r.revealed;
  j["outcome"] = std::string(OutcomeName(r.outcome));
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.version_before) j["version_before"] = *r.version_before;
  if (r.version_after) j["version_after"] = *r.version_after;
  j["actor"] = r.context.principal.id;
  j["source_address"] = r.context.source_address;
  j["client"] = r.context.client;
  j["request_id"] = r.context.request_id;
  if (r.resource_kind != request::ResourceKind::kNamespace) {
    j["resource"] = {{"kind", std::string(request::ResourceKindName(r.resource_kind))},
                     {"name", r.resource_name}};
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<std::unique_ptr<JsonlAuditSink>> JsonlAuditSink::Open(std::filesystem::path path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError(fmt::format("audit log {}: open: {}", path.string(), std::strerror(errno)));
  }
  return std::unique_ptr<JsonlAuditSink>(new JsonlAuditSink(std::move(path), fd));
}

JsonlAuditSink::~JsonlAuditSink() { ::close(fd_); }

Status JsonlAuditSink::Append(const AuditRecord& record) {
  std::string line = AuditRecordToJson(record);
  line += '\n';
  std::lock_guard lock(mu_);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError(fmt::format("audit log {}: write: {}", path_.string(), std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    return UnavailableError(fmt::format("audit log {}: fsync: {}", path_.string(), std::strerror(errno)));
  }
  return OkStatus();
}

Status JsonlAuditSink::HealthCheck() const {
  if (::fcntl(fd_, F_GETFD) < 0) {
    return UnavailableError(fmt::format("audit log {}: not open", path_.string()));
  }
  return OkStatus();
}

}  // namespace bulwark::service
