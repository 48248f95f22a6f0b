// Byte-exact scalar spans of configuration files, for in-place value encryption.
//
// `ScanValues` finds, without re-emitting anything, the exact byte range [begin, end) of every
// scalar value of a YAML, JSON, TOML, dotenv or INI document, with its dotted path
// (bulwark/config/path.h), how it is quoted, its scalar type and its decoded text. Replacing the
// bytes of some spans (and nothing else) leaves comments, key order, quoting, anchors, blank lines
// and line endings (LF or CRLF) byte-identical; putting the original bytes back gives the original
// document exactly.
//
// What a span covers, per format:
//   YAML    the scalar's own characters: a plain scalar without trailing spaces or a trailing
//           comment (multi-line plain scalars include their continuation lines); a quoted scalar
//           from its opening to its closing quote; a block scalar (| or >) from the indicator to
//           the end of its last non-blank content line (the final line break and trailing blank
//           lines stay outside). Anchors (&a) and tags (!t) before a scalar are not part of it;
//           aliases (*a) are not values (the anchored scalar is). Map keys are never values.
//           Only single-document streams whose keys are scalars are supported.
//   JSON    a string with its quotes, a number, true, false or null.
//   TOML    a string (any of the four kinds, quotes included), integer, float, boolean or date-time
//           as written. Arrays and inline tables are containers: their elements are values.
//   dotenv  KEY=value: the value after '=' up to a trailing comment (unquoted) or its closing
//           quote (quoted, may span lines). `export KEY=...` is accepted. The path is the key.
//   INI     key = value / key: value: the value trimmed, up to a " ;" or " #" comment when not
//           quoted. Keys before the first [section] are top-level; others are section.key.
//
// Errors: kInvalidArgument "<source>:<line>:<column>: ..." for text the scanner does not accept
// (including syntax errors the format's parser reports, duplicate keys, multi-document YAML,
// non-scalar YAML keys). Messages never contain values.
#ifndef BULWARK_SECFILE_SPANS_H_
#define BULWARK_SECFILE_SPANS_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::secfile {

enum class FileFormat : std::uint8_t { kYaml, kJson, kToml, kDotenv, kIni };

// "yaml", "json", "toml", "dotenv", "ini".
std::string_view FileFormatName(FileFormat format);
// The names above, and "yml"; kInvalidArgument lists the valid names otherwise.
Result<FileFormat> ParseFileFormatName(std::string_view name);
// .yaml/.yml, .json, .toml, .ini/.cfg/.conf, .env and names starting with ".env"; else
// kInvalidArgument.
Result<FileFormat> FileFormatFromPath(const std::filesystem::path& path);

enum class QuoteStyle : std::uint8_t {
  kPlain,         // YAML plain, TOML bare literal (number, bool, date), unquoted dotenv/INI, JSON
                  // number/true/false/null
  kSingle,        // '...'
  kDouble,        // "..."
  kLiteralBlock,  // YAML |
  kFoldedBlock,   // YAML >
  kTripleDouble,  // TOML """..."""
  kTripleSingle,  // TOML '''...'''
};
std::string_view QuoteStyleName(QuoteStyle style);

// The scalar's type, as recorded in encrypted-value tokens. Dates and times are kStr.
enum class ScalarType : std::uint8_t { kStr, kInt, kFloat, kBool, kNull, kBytes };
// "str", "int", "float", "bool", "null", "bytes".
std::string_view ScalarTypeName(ScalarType type);
Result<ScalarType> ParseScalarTypeName(std::string_view name);

struct ValueSpan {
  config::Path path;
  std::size_t begin = 0;  // byte offsets into the scanned text, [begin, end)
  std::size_t end = 0;
  QuoteStyle quote = QuoteStyle::kPlain;
  ScalarType type = ScalarType::kStr;
  // True when the scalar sits where a replacement must be a quoted string (JSON, TOML, YAML flow
  // collections).
  bool needs_quotes = false;
  // The decoded value: the string for kStr, the literal as written for other types (for kBytes the
  // base64 text).
  std::string text;
  // 1-based line and column of `begin`, for messages.
  std::size_t line = 0;
  std::size_t column = 0;
};

struct ScanOptions {
  std::string source_name = "<input>";
  std::size_t max_depth = 128;
};

// Every scalar value of `text` in document order (see the per-format rules above).
Result<std::vector<ValueSpan>> ScanValues(std::string_view text, FileFormat format,
                                          const ScanOptions& options = {});

// The value tree the spans describe (maps and lists rebuilt from the paths, scalars typed from
// `type` and `text`; empty containers are not represented). Used for sensitivity classification.
config::Value BuildValueTree(const std::vector<ValueSpan>& spans);

// The line ending the document uses: "\r\n" when its first line break is CRLF, else "\n".
std::string_view DetectLineEnding(std::string_view text);

}  // namespace bulwark::secfile

#endif  // BULWARK_SECFILE_SPANS_H_
