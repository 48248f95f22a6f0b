// JSON and SARIF renderers (nlohmann::json builds the documents; dump() escapes every string).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/compliance/report_format.h"
#include "compliance/render_util.h"

namespace bulwark::compliance {
namespace {

using nlohmann::ordered_json;

ordered_json FrameworksJson(const std::vector<FrameworkRef>& refs) {
  ordered_json out = ordered_json::object();
  for (const FrameworkRef& f : refs) out[f.framework] = f.controls;
  return out;
}

ordered_json FixJson(const ResolvedFix& fix) {
  ordered_json j = {{"op", FixOpName(fix.op)}, {"path", fix.path.ToString()}};
  if (fix.value) j["value"] = internal::ValueToJson(*fix.value);
  return j;
}

ordered_json SummaryJson(const Report& r, Severity fail_on) {
  ordered_json sev = ordered_json::object();
  for (int s = 4; s >= 0; --s) {
    sev[std::string(SeverityName(static_cast<Severity>(s)))] = r.by_severity[s];
  }
  std::size_t counts[5] = {};
  for (const RuleResult& rr : r.rules) ++counts[static_cast<int>(rr.status)];
  ordered_json rules = ordered_json::object();
  for (int s = 0; s < 5; ++s)
    rules[std::string(RuleStatusName(static_cast<RuleStatus>(s)))] = counts[s];
  return {{"compliant", r.CompliantAt(fail_on)},
          {"findings", r.findings.size()},
          {"by_severity", sev},
          {"rules", rules},
          {"checks", {{"applicable", r.checks_applicable()}, {"passed", r.checks_passed()}}}};
}

}  // namespace

std::string RenderJson(std::span<const Report> reports, const RenderOptions& options) {
  ordered_json targets = ordered_json::array();
  bool compliant = true;
  for (const Report& r : reports) {
    compliant = compliant && r.CompliantAt(options.fail_on);
    ordered_json frameworks = ordered_json::array();
    for (const FrameworkScore& f : r.frameworks) {
      frameworks.push_back({{"framework", f.framework},
                            {"score", f.score()},
                            {"applicable", f.applicable},
                            {"passed", f.passed},
                            {"failing_controls", f.failing_controls}});
    }
    ordered_json rules = ordered_json::array();
    for (const RuleResult& rr : r.rules) {
      ordered_json j = {{"id", rr.id},
                        {"title", rr.title},
                        {"pack", rr.pack},
                        {"severity", SeverityName(rr.severity)},
                        {"status", RuleStatusName(rr.status)},
                        {"frameworks", FrameworksJson(rr.frameworks)},
                        {"applicable", rr.applicable},
                        {"passed", rr.passed},
                        {"failed", rr.failed}};
      if (!rr.errors.empty()) j["errors"] = rr.errors;
      rules.push_back(std::move(j));
    }
    ordered_json findings = ordered_json::array();
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      ordered_json j = {{"rule", rr.id},
                        {"title", rr.title},
                        {"severity", SeverityName(f.severity)},
                        {"frameworks", FrameworksJson(rr.frameworks)},
                        {"path", f.path}};
      if (f.location.line != 0) {
        j["location"] = {
            {"file", f.location.source}, {"line", f.location.line}, {"column", f.location.column}};
      }
      j["message"] = f.message;
      j["remediation"] = rr.remediation;
      if (f.fix) j["fix"] = FixJson(*f.fix);
      findings.push_back(std::move(j));
    }
    targets.push_back({{"target", r.target},
                       {"environment", r.environment},
                       {"partial", r.partial},
                       {"summary", SummaryJson(r, options.fail_on)},
                       {"frameworks", std::move(frameworks)},
                       {"rules", std::move(rules)},
                       {"findings", std::move(findings)}});
  }
  ordered_json doc = {{"version", 1},
                      {"tool", {{"name", "bulwark"}, {"version", options.tool_version}}},
                      {"compliant", compliant},
                      {"fail_on", SeverityName(options.fail_on)},
                      {"targets", std::move(targets)}};
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string RenderSarif(std::span<const Report> reports, const RenderOptions& options) {
  // The rule table is the union of the rules of every report (same packs, so usually identical).
  ordered_json rules = ordered_json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const Report& r : reports) {
    for (const RuleResult& rr : r.rules) {
      if (rule_index.contains(rr.id)) continue;
      rule_index[rr.id] = rules.size();
      ordered_json tags = ordered_json::array();
      tags.push_back("security");
      tags.push_back("compliance");
      for (const FrameworkRef& f : rr.frameworks) {
        for (const std::string& c : f.controls) tags.push_back(f.framework + ":" + c);
      }
      rules.push_back({{"id", rr.id},
                       {"name", internal::SarifRuleName(rr.id)},
                       {"shortDescription", {{"text", rr.title}}},
                       {"help", {{"text", rr.remediation.empty() ? rr.title : rr.remediation}}},
                       {"defaultConfiguration", {{"level", internal::SarifLevel(rr.severity)}}},
                       {"properties",
                        {{"tags", tags},
                         {"security-severity", internal::SecuritySeverityScore(rr.severity)},
                         {"pack", rr.pack},
                         {"frameworks", FrameworksJson(rr.frameworks)}}}});
    }
  }
  ordered_json results = ordered_json::array();
  ordered_json notifications = ordered_json::array();
  ordered_json artifacts = ordered_json::array();
  bool partial = false;
  for (const Report& r : reports) {
    partial = partial || r.partial;
    const std::string target_uri = internal::FileUri(r.target);
    artifacts.push_back({{"location", {{"uri", target_uri}}}});
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      ordered_json loc = ordered_json::object();
      ordered_json physical = {
          {"artifactLocation",
           {{"uri", f.location.line != 0 ? internal::FileUri(f.location.source) : target_uri}}}};
      if (f.location.line != 0) {
        ordered_json region = {{"startLine", f.location.line}};
        if (f.location.column != 0) region["startColumn"] = f.location.column;
        physical["region"] = region;
      }
      loc["physicalLocation"] = physical;
      if (!f.path.empty()) {
        loc["logicalLocations"] =
            ordered_json::array({{{"fullyQualifiedName", f.path}, {"kind", "member"}}});
      }
      ordered_json result = {{"ruleId", rr.id},
                             {"ruleIndex", rule_index[rr.id]},
                             {"level", internal::SarifLevel(f.severity)},
                             {"message", {{"text", f.message}}},
                             {"locations", ordered_json::array({loc})}};
      ordered_json props = {{"severity", SeverityName(f.severity)},
                            {"frameworks", FrameworksJson(rr.frameworks)},
                            {"remediation", rr.remediation}};
      if (f.fix) props["fix"] = FixJson(*f.fix);
      result["properties"] = props;
      results.push_back(std::move(result));
    }
    for (const RuleResult& rr : r.rules) {
      for (const std::string& e : rr.errors) {
        notifications.push_back(
            {{"level", "error"},
             {"message", {{"text", e}}},
             {"associatedRule", {{"id", rr.id}, {"index", rule_index[rr.id]}}}});
      }
    }
  }
  ordered_json invocation = {{"executionSuccessful", !partial}};
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = notifications;
  ordered_json run = {{"tool",
                       {{"driver",
                         {{"name", "bulwark"},
                          {"semanticVersion", options.tool_version},
                          {"informationUri", "https://github.com/bulwark-config/bulwark"},
                          {"rules", rules}}}}},
                      {"invocations", ordered_json::array({invocation})},
                      {"artifacts", artifacts},
                      {"results", results}};
  ordered_json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                      {"version", "2.1.0"},
                      {"runs", ordered_json::array({run})}};
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace bulwark::compliance
