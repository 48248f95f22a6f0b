// YAML spans.
//
// yaml-cpp parses the document and reports, for each scalar event, the byte offset where the node
// starts (its anchor or tag, if any) and the decoded value; it does not report where the scalar's
// text ends, which style it was written in, or where block scalars' content stops, and its emitter
// cannot reproduce the original bytes. So the structure, paths and values come from yaml-cpp's
// event stream, and a scanner here walks from the reported start over the node's properties to the
// scalar and finds its exact end for each style: plain (block and flow context, multi-line
// continuation), single- and double-quoted, literal | and folded > block scalars. Plain scalars are
// cross-checked: folding the found text must give yaml-cpp's value, otherwise the file is refused
// rather than risking a wrong span.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>

#include "bulwark/core/encoding.h"
#include "secfile/spans_internal.h"

namespace bulwark::secfile::internal {
namespace {

bool IsFlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

bool IsWs(char c) { return IsBlank(c) || IsLineBreak(c); }

std::size_t LineEndOf(std::string_view text, std::size_t pos) {
  while (pos < text.size() && !IsLineBreak(text[pos])) ++pos;
  return pos;
}

std::size_t NextLineStart(std::string_view text, std::size_t pos) {
  pos = LineEndOf(text, pos);
  if (pos < text.size() && text[pos] == '\r') ++pos;
  if (pos < text.size() && text[pos] == '\n') ++pos;
  return pos;
}

// Skips node properties (&anchor, !tag) and the whitespace and comments between them and the
// scalar.
std::size_t SkipProperties(std::string_view text, std::size_t pos) {
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '&' || c == '!') {
      if (c == '!' && pos + 1 < text.size() && text[pos + 1] == '<') {
        while (pos < text.size() && text[pos] != '>') ++pos;
        if (pos < text.size()) ++pos;
      } else {
        while (pos < text.size() && !IsWs(text[pos]) && !IsFlowIndicator(text[pos])) ++pos;
      }
    } else if (IsWs(c)) {
      ++pos;
    } else if (c == '#') {
      pos = LineEndOf(text, pos);
    } else {
      break;
    }
  }
  return pos;
}

// End of the plain-scalar text on one line starting at `pos`: stops at ": ", " #", the line end
// and, in flow context, at flow indicators and ":" before one. Trailing blanks are excluded.
// `hit_comment` is set when the line continues with a comment.
std::size_t PlainLineEnd(std::string_view text, std::size_t pos, bool flow, bool& hit_comment) {
  std::size_t i = pos;
  hit_comment = false;
  while (i < text.size() && !IsLineBreak(text[i])) {
    const char c = text[i];
    if (c == ':' &&
        (i + 1 >= text.size() || IsWs(text[i + 1]) || (flow && IsFlowIndicator(text[i + 1])))) {
      break;
    }
    if (c == '#' && i > pos && IsBlank(text[i - 1])) {
      hit_comment = true;
      break;
    }
    if (flow && IsFlowIndicator(c)) break;
    ++i;
  }
  while (i > pos && IsBlank(text[i - 1])) --i;
  return i;
}

// YAML line folding of a plain scalar's text: lines are trimmed, a single line break becomes a
// space and n+1 line breaks become n newlines.
std::string FoldPlain(std::string_view raw) {
  std::string out;
  std::size_t i = 0;
  bool first = true;
  std::size_t empty_lines = 0;
  while (i <= raw.size()) {
    std::size_t e = i;
    while (e < raw.size() && raw[e] != '\n') ++e;
    std::string_view line = raw.substr(i, e - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    if (line.empty() && !first) {
      ++empty_lines;
    } else {
      if (!first) {
        if (empty_lines == 0) {
          out.push_back(' ');
        } else {
          out.append(empty_lines, '\n');
        }
      }
      out.append(line);
      empty_lines = 0;
      first = false;
    }
    if (e >= raw.size()) break;
    i = e + 1;
  }
  return out;
}

std::size_t IndentOf(std::string_view text, std::size_t line_start) {
  std::size_t i = line_start;
  while (i < text.size() && text[i] == ' ') ++i;
  return i - line_start;
}

bool IsBlankLine(std::string_view text, std::size_t line_start) {
  std::size_t i = line_start;
  while (i < text.size() && IsBlank(text[i])) ++i;
  return i >= text.size() || IsLineBreak(text[i]);
}

bool IsDocumentMarker(std::string_view text, std::size_t line_start) {
  const std::string_view rest = text.substr(line_start);
  return (rest.starts_with("---") || rest.starts_with("...")) &&
         (rest.size() == 3 || IsWs(rest[3]));
}

bool IsDigits(std::string_view s, bool hex = false) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) ||
          (hex && std::isxdigit(static_cast<unsigned char>(c))))) {
      return false;
    }
  }
  return true;
}

// YAML 1.2 core schema resolution of an untagged plain scalar (null is reported separately).
ScalarType ResolvePlain(std::string_view v) {
  if (v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE") {
    return ScalarType::kBool;
  }
  std::string_view s = v;
  if (s.starts_with("0x")) return IsDigits(s.substr(2), true) ? ScalarType::kInt : ScalarType::kStr;
  if (s.starts_with("0o")) return IsDigits(s.substr(2)) ? ScalarType::kInt : ScalarType::kStr;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (IsDigits(s)) return ScalarType::kInt;
  if (s == ".inf" || s == ".Inf" || s == ".INF" || v == ".nan" || v == ".NaN" || v == ".NAN") {
    return ScalarType::kFloat;
  }
  // [0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)? with at least one digit before the exponent.
  std::size_t i = 0, digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return ScalarType::kStr;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!IsDigits(s.substr(i))) return ScalarType::kStr;
    return ScalarType::kFloat;
  }
  if (i != s.size()) return ScalarType::kStr;
  return ScalarType::kFloat;
}

ScalarType ResolveTagged(std::string_view tag, ScalarType plain) {
  if (tag == "?") return plain;
  if (tag == "!") return ScalarType::kStr;
  if (tag == "tag:yaml.org,2002:binary") return ScalarType::kBytes;
  if (tag == "tag:yaml.org,2002:int") return ScalarType::kInt;
  if (tag == "tag:yaml.org,2002:float") return ScalarType::kFloat;
  if (tag == "tag:yaml.org,2002:bool") return ScalarType::kBool;
  if (tag == "tag:yaml.org,2002:null") return ScalarType::kNull;
  return ScalarType::kStr;
}

struct Frame {
  bool is_map = false;
  bool flow = false;
  long indent = -1;  // column of the block collection
  bool expecting_key = true;
  std::string key;
  std::size_t index = 0;
};

class Handler : public YAML::EventHandler {
 public:
  Handler(std::string_view text, std::size_t base, const ScanOptions& options)
      : text_(text), base_(base), options_(options) {}

  void OnDocumentStart(const YAML::Mark&) override {
    if (++documents_ > 1 && !error_) {
      error_ = Error(
          ErrorCode::kInvalidArgument,
          fmt::format("{}: multi-document YAML streams are not supported", options_.source_name));
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark&, YAML::anchor_t) override {
    // An empty or null value has no secret bytes: it is not a span, but it fills its slot.
    if (!StartValue()) return;
    EndValue();
  }

  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {
    if (!StartValue()) return;
    EndValue();
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                const std::string& value) override {
    if (error_) return;
    if (!stack_.empty() && stack_.back().is_map && stack_.back().expecting_key) {
      stack_.back().key = value;
      stack_.back().expecting_key = false;
      return;
    }
    if (!StartValue()) return;
    ScanScalar(static_cast<std::size_t>(mark.pos) + base_, tag, value);
    EndValue();
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value style) override {
    StartCollection(mark, style, /*is_map=*/false);
  }
  void OnSequenceEnd() override { EndCollection(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value style) override {
    StartCollection(mark, style, /*is_map=*/true);
  }
  void OnMapEnd() override { EndCollection(); }

  std::optional<Error> error_;
  std::vector<ValueSpan> spans_;

 private:
  void Fail(std::size_t offset, std::string_view what) {
    if (!error_) error_ = ScanError(text_, offset, options_, what);
  }

  // Pushes the current value's path segment; false when in error or on a non-scalar key.
  bool StartValue() {
    if (error_) return false;
    if (stack_.empty()) return true;
    Frame& f = stack_.back();
    if (f.is_map && f.expecting_key) {
      // An alias or null used as a key.
      error_ = Error(ErrorCode::kInvalidArgument,
                     fmt::format("{}: map keys that are aliases or null are not supported",
                                 options_.source_name));
      return false;
    }
    path_.Push(f.is_map ? config::PathSegment::Key(f.key) : config::PathSegment::Index(f.index));
    return true;
  }

  void EndValue() {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    path_.Pop();
    if (f.is_map) {
      f.expecting_key = true;
    } else {
      ++f.index;
    }
  }

  void StartCollection(const YAML::Mark& mark, YAML::EmitterStyle::value style, bool is_map) {
    if (error_) return;
    if (stack_.size() >= options_.max_depth) {
      Fail(static_cast<std::size_t>(mark.pos) + base_, "nesting deeper than the limit");
      return;
    }
    if (!stack_.empty() && stack_.back().is_map && stack_.back().expecting_key) {
      Fail(static_cast<std::size_t>(mark.pos) + base_,
           "map keys that are collections are not supported");
      return;
    }
    if (!StartValue()) return;
    Frame f;
    f.is_map = is_map;
    f.flow = style == YAML::EmitterStyle::Flow || (!stack_.empty() && stack_.back().flow);
    f.indent = mark.column;
    stack_.push_back(std::move(f));
  }

  void EndCollection() {
    if (error_ || stack_.empty()) return;
    stack_.pop_back();
    EndValue();
  }

  long ParentIndent() const { return stack_.empty() ? -1 : stack_.back().indent; }
  bool InFlow() const { return !stack_.empty() && stack_.back().flow; }

  void ScanScalar(std::size_t node_pos, const std::string& tag, const std::string& value) {
    const std::size_t begin = SkipProperties(text_, node_pos);
    if (begin >= text_.size()) {
      Fail(node_pos, "cannot locate the scalar");
      return;
    }
    ValueSpan span;
    span.path = path_;
    span.begin = begin;
    span.text = value;
    span.needs_quotes = InFlow();
    const char c = text_[begin];
    std::size_t end = begin;
    if (c == '\'' || c == '"') {
      span.quote = c == '"' ? QuoteStyle::kDouble : QuoteStyle::kSingle;
      end = begin + 1;
      while (true) {
        if (end >= text_.size()) return Fail(begin, "unterminated quoted scalar");
        if (c == '"' && text_[end] == '\\') {
          end += 2;
          continue;
        }
        if (text_[end] == c) {
          if (c == '\'' && end + 1 < text_.size() && text_[end + 1] == '\'') {
            end += 2;
            continue;
          }
          ++end;
          break;
        }
        ++end;
      }
      span.type = ResolveTagged(tag, ScalarType::kStr);
    } else if ((c == '|' || c == '>') && !InFlow()) {
      span.quote = c == '|' ? QuoteStyle::kLiteralBlock : QuoteStyle::kFoldedBlock;
      end = BlockScalarEnd(begin);
      span.type = ResolveTagged(tag, ScalarType::kStr);
    } else {
      span.quote = QuoteStyle::kPlain;
      end = PlainEnd(begin);
      if (FoldPlain(text_.substr(begin, end - begin)) != value) {
        return Fail(begin, "cannot determine the exact extent of this plain scalar");
      }
      span.type = ResolveTagged(tag, ResolvePlain(value));
    }
    span.end = end;
    spans_.push_back(std::move(span));
  }

  std::size_t PlainEnd(std::size_t begin) {
    const bool flow = InFlow();
    bool comment = false;
    std::size_t end = PlainLineEnd(text_, begin, flow, comment);
    if (flow) return end;
    const long parent = ParentIndent();
    std::size_t line = NextLineStart(text_, end);
    // The scalar continues on more-indented lines; a comment or a less-indented line ends it.
    while (!comment && end == LineEndOf(text_, end) && line < text_.size()) {
      if (IsBlankLine(text_, line)) {
        line = NextLineStart(text_, line);
        continue;
      }
      const std::size_t indent = IndentOf(text_, line);
      const std::size_t first = line + indent;
      if (static_cast<long>(indent) <= parent || text_[first] == '#' ||
          IsDocumentMarker(text_, line)) {
        break;
      }
      const std::size_t e = PlainLineEnd(text_, first, false, comment);
      if (e == first) break;
      end = e;
      if (e != LineEndOf(text_, e)) break;
      line = NextLineStart(text_, e);
    }
    return end;
  }

  // From the indicator through the end of the last non-blank content line.
  std::size_t BlockScalarEnd(std::size_t begin) {
    std::size_t header_end = begin + 1;
    std::size_t explicit_indent = 0;
    while (header_end < text_.size() &&
           (text_[header_end] == '+' || text_[header_end] == '-' ||
            std::isdigit(static_cast<unsigned char>(text_[header_end])))) {
      if (std::isdigit(static_cast<unsigned char>(text_[header_end]))) {
        explicit_indent = static_cast<std::size_t>(text_[header_end] - '0');
      }
      ++header_end;
    }
    const long parent = ParentIndent();
    std::size_t content_indent = 0;
    if (explicit_indent > 0) {
      content_indent = static_cast<std::size_t>(std::max(parent, 0L)) + explicit_indent;
      if (parent < 0) content_indent = explicit_indent;
    }
    std::size_t end = header_end;
    std::size_t line = NextLineStart(text_, header_end);
    while (line < text_.size()) {
      if (IsBlankLine(text_, line)) {
        line = NextLineStart(text_, line);
        continue;
      }
      const std::size_t indent = IndentOf(text_, line);
      if (content_indent == 0) {
        if (static_cast<long>(indent) <= parent) break;
        content_indent = indent;
      }
      if (indent < content_indent) break;
      end = LineEndOf(text_, line);
      line = NextLineStart(text_, line);
    }
    return end;
  }

  std::string_view text_;
  std::size_t base_;
  const ScanOptions& options_;
  std::vector<Frame> stack_;
  config::Path path_;
  int documents_ = 0;
};

}  // namespace

Result<std::vector<ValueSpan>> ScanYaml(std::string_view text, const ScanOptions& options) {
  if (const std::size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    return std::unexpected(ScanError(text, bad, options, "invalid UTF-8"));
  }
  // yaml-cpp's offsets start after a byte order mark.
  const std::size_t base = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  Handler handler(text, base, options);
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(handler)) {
      if (handler.error_) break;
    }
  } catch (const YAML::Exception& e) {
    return (InvalidArgumentError(fmt::format("{}:{}:{}: {}", options.source_name, e.mark.line + 1,
                                             e.mark.column + 1, e.msg)));
  } catch (const std::exception& e) {
    return std::unexpected(
        InvalidArgumentError(fmt::format("{}: invalid YAML: {}", options.source_name, e.what())));
  }
  if (handler.error_) return std::unexpected(*handler.error_);
  return std::move(handler.spans_);
}

}  // namespace bulwark::secfile::internal
