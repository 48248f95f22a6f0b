// drift --remediate (docs/drift.md, "Remediation"): a drifted check becomes a change request
// (docs/change.md), so the fix goes through approval like any other change.
//
//   adopt    the live side is right: propose the change-set that brings the namespace from its
//            baseline to the live values (baseline forward; Terraform's "accept the refresh",
//            Argo CD's "update Git from the cluster"). Sensitive values only from sources that
//            hold them in clear (file:, env:, encfile:); the others are refused, named in
//            `refused`. Refused (kFailedPrecondition) when the store moved past the baseline.
//   restore  the baseline is right: the live side is outside Bulwark, so if the store itself
//            moved away from the baseline, propose a rollback to the baseline version (then
//            redeploy); else nothing is proposed and `redeploy` lists the paths to redeploy.
//
// One request per distinct drift: a request of the namespace still open or approved (not stale,
// expired, applied or rejected) whose tag `drift-plan:<digest>` matches is reused instead of
// proposing another (the digest is keyed: it reveals no value), so `drift watch` does not open a
// request every round. Proposing is the ChangeService's: authorized as write on the namespace
// and audited as change.propose; looking for a request to reuse is its audited change.list.
#ifndef BULWARK_NODE_REMEDIATE_H_
#define BULWARK_NODE_REMEDIATE_H_

#include <optional>
#include <string>
#include <vector>

#include "bulwark/change/change_service.h"
#include "bulwark/drift/drift_service.h"
#include "bulwark/node/node.h"

namespace bulwark::node {

enum class RemediateMode : std::uint8_t { kAdopt, kRestore };
// "adopt" or "restore"; nullopt otherwise.
std::optional<RemediateMode> ParseRemediateMode(std::string_view text);

struct Remediation {
  RemediateMode mode = RemediateMode::kAdopt;
  std::optional<change::ChangeView> request;  // proposed, or reused
  bool reused = false;
  std::vector<std::string> refused;   // adopt: sensitive paths left out, "PATH: why"
  std::vector<std::string> redeploy;  // restore without a request: the drifted paths
  std::string note;                   // one line for the operator
};

// `result` must come from a check made with CheckRequest::keep_live for adopt. A check without
// drift needs no remediation (an empty Remediation).
Result<Remediation> RemediateDrift(Node& node, const request::RequestContext& ctx,
                                   const drift::CheckResult& result, RemediateMode mode);

}  // namespace bulwark::node

#endif  // BULWARK_NODE_REMEDIATE_H_
