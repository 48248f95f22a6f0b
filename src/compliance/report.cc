#include "bulwark/compliance/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace bulwark::compliance {

std::string_view RuleStatusName(RuleStatus s) {
  switch (s) {
    case RuleStatus::kPass:
      return "pass";
    case RuleStatus::kFail:
      return "fail";
    case RuleStatus::kError:
      return "error";
    case RuleStatus::kNotApplicable:
      return "not_applicable";
    case RuleStatus::kDisabled:
      return "disabled";
  }
  return "error";
}

bool Report::CompliantAt(Severity threshold) const {
  for (const RuleResult& r : rules) {
    if (r.status == RuleStatus::kError && r.severity >= threshold) return false;
  }
  for (std::size_t s = static_cast<std::size_t>(threshold); s < by_severity.size(); ++s) {
    if (by_severity[s] != 0) return false;
  }
  return true;
}

std::size_t Report::checks_applicable() const {
  std::size_t n = 0;
  for (const RuleResult& r : rules) n += r.applicable;
  return n;
}

std::size_t Report::checks_passed() const {
  std::size_t n = 0;
  for (const RuleResult& r : rules) n += r.passed;
  return n;
}

void FinalizeReport(Report& report) {
  auto before = [&](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.rule == b.rule) return false;
    return report.rules[a.rule].id < report.rules[b.rule].id;
  };
  // The engine already produces this order; sorting 4,680 findings would move each ~10 times.
  if (!std::is_sorted(report.findings.begin(), report.findings.end(), before)) {
    std::stable_sort(report.findings.begin(), report.findings.end(), before);
  }
  report.by_severity.fill(0);
  for (const Finding& f : report.findings)
    ++report.by_severity[static_cast<std::size_t>(f.severity)];
  // Violations per environment (an environment with findings but no counted checks still shows).
  for (EnvironmentScore& e : report.environments) e.violations.clear();
  for (std::size_t i = 0; i < report.findings.size(); ++i) {
    const std::string& env = report.findings[i].environment;
    auto it = std::lower_bound(
        report.environments.begin(), report.environments.end(), env,
        [](const EnvironmentScore& e, const std::string& name) { return e.environment < name; });
    if (it == report.environments.end() || it->environment != env) {
      it = report.environments.insert(it, EnvironmentScore{.environment = env});
    }
    it->violations.push_back(i);
  }
  report.partial = false;
  std::map<std::string, FrameworkScore> scores;
  std::map<std::string, std::set<std::string>> failing;
  for (const RuleResult& r : report.rules) {
    if (r.status == RuleStatus::kError) report.partial = true;
    if (r.status == RuleStatus::kDisabled) continue;
    for (const FrameworkRef& fw : r.frameworks) {
      FrameworkScore& s = scores[fw.framework];
      s.framework = fw.framework;
      s.applicable += r.applicable;
      s.passed += r.passed;
      if (r.status == RuleStatus::kFail || r.status == RuleStatus::kError) {
        failing[fw.framework].insert(fw.controls.begin(), fw.controls.end());
      }
    }
  }
  report.frameworks.clear();
  for (auto& [name, s] : scores) {
    const auto& f = failing[name];
    s.failing_controls.assign(f.begin(), f.end());
    report.frameworks.push_back(std::move(s));
  }
}

std::string GateDecision::Explain(const Report& proposed) const {
  std::string out;
  for (const Finding& f : blocking) {
    const RuleResult& r = proposed.RuleOf(f);
    out += fmt::format("{} {} {}: {}\n", SeverityName(f.severity), r.id,
                       f.path.empty() ? "(document)" : f.path, f.message);
  }
  for (const std::string& id : errored_rules) {
    out += fmt::format("error {}: the rule could not be evaluated\n", id);
  }
  return out;
}

GateDecision Gate(const Report& proposed, const Report* current, const GateOptions& options) {
  GateDecision d;
  std::set<FindingKey> existing;
  if (current != nullptr) {
    for (const Finding& f : current->findings) {
      existing.insert({current->RuleOf(f).id, f.path});
    }
  }
  for (const Finding& f : proposed.findings) {
    if (f.severity < options.threshold) continue;
    if (existing.contains(FindingKey{proposed.RuleOf(f).id, f.path})) continue;
    d.blocking.push_back(f);
  }
  if (options.block_on_error) {
    for (const RuleResult& r : proposed.rules) {
      if (r.status == RuleStatus::kError && r.severity >= options.threshold) {
        d.errored_rules.push_back(r.id);
      }
    }
  }
  d.allowed = d.blocking.empty() && d.errored_rules.empty();
  return d;
}

}  // namespace bulwark::compliance
