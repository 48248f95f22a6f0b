// dotenv and INI spans: both formats are line-oriented, so a direct scanner is the parser.
#include <fmt/format.h>

#include "bulwark/core/encoding.h"
#include "secfile/spans_internal.h"

namespace bulwark::secfile::internal {
namespace {

std::size_t LineEnd(std::string_view text, std::size_t pos) {
  while (pos < text.size() && !IsLineBreak(text[pos])) ++pos;
  return pos;
}

std::size_t NextLine(std::string_view text, std::size_t pos) {
  pos = LineEnd(text, pos);
  if (pos < text.size() && text[pos] == '\r') ++pos;
  if (pos < text.size() && text[pos] == '\n') ++pos;
  return pos;
}

std::size_t SkipBlanks(std::string_view text, std::size_t pos) {
  while (pos < text.size() && IsBlank(text[pos])) ++pos;
  return pos;
}

// An unquoted value ends at the line end or at a blank followed by one of `comment_chars`;
// trailing blanks are not part of it.
std::size_t UnquotedEnd(std::string_view text, std::size_t begin, std::string_view comment_chars) {
  const std::size_t eol = LineEnd(text, begin);
  std::size_t end = eol;
  for (std::size_t i = begin; i < eol; ++i) {
    if (comment_chars.find(text[i]) != std::string_view::npos &&
        (i == begin || IsBlank(text[i - 1]))) {
      end = i;
      break;
    }
  }
  while (end > begin && IsBlank(text[end - 1])) --end;
  return end;
}

// After a quoted value only blanks and a comment may follow on its line.
bool OnlyCommentFollows(std::string_view text, std::size_t pos, std::string_view comment_chars) {
  pos = SkipBlanks(text, pos);
  return pos >= text.size() || IsLineBreak(text[pos]) ||
         comment_chars.find(text[pos]) != std::string_view::npos;
}

// Scans a quoted value at `begin` (on the quote). Double quotes honour backslash escapes and may
// span lines when `multiline`. Returns the end (after the closing quote) and the decoded text.
Result<std::pair<std::size_t, std::string>> Quoted(std::string_view text, std::size_t begin,
                                                   bool multiline, const ScanOptions& options) {
  const char q = text[begin];
  std::string out;
  std::size_t i = begin + 1;
  while (true) {
    if (i >= text.size() || (!multiline && IsLineBreak(text[i]))) {
      return std::unexpected(ScanError(text, begin, options, "unterminated quoted value"));
    }
    const char c = text[i];
    if (c == q) break;
    if (q == '"' && c == '\\' && i + 1 < text.size()) {
      const char e = text[i + 1];
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '$':
          out.push_back('$');
          break;
        default:
          out.push_back('\\');
          out.push_back(e);
      }
      i += 2;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return std::pair{i + 1, std::move(out)};
}

bool IsEnvKeyChar(char c, bool first) {
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return true;
  return !first && (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-');
}

}  // namespace

Result<std::vector<ValueSpan>> ScanDotenv(std::string_view text, const ScanOptions& options) {
  std::vector<ValueSpan> spans;
  std::size_t pos = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (pos < text.size()) {
    std::size_t p = SkipBlanks(text, pos);
    if (p >= text.size() || IsLineBreak(text[p]) || text[p] == '#') {
      pos = NextLine(text, p);
      continue;
    }
    if (text.substr(p).starts_with("export") && p + 6 < text.size() && IsBlank(text[p + 6])) {
      p = SkipBlanks(text, p + 6);
    }
    const std::size_t key_begin = p;
    while (p < text.size() && IsEnvKeyChar(text[p], p == key_begin)) ++p;
    if (p == key_begin) {
      return std::unexpected(ScanError(text, p, options, "expected a variable name"));
    }
    std::string key(text.substr(key_begin, p - key_begin));
    p = SkipBlanks(text, p);
    if (p >= text.size() || text[p] != '=') {
      return std::unexpected(ScanError(text, p, options, "expected '=' after the variable name"));
    }
    p = SkipBlanks(text, p + 1);
    ValueSpan span;
    span.path = config::Path({config::PathSegment::Key(std::move(key))});
    span.begin = p;
    if (p < text.size() && (text[p] == '"' || text[p] == '\'')) {
      span.quote = text[p] == '"' ? QuoteStyle::kDouble : QuoteStyle::kSingle;
      BULWARK_ASSIGN_OR_RETURN(auto q, Quoted(text, p, /*multiline=*/true, options));
      if (span.quote == QuoteStyle::kSingle) {
        span.text = std::string(text.substr(p + 1, q.first - p - 2));
      } else {
        span.text = std::move(q.second);
      }
      span.end = q.first;
      if (!OnlyCommentFollows(text, span.end, "#")) {
        return std::unexpected(
            ScanError(text, span.end, options, "unexpected text after the quoted value"));
      }
    } else {
      span.end = UnquotedEnd(text, p, "#");
      span.text = std::string(text.substr(p, span.end - p));
    }
    if (!IsValidUtf8(text.substr(span.begin, span.end - span.begin))) {
      return std::unexpected(ScanError(text, span.begin, options, "invalid UTF-8 in value"));
    }
    pos = NextLine(text, span.end);
    spans.push_back(std::move(span));
  }
  return spans;
}

Result<std::vector<ValueSpan>> ScanIni(std::string_view text, const ScanOptions& options) {
  std::vector<ValueSpan> spans;
  std::string section;
  std::size_t pos = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (pos < text.size()) {
    std::size_t p = SkipBlanks(text, pos);
    if (p >= text.size() || IsLineBreak(text[p]) || text[p] == '#' || text[p] == ';') {
      pos = NextLine(text, p);
      continue;
    }
    const std::size_t eol = LineEnd(text, p);
    if (text[p] == '[') {
      const std::size_t close = text.find(']', p);
      if (close == std::string_view::npos || close > eol) {
        return std::unexpected(ScanError(text, p, options, "unterminated section header"));
      }
      std::string_view name = text.substr(p + 1, close - p - 1);
      while (!name.empty() && IsBlank(name.front())) name.remove_prefix(1);
      while (!name.empty() && IsBlank(name.back())) name.remove_suffix(1);
      if (name.empty()) return std::unexpected(ScanError(text, p, options, "empty section name"));
      if (!OnlyCommentFollows(text, close + 1, ";#")) {
        return std::unexpected(
            ScanError(text, close + 1, options, "unexpected text after the section header"));
      }
      section = std::string(name);
      pos = NextLine(text, eol);
      continue;
    }
    std::size_t sep = p;
    while (sep < eol && text[sep] != '=' && text[sep] != ':') ++sep;
    if (sep >= eol) {
      return std::unexpected(ScanError(text, p, options, "expected 'key = value'"));
    }
    std::size_t key_end = sep;
    while (key_end > p && IsBlank(text[key_end - 1])) --key_end;
    if (key_end == p) return std::unexpected(ScanError(text, p, options, "empty key"));
    std::string key(text.substr(p, key_end - p));
    std::size_t v = SkipBlanks(text, sep + 1);
    ValueSpan span;
    std::vector<config::PathSegment> segs;
    if (!section.empty()) segs.push_back(config::PathSegment::Key(section));
    segs.push_back(config::PathSegment::Key(std::move(key)));
    span.path = config::Path(std::move(segs));
    span.begin = v;
    if (v < eol && (text[v] == '"' || text[v] == '\'')) {
      span.quote = text[v] == '"' ? QuoteStyle::kDouble : QuoteStyle::kSingle;
      BULWARK_ASSIGN_OR_RETURN(auto q, Quoted(text, v, /*multiline=*/false, options));
      span.text = span.quote == QuoteStyle::kSingle
                      ? std::string(text.substr(v + 1, q.first - v - 2))
                      : std::move(q.second);
      span.end = q.first;
      if (!OnlyCommentFollows(text, span.end, ";#")) {
        return std::unexpected(
            ScanError(text, span.end, options, "unexpected text after the quoted value"));
      }
    } else {
      span.end = UnquotedEnd(text, v, ";#");
      span.text = std::string(text.substr(v, span.end - v));
    }
    if (!IsValidUtf8(text.substr(span.begin, span.end - span.begin))) {
      return std::unexpected(ScanError(text, span.begin, options, "invalid UTF-8 in value"));
    }
    pos = NextLine(text, eol);
    spans.push_back(std::move(span));
  }
  return spans;
}

}  // namespace bulwark::secfile::internal
