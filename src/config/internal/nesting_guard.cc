#include "config/internal/nesting_guard.h"

#include <fmt/format.h>

#include <vector>

#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

std::unexpected<Error> TooDeep(std::string_view text, std::size_t offset, std::size_t limit,
                               std::string_view source) {
  LineColumn lc = LocateOffset(text, offset);
  return ErrorAt(source, lc.line, lc.column,
                 fmt::format("nesting too deep (more than {} levels)", limit));
}

}  // namespace

Status CheckYamlNesting(std::string_view text, std::size_t limit, std::string_view source) {
  // Block nesting: a stack of indentation columns, where each "- ", "? " or ": " indicator that
  // starts a nested node on the same line counts as one more level. Flow nesting: unclosed '['
  // and '{' outside quoted scalars and comments.
  std::vector<std::size_t> indents;
  std::size_t flow = 0;
  char quote = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    // At the start of a line.
    std::size_t col = 0;
    if (quote == 0 && flow == 0) {
      while (i < n && text[i] == ' ') {
        ++i;
        ++col;
      }
      if (i < n && text[i] != '\n' && text[i] != '\r' && text[i] != '#') {
        while (!indents.empty() && indents.back() >= col) indents.pop_back();
        indents.push_back(col);
        // Compact nested block nodes on one line: "- - - x", "- a: - b".
        while (i + 1 < n && (text[i] == '-' || text[i] == '?' || text[i] == ':') &&
               (text[i + 1] == ' ' || text[i + 1] == '\t')) {
          i += 2;
          col += 2;
          while (i < n && text[i] == ' ') {
            ++i;
            ++col;
          }
          indents.push_back(col);
        }
        if (indents.size() + flow > limit) return TooDeep(text, i, limit, source);
      }
    }
    // The rest of the line.
    char prev = ' ';
    while (i < n && text[i] != '\n') {
      char c = text[i];
      if (quote != 0) {
        if (quote == '"' && c == '\\') {
          ++i;  // skip the escaped character (an escaped line break ends the line below)
          if (i < n && text[i] == '\n') break;
        } else if (c == quote) {
          if (quote == '\'' && i + 1 < n && text[i + 1] == '\'') {
            ++i;
          } else {
            quote = 0;
          }
        }
      } else if (c == '#' && (prev == ' ' || prev == '\t')) {
        while (i < n && text[i] != '\n') ++i;
        break;
      } else if ((c == '"' || c == '\'') &&
                 (prev == ' ' || prev == '\t' || prev == '[' || prev == '{' || prev == ',')) {
        quote = c;
      } else if (c == '[' || c == '{') {
        ++flow;
        if (indents.size() + flow > limit) return TooDeep(text, i, limit, source);
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
      prev = c;
      ++i;
    }
    if (i < n) ++i;  // the newline
  }
  return OkStatus();
}

Status CheckTomlNesting(std::string_view text, std::size_t limit, std::string_view source) {
  // Depth of a value <= dots in the current [table] header + 2 (array of tables) + dots in the
  // keys of the current top-level statement + open brackets and braces.
  std::size_t header_depth = 0;
  std::size_t statement_dots = 0;
  std::vector<char> brackets;  // '[' array, '{' inline table, 'h' header
  bool key_context = false;
  bool line_start = true;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[i];
    if (c == '\n') {
      line_start = true;
      if (!brackets.empty() && brackets.back() == 'h') brackets.clear();
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    const bool at_line_start = line_start;
    line_start = false;
    if (c == '#') {
      while (i + 1 < n && text[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      // Skip a string (basic, literal, or their multi-line forms).
      const bool multi = i + 2 < n && text[i + 1] == c && text[i + 2] == c;
      if (multi) {
        i += 3;
        while (i < n && !(text[i] == c && i + 2 < n && text[i + 1] == c && text[i + 2] == c)) {
          if (c == '"' && text[i] == '\\') ++i;
          ++i;
        }
        i += 2;
        // Up to two extra closing quotes belong to the content.
        while (i + 1 < n && text[i + 1] == c) ++i;
      } else {
        ++i;
        while (i < n && text[i] != c && text[i] != '\n') {
          if (c == '"' && text[i] == '\\') ++i;
          ++i;
        }
        if (i < n && text[i] == '\n') --i;
      }
      continue;
    }
    if (at_line_start && brackets.empty()) {
      statement_dots = 0;
      if (c == '[') {
        header_depth = 0;
        brackets.push_back('h');
        continue;
      }
      key_context = true;
    }
    if (!brackets.empty() && brackets.back() == 'h') {
      if (c == '.') {
        if (++header_depth + 2 > limit) return TooDeep(text, i, limit, source);
      } else if (c == ']' && i + 1 < n && text[i + 1] == ']') {
        ++i;
        brackets.clear();
      } else if (c == ']') {
        brackets.clear();
      }
      continue;
    }
    switch (c) {
      case '.':
        if (key_context && ++statement_dots + header_depth + brackets.size() + 2 > limit) {
          return TooDeep(text, i, limit, source);
        }
        break;
      case '=':
        key_context = false;
        break;
      case '[':
      case '{':
        brackets.push_back(c);
        key_context = c == '{';
        if (statement_dots + header_depth + brackets.size() + 2 > limit) {
          return TooDeep(text, i, limit, source);
        }
        break;
      case ']':
      case '}':
        if (!brackets.empty()) brackets.pop_back();
        key_context = false;
        break;
      case ',':
        key_context = !brackets.empty() && brackets.back() == '{';
        break;
      default:
        break;
    }
  }
  return OkStatus();
}

}  // namespace bulwark::config::internal
