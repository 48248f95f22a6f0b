// The audit seam of every service: one AuditRecord per operation, into an AuditSink.
//
// Every operation through a service (configuration, files, keys), including reads, denials and
// failures, produces exactly one AuditRecord. The tamper-evident log (bulwark/auditlog/log_audit.h)
// implements AuditSink; so do the plain JSONL sink (service/audit_sink.h) and the tests' recorder.
//
// Secrets never appear in a record: values are not recorded at all, only paths, and whether a
// sensitive value changed or was revealed.
//
// Fail closed: a service calls HealthCheck before any operation that changes or reveals data and
// refuses the operation (kUnavailable) when the sink cannot record; Append errors after a change
// are returned to the caller, who learns that the change happened but could not be audited.
#ifndef BULWARK_REQUEST_AUDIT_RECORD_H_
#define BULWARK_REQUEST_AUDIT_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/request/action.h"
#include "bulwark/request/context.h"
#include "bulwark/request/shared_list.h"

namespace bulwark::request {

enum class Outcome : std::uint8_t { kSuccess, kDenied, kFailure };
// "success", "denied", "failure".
std::string_view OutcomeName(Outcome outcome);

struct AuditRecord {
  TimePoint time;
  std::string operation;  // "config.put", "file.decrypt", "key.destroy", ... (docs/node.md)
  Action action = Action::kRead;
  std::string namespace_name;      // kNamespace resources; "" otherwise
  std::vector<std::string> paths;  // value paths touched (canonical dotted)
  // The subset that is sensitive. Shared, not copied, with the read plan for reads of a content
  // seen before (request/shared_list.h); reads like a std::vector<std::string>.
  SharedList<std::string> sensitive_paths;
  bool revealed = false;  // plaintext of sensitive values was returned
  Outcome outcome = Outcome::kSuccess;
  std::string reason;  // denial reason or error message (no secrets)
  std::optional<std::int64_t> version_before;
  std::optional<std::int64_t> version_after;
  RequestContext context;
  // What the operation acted on when it is not a namespace: a file (absolute path), a key (id),
  // the keyring (home directory). The audit event names it as its subject.
  ResourceKind resource_kind = ResourceKind::kNamespace;
  std::string resource_name;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Durable before it returns OK.
  virtual Status Append(const AuditRecord& record) = 0;
  // kUnavailable when records cannot currently be made durable.
  virtual Status HealthCheck() const = 0;
};

}  // namespace bulwark::request

#endif  // BULWARK_REQUEST_AUDIT_RECORD_H_
