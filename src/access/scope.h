// The CEL variables of one request (internal): `principal`, `resource`, `request` and `context`
// as docs/access.md "Conditions" defines them, built on first use so that a decision without
// conditions builds nothing.
#ifndef BULWARK_SRC_ACCESS_SCOPE_H_
#define BULWARK_SRC_ACCESS_SCOPE_H_

#include "access/compiled.h"
#include "bulwark/access/policy_set.h"
#include "bulwark/access/request.h"
#include "bulwark/expr/program.h"

namespace bulwark::access::internal {

class Scope {
 public:
  // `set` and `request` (and what it points at) must outlive the scope.
  Scope(const PolicySet& set, const Request& request) : set_(set), req_(request) {}
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  const expr::Activation& Activation() {
    if (!built_) Build();
    return act_;
  }
  // Whether the attribute (inside has(): its parent) is present in this request.
  bool Present(const AttributeRef& ref);

 private:
  void Build();

  const PolicySet& set_;
  const Request& req_;
  bool built_ = false;
  config::Value principal_, resource_, context_;
  expr::Activation act_;
};

}  // namespace bulwark::access::internal

#endif  // BULWARK_SRC_ACCESS_SCOPE_H_
