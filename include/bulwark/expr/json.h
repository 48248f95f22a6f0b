// Rendering CEL values as JSON (for `bulwark expr` and reports).
//
// int and uint are JSON numbers, double a number (NaN and infinities as the strings "NaN",
// "Infinity", "-Infinity"), bytes base64 (standard alphabet), timestamps RFC 3339 strings
// ("2009-02-13T23:31:30Z"), durations strings like "1.5s", types their name, ip/cidr/semver their
// text. Map keys that are not strings are written in their CEL text form ("1", "true").
// Errors cannot be rendered (kInvalidArgument).
#ifndef BULWARK_EXPR_JSON_H_
#define BULWARK_EXPR_JSON_H_

#include <string>

#include "bulwark/core/error.h"
#include "bulwark/expr/value.h"

namespace bulwark::expr {

// Compact JSON when indent < 0, otherwise pretty-printed with `indent` spaces per level.
Result<std::string> ToJson(const Value& value, int indent = -1);

}  // namespace bulwark::expr

#endif  // BULWARK_EXPR_JSON_H_
