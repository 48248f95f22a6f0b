// Double-quoted strings with backslash escapes, as JSON (RFC 8259), canonical JSON (RFC 8785,
// JCS) and TOML basic strings write them: one escaper for every emitter whose rules are these.
//
// The output is '"', then `s` with
//   - '"' and '\\' escaped as \" and \\;
//   - the control characters U+0008, U+0009, U+000A, U+000C, U+000D as \b \t \n \f \r;
//   - the other control characters U+0000..U+001F as \u00XX (hex case per QuoteStyle), and DEL
//     (U+007F) too when QuoteStyle::escape_del is set;
//   - every other byte copied unchanged (so "/" and non-ASCII characters are written as is);
// then '"'. With the default style this is exactly RFC 8785 section 3.2.2.2 (lowercase hex) and
// therefore valid RFC 8259 JSON; {.uppercase_hex = true, .escape_del = true} is a TOML basic
// string (TOML 1.0 forbids a raw DEL there).
//
// Bytes are not validated: valid UTF-8 in gives valid UTF-8 out, and a caller whose format requires
// UTF-8 checks it first (bulwark/core/encoding.h, FindInvalidUtf8). Formats with other rules do
// not use this: YAML double-quoted scalars (\0, \xXX, escaped C1 and line separators) and dotenv
// values (\$, raw control characters) keep their own escapers in src/config.
//
// Thread safety: a pure function.
#ifndef BULWARK_CORE_QUOTED_STRING_H_
#define BULWARK_CORE_QUOTED_STRING_H_

#include <string>
#include <string_view>

namespace bulwark {

struct QuoteStyle {
  bool uppercase_hex = false;  // \u001F instead of \u001f
  bool escape_del = false;     // U+007F as \u007f / \u007F instead of as is
};

// Appends `s` to `out` as described above, quotes included.
void AppendQuotedString(std::string& out, std::string_view s, QuoteStyle style = {});

}  // namespace bulwark

#endif  // BULWARK_CORE_QUOTED_STRING_H_
