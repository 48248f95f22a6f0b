// Scan reports: text, JSON and SARIF 2.1.0 (docs/scan.md section 6), and the exit decision.
//
// No report contains a secret: findings carry only the redacted form and the fingerprint.
//
// Thread safety: pure functions.
#ifndef BULWARK_SCAN_REPORT_H_
#define BULWARK_SCAN_REPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/scan/finding.h"
#include "bulwark/scan/run.h"

namespace bulwark::scan {

enum class ReportFormat { kText, kJson, kSarif };

// "text", "json", "sarif"; kInvalidArgument listing them otherwise.
Result<ReportFormat> ParseReportFormat(std::string_view name);

struct ReportOptions {
  Severity fail_on = Severity::kLow;
  std::string tool_version = "0";
};

std::string RenderReport(ReportFormat format, const RunResult& result, const ReportOptions& options);

// True when a finding that is not baselined or fixed has at least `fail_on` severity.
bool FailsGate(const RunResult& result, Severity fail_on);

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_REPORT_H_
