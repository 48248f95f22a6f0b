// dotenv parser, hand-written (there is no packaged C++ dotenv library).
//
// Grammar, one assignment per line:
//   [export ]NAME=VALUE        NAME matches [A-Za-z_][A-Za-z0-9_.-]* and is kept verbatim
//   # comment, blank lines
// VALUE is one of
//   'literal'        no escapes, may span lines
//   "escaped"        \n \t \r \" \\ \$ escapes (others are errors), may span lines
//   unquoted         up to the end of the line, a " #" comment removed, surrounding spaces trimmed
// A quoted value may be followed only by spaces and a comment. There is no variable interpolation:
// "$HOME" stays as written. The result is a flat map of names to strings; duplicate names are
// errors. Control characters other than tab are allowed only inside quotes.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "config/internal/formats.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; }

class DotenvParser {
 public:
  DotenvParser(std::string_view text, const ParseOptions& options)
      : text_(text), options_(options) {}

  Result<Document> Parse();

 private:
  bool AtEnd() const { return i_ >= text_.size(); }
  char Peek() const { return text_[i_]; }
  std::uint32_t Column(std::size_t at) const {
    return static_cast<std::uint32_t>(at - line_start_ + 1);
  }
  std::unexpected<Error> Fail(std::size_t at, std::string_view message) const {
    return ErrorAt(options_.source_name, line_, Column(at), message);
  }
  std::unexpected<Error> FailAt(std::uint32_t line, std::uint32_t column,
                                std::string_view message) const {
    return ErrorAt(options_.source_name, line, column, message);
  }
  void SkipBlanks() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++i_;
  }
  // At '\n' or "\r\n": consumes it and starts a new line. Returns false elsewhere.
  bool ConsumeNewline() {
    if (AtEnd()) return false;
    if (Peek() == '\n') {
      ++i_;
    } else if (Peek() == '\r' && i_ + 1 < text_.size() && text_[i_ + 1] == '\n') {
      i_ += 2;
    } else {
      return false;
    }
    ++line_;
    line_start_ = i_;
    return true;
  }
  // After a value: blanks, an optional comment, then the end of the line.
  Status EndOfLine(std::string_view what);
  // A quoted value, its opening quote at i_: between single quotes everything is literal,
  // between double quotes the escapes of Escape are decoded.
  Result<std::string> Quoted(char quote);
  // Appends what the escape \`e` (in a double-quoted value, at i_) stands for.
  Status Escape(char e, std::string& out);
  Result<std::string> Unquoted();

  std::string_view text_;
  const ParseOptions& options_;
  std::size_t i_ = 0;
  std::size_t line_start_ = 0;
  std::uint32_t line_ = 1;
};

Status DotenvParser::EndOfLine(std::string_view what) {
  SkipBlanks();
  if (!AtEnd() && Peek() == '#') {
    while (!AtEnd() && Peek() != '\n') ++i_;
  }
  if (AtEnd() || ConsumeNewline()) return OkStatus();
  return Fail(i_, fmt::format("unexpected {} after {}", DescribeByte(Peek()), what));
}

Result<std::string> DotenvParser::Quoted(char quote) {
  const bool escapes = quote == '"';
  const std::string_view stops = escapes ? std::string_view("\"\n\\") : std::string_view("'\n");
  const std::uint32_t open_line = line_;
  const std::uint32_t open_column = Column(i_);
  ++i_;
  std::string out;
  for (;;) {
    if (AtEnd()) {
      return FailAt(
          open_line, open_column,
          escapes ? "unterminated double-quoted value" : "unterminated single-quoted value");
    }
    char c = Peek();
    if (c == quote) {
      ++i_;
      return out;
    }
    if (c == '\n') {
      out += c;
      ConsumeNewline();
      continue;
    }
    if (escapes && c == '\\') {
      if (i_ + 1 >= text_.size()) {
        return FailAt(open_line, open_column, "unterminated double-quoted value");
      }
      BULWARK_RETURN_IF_ERROR(Escape(text_[i_ + 1], out));
      i_ += 2;
      continue;
    }
    const std::size_t run_end = std::min(text_.find_first_of(stops, i_), text_.size());
    out.append(text_.substr(i_, run_end - i_));
    i_ = run_end;
  }
}

Status DotenvParser::Escape(char e, std::string& out) {
  switch (e) {
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case 'r':
      out += '\r';
      break;
    case '"':
      out += '"';
      break;
    case '\\':
      out += '\\';
      break;
    case '$':
      out += '$';
      break;
    default:
      return Fail(i_, fmt::format("unknown escape \\{} (use \\n \\t \\r \\\" \\\\ \\$)",
                                  DescribeByte(static_cast<unsigned char>(e))));
  }
  return OkStatus();
}

Result<std::string> DotenvParser::Unquoted() {
  const std::size_t start = i_;
  std::size_t end = i_;  // end of the value before trailing blanks
  while (!AtEnd() && Peek() != '\n') {
    auto c = static_cast<unsigned char>(Peek());
    if (c == '\r' && i_ + 1 < text_.size() && text_[i_ + 1] == '\n') break;
    if (c == '#' && i_ > 0 && (text_[i_ - 1] == ' ' || text_[i_ - 1] == '\t')) {
      while (!AtEnd() && Peek() != '\n') ++i_;
      break;
    }
    if (c < 0x20 && c != '\t') {
      return Fail(i_, fmt::format("control character 0x{:02X} in an unquoted value", c));
    }
    if (c == 0x7F) return Fail(i_, "control character 0x7F in an unquoted value");
    ++i_;
    if (c != ' ' && c != '\t') end = i_;
  }
  std::string value(text_.substr(start, end - start));
  ConsumeNewline();
  return value;
}

Result<Document> DotenvParser::Parse() {
  if (std::size_t bad = FindInvalidUtf8Fast(text_); bad != std::string_view::npos) {
    LineColumn lc = LocateOffset(text_, bad);
    return FailAt(lc.line, lc.column, "invalid UTF-8");
  }
  if (text_.starts_with("\xEF\xBB\xBF")) i_ = line_start_ = 3;
  Document doc;
  doc.root = Value::EmptyMap();
  ValueMap& map = doc.root.AsMap();
  if (options_.track_locations) doc.SetLocation(doc.root, {options_.source_name, 1, 1});
  while (!AtEnd()) {
    SkipBlanks();
    if (AtEnd()) break;
    if (ConsumeNewline()) continue;
    if (Peek() == '#') {
      while (!AtEnd() && Peek() != '\n') ++i_;
      continue;
    }
    if (text_.substr(i_).starts_with("export") && i_ + 6 < text_.size() &&
        (text_[i_ + 6] == ' ' || text_[i_ + 6] == '\t')) {
      i_ += 6;
      SkipBlanks();
    }
    const std::size_t key_start = i_;
    const std::uint32_t key_line = line_;
    const std::uint32_t key_column = Column(key_start);
    if (AtEnd() || !IsNameStart(Peek())) {
      if (AtEnd()) return Fail(i_, "unexpected end of input, expected a variable name");
      return Fail(i_, fmt::format("expected a variable name ([A-Za-z_][A-Za-z0-9_.-]*), found {}",
                                  DescribeByte(static_cast<unsigned char>(Peek()))));
    }
    while (!AtEnd() && IsNameChar(Peek())) ++i_;
    std::string key(text_.substr(key_start, i_ - key_start));
    SkipBlanks();
    if (AtEnd() || Peek() != '=') {
      return Fail(i_, fmt::format("expected '=' after the name {}", Excerpt(key)));
    }
    ++i_;
    SkipBlanks();
    std::string value;
    if (!AtEnd() && Peek() == '\'') {
      BULWARK_ASSIGN_OR_RETURN(value, Quoted('\''));
      BULWARK_RETURN_IF_ERROR(EndOfLine("the closing quote"));
    } else if (!AtEnd() && Peek() == '"') {
      BULWARK_ASSIGN_OR_RETURN(value, Quoted('"'));
      BULWARK_RETURN_IF_ERROR(EndOfLine("the closing quote"));
    } else {
      BULWARK_ASSIGN_OR_RETURN(value, Unquoted());
    }
    if (map.Find(key) != nullptr) {
      return FailAt(key_line, key_column, fmt::format("duplicate key {}", Excerpt(key)));
    }
    Value v(std::move(value));
    if (options_.track_locations) {
      v.set_location_id(doc.locations.Add(options_.source_name, key_line, key_column));
    }
    map.Insert(std::move(key), std::move(v));
  }
  return doc;
}

}  // namespace

Result<Document> ParseDotenv(std::string_view text, const ParseOptions& options) {
  DotenvParser parser(text, options);
  return parser.Parse();
}

}  // namespace bulwark::config::internal
