// Decorators that feed /metrics from the service's seams: the audit sink (append latency,
// appends in flight = the backlog waiting for a group commit, failures) and the authorizer
// (decisions allowed/denied). They change no behaviour: every call goes to the wrapped object.
#ifndef BULWARK_SERVER_METERED_H_
#define BULWARK_SERVER_METERED_H_

#include <memory>

#include "bulwark/server/metrics.h"
#include "bulwark/service/audit_sink.h"
#include "bulwark/service/authorizer.h"

namespace bulwark::server {

std::shared_ptr<service::AuditSink> NewMeteredAuditSink(std::shared_ptr<service::AuditSink> inner,
                                                        std::shared_ptr<Metrics> metrics);
std::shared_ptr<service::Authorizer> NewMeteredAuthorizer(std::shared_ptr<const service::Authorizer> inner,
                                                          std::shared_ptr<Metrics> metrics);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_METERED_H_
