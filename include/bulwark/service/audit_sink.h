// The audit seam of the service pipeline.
//
// Every operation through the service, including reads, denials and failures, produces exactly one
// AuditRecord. The tamper-evident log (Merkle tree, signed checkpoints) implements this interface;
// JsonlAuditSink is the plain durable log used until it is wired in.
//
// Secrets never appear in a record: values are not recorded at all, only paths, and whether a
// sensitive value changed.
//
// Fail closed: the service calls HealthCheck before any operation that changes or reveals data and
// refuses the operation (kUnavailable) when the sink cannot record; Append errors after a write are
// returned to the caller, who learns that the change happened but could not be audited.
#ifndef BULWARK_SERVICE_AUDIT_SINK_H_
#define BULWARK_SERVICE_AUDIT_SINK_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/service/authorizer.h"
#include "bulwark/service/request_context.h"
#include "bulwark/service/shared_list.h"

namespace bulwark::service {

enum class Outcome : std::uint8_t { kSuccess, kDenied, kFailure };
std::string_view OutcomeName(Outcome outcome);

struct AuditRecord {
  TimePoint time;
  std::string operation;  // "config.put", "config.get", "config.set", ...
  Action action = Action::kRead;
  std::string namespace_name;
  std::vector<std::string> paths;  // paths touched (canonical dotted)
  // The subset that is sensitive. Shared, not copied, with the read plan for reads of a content
  // seen before (service/shared_list.h); reads like a std::vector<std::string>.
  SharedList<std::string> sensitive_paths;
  bool revealed = false;  // plaintext of sensitive values was returned
  Outcome outcome = Outcome::kSuccess;
  std::string reason;  // denial reason or error message (no secrets)
  std::optional<std::int64_t> version_before;
  std::optional<std::int64_t> version_after;
  RequestContext context;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Durable before it returns OK.
  virtual Status Append(const AuditRecord& record) = 0;
  // kUnavailable when records cannot currently be made durable.
  virtual Status HealthCheck() const = 0;
};

// One JSON object per line, appended with O_APPEND and fsync'd before Append returns. The file is
// created with mode 0600.
class JsonlAuditSink final : public AuditSink {
 public:
  static Result<std::unique_ptr<JsonlAuditSink>> Open(std::filesystem::path path);
  ~JsonlAuditSink() override;
  Status Append(const AuditRecord& record) override;
  Status HealthCheck() const override;

 private:
  JsonlAuditSink(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_;
  std::mutex mu_;
};

// The JSON form of a record (also used by tests and future exporters).
std::string AuditRecordToJson(const AuditRecord& record);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_AUDIT_SINK_H_
