// YAML 1.2 core schema resolution of plain (unquoted, untagged) scalars, shared by the YAML parser
// and by the emitter (which quotes every string that would resolve to something else).
#ifndef BULWARK_CONFIG_INTERNAL_YAML_SCALAR_H_
#define BULWARK_CONFIG_INTERNAL_YAML_SCALAR_H_

#include <string_view>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::config::internal {

// null|Null|NULL|~|"" -> null; true|True|TRUE|false|False|FALSE -> bool; [-+]?[0-9]+, 0o[0-7]+,
// 0x[0-9a-fA-F]+ -> int (decimal values outside int64 become doubles; octal/hex ones are errors);
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?.inf, .nan (any of the three spellings)
// -> double; everything else -> string. The error message has no position.
Result<Value> ResolvePlainScalar(std::string_view text);

// True when ResolvePlainScalar(text) is a string equal to text.
bool ResolvesAsString(std::string_view text);

}  // namespace bulwark::config::internal

#endif  // BULWARK_CONFIG_INTERNAL_YAML_SCALAR_H_
