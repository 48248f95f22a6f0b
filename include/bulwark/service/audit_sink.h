// The audit seam of the service pipeline: AuditRecord, AuditSink and Outcome moved to
// bulwark/request/audit_record.h (below the audit log, which implements the sink, and every
// service, which calls it); the aliases below keep code written against service:: compiling.
// This header keeps the plain JSONL sink.
#ifndef BULWARK_SERVICE_AUDIT_SINK_H_
#define BULWARK_SERVICE_AUDIT_SINK_H_

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "bulwark/core/error.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/service/authorizer.h"
#include "bulwark/service/request_context.h"
#include "bulwark/service/shared_list.h"

namespace bulwark::service {

using request::AuditRecord;
using request::AuditSink;
using request::Outcome;
using request::OutcomeName;

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
