#include "bulwark/core/quoted_string.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace bulwark {
namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// The high bit of each byte of `w` that is zero. Only the lowest flagged byte is certain (a borrow
// may flag bytes above it), which is all FindEscape needs; no byte is flagged when none is zero.
constexpr std::uint64_t ZeroBytes(std::uint64_t w) { return (w - kOnes) & ~w & kHighBits; }

// The same for the bytes that need an escape: '"', '\\', below 0x20, and DEL when kEscapeDel.
template <bool kEscapeDel>
constexpr std::uint64_t EscapeBytes(std::uint64_t w) {
  std::uint64_t m = ((w - kOnes * 0x20) & ~w & kHighBits) | ZeroBytes(w ^ (kOnes * '"')) |
                    ZeroBytes(w ^ (kOnes * '\\'));
  if constexpr (kEscapeDel) m |= ZeroBytes(w ^ (kOnes * 0x7F));
  return m;
}

template <bool kEscapeDel>
constexpr bool NeedsEscape(unsigned char c) {
  return c == '"' || c == '\\' || c < 0x20 || (kEscapeDel && c == 0x7F);
}

// The first byte of [p, end) that needs an escape, or end: eight bytes at a time (names and paths
// have none, so this is usually one pass and one append).
template <bool kEscapeDel>
const char* FindEscape(const char* p, const char* end) {
  if constexpr (std::endian::native == std::endian::little) {
    for (; end - p >= 8; p += 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (const std::uint64_t m = EscapeBytes<kEscapeDel>(w); m != 0) {
        return p + std::countr_zero(m) / 8;
      }
    }
  }
  while (p != end && !NeedsEscape<kEscapeDel>(static_cast<unsigned char>(*p))) ++p;
  return p;
}

// One instantiation per style, so the hot loop has no style branch (audit events are built with
// the default style on every store operation).
template <bool kUpperHex, bool kEscapeDel>
void Append(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef0123456789ABCDEF";
  static constexpr const char* kDigits = kHex + (kUpperHex ? 16 : 0);
  out += '"';
  // Characters that need no escape are copied in runs (one append per run).
  const char* run = s.data();
  const char* const end = run + s.size();
  for (const char* p = FindEscape<kEscapeDel>(run, end); p != end;
       p = FindEscape<kEscapeDel>(run, end)) {
    out.append(run, p);
    run = p + 1;
    const auto c = static_cast<unsigned char>(*p);
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
  out.append(run, end);
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
