// Byte-string encodings used by file formats and CLI output: hex, base64 (RFC 4648, standard and
// URL-safe alphabets) and UTF-8 validation.
//
// Decoders are strict: they reject characters outside the alphabet, wrong padding and non-canonical
// trailing bits, so that one byte string has exactly one accepted encoding (tokens and MACs rely on
// that). Errors say what was wrong, never echo the input (it may be a secret).
#ifndef BULWARK_CORE_ENCODING_H_
#define BULWARK_CORE_ENCODING_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark {

std::string HexEncode(std::span<const std::uint8_t> bytes);
std::string HexEncode(std::string_view bytes);
Result<std::vector<std::uint8_t>> HexDecode(std::string_view hex);

enum class Base64Alphabet { kStandard, kUrlSafe };
// Encodes with padding for kStandard, without padding for kUrlSafe.
std::string Base64Encode(std::span<const std::uint8_t> bytes,
                         Base64Alphabet alphabet = Base64Alphabet::kStandard);
std::string Base64Encode(std::string_view bytes,
                         Base64Alphabet alphabet = Base64Alphabet::kStandard);
// kStandard requires padding; kUrlSafe accepts input with or without it.
Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text,
                                               Base64Alphabet alphabet = Base64Alphabet::kStandard);

// Returns the byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates and code
// points above U+10FFFF are invalid), or std::string_view::npos when `text` is valid.
std::size_t FindInvalidUtf8(std::string_view text);
inline bool IsValidUtf8(std::string_view text) {
  return FindInvalidUtf8(text) == std::string_view::npos;
}
// Length of the valid UTF-8 sequence starting at p (1..4), or 0 when it is invalid (overlong,
// surrogate, above U+10FFFF) or truncated before `end`. Requires p < end.
std::size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end);

// Appends the UTF-8 encoding of a code point (must be a valid scalar value).
void AppendUtf8(std::string& out, char32_t code_point);

}  // namespace bulwark

#endif  // BULWARK_CORE_ENCODING_H_
