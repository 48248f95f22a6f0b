// Small text helpers shared by the format parsers and emitters: positioned errors, safe excerpts of
// input for messages, offset-to-position mapping, fast UTF-8 validation, double formatting, and a
// path tracker that emitters use to name the node an error is about.
#ifndef BULWARK_CONFIG_INTERNAL_TEXT_H_
#define BULWARK_CONFIG_INTERNAL_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/core/encoding.h"
#include "bulwark/core/error.h"

namespace bulwark::config::internal {

// Longest run of input characters an error message may quote.
inline constexpr std::size_t kMaxExcerpt = 40;

// kInvalidArgument "<source>:<line>:<column>: <message>".
std::unexpected<Error> ErrorAt(std::string_view source, std::size_t line, std::size_t column,
                               std::string_view message);

// `text` quoted for a message: at most kMaxExcerpt characters, control and non-ASCII bytes
// escaped, "..." appended when cut. Example: Excerpt("port") == "'port'".
std::string Excerpt(std::string_view text);

// One byte for a message: 'x' when printable ASCII, otherwise "byte 0xNN".
std::string DescribeByte(unsigned char c);

struct LineColumn {
  std::uint32_t line = 1;
  std::uint32_t column = 1;  // 1-based, counted in bytes
};
// The 1-based line and byte column of `offset` (offset may equal text.size()).
LineColumn LocateOffset(std::string_view text, std::size_t offset);

// Byte offset of the first invalid UTF-8 sequence or npos; ASCII runs are checked 8 bytes at a
// time.
std::size_t FindInvalidUtf8Fast(std::string_view text);

// Utf8SequenceLength comes from bulwark/core/encoding.h.
using ::bulwark::Utf8SequenceLength;

// Shortest text that reads back as the same finite double and is visibly a float: "1.0", "0.5",
// "1e+20" (fmt "{}" plus ".0" when the shortest form would read as an integer).
std::string FormatDouble(double d);

// How a format spells the doubles FormatDouble cannot write.
struct NonFiniteNames {
  std::string_view nan, inf, negative_inf;
};
inline constexpr NonFiniteNames kPlainNonFinite{"nan", "inf", "-inf"};  // TOML, dotenv, env
inline constexpr NonFiniteNames kYamlNonFinite{".nan", ".inf", "-.inf"};
// FormatDouble for a finite `d`; NaN and the infinities as `names` spells them.
std::string FormatDouble(double d, const NonFiniteNames& names);

// The path of the node an emitter is visiting; cheap to push and pop, converted to a Path only when
// an error names it.
class PathTracker {
 public:
  void PushKey(std::string_view key) { segments_.emplace_back(key); }
  void PushIndex(std::size_t index) { segments_.emplace_back(index); }
  void Pop() { segments_.pop_back(); }
  Path ToPath() const;
  // "path 'a.b[2]'" or "the root".
  std::string Describe() const;

 private:
  std::vector<std::variant<std::string_view, std::size_t>> segments_;
};

}  // namespace bulwark::config::internal

#endif  // BULWARK_CONFIG_INTERNAL_TEXT_H_
