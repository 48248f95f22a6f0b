// The authorization seam of every service (configuration, files, keys, audit).
//
// Every operation asks the Authorizer before it touches anything. The access-control module (ABAC
// with CEL conditions, roles, explanations) implements this interface; the LocalAuthorizer allows
// everything to local principals and denies everyone else, so that a misconfigured server can
// never run with an allow-all policy.
//
// Contract: Authorize is side-effect free and thread-safe; a denial carries a reason that is safe
// to show the caller (no secret values) and is audited by the service that asked.
#ifndef BULWARK_REQUEST_AUTHORIZER_H_
#define BULWARK_REQUEST_AUTHORIZER_H_

#include <memory>
#include <string>

#include "bulwark/request/action.h"
#include "bulwark/request/context.h"

namespace bulwark::request {

struct Decision {
  bool allowed = false;
  std::string reason;  // "local user", "statement 3 of policy prod-readers denies ..."
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Decision Authorize(const RequestContext& ctx, Action action,
                             const Resource& resource) const = 0;
};

// Allows every action to principals of kind "local"; denies all others.
std::unique_ptr<Authorizer> NewLocalAuthorizer();

}  // namespace bulwark::request

#endif  // BULWARK_REQUEST_AUTHORIZER_H_
