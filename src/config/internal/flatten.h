// Flattening a Value tree into (name, text) pairs for the dotenv and env emitters.
#ifndef BULWARK_CONFIG_INTERNAL_FLATTEN_H_
#define BULWARK_CONFIG_INTERNAL_FLATTEN_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::config::internal {

struct FlatEntry {
  std::string name;
  std::string text;
  Path path;
};

// Visits every scalar leaf of a map root (empty maps and lists are skipped), names it by joining
// `segment(key)` (or the decimal index) with "__" after `prefix`, and renders the scalar as text:
// strings as is, ints and doubles in shortest form (doubles as FormatDouble; NaN and infinities as
// "nan", "inf", "-inf"), bools "true"/"false", null as "", bytes as base64. Two paths that give the
// same name are an error naming both. `format` names the format in messages.
Result<std::vector<FlatEntry>> Flatten(const Value& root, std::string_view format,
                                       std::string_view prefix,
                                       const std::function<std::string(std::string_view)>& segment);

}  // namespace bulwark::config::internal

#endif  // BULWARK_CONFIG_INTERNAL_FLATTEN_H_
