// `bulwark scan --fix`: plaintext secrets found in files are encrypted in place, as `bulwark
// encrypt` does (byte-identical elsewhere, document MAC, key-usage index), restricted to the values
// that hold the findings (docs/scan.md section 1.6).
#ifndef BULWARK_SRC_CLI_SCAN_FIX_H_
#define BULWARK_SRC_CLI_SCAN_FIX_H_

#include <string>
#include <vector>

#include "bulwark/scan/finding.h"
#include "cli/command.h"
#include "cli/cli_node.h"

namespace bulwark::cli {

struct ScanFixResult {
  std::size_t files = 0;   // files written (or, for a dry run, that would be)
  std::size_t values = 0;  // values encrypted
};

// Encrypts, in each file named by a secret finding, the scalar values that hold them. Prints one
// line per value (path and line, never the value) and one per finding it cannot fix (inside a
// comment, a format without in-place encryption, an already encrypted file) on stderr. With
// `dry_run` nothing is written (and no key is opened). Each file is encrypted through the node's
// FileService (audited as file.encrypt, recorded in the key-usage index). Errors: those of the
// node and the file service.
Result<ScanFixResult> FixSecretsInFiles(CommandContext& ctx, const KeyArgs& keys,
                                        const std::vector<scan::Finding>& findings, bool dry_run);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_SCAN_FIX_H_
