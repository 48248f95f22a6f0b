#include "bulwark/scan/report.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

namespace bulwark::scan {
namespace {

using Json = nlohmann::ordered_json;

bool Counts(const Finding& f) {
  return f.status != FindingStatus::kBaselined && f.status != FindingStatus::kFixed;
}

std::string Where(const Finding& f) {
  if (f.line == 0) return f.target;
  return fmt::format("{}:{}:{}", f.target, f.line, f.column);
}

std::string Summary(const Finding& f) {
  std::string what = f.kind == FindingKind::kSecret ? f.redacted : f.message;
  std::string s = fmt::format("{} [{}] {}", SeverityName(f.severity), f.rule, f.description);
  if (!f.key.empty()) s += fmt::format(" in '{}'", f.key);
  if (!f.path.empty()) s += fmt::format(" at {}", f.path);
  if (!what.empty()) s += ": " + what;
  if (!f.decoded.empty()) s += fmt::format(" (inside a {}-encoded value)", f.decoded);
  return s;
}

std::string RenderText(const RunResult& r, const ReportOptions& o) {
  std::string out;
  std::size_t counted = 0, baselined = 0;
  std::map<Severity, std::size_t> by_sev;
  for (const Finding& f : r.findings) {
    out += fmt::format("{}: {}", Where(f), Summary(f));
    if (f.status != FindingStatus::kNew) out += fmt::format(" [{}]", FindingStatusName(f.status));
    out += "\n";
    if (!f.remediation.empty() && Counts(f)) out += "    fix: " + f.remediation + "\n";
    if (Counts(f)) {
      ++counted;
      ++by_sev[f.severity];
    } else {
      ++baselined;
    }
  }
  for (const ScanError& e : r.errors) out += fmt::format("{}: error: {}\n", e.target, e.message);
  std::string sev;
  for (auto it = by_sev.rbegin(); it != by_sev.rend(); ++it) {
    sev += fmt::format("{}{} {}", sev.empty() ? "" : ", ", it->second, SeverityName(it->first));
  }
  out += fmt::format("scanned {} targets ({} bytes{}): {} findings{}{}{}; {}\n", r.targets, r.bytes,
                     r.skipped_binary ? fmt::format(", {} binary files skipped", r.skipped_binary) : "",
                     counted, sev.empty() ? "" : " (" + sev + ")",
                     baselined ? fmt::format(", {} baselined or fixed", baselined) : "",
                     r.errors.empty() ? "" : fmt::format(", {} errors", r.errors.size()),
                     FailsGate(r, o.fail_on) ? fmt::format("fails --fail-on {}", SeverityName(o.fail_on))
                                             : "passes");
  return out;
}

Json FindingJson(const Finding& f) {
  Json j;
  j["kind"] = FindingKindName(f.kind);
  j["rule"] = f.rule;
  j["description"] = f.description;
  j["severity"] = SeverityName(f.severity);
  j["target"] = f.target;
  j["line"] = f.line;
  j["column"] = f.column;
  j["end_line"] = f.end_line;
  j["end_column"] = f.end_column;
  j["offset"] = f.offset;
  j["length"] = f.length;
  if (!f.key.empty()) j["key"] = f.key;
  if (!f.path.empty()) j["path"] = f.path;
  if (!f.redacted.empty()) j["redacted"] = f.redacted;
  if (f.kind == FindingKind::kSecret) j["entropy"] = std::round(f.entropy * 1000) / 1000;
  if (!f.decoded.empty()) j["decoded"] = f.decoded;
  if (!f.message.empty()) j["message"] = f.message;
  j["fingerprint"] = f.fingerprint;
  j["remediation"] = f.remediation;
  j["fixable"] = f.fixable;
  j["status"] = FindingStatusName(f.status);
  return j;
}

std::string RenderJson(const RunResult& r, const ReportOptions& o) {
  Json doc;
  doc["version"] = 1;
  doc["tool"] = {{"name", "bulwark scan"}, {"version", o.tool_version}};
  Json findings = Json::array();
  for (const Finding& f : r.findings) findings.push_back(FindingJson(f));
  doc["findings"] = std::move(findings);
  Json errors = Json::array();
  for (const ScanError& e : r.errors) errors.push_back({{"target", e.target}, {"message", e.message}});
  doc["errors"] = std::move(errors);
  std::size_t counted = 0;
  for (const Finding& f : r.findings) counted += Counts(f) ? 1 : 0;
  doc["summary"] = {{"targets", r.targets},
                    {"bytes", r.bytes},
                    {"skipped_binary", r.skipped_binary},
                    {"findings", counted},
                    {"baselined_or_fixed", r.findings.size() - counted},
                    {"fail_on", SeverityName(o.fail_on)},
                    {"failed", FailsGate(r, o.fail_on)}};
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string_view SarifLevel(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "error";
    case Severity::kMedium: return "warning";
    default: return "note";
  }
}

std::string_view SecuritySeverity(Severity s) {
  switch (s) {
    case Severity::kCritical: return "9.5";
    case Severity::kHigh: return "8.0";
    case Severity::kMedium: return "5.5";
    case Severity::kLow: return "3.0";
    default: return "1.0";
  }
}

std::string RenderSarif(const RunResult& r, const ReportOptions& o) {
  Json rules = Json::array();
  std::map<std::string, std::size_t> index;
  for (const Finding& f : r.findings) {
    if (index.contains(f.rule)) continue;
    index[f.rule] = rules.size();
    Json rule;
    rule["id"] = f.rule;
    rule["name"] = f.rule;
    rule["shortDescription"] = {{"text", f.description}};
    rule["help"] = {{"text", f.remediation.empty() ? f.description : f.remediation}};
    rule["defaultConfiguration"] = {{"level", SarifLevel(f.severity)}};
    rule["properties"] = {{"security-severity", SecuritySeverity(f.severity)},
                          {"tags", Json::array({"security", FindingKindName(f.kind)})}};
    rules.push_back(std::move(rule));
  }
  Json results = Json::array();
  for (const Finding& f : r.findings) {
    Json res;
    res["ruleId"] = f.rule;
    res["ruleIndex"] = index[f.rule];
    res["level"] = SarifLevel(f.severity);
    res["message"] = {{"text", Summary(f)}};
    Json loc;
    loc["physicalLocation"]["artifactLocation"]["uri"] = f.target;
    if (f.line > 0) {
      Json region;
      region["startLine"] = f.line;
      if (f.column > 0) region["startColumn"] = f.column;
      if (f.end_line >= f.line && f.end_line > 0) region["endLine"] = f.end_line;
      if (f.end_column > 0 && f.end_line >= f.line) region["endColumn"] = f.end_column + 1;
      loc["physicalLocation"]["region"] = std::move(region);
    }
    res["locations"] = Json::array({std::move(loc)});
    res["partialFingerprints"] = {{"bulwark/v1", f.fingerprint}};
    if (f.status == FindingStatus::kBaselined) res["baselineState"] = "unchanged";
    else if (f.status == FindingStatus::kOpen) res["baselineState"] = "unchanged";
    else if (f.status == FindingStatus::kFixed) res["baselineState"] = "absent";
    Json props = {{"kind", FindingKindName(f.kind)}, {"remediation", f.remediation}};
    if (!f.key.empty()) props["key"] = f.key;
    if (!f.decoded.empty()) props["decoded"] = f.decoded;
    res["properties"] = std::move(props);
    results.push_back(std::move(res));
  }
  Json invocation = {{"executionSuccessful", r.errors.empty()}};
  if (!r.errors.empty()) {
    Json notes = Json::array();
    for (const ScanError& e : r.errors) {
      notes.push_back({{"level", "error"}, {"message", {{"text", e.target + ": " + e.message}}}});
    }
    invocation["toolExecutionNotifications"] = std::move(notes);
  }
  Json run;
  run["tool"]["driver"] = {{"name", "bulwark"},
                           {"version", o.tool_version},
                           {"informationUri", "https://bulwark.dev/docs/scan"},
                           {"rules", std::move(rules)}};
  run["invocations"] = Json::array({std::move(invocation)});
  run["results"] = std::move(results);
  Json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = Json::array({std::move(run)});
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "sarif") return ReportFormat::kSarif;
  return InvalidArgumentError("unknown report format '" + std::string(name.substr(0, 32)) +
                              "' (valid: text, json, sarif)");
}

bool FailsGate(const RunResult& result, Severity fail_on) {
  for (const Finding& f : result.findings) {
    if (Counts(f) && f.severity >= fail_on) return true;
  }
  return false;
}

std::string RenderReport(ReportFormat format, const RunResult& result, const ReportOptions& options) {
  switch (format) {
    case ReportFormat::kText: return RenderText(result, options);
    case ReportFormat::kJson: return RenderJson(result, options);
    case ReportFormat::kSarif: return RenderSarif(result, options);
  }
  return "";
}

}  // namespace bulwark::scan
