// Pre-scans that bound how deeply a YAML or TOML text can nest before it is handed to a library
// that recurses (yaml-cpp's parser, toml++'s table destructor). They over-estimate (brackets in
// plain scalars, indentation inside block scalars count), so callers give them a limit well above
// ParseOptions::max_depth and enforce max_depth exactly while building the Value tree.
#ifndef BULWARK_CONFIG_INTERNAL_NESTING_GUARD_H_
#define BULWARK_CONFIG_INTERNAL_NESTING_GUARD_H_

#include <cstddef>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::config::internal {

// Limit for the pre-scans given the exact depth limit.
inline std::size_t PrescanLimit(std::size_t max_depth) { return 2 * max_depth + 16; }

// Errors with the position where the estimated nesting (flow brackets plus block indentation
// levels) first exceeds `limit`.
Status CheckYamlNesting(std::string_view text, std::size_t limit, std::string_view source);

// Errors with the position where the estimated table depth (header and key dots plus open
// brackets and braces) first exceeds `limit`.
Status CheckTomlNesting(std::string_view text, std::size_t limit, std::string_view source);

}  // namespace bulwark::config::internal

#endif  // BULWARK_CONFIG_INTERNAL_NESTING_GUARD_H_
