// RFC 8785 JSON Canonicalization Scheme (JCS): the canonical leaf bytes of an audit event.
//
// Canonical form, as RFC 8785 section 3.2 specifies:
//   - no whitespace between tokens;
//   - literals null, true, false;
//   - strings: UTF-8, with only these escapes: \" \\ \b \f \n \r \t and \u00XX (lowercase hex) for
//     the other control characters U+0000..U+001F; everything else (including "/", DEL and all
//     non-ASCII characters) is written as is;
//   - numbers: IEEE 754 doubles written as ECMAScript's Number.prototype.toString does
//     (ECMA-262 Number::toString: shortest round-trip digits; plain notation for 1e-7 < |x| < 1e21,
//     otherwise "d.ddde+NN" / "de-NN"); -0 is written 0; NaN and infinities are rejected;
//   - object members sorted by their names compared as arrays of UTF-16 code units (so U+1F600,
//     a surrogate pair D83D DE00, sorts before U+FB33); array order is kept.
//
// Input is an nlohmann::json value (events are JSON documents). Integers are I-JSON numbers: in a
// value built by the program (CanonicalizeJson) an integer whose magnitude exceeds 2^53 cannot be
// represented exactly as a double and is rejected (InvalidArgument) instead of being silently
// rounded: encode such values as strings. JSON text (CanonicalizeJsonText) is read as ECMAScript's
// JSON.parse reads it: every number is the nearest double, so canonical output always
// canonicalizes to itself. Strings and object names must be valid UTF-8. CanonicalizeJsonText also
// rejects duplicate object names (RFC 8785 section 3.1 requires I-JSON input).
//
// Thread safety: pure functions.
#ifndef BULWARK_AUDIT_JCS_H_
#define BULWARK_AUDIT_JCS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::audit {

// The canonical UTF-8 bytes of `value`.
Result<std::string> CanonicalizeJson(const nlohmann::json& value);
// Parses JSON text (rejecting duplicate names and invalid JSON, errors name line:column when the
// parser reports a position) and canonicalizes it.
Result<std::string> CanonicalizeJsonText(std::string_view text);
// Appends `s` as an RFC 8785 string (quotes included; only '"', '\\' and U+0000..U+001F escaped,
// the control characters without a short form as \u00xx). `s` must already be valid UTF-8: the
// caller checks (CanonicalizeJson does; RecordLeaf has its own writer, which validates as it
// copies).
void AppendJcsString(std::string& out, std::string_view s);
// ECMAScript Number::toString of a finite double; InvalidArgument for NaN and infinities.
Result<std::string> FormatEcmaScriptNumber(double value);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_JCS_H_
