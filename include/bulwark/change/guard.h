// Direct writes to namespaces an approval policy covers are refused, for every surface
// (docs/change.md section 3): the node wraps its authorizer with NewDirectWriteGuard, so the CLI,
// the server and embedders all go through it.
//
// The guard denies `write`, `delete` and `admin` (a move) on a covered namespace, except on a thread where the
// change module is applying an approved (or emergency) change to that namespace: ChangeService
// opens an ApplyScope around its write, and only it can (the constructor is private). Every other
// request is decided by the wrapped authorizer. When the policies could not be read, `policies`
// holds the error and every write and delete is denied with it (fail closed).
//
// Thread safety: Authorize may run on any number of threads; a scope is per thread.
#ifndef BULWARK_CHANGE_GUARD_H_
#define BULWARK_CHANGE_GUARD_H_

#include <memory>
#include <string>
#include <string_view>

#include "bulwark/change/model.h"
#include "bulwark/request/authorizer.h"

namespace bulwark::change {

class ChangeService;

class ApplyScope {
 public:
  ~ApplyScope();
  ApplyScope(const ApplyScope&) = delete;
  ApplyScope& operator=(const ApplyScope&) = delete;
  // Whether the current thread is inside a scope for `ns`.
  static bool Allows(std::string_view ns);

 private:
  friend class ChangeService;
  explicit ApplyScope(std::string ns);
  std::string ns_;
  const ApplyScope* previous_;
};

std::shared_ptr<const request::Authorizer> NewDirectWriteGuard(
    std::shared_ptr<const request::Authorizer> inner,
    std::shared_ptr<const Result<ApprovalPolicies>> policies);

}  // namespace bulwark::change

#endif  // BULWARK_CHANGE_GUARD_H_
