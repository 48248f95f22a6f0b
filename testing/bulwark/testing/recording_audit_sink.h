// An AuditSink that keeps records in memory, with an "unavailable" switch to test fail-closed
// behaviour. For tests only.
#ifndef BULWARK_TESTING_RECORDING_AUDIT_SINK_H_
#define BULWARK_TESTING_RECORDING_AUDIT_SINK_H_

#include <mutex>
#include <vector>

#include "bulwark/request/audit_record.h"

namespace bulwark::testing {

class RecordingAuditSink final : public request::AuditSink {
 public:
  Status Append(const request::AuditRecord& record) override {
    std::lock_guard lock(mu_);
    if (unavailable_) return UnavailableError("audit: injected outage");
    records_.push_back(record);
    return OkStatus();
  }
  Status HealthCheck() const override {
    std::lock_guard lock(mu_);
    if (unavailable_) return UnavailableError("audit: injected outage");
    return OkStatus();
  }
  void set_unavailable(bool u) {
    std::lock_guard lock(mu_);
    unavailable_ = u;
  }
  std::vector<request::AuditRecord> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<request::AuditRecord> records_;
  bool unavailable_ = false;
};

}  // namespace bulwark::testing

#endif  // BULWARK_TESTING_RECORDING_AUDIT_SINK_H_
