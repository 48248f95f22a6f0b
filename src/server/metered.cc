#include "bulwark/server/metered.h"

#include <atomic>
#include <chrono>

namespace bulwark::server {
namespace {

class MeteredAuditSink final : public service::AuditSink {
 public:
  MeteredAuditSink(std::shared_ptr<service::AuditSink> inner, std::shared_ptr<Metrics> m)
      : inner_(std::move(inner)), m_(std::move(m)) {
    m_->DefineHistogram("bulwark_audit_append_duration_seconds",
                        "Time for one audit record to become durable (group commit included)", {},
                        Metrics::LatencyBuckets());
    m_->DefineCounter("bulwark_audit_append_failures_total", "Audit appends that failed", {});
    m_->DefineCounter("bulwark_audit_events_total", "Audit records appended by outcome", {"outcome"});
    m_->DefineGauge("bulwark_audit_append_inflight", "Audit appends waiting to become durable (backlog)", {},
                    [inflight = inflight_] {
                      return std::vector<std::pair<Metrics::Labels, double>>{
                          {{}, static_cast<double>(inflight->load())}};
                    });
  }
  Status Append(const service::AuditRecord& record) override {
    inflight_->fetch_add(1);
    const auto start = std::chrono::steady_clock::now();
    Status s = inner_->Append(record);
    m_->Observe("bulwark_audit_append_duration_seconds", {},
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    inflight_->fetch_sub(1);
    if (!s) {
      m_->Add("bulwark_audit_append_failures_total", {});
    } else {
      m_->Add("bulwark_audit_events_total", {std::string(service::OutcomeName(record.outcome))});
    }
    return s;
  }
  Status HealthCheck() const override { return inner_->HealthCheck(); }

 private:
  std::shared_ptr<service::AuditSink> inner_;
  std::shared_ptr<Metrics> m_;
  // Shared with the gauge, which the metrics registry may call after this sink is gone.
  std::shared_ptr<std::atomic<std::int64_t>> inflight_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

class MeteredAuthorizer final : public service::Authorizer {
 public:
  MeteredAuthorizer(std::shared_ptr<const service::Authorizer> inner, std::shared_ptr<Metrics> m)
      : inner_(std::move(inner)), m_(std::move(m)) {
    m_->DefineCounter("bulwark_authz_decisions_total", "Authorization decisions by action and decision",
                      {"action", "decision"});
  }
  service::Decision Authorize(const service::RequestContext& ctx, service::Action action,
                              const service::Resource& resource) const override {
    service::Decision d = inner_->Authorize(ctx, action, resource);
    m_->Add("bulwark_authz_decisions_total",
            {std::string(service::ActionName(action)), d.allowed ? "allowed" : "denied"});
    return d;
  }

 private:
  std::shared_ptr<const service::Authorizer> inner_;
  std::shared_ptr<Metrics> m_;
};

}  // namespace

std::shared_ptr<service::AuditSink> NewMeteredAuditSink(std::shared_ptr<service::AuditSink> inner,
                                                        std::shared_ptr<Metrics> metrics) {
  return std::make_shared<MeteredAuditSink>(std::move(inner), std::move(metrics));
}

std::shared_ptr<service::Authorizer> NewMeteredAuthorizer(std::shared_ptr<const service::Authorizer> inner,
                                                          std::shared_ptr<Metrics> metrics) {
  return std::make_shared<MeteredAuthorizer>(std::move(inner), std::move(metrics));
}

}  // namespace bulwark::server
