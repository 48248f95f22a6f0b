// The rule packs shipped inside the binary (packs/*.yaml, embedded at build time), so
// `bulwark check --pack baseline` works from any directory.
#ifndef BULWARK_COMPLIANCE_BUILTIN_PACKS_H_
#define BULWARK_COMPLIANCE_BUILTIN_PACKS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/compliance/rule_pack.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::compliance {

// Names of the built-in packs, sorted: "baseline", "best-practice", "gdpr", "hipaa", "pci-dss",
// "soc2".
std::vector<std::string> BuiltinPackNames();
// The YAML text of a built-in pack; kNotFound listing the names otherwise.
Result<std::string_view> BuiltinPackText(std::string_view name);
// The JSON Schema (draft 7) of the service configuration the built-in packs are written for
// (packs/service.schema.json): nothing required, other keys allowed. Used to type environment
// variables when nothing else gives their types.
std::string_view ServiceSchemaText();

// Parses a built-in pack (source name "builtin:<name>").
Result<std::unique_ptr<RulePack>> LoadBuiltinPack(std::string_view name,
                                                  const RulePackOptions& options = {});

// A pack named on a command line or in <home>/config.yaml: a built-in name ("baseline"), else a
// pack file (a name ending in .yaml, .yml or .json is always a file). The built-in lookup's
// kNotFound when it is neither; the file's load errors otherwise.
Result<std::shared_ptr<const RulePack>> LoadPackSpec(FileSystem& fs, const std::string& spec);

}  // namespace bulwark::compliance

#endif  // BULWARK_COMPLIANCE_BUILTIN_PACKS_H_
