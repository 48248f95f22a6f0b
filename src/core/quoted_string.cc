#include "bulwark/core/quoted_string.h"

namespace bulwark {
namespace {

// One instantiation per style, so the per-byte test of the hot loop has no style branch (audit
// events are built with the default style on every store operation).
template <bool kUpperHex, bool kEscapeDel>
void Append(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef0123456789ABCDEF";
  static constexpr const char* kDigits = kHex + (kUpperHex ? 16 : 0);
  out += '"';
  // Characters that need no escape are copied in runs (one append per run, not per character:
  // per-character appends were ~40% of building an audit event).
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != '"' && c != '\\' && c >= 0x20 && !(kEscapeDel && c == 0x7F)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:  // another control character, or DEL
        out += "\\u00";
        out += kDigits[c >> 4];
        out += kDigits[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

}  // namespace

void AppendQuotedString(std::string& out, std::string_view s, QuoteStyle style) {
  if (style.uppercase_hex) {
    style.escape_del ? Append<true, true>(out, s) : Append<true, false>(out, s);
  } else {
    style.escape_del ? Append<false, true>(out, s) : Append<false, false>(out, s);
  }
}

}  // namespace bulwark
