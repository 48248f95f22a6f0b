// Shared helpers of the per-format span scanners (spans_*.cc).
#ifndef BULWARK_SECFILE_SPANS_INTERNAL_H_
#define BULWARK_SECFILE_SPANS_INTERNAL_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/secfile/spans.h"

namespace bulwark::secfile::internal {

// 1-based line and column (in bytes) of `offset`.
struct LineCol {
  std::size_t line = 1;
  std::size_t column = 1;
};
LineCol LocateOffset(std::string_view text, std::size_t offset);

// kInvalidArgument "<source>:<line>:<column>: <what>".
Error ScanError(std::string_view text, std::size_t offset, const ScanOptions& options,
                std::string_view what);

// Fills line/column of every span.
void FillLocations(std::string_view text, std::vector<ValueSpan>& spans);

// Rejects spans out of source order or overlapping (the library that parsed the text read it
// differently from the byte scanner, e.g. yaml-cpp accepting an under-indented continuation line
// of a quoted scalar): replacing such bytes could not restore the file.
Status CheckOrderedSpans(std::string_view text, const std::vector<ValueSpan>& spans,
                         const ScanOptions& options);

// Rejects two spans with the same path (duplicate keys).
Status CheckDuplicatePaths(std::string_view text, const std::vector<ValueSpan>& spans,
                           const ScanOptions& options);

Result<std::vector<ValueSpan>> ScanYaml(std::string_view text, const ScanOptions& options);
Result<std::vector<ValueSpan>> ScanJson(std::string_view text, const ScanOptions& options);
Result<std::vector<ValueSpan>> ScanToml(std::string_view text, const ScanOptions& options);
Result<std::vector<ValueSpan>> ScanDotenv(std::string_view text, const ScanOptions& options);
Result<std::vector<ValueSpan>> ScanIni(std::string_view text, const ScanOptions& options);

inline bool IsLineBreak(char c) { return c == '\n' || c == '\r'; }
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace bulwark::secfile::internal

#endif  // BULWARK_SECFILE_SPANS_INTERNAL_H_
