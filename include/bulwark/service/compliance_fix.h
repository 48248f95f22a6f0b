// Applying the `fix` patches of findings to a configuration file, changing only the bytes of the
// values concerned (comments, key order, quoting style and line endings stay as they were).
//
// Only `replace` of a scalar that is written in the file can be applied automatically: the
// value's byte span comes from bulwark/secfile/spans.h and the new scalar is written in the style
// of the old one (plain stays plain when the new text allows it, quoted stays quoted). `add` and
// `remove`, container values, values the file does not contain (a default, another layer) and
// conflicting fixes of the same path are reported as skipped with the reason, never guessed.
// After editing, the text is scanned again and every fixed path must read back as the new value;
// otherwise the whole operation fails and nothing is returned.
//
// It lives in the service layer, not in compliance: compliance reads values and never touches file
// bytes (or links the encrypted-file module); FileService::Fix applies it to a file, authorized and
// audited (file.fix).
#ifndef BULWARK_SERVICE_COMPLIANCE_FIX_H_
#define BULWARK_SERVICE_COMPLIANCE_FIX_H_

#include <string>
#include <string_view>
#include <vector>

#include "bulwark/compliance/report.h"
#include "bulwark/core/error.h"
#include "bulwark/secfile/spans.h"

namespace bulwark::service {

struct AppliedFix {
  std::string rule_id;
  std::string path;
};

struct SkippedFix {
  std::string rule_id;
  std::string path;
  std::string reason;
};

struct FixResult {
  std::string text;  // the edited document (equal to the input when nothing was applied)
  std::vector<AppliedFix> applied;
  std::vector<SkippedFix> skipped;
};

// Applies the fixes of `report`'s findings to `text` (the file the report was made from).
// kInvalidArgument when the text cannot be scanned or an edit does not read back.
Result<FixResult> ApplyFixes(std::string_view text, secfile::FileFormat format,
                             const compliance::Report& report,
                             std::string source_name = "<input>");

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_COMPLIANCE_FIX_H_
