// Extension functions: Kubernetes-style strings, IP/CIDR, glob matching, semantic versions.
#ifndef BULWARK_SRC_EXPR_EXTENSIONS_H_
#define BULWARK_SRC_EXPR_EXTENSIONS_H_

#include <string_view>

#include "expr/internal.h"

namespace bulwark::expr::internal {

Function LookupExtension(std::string_view name, std::size_t argc);

// Glob match: '*' any run of characters except '/', '**' any run including '/', '?' one
// character except '/', '[abc]' / '[a-z]' / '[!a]' classes, '\' escapes the next character.
bool GlobMatch(std::string_view text, std::string_view pattern);

}  // namespace bulwark::expr::internal

#endif  // BULWARK_SRC_EXPR_EXTENSIONS_H_
