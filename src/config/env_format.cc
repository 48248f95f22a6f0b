// The "env" format: shell `export` lines, so that `eval "$(bulwark export ... --format env)"`
// sets one environment variable per leaf.
//
// Emitting: NAME is EmitOptions::env_prefix followed by the path segments joined with "__", each
// key uppercased with every character outside [A-Za-z0-9] replaced by '_' (list indices in
// decimal), e.g. APP_DATABASE__PORT. Values are POSIX single-quoted ('it'\''s'), which the shell
// takes literally. Names must be shell identifiers ([A-Za-z_][A-Za-z0-9_]*); two paths mapping to
// one name, and NUL characters (which no environment variable can hold), are errors. Scalars are
// written as text as in dotenv; empty maps and lists are dropped.
//
// Parsing reads such lines back into a flat map of NAME -> string: optional "export ", a shell
// identifier, '=', then a word made of single-quoted runs (may span lines), backslash-escaped
// characters and unquoted characters from [A-Za-z0-9_./:@%+,=-]. Other shell syntax ($, `, double
// quotes) is rejected, since nothing here would expand it. Loading the process environment is
// not this parser's job.
#include <fmt/format.h>

#include <string>

#include "config/internal/flatten.h"
#include "config/internal/formats.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

bool IsShellNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool IsShellNameChar(char c) { return IsShellNameStart(c) || (c >= '0' && c <= '9'); }
bool IsPlainWordChar(char c) {
  return IsShellNameChar(c) || std::string_view("./:@%+,=-").find(c) != std::string_view::npos;
}

std::string EnvSegment(std::string_view key) {
  std::string s;
  s.reserve(key.size());
  for (char c : key) {
    if (c >= 'a' && c <= 'z') {
      s += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      s += c;
    } else {
      s += '_';
    }
  }
  return s;
}

}  // namespace

Result<std::string> EmitEnv(const Value& root, const EmitOptions& options) {
  BULWARK_ASSIGN_OR_RETURN(auto entries, Flatten(root, "env", options.env_prefix, EnvSegment));
  std::string out;
  for (const FlatEntry& e : entries) {
    bool valid = !e.name.empty() && IsShellNameStart(e.name[0]);
    for (char c : e.name) valid = valid && IsShellNameChar(c);
    if (!valid) {
      return InvalidArgumentError(fmt::format(
          "emit env: the value at '{}' would need the variable name {}, which is not a shell "
          "identifier (set a prefix such as APP_)",
          e.path.ToString().substr(0, 2 * kMaxExcerpt), Excerpt(e.name)));
    }
    if (e.text.find('\0') != std::string::npos) {
      return InvalidArgumentError(
          fmt::format("emit env: the value at '{}' contains a NUL character, which an "
                      "environment variable cannot hold",
                      e.path.ToString().substr(0, 2 * kMaxExcerpt)));
    }
    out += "export ";
    out += e.name;
    out += "='";
    for (char c : e.text) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += "'\n";
  }
  return out;
}

Result<Document> ParseEnvExports(std::string_view text, const ParseOptions& options) {
  if (std::size_t bad = FindInvalidUtf8Fast(text); bad != std::string_view::npos) {
    LineColumn lc = LocateOffset(text, bad);
    return ErrorAt(options.source_name, lc.line, lc.column, "invalid UTF-8");
  }
  Document doc;
  doc.root = Value::EmptyMap();
  ValueMap& map = doc.root.AsMap();
  if (options.track_locations) doc.SetLocation(doc.root, {options.source_name, 1, 1});
  std::size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a byte order mark
  std::size_t line_start = i;
  std::uint32_t line = 1;
  const std::size_t n = text.size();
  auto column = [&](std::size_t at) { return static_cast<std::uint32_t>(at - line_start + 1); };
  auto fail = [&](std::size_t at, std::string_view message) {
    return ErrorAt(options.source_name, line, column(at), message);
  };
  auto blanks = [&] {
    while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  auto newline = [&] {
    if (i < n && text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
    if (i < n && text[i] == '\n') {
      ++i;
      ++line;
      line_start = i;
      return true;
    }
    return false;
  };
  while (i < n) {
    blanks();
    if (i >= n) break;
    if (newline()) continue;
    if (text[i] == '#') {
      while (i < n && text[i] != '\n') ++i;
      continue;
    }
    if (text.substr(i).starts_with("export") && i + 6 < n &&
        (text[i + 6] == ' ' || text[i + 6] == '\t')) {
      i += 6;
      blanks();
    }
    const std::size_t name_start = i;
    const std::uint32_t name_line = line;
    const std::uint32_t name_column = column(i);
    if (i >= n || !IsShellNameStart(text[i])) {
      if (i >= n) return fail(i, "unexpected end of input, expected a variable name");
      return fail(i, fmt::format("expected a variable name, found {}",
                                 DescribeByte(static_cast<unsigned char>(text[i]))));
    }
    while (i < n && IsShellNameChar(text[i])) ++i;
    std::string name(text.substr(name_start, i - name_start));
    if (i >= n || text[i] != '=') {
      return fail(i, fmt::format("expected '=' right after the name {}", Excerpt(name)));
    }
    ++i;
    std::string value;
    for (;;) {
      if (i >= n) break;
      char c = text[i];
      if (c == '\'') {
        const std::uint32_t open_line = line;
        const std::uint32_t open_column = column(i);
        ++i;
        while (i < n && text[i] != '\'') {
          if (text[i] == '\n') {
            value += '\n';
            ++i;
            ++line;
            line_start = i;
          } else {
            value += text[i++];
          }
        }
        if (i >= n) {
          return ErrorAt(options.source_name, open_line, open_column,
                         "unterminated single-quoted value");
        }
        ++i;
      } else if (c == '\\') {
        if (i + 1 >= n || text[i + 1] == '\n') return fail(i, "backslash at the end of a line");
        value += text[i + 1];
        i += 2;
      } else if (IsPlainWordChar(c)) {
        value += c;
        ++i;
      } else {
        break;
      }
    }
    blanks();
    if (i < n && text[i] == '#') {
      while (i < n && text[i] != '\n') ++i;
    }
    if (i < n && !newline()) {
      return fail(i, fmt::format("unexpected {} in the value of {} (only single-quoted text "
                                 "and plain words are supported)",
                                 DescribeByte(static_cast<unsigned char>(text[i])), Excerpt(name)));
    }
    if (map.Find(name) != nullptr) {
      return ErrorAt(options.source_name, name_line, name_column,
                     fmt::format("duplicate variable {}", Excerpt(name)));
    }
    Value v(std::move(value));
    if (options.track_locations) {
      v.set_location_id(doc.locations.Add(options.source_name, name_line, name_column));
    }
    map.Insert(std::move(name), std::move(v));
  }
  return doc;
}

}  // namespace bulwark::config::internal
