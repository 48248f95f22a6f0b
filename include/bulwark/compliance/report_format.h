// Rendering compliance reports: text, JSON, SARIF 2.1.0, JUnit XML and a self-contained HTML page.
//
// Every renderer takes the reports of one `bulwark check` run (one per target) and returns the
// whole document. Output is deterministic (same reports, same bytes). Text from rules and
// documents (messages, titles, paths) is escaped for the target format: JSON string escapes,
// XML/HTML entity escapes (characters XML 1.0 forbids are replaced by U+FFFD).
//
//   text   one block per finding, then rule, framework and severity summaries
//   json   {"version":1, "compliant":..., "fail_on":..., "targets":[{target, environment,
//          partial, summary, frameworks, rules, findings}]}  (docs/compliance.md)
//   sarif  one run, tool.driver.rules = every rule, results = findings (critical/high -> error,
//          medium -> warning, low/info -> note), evaluation errors as toolExecutionNotifications
//   junit  one <testsuite> per target, one <testcase> per rule (<failure>, <error>, <skipped>)
//   html   one page with inline CSS and SVG charts of scores by framework and findings by severity
#ifndef BULWARK_COMPLIANCE_REPORT_FORMAT_H_
#define BULWARK_COMPLIANCE_REPORT_FORMAT_H_

#include <span>
#include <string>
#include <string_view>

#include "bulwark/compliance/report.h"
#include "bulwark/core/error.h"

namespace bulwark::compliance {

enum class ReportFormat : std::uint8_t { kText, kJson, kSarif, kJunit, kHtml };
// "text", "json", "sarif", "junit", "html"; kInvalidArgument listing them otherwise.
Result<ReportFormat> ParseReportFormat(std::string_view name);

struct RenderOptions {
  Severity fail_on = Severity::kHigh;  // what "compliant" means in summaries
  std::string tool_version = "0.1.0";
  // Text: also list every rule with its status and why (RuleResult::note, checks, errors).
  bool explain = false;
};

std::string RenderText(std::span<const Report> reports, const RenderOptions& options = {});
std::string RenderJson(std::span<const Report> reports, const RenderOptions& options = {});
std::string RenderSarif(std::span<const Report> reports, const RenderOptions& options = {});
std::string RenderJunit(std::span<const Report> reports, const RenderOptions& options = {});
std::string RenderHtml(std::span<const Report> reports, const RenderOptions& options = {});
std::string Render(ReportFormat format, std::span<const Report> reports,
                   const RenderOptions& options = {});

}  // namespace bulwark::compliance

#endif  // BULWARK_COMPLIANCE_REPORT_FORMAT_H_
