// The health summary of a home (`bulwark status`, docs/rotation.md section 6): its keys, the
// secrets tracked by the lifecycle (due, expiring, overdue, failed, rotating), and its audit log
// (events, events after the newest checkpoint, the checkpoint's age, sink lag).
//
// Each part is read through the node's services (authorized and audited as key.list,
// secret.list and audit status); a part that cannot be read is reported with its error rather
// than failing the whole summary, and makes the home unhealthy. No value is read.
//
// Thread safety: CollectHealth uses the node's accessors, which are thread-safe.
#ifndef BULWARK_NODE_HEALTH_H_
#define BULWARK_NODE_HEALTH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/duration.h"
#include "bulwark/core/error.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "bulwark/node/node.h"

namespace bulwark::node {

struct HealthSummary {
  TimePoint now;
  Seconds within{30 * 86400};
  // Keys.
  std::optional<std::string> keys_error;
  std::size_t keys = 0;
  std::optional<std::uint32_t> primary_version;
  std::optional<TimePoint> primary_created;
  bool primary_over_limit = false;  // usage reached usage_limit: rotate the key
  // Secrets (lifecycle).
  std::optional<std::string> secrets_error;
  std::size_t tracked = 0;
  std::size_t due_soon = 0;  // upcoming, expiring or due within `within`
  std::size_t overdue = 0;   // overdue or expired
  std::size_t failed = 0;
  std::size_t rotating = 0;
  std::vector<lifecycle::SecretStatus> attention;  // every secret whose status is not ok
  // Audit log.
  std::optional<std::string> audit_error;
  std::uint64_t audit_events = 0;
  std::uint64_t unsigned_events = 0;
  std::optional<TimePoint> last_checkpoint;
  bool audit_writable = false;
  std::uint64_t max_sink_lag = 0;

  // False when anything is overdue or failed, a part could not be read, or the audit log is not
  // writable.
  bool healthy() const;
  std::string Json() const;  // one JSON object (docs/rotation.md section 6)
  std::string Text() const;  // a few lines for people

  // The summary back from its Json() (e.g. GET /v1/sys/status, so that `bulwark --server ...
  // status` prints the local Text()). The secrets' records are not in the JSON: `attention` holds
  // namespace, path, status and when only. kInvalidArgument naming the field that is missing or
  // of the wrong type.
  static Result<HealthSummary> FromJson(std::string_view json);
};

// `within`: the horizon of "due soon" (default 30 days).
HealthSummary CollectHealth(Node& node, const request::RequestContext& ctx,
                            Seconds within = Seconds(30 * 86400));

}  // namespace bulwark::node

#endif  // BULWARK_NODE_HEALTH_H_
