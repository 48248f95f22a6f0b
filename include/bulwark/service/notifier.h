// The notify stage of the service pipeline: after a change is stored and audited, every
// registered Notifier hears about it (alerts, webhooks and drift detection plug in here).
// Notifiers must not block for long and must not throw; their failures never undo a change.
#ifndef BULWARK_SERVICE_NOTIFIER_H_
#define BULWARK_SERVICE_NOTIFIER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bulwark/service/request_context.h"

namespace bulwark::service {

struct ChangeEvent {
  std::string operation;  // "config.put", "config.set", "config.rollback", "namespace.move", ...
  std::string namespace_name;
  std::int64_t version = 0;
  std::vector<std::string> paths;
  std::vector<std::string> sensitive_paths;
  std::string actor;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void Notify(const ChangeEvent& event) = 0;
};

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_NOTIFIER_H_
