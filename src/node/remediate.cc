#include "bulwark/node/remediate.h"

#include <fmt/format.h>

#include <algorithm>

namespace bulwark::node {
namespace {

// An open or approved request on exactly `ns` tagged `tag` (the one to reuse), if any.
Result<std::optional<change::ChangeView>> Reusable(change::ChangeService& changes,
                                                   const request::RequestContext& ctx,
                                                   std::string_view ns, const std::string& tag) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<change::ChangeView> views, changes.List(ctx, ns, std::nullopt));
  for (change::ChangeView& v : views) {
    if (v.request.ns != ns) continue;
    if (v.state != change::State::kOpen && v.state != change::State::kApproved) continue;
    const auto& tags = v.request.tags;
    if (std::find(tags.begin(), tags.end(), tag) != tags.end()) return std::optional(std::move(v));
  }
  return std::optional<change::ChangeView>();
}

}  // namespace

std::optional<RemediateMode> ParseRemediateMode(std::string_view text) {
  if (text == "adopt") return RemediateMode::kAdopt;
  if (text == "restore") return RemediateMode::kRestore;
  return std::nullopt;
}

Result<Remediation> RemediateDrift(Node& node, const request::RequestContext& ctx,
                                   const drift::CheckResult& result, RemediateMode mode) {
  Remediation out;
  out.mode = mode;
  if (!result.report.drifted()) return out;
  const std::string& ns = result.namespace_name;
  BULWARK_ASSIGN_OR_RETURN(service::ConfigService * config, node.Config());
  BULWARK_ASSIGN_OR_RETURN(drift::DriftService * drift, node.Drift());
  BULWARK_ASSIGN_OR_RETURN(change::ChangeService * changes, node.Changes());
  BULWARK_ASSIGN_OR_RETURN(std::vector<store::VersionInfo> history, config->History(ctx, ns));
  if (history.empty()) return NotFoundError(fmt::format("namespace {} has no version", ns));
  const store::VersionInfo& latest = history.front();

  change::ProposeRequest p;
  p.ns = ns;
  std::string tag;
  if (mode == RemediateMode::kAdopt) {
    if (latest.version != result.baseline_version) {
      return FailedPreconditionError(fmt::format(
          "--remediate adopt: {} is at version {}, past its baseline version {}: the live side "
          "was compared with the baseline, not with what is stored now; record a new baseline "
          "(bulwark drift baseline {}) or restore first",
          ns, latest.version, result.baseline_version, ns));
    }
    BULWARK_ASSIGN_OR_RETURN(drift::AdoptPlan plan, drift->PlanAdopt(result));
    out.refused = plan.refused;
    if (plan.steps.empty()) {
      out.note = fmt::format("nothing to adopt into {}: every difference was refused", ns);
      return out;
    }
    for (drift::AdoptStep& s : plan.steps) {
      change::ChangeOp op;
      op.kind = s.unset ? change::ChangeOp::Kind::kUnset : change::ChangeOp::Kind::kSet;
      op.path = s.path.ToString();
      op.value = std::move(s.value);
      op.secret = s.sensitive && !s.unset;
      p.ops.push_back(std::move(op));
    }
    tag = "drift-plan:" + plan.digest;
    p.justification = fmt::format(
        "drift remediation (adopt): {} differs from its baseline version {} at {}; adopting {} "
        "difference{}{}",
        ns, result.baseline_version, result.source, plan.steps.size(), plan.steps.size() == 1 ? "" : "s",
        plan.refused.empty() ? "" : fmt::format(" ({} sensitive refused)", plan.refused.size()));
    p.rollback_plan = fmt::format("bulwark change propose {} --rollback-to {}", ns, latest.version);
    p.tags = {"drift:adopt", tag};
  } else {
    // The store holds the baseline (the same content): the live side must be redeployed.
    BULWARK_ASSIGN_OR_RETURN(drift::BaselineRecords records, drift->Baselines());
    auto rec = records.find(ns);
    if (rec == records.end()) return NotFoundError(fmt::format("no baseline recorded for {}", ns));
    if (latest.version == result.baseline_version || latest.content_hash == rec->second.content_hash) {
      for (const auto& e : result.report.entries) out.redeploy.push_back(e.path.ToString());
      out.note = fmt::format(
          "the store holds the baseline of {} (version {}): nothing to propose; redeploy version {} "
          "to {} ({} path{})",
          ns, latest.version, result.baseline_version, result.source, out.redeploy.size(),
          out.redeploy.size() == 1 ? "" : "s");
      return out;
    }
    change::ChangeOp op;
    op.kind = change::ChangeOp::Kind::kRollback;
    op.to = result.baseline_version;
    p.ops.push_back(std::move(op));
    tag = fmt::format("drift-plan:restore-v{}-from-v{}", result.baseline_version, latest.version);
    p.justification = fmt::format(
        "drift remediation (restore): {} moved from its baseline version {} to version {}, and {} "
        "differs from the baseline; restore the baseline, then redeploy",
        ns, result.baseline_version, latest.version, result.source);
    p.rollback_plan = fmt::format("bulwark change propose {} --rollback-to {}", ns, latest.version);
    p.tags = {"drift:restore", tag};
  }
  BULWARK_ASSIGN_OR_RETURN(std::optional<change::ChangeView> existing, Reusable(*changes, ctx, ns, tag));
  if (existing) {
    out.request = std::move(existing);
    out.reused = true;
    out.note = fmt::format("change {} already proposes this remediation ({})", out.request->request.id,
                           change::StateName(out.request->state));
    return out;
  }
  BULWARK_ASSIGN_OR_RETURN(change::ChangeView v, changes->Propose(ctx, p));
  out.request = std::move(v);
  out.note = fmt::format("proposed change {} ({}): approve and apply it (bulwark change show {})",
                         out.request->request.id, mode == RemediateMode::kAdopt ? "adopt" : "restore",
                         out.request->request.id);
  return out;
}

}  // namespace bulwark::node
