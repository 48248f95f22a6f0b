// JSON spans: a small recursive-descent scanner (RFC 8259) that records where each scalar starts
// and ends. nlohmann::json decodes each string span; it has no byte positions of its own.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/core/encoding.h"
#include "secfile/spans_internal.h"

namespace bulwark::secfile::internal {
namespace {

class JsonScanner {
 public:
  JsonScanner(std::string_view text, const ScanOptions& options) : text_(text), options_(options) {}

  Result<std::vector<ValueSpan>> Run() {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    SkipWs();
    config::Path root;
    BULWARK_RETURN_IF_ERROR(Value(root, 0));
    SkipWs();
    if (pos_ != text_.size()) return Fail("unexpected text after the JSON value");
    return std::move(spans_);
  }

 private:
  std::unexpected<Error> Fail(std::string_view what) const {
    return std::unexpected(ScanError(text_, pos_, options_, what));
  }

  void SkipWs() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // Scans a string starting at pos_ (on the quote); returns its decoded text.
  Result<std::string> String() {
    const std::size_t begin = pos_;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') break;
      if (c < 0x20) return Fail("control character in string");
      if (c == '\\') {
        ++pos_;
        if (pos_ >= text_.size()) return Fail("unterminated string");
      }
      ++pos_;
    }
    ++pos_;
    const std::string_view raw = text_.substr(begin, pos_ - begin);
    if (!IsValidUtf8(raw)) {
      pos_ = begin;
      return Fail("invalid UTF-8 in string");
    }
    try {
      return nlohmann::json::parse(raw).get<std::string>();
    } catch (const std::exception&) {
      pos_ = begin;
      return Fail("invalid string escape");
    }
  }

  Status Value(config::Path& path, std::size_t depth) {
    if (depth > options_.max_depth) return Fail("nesting deeper than the limit");
    if (pos_ >= text_.size()) return Fail("expected a value");
    const char c = text_[pos_];
    if (c == '{') return Object(path, depth);
    if (c == '[') return Array(path, depth);
    ValueSpan span;
    span.path = path;
    span.begin = pos_;
    span.needs_quotes = true;
    if (c == '"') {
      BULWARK_ASSIGN_OR_RETURN(span.text, String());
      span.quote = QuoteStyle::kDouble;
      span.type = ScalarType::kStr;
    } else {
      std::size_t end = pos_;
      while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                                    text_[end] == '-' || text_[end] == '+' || text_[end] == '.')) {
        ++end;
      }
      const std::string_view lit = text_.substr(pos_, end - pos_);
      if (lit == "true" || lit == "false") {
        span.type = ScalarType::kBool;
      } else if (lit == "null") {
        span.type = ScalarType::kNull;
      } else {
        try {
          const nlohmann::json n = nlohmann::json::parse(lit);
          if (!n.is_number()) return Fail("expected a value");
          span.type = n.is_number_float() ? ScalarType::kFloat : ScalarType::kInt;
        } catch (const std::exception&) {
          return Fail("invalid literal");
        }
      }
      span.text = std::string(lit);
      span.quote = QuoteStyle::kPlain;
      pos_ = end;
    }
    span.end = pos_;
    spans_.push_back(std::move(span));
    return {};
  }

  Status Object(config::Path& path, std::size_t depth) {
    ++pos_;
    SkipWs();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return {};
    }
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a string key");
      BULWARK_ASSIGN_OR_RETURN(std::string key, String());
      SkipWs();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      SkipWs();
      path.Push(config::PathSegment::Key(std::move(key)));
      BULWARK_RETURN_IF_ERROR(Value(path, depth + 1));
      path.Pop();
      SkipWs();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        SkipWs();
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return {};
      }
      return Fail("expected ',' or '}'");
    }
  }

  Status Array(config::Path& path, std::size_t depth) {
    ++pos_;
    SkipWs();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return {};
    }
    for (std::size_t i = 0;; ++i) {
      path.Push(config::PathSegment::Index(i));
      BULWARK_RETURN_IF_ERROR(Value(path, depth + 1));
      path.Pop();
      SkipWs();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        SkipWs();
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return {};
      }
      return Fail("expected ',' or ']'");
    }
  }

  std::string_view text_;
  const ScanOptions& options_;
  std::size_t pos_ = 0;
  std::vector<ValueSpan> spans_;
};

}  // namespace

Result<std::vector<ValueSpan>> ScanJson(std::string_view text, const ScanOptions& options) {
  return JsonScanner(text, options).Run();
}

}  // namespace bulwark::secfile::internal
