// Data embedded at build time (cmake/EmbedText.cmake): the built-in rules and the rule-file schema.
#ifndef BULWARK_SRC_SCAN_EMBEDDED_RULES_H_
#define BULWARK_SRC_SCAN_EMBEDDED_RULES_H_

#include <string_view>

namespace bulwark::scan::internal {

extern const std::string_view kBuiltinRules;
extern const std::string_view kRulesSchema;

}  // namespace bulwark::scan::internal

#endif  // BULWARK_SRC_SCAN_EMBEDDED_RULES_H_
