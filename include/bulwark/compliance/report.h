// The result of checking one target against a set of rule packs, and the write gate.
//
// A Report is self-contained (no pointers into packs or documents) so it can be stored, compared
// across versions and rendered later. Findings are sorted by severity (most severe first), then
// rule id, then document order, so the same target and rules always give the same report whatever
// the order of the rules.
#ifndef BULWARK_COMPLIANCE_REPORT_H_
#define BULWARK_COMPLIANCE_REPORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/compliance/rule_pack.h"
#include "bulwark/compliance/severity.h"
#include "bulwark/config/document.h"
#include "bulwark/config/value.h"

namespace bulwark::compliance {

enum class RuleStatus : std::uint8_t {
  kPass,           // applicable at least once, every check passed
  kFail,           // at least one finding, no evaluation error
  kError,          // the rule could not be evaluated (for some or all items)
  kNotApplicable,  // no check ran: foreach target absent or empty, `when` false everywhere, or
                   // no item in the rule's `environments` (RuleResult::note says which)
  kDisabled,       // disabled (for the target's environment, or for every item's)
};
// "pass", "fail", "error", "not_applicable", "disabled".
std::string_view RuleStatusName(RuleStatus s);

struct RuleResult {
  std::string id;
  std::string title;
  std::string pack;
  // Effective for the target's environment (the rule's own severity when it has none); a finding
  // carries the severity of its item's environment.
  Severity severity = Severity::kMedium;
  std::vector<FrameworkRef> frameworks;
  std::string remediation;
  RuleStatus status = RuleStatus::kNotApplicable;
  std::size_t applicable = 0;  // checks run (items for which `when` held)
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t errored = 0;  // items whose evaluation failed (counted as not passed)
  // The first evaluation errors ("services[3]: no such key: ssl_mode"), at most 10.
  std::vector<std::string> errors;
  // Why the rule has its status, for not_applicable and disabled ("foreach target
  // config.listeners is absent", "applies to production; the items are in development",
  // "disabled in development"); "" otherwise.
  std::string note;
};

// A fix with its path resolved against the document root.
struct ResolvedFix {
  FixOp op = FixOp::kReplace;
  config::Path path;
  std::optional<config::Value> value;
};

struct Finding {
  std::size_t rule = 0;  // index into Report::rules
  Severity severity = Severity::kMedium;
  std::string path;  // "services[3].database.ssl_mode", "" for the root
  // Where the value is in the target file ("app.yaml", 12, 7); line 0 when unknown (no file, or a
  // computed foreach collection).
  config::SourceLocation location;
  std::string message;
  std::optional<ResolvedFix> fix;
  std::string environment;  // of the item ("" when unknown)
};

struct FrameworkScore {
  std::string framework;
  std::size_t applicable = 0;  // checks of the rules mapped to this framework
  std::size_t passed = 0;
  // The controls of failing or erroring rules, sorted ("4.2.1", "8.3.6").
  std::vector<std::string> failing_controls;
  // passed / applicable in [0, 1]; 1 when nothing applied.
  double score() const {
    return applicable == 0 ? 1.0 : static_cast<double>(passed) / static_cast<double>(applicable);
  }
};

// The compliance score of one environment, as an environment validator reports it: the share of
// the checks of that environment's items that passed, and the violations.
struct EnvironmentScore {
  std::string environment;  // "" for items of no known environment
  std::size_t applicable = 0;
  std::size_t passed = 0;
  std::vector<std::size_t> violations;  // indices into Report::findings, in report order
  // 100 * passed / applicable, 100 when nothing applied.
  double percent() const {
    return applicable == 0 ? 100.0
                           : 100.0 * static_cast<double>(passed) / static_cast<double>(applicable);
  }
};

struct Report {
  std::string target;       // file path or "namespace@version"
  std::string environment;  // "" when unknown
  std::vector<RuleResult> rules;
  std::vector<Finding> findings;
  std::vector<FrameworkScore> frameworks;  // sorted by framework name
  // One per environment that had checks or findings, sorted by name.
  std::vector<EnvironmentScore> environments;
  // Number of findings per severity, indexed by Severity.
  std::array<std::size_t, 5> by_severity{};
  // True when at least one rule ended in kError: the report is partial.
  bool partial = false;

  const RuleResult& RuleOf(const Finding& f) const { return rules[f.rule]; }
  // True when no finding is at or above `threshold` and no rule at or above it errored (an
  // unevaluable rule is not evidence of compliance).
  bool CompliantAt(Severity threshold) const;
  std::size_t checks_applicable() const;
  std::size_t checks_passed() const;
};

// Fills frameworks, by_severity and partial from rules and findings, sorts the findings and fills
// each EnvironmentScore's violations (the engine fills their counts).
void FinalizeReport(Report& report);

// ---- Gate -----------------------------------------------------------------------------------

struct GateOptions {
  Severity threshold = Severity::kHigh;
  // A rule at or above the threshold that could not be evaluated blocks the write (fail closed).
  bool block_on_error = true;
};

// The identity of a finding across versions: rule id and path.
struct FindingKey {
  std::string rule_id;
  std::string path;
  friend auto operator<=>(const FindingKey&, const FindingKey&) = default;
};

struct GateDecision {
  bool allowed = true;
  // The findings at or above the threshold that `proposed` introduces (absent from `current`).
  std::vector<Finding> blocking;
  // Ids of rules at or above the threshold that could not be evaluated.
  std::vector<std::string> errored_rules;
  // One line per blocking finding/rule: "critical SEC_001 services[3].database.ssl_mode: ...".
  std::string Explain(const Report& proposed) const;
};

// Decides whether a write whose result is `proposed` may proceed. When `current` (the report of
// the version being replaced) is given, only findings it does not already have block; otherwise
// every finding at or above the threshold blocks.
GateDecision Gate(const Report& proposed, const Report* current, const GateOptions& options = {});

}  // namespace bulwark::compliance

#endif  // BULWARK_COMPLIANCE_REPORT_H_
