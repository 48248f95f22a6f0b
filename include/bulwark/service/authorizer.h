// The authorization seam of the service pipeline.
//
// Every operation asks the Authorizer before it touches the store. The access-control module
// (ABAC with CEL conditions, roles, explanations) implements this interface; until then the
// LocalAuthorizer allows everything to local principals and denies everyone else, so that a
// misconfigured server can never run with an allow-all policy.
//
// Contract: Authorize is side-effect free and thread-safe; a denial carries a reason that is safe
// to show the caller (no secret values) and is audited by the service.
#ifndef BULWARK_SERVICE_AUTHORIZER_H_
#define BULWARK_SERVICE_AUTHORIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/service/request_context.h"

namespace bulwark::service {

enum class Action : std::uint8_t { kRead, kReveal, kWrite, kDelete, kList, kRotate, kApprove, kAdmin };
// "read", "reveal", "write", "delete", "list", "rotate", "approve", "admin".
std::string_view ActionName(Action action);

struct Resource {
  std::string namespace_name;       // "" for operations on the whole store (list)
  std::vector<std::string> paths;   // the paths touched, when known
  bool sensitive = false;           // whether any of them is sensitive
};

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

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_AUTHORIZER_H_
