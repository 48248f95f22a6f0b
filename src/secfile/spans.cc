#include "bulwark/secfile/spans.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "secfile/spans_internal.h"

namespace bulwark::secfile {

std::string_view FileFormatName(FileFormat format) {
  switch (format) {
    case FileFormat::kYaml:
      return "yaml";
    case FileFormat::kJson:
      return "json";
    case FileFormat::kToml:
      return "toml";
    case FileFormat::kDotenv:
      return "dotenv";
    case FileFormat::kIni:
      return "ini";
  }
  return "unknown";
}

Result<FileFormat> ParseFileFormatName(std::string_view name) {
  if (name == "yaml" || name == "yml") return FileFormat::kYaml;
  if (name == "json") return FileFormat::kJson;
  if (name == "toml") return FileFormat::kToml;
  if (name == "dotenv" || name == "env") return FileFormat::kDotenv;
  if (name == "ini") return FileFormat::kIni;
  return (InvalidArgumentError(
      fmt::format("unknown file format '{}' (valid: yaml, json, toml, dotenv, ini)", name)));
}

Result<FileFormat> FileFormatFromPath(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".yaml" || ext == ".yml") return FileFormat::kYaml;
  if (ext == ".json") return FileFormat::kJson;
  if (ext == ".toml") return FileFormat::kToml;
  if (ext == ".ini" || ext == ".cfg" || ext == ".conf") return FileFormat::kIni;
  if (ext == ".env" || name.starts_with(".env")) return FileFormat::kDotenv;
  return (InvalidArgumentError(fmt::format(
      "cannot tell the format of '{}' from its extension (.yaml, .yml, .json, .toml, .env, .ini, "
      ".cfg, .conf); name it explicitly",
      path.string())));
}

std::string_view QuoteStyleName(QuoteStyle style) {
  switch (style) {
    case QuoteStyle::kPlain:
      return "plain";
    case QuoteStyle::kSingle:
      return "single";
    case QuoteStyle::kDouble:
      return "double";
    case QuoteStyle::kLiteralBlock:
      return "literal";
    case QuoteStyle::kFoldedBlock:
      return "folded";
    case QuoteStyle::kTripleDouble:
      return "triple-double";
    case QuoteStyle::kTripleSingle:
      return "triple-single";
  }
  return "unknown";
}

std::string_view ScalarTypeName(ScalarType type) {
  switch (type) {
    case ScalarType::kStr:
      return "str";
    case ScalarType::kInt:
      return "int";
    case ScalarType::kFloat:
      return "float";
    case ScalarType::kBool:
      return "bool";
    case ScalarType::kNull:
      return "null";
    case ScalarType::kBytes:
      return "bytes";
  }
  return "unknown";
}

Result<ScalarType> ParseScalarTypeName(std::string_view name) {
  for (ScalarType t : {ScalarType::kStr, ScalarType::kInt, ScalarType::kFloat, ScalarType::kBool,
                       ScalarType::kNull, ScalarType::kBytes}) {
    if (ScalarTypeName(t) == name) return t;
  }
  return std::unexpected(
      InvalidArgumentError("unknown scalar type (valid: str, int, float, bool, null, bytes)"));
}

std::string_view DetectLineEnding(std::string_view text) {
  const std::size_t nl = text.find('\n');
  if (nl != std::string_view::npos && nl > 0 && text[nl - 1] == '\r') return "\r\n";
  return "\n";
}

Result<std::vector<ValueSpan>> ScanValues(std::string_view text, FileFormat format,
                                          const ScanOptions& options) {
  Result<std::vector<ValueSpan>> spans;
  switch (format) {
    case FileFormat::kYaml:
      spans = internal::ScanYaml(text, options);
      break;
    case FileFormat::kJson:
      spans = internal::ScanJson(text, options);
      break;
    case FileFormat::kToml:
      spans = internal::ScanToml(text, options);
      break;
    case FileFormat::kDotenv:
      spans = internal::ScanDotenv(text, options);
      break;
    case FileFormat::kIni:
      spans = internal::ScanIni(text, options);
      break;
  }
  if (!spans) return spans;
  internal::FillLocations(text, *spans);
  BULWARK_RETURN_IF_ERROR(internal::CheckOrderedSpans(text, *spans, options));
  BULWARK_RETURN_IF_ERROR(internal::CheckDuplicatePaths(text, *spans, options));
  return spans;
}

namespace {

config::Value ScalarValue(const ValueSpan& span) {
  switch (span.type) {
    case ScalarType::kNull:
      return config::Value();
    case ScalarType::kBool: {
      std::string lower = span.text;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return config::Value(lower == "true" || lower == "yes" || lower == "on");
    }
    case ScalarType::kInt: {
      std::int64_t v = 0;
      std::string digits;
      for (char c : span.text) {
        if (c != '_' && c != '+') digits.push_back(c);
      }
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec == std::errc() && p == digits.data() + digits.size()) return config::Value(v);
      return config::Value(span.text);
    }
    case ScalarType::kFloat: {
      double d = 0;
      std::string digits;
      for (char c : span.text) {
        if (c != '_') digits.push_back(c);
      }
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
      if (ec == std::errc() && p == digits.data() + digits.size()) return config::Value(d);
      return config::Value(span.text);
    }
    case ScalarType::kStr:
    case ScalarType::kBytes:
      return config::Value(span.text);
  }
  return config::Value(span.text);
}

}  // namespace

config::Value BuildValueTree(const std::vector<ValueSpan>& spans) {
  config::Value root = config::Value::EmptyMap();
  for (const ValueSpan& span : spans) {
    if (span.path.empty()) return ScalarValue(span);
    // Set cannot fail here except on conflicting shapes, which the scanners do not produce; a
    // conflicting value is simply left out of the tree.
    (void)config::Set(root, span.path, ScalarValue(span));
  }
  return root;
}

namespace internal {

LineCol LocateOffset(std::string_view text, std::size_t offset) {
  LineCol lc;
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      lc.column = 1;
    } else {
      ++lc.column;
    }
  }
  return lc;
}

Error ScanError(std::string_view text, std::size_t offset, const ScanOptions& options,
                std::string_view what) {
  const LineCol lc = LocateOffset(text, offset);
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("{}:{}:{}: {}", options.source_name, lc.line, lc.column, what));
}

void FillLocations(std::string_view text, std::vector<ValueSpan>& spans) {
  // Spans are in document order, so one forward pass suffices.
  std::size_t line = 1, column = 1, pos = 0;
  for (ValueSpan& span : spans) {
    if (span.begin < pos) {
      line = 1;
      column = 1;
      pos = 0;
    }
    for (; pos < span.begin && pos < text.size(); ++pos) {
      if (text[pos] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    span.line = line;
    span.column = column;
  }
}

Status CheckOrderedSpans(std::string_view text, const std::vector<ValueSpan>& spans,
                         const ScanOptions& options) {
  std::size_t last_end = 0;
  for (const ValueSpan& span : spans) {
    if (span.begin > span.end || span.end > text.size() || span.begin < last_end) {
      return std::unexpected(ScanError(
          text, std::min(span.begin, text.size()), options,
          fmt::format("cannot tell where the value of '{}' is written (it overlaps the value "
                      "before it; is a quoted scalar's continuation line indented too little?)",
                      span.path.ToString())));
    }
    last_end = span.end;
  }
  return {};
}

Status CheckDuplicatePaths(std::string_view text, const std::vector<ValueSpan>& spans,
                           const ScanOptions& options) {
  std::unordered_set<config::Path> seen;
  seen.reserve(spans.size());
  for (const ValueSpan& span : spans) {
    if (!seen.insert(span.path).second) {
      return std::unexpected(ScanError(text, span.begin, options,
                                       fmt::format("duplicate key '{}'", span.path.ToString())));
    }
  }
  return {};
}

}  // namespace internal
}  // namespace bulwark::secfile
