// TOML spans. toml++ validates the document (and its errors are what the user sees), but its
// source regions count columns in code points and do not record where a value ends, so a small
// scanner finds the exact byte ranges; the two are cross-checked by counting values.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <map>

#include "bulwark/core/encoding.h"
#include "secfile/spans_internal.h"

namespace bulwark::secfile::internal {
namespace {

bool IsBareKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

class TomlScanner {
 public:
  TomlScanner(std::string_view text, const ScanOptions& options) : text_(text), options_(options) {}

  Result<std::vector<ValueSpan>> Run() {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    config::Path table;
    while (true) {
      SkipWsNewlinesComments();
      if (pos_ >= text_.size()) break;
      if (text_[pos_] == '[') {
        const bool array = pos_ + 1 < text_.size() && text_[pos_ + 1] == '[';
        pos_ += array ? 2 : 1;
        SkipBlanks();
        BULWARK_ASSIGN_OR_RETURN(std::vector<std::string> keys, Key());
        SkipBlanks();
        if (!Consume(array ? "]]" : "]")) return Fail("expected ']' after the table name");
        table = ResolveHeader(keys, array);
        BULWARK_RETURN_IF_ERROR(EndOfLine());
        continue;
      }
      config::Path path = table;
      BULWARK_RETURN_IF_ERROR(KeyValue(path, 0));
      BULWARK_RETURN_IF_ERROR(EndOfLine());
    }
    return std::move(spans_);
  }

 private:
  std::unexpected<Error> Fail(std::string_view what) const {
    return std::unexpected(ScanError(text_, pos_, options_, what));
  }
  bool Consume(std::string_view s) {
    if (text_.substr(pos_).starts_with(s)) {
      pos_ += s.size();
      return true;
    }
    return false;
  }
  void SkipBlanks() {
    while (pos_ < text_.size() && IsBlank(text_[pos_])) ++pos_;
  }
  void SkipComment() {
    if (pos_ < text_.size() && text_[pos_] == '#') {
      while (pos_ < text_.size() && !IsLineBreak(text_[pos_])) ++pos_;
    }
  }
  void SkipWsNewlinesComments() {
    while (pos_ < text_.size()) {
      if (IsBlank(text_[pos_]) || IsLineBreak(text_[pos_])) {
        ++pos_;
      } else if (text_[pos_] == '#') {
        SkipComment();
      } else {
        break;
      }
    }
  }
  Status EndOfLine() {
    SkipBlanks();
    SkipComment();
    if (pos_ < text_.size() && !IsLineBreak(text_[pos_])) return Fail("expected the end of line");
    return {};
  }

  // A dotted key: bare, "basic" or 'literal' parts separated by dots.
  Result<std::vector<std::string>> Key() {
    std::vector<std::string> parts;
    while (true) {
      SkipBlanks();
      if (pos_ >= text_.size()) return Fail("expected a key");
      const char c = text_[pos_];
      if (c == '"' || c == '\'') {
        const std::size_t begin = pos_;
        BULWARK_RETURN_IF_ERROR(SkipSingleLineString());
        BULWARK_ASSIGN_OR_RETURN(std::string k, DecodeString(begin, pos_));
        parts.push_back(std::move(k));
      } else {
        const std::size_t begin = pos_;
        while (pos_ < text_.size() && IsBareKeyChar(text_[pos_])) ++pos_;
        if (pos_ == begin) return Fail("expected a key");
        parts.emplace_back(text_.substr(begin, pos_ - begin));
      }
      SkipBlanks();
      if (pos_ < text_.size() && text_[pos_] == '.') {
        ++pos_;
        continue;
      }
      return parts;
    }
  }

  config::Path ResolveHeader(const std::vector<std::string>& keys, bool array) {
    config::Path path;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      path.Push(config::PathSegment::Key(keys[i]));
      const std::string id = path.ToString();
      auto it = array_counts_.find(id);
      if (i + 1 == keys.size() && array) {
        const std::size_t n = it == array_counts_.end() ? 0 : it->second;
        array_counts_[id] = n + 1;
        path.Push(config::PathSegment::Index(n));
      } else if (it != array_counts_.end()) {
        path.Push(config::PathSegment::Index(it->second - 1));
      }
    }
    return path;
  }

  Status KeyValue(config::Path& path, std::size_t depth) {
    BULWARK_ASSIGN_OR_RETURN(std::vector<std::string> keys, Key());
    for (std::string& k : keys) path.Push(config::PathSegment::Key(std::move(k)));
    SkipBlanks();
    if (!Consume("=")) return Fail("expected '=' after the key");
    SkipBlanks();
    return Value(path, depth);
  }

  Status SkipSingleLineString() {
    const char q = text_[pos_];
    const std::size_t begin = pos_;
    ++pos_;
    while (pos_ < text_.size() && !IsLineBreak(text_[pos_])) {
      if (text_[pos_] == q) {
        ++pos_;
        return {};
      }
      if (q == '"' && text_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    pos_ = begin;
    return Fail("unterminated string");
  }

  Status SkipMultiLineString() {
    const char q = text_[pos_];
    const std::size_t begin = pos_;
    pos_ += 3;
    while (pos_ < text_.size()) {
      if (q == '"' && text_[pos_] == '\\') {
        pos_ += 2;
        continue;
      }
      if (text_[pos_] == q && pos_ + 2 < text_.size() + 0 && text_[pos_ + 1] == q &&
          text_[pos_ + 2] == q) {
        pos_ += 3;
        // Up to two more quotes belong to the content ("""a""""" is a" + "").
        for (int extra = 0; extra < 2 && pos_ < text_.size() && text_[pos_] == q; ++extra) ++pos_;
        return {};
      }
      ++pos_;
    }
    pos_ = begin;
    return Fail("unterminated multi-line string");
  }

  Result<std::string> DecodeString(std::size_t begin, std::size_t end) {
    const std::string_view raw = text_.substr(begin, end - begin);
    if (!IsValidUtf8(raw)) {
      pos_ = begin;
      return Fail("invalid UTF-8 in string");
    }
    std::string doc = "v = ";
    doc.append(raw);
    try {
      toml::table t = toml::parse(doc);
      if (const auto* s = t["v"].as_string()) return s->get();
    } catch (const toml::parse_error&) {
    }
    pos_ = begin;
    return Fail("invalid string");
  }

  Status Value(config::Path& path, std::size_t depth) {
    if (depth > options_.max_depth) return Fail("nesting deeper than the limit");
    if (pos_ >= text_.size()) return Fail("expected a value");
    const char c = text_[pos_];
    if (c == '[') return Array(path, depth);
    if (c == '{') return InlineTable(path, depth);
    ValueSpan span;
    span.path = path;
    span.begin = pos_;
    span.needs_quotes = true;
    if (c == '"' || c == '\'') {
      const bool triple = text_.substr(pos_).starts_with(c == '"' ? "\"\"\"" : "'''");
      if (triple) {
        BULWARK_RETURN_IF_ERROR(SkipMultiLineString());
        span.quote = c == '"' ? QuoteStyle::kTripleDouble : QuoteStyle::kTripleSingle;
      } else {
        BULWARK_RETURN_IF_ERROR(SkipSingleLineString());
        span.quote = c == '"' ? QuoteStyle::kDouble : QuoteStyle::kSingle;
      }
      span.type = ScalarType::kStr;
      BULWARK_ASSIGN_OR_RETURN(span.text, DecodeString(span.begin, pos_));
    } else {
      auto stop = [&](std::size_t i) {
        const char ch = text_[i];
        return IsBlank(ch) || IsLineBreak(ch) || ch == ',' || ch == ']' || ch == '}' || ch == '#';
      };
      while (pos_ < text_.size() && !stop(pos_)) ++pos_;
      // A date and a time separated by a space ("1979-05-27 07:32:00Z") are one value.
      std::string_view tok = text_.substr(span.begin, pos_ - span.begin);
      if (tok.size() == 10 && tok[4] == '-' && tok[7] == '-' && pos_ + 3 < text_.size() &&
          text_[pos_] == ' ' && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) &&
          std::isdigit(static_cast<unsigned char>(text_[pos_ + 2])) && text_[pos_ + 3] == ':') {
        ++pos_;
        while (pos_ < text_.size() && !stop(pos_)) ++pos_;
        tok = text_.substr(span.begin, pos_ - span.begin);
      }
      if (tok.empty()) return Fail("expected a value");
      span.quote = QuoteStyle::kPlain;
      span.text = std::string(tok);
      const bool hex_like =
          tok.size() > 1 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'o' || tok[1] == 'b');
      if (tok == "true" || tok == "false") {
        span.type = ScalarType::kBool;
      } else if ((tok.size() >= 10 && tok[4] == '-') || (tok.size() >= 8 && tok[2] == ':')) {
        span.type = ScalarType::kStr;  // date / time
      } else if (tok.find_first_of("inf") != std::string_view::npos && !hex_like &&
                 (tok.ends_with("inf") || tok.ends_with("nan"))) {
        span.type = ScalarType::kFloat;
      } else if (!hex_like && tok.find_first_of(".eE") != std::string_view::npos) {
        span.type = ScalarType::kFloat;
      } else {
        span.type = ScalarType::kInt;
      }
    }
    span.end = pos_;
    spans_.push_back(std::move(span));
    return {};
  }

  Status Array(config::Path& path, std::size_t depth) {
    ++pos_;
    for (std::size_t i = 0;; ++i) {
      SkipWsNewlinesComments();
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return {};
      }
      path.Push(config::PathSegment::Index(i));
      BULWARK_RETURN_IF_ERROR(Value(path, depth + 1));
      path.Pop();
      SkipWsNewlinesComments();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return {};
      }
      return Fail("expected ',' or ']' in array");
    }
  }

  Status InlineTable(config::Path& path, std::size_t depth) {
    ++pos_;
    SkipBlanks();
    if (Consume("}")) return {};
    while (true) {
      config::Path member = path;
      BULWARK_RETURN_IF_ERROR(KeyValue(member, depth + 1));
      SkipBlanks();
      if (Consume(",")) {
        SkipBlanks();
        continue;
      }
      if (Consume("}")) return {};
      return Fail("expected ',' or '}' in inline table");
    }
  }

  std::string_view text_;
  const ScanOptions& options_;
  std::size_t pos_ = 0;
  std::vector<ValueSpan> spans_;
  std::map<std::string, std::size_t> array_counts_;
};

std::size_t CountLeaves(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    std::size_t n = 0;
    for (const auto& [k, v] : *t) n += CountLeaves(v);
    return n;
  }
  if (const auto* a = node.as_array()) {
    std::size_t n = 0;
    for (const auto& v : *a) n += CountLeaves(v);
    return n;
  }
  return 1;
}

}  // namespace

Result<std::vector<ValueSpan>> ScanToml(std::string_view text, const ScanOptions& options) {
  if (const std::size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    return std::unexpected(ScanError(text, bad, options, "invalid UTF-8"));
  }
  toml::table parsed;
  try {
    parsed = toml::parse(text);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return (InvalidArgumentError(
        fmt::format("{}:{}:{}: {}", options.source_name, b.line, b.column, e.description())));
  }
  BULWARK_ASSIGN_OR_RETURN(std::vector<ValueSpan> spans, TomlScanner(text, options).Run());
  if (CountLeaves(parsed) != spans.size()) {
    return (InvalidArgumentError(fmt::format(
        "{}: the TOML value scanner and the parser disagree ({} vs {} values); the file uses a "
        "construct the scanner does not support",
        options.source_name, spans.size(), CountLeaves(parsed))));
  }
  return spans;
}

}  // namespace bulwark::secfile::internal
