// Baselines: the fingerprints of accepted findings, so that only new findings fail a build
// (docs/scan.md section 4). The file is JSON:
//   {"version": 1, "tool": "bulwark scan",
//    "fingerprints": [{"fingerprint": "<32 hex>", "rule": "...", "target": "..."}]}
// `rule` and `target` are informative; only the fingerprint is compared.
//
// Thread safety: value types and pure functions.
#ifndef BULWARK_SCAN_BASELINE_H_
#define BULWARK_SCAN_BASELINE_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/scan/finding.h"

namespace bulwark::scan {

struct Baseline {
  std::set<std::string, std::less<>> fingerprints;
};

// kInvalidArgument naming `source_name` and the entry for malformed JSON, a wrong version or a
// fingerprint that is not 32 lowercase hex digits.
Result<Baseline> ParseBaseline(std::string_view text, const std::string& source_name);

// The baseline of `findings` (each fingerprint once, sorted).
std::string RenderBaseline(const std::vector<Finding>& findings);

// Marks the findings whose fingerprint is in `baseline` as kBaselined; returns how many.
std::size_t ApplyBaseline(const Baseline& baseline, std::vector<Finding>& findings);

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_BASELINE_H_
