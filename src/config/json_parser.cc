// Strict RFC 8259 JSON parser producing a Document with a source position for every node.
//
// Hand-written on purpose: none of the packaged JSON libraries (nlohmann-json, RapidJSON, simdjson)
// reports the line and column of each value, which provenance ("this port came from
// app.json:12:15") needs. The parser is iterative (an explicit stack of open containers), so
// nesting is limited only by ParseOptions::max_depth, never by the C++ stack.
//
// Typing: integers without fraction or exponent that fit in int64 become ints; every other number
// becomes a double (numbers that overflow a double are errors). Strings must be valid UTF-8; \u
// escapes must pair surrogates. Duplicate keys are errors. A UTF-8 byte order mark is skipped.
// Columns count bytes.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "bulwark/core/encoding.h"
#include "config/internal/formats.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

class JsonParser {
 public:
  JsonParser(std::string_view text, const ParseOptions& options)
      : options_(options),
        begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        line_start_(text.data()) {}

  Result<Document> Parse();

 private:
  struct Frame {
    Value value;
    std::string key;  // maps: the key of the member being parsed
    std::uint32_t key_line = 0;
    std::uint32_t key_column = 0;
    bool is_map = false;
  };

  std::uint32_t Column(const char* at) const {
    return static_cast<std::uint32_t>(at - line_start_ + 1);
  }
  std::unexpected<Error> Fail(const char* at, std::string_view message) const {
    return ErrorAt(options_.source_name, line_, Column(at), message);
  }
  std::unexpected<Error> Unexpected(std::string_view expected) const;

  void SkipWhitespace() {
    while (p_ < end_) {
      char c = *p_;
      if (c == ' ' || c == '\t' || c == '\r') {
        ++p_;
      } else if (c == '\n') {
        ++p_;
        ++line_;
        line_start_ = p_;
      } else {
        return;
      }
    }
  }

  Status ParseString(std::string& out);
  Status ParseEscape(std::string& out);
  Result<Value> ParseNumber();
  Status ParseKey(Frame& frame);
  // The location id of a value starting at line:column (0 when locations are not tracked).
  std::uint32_t Record(std::uint32_t line, std::uint32_t column) {
    if (!options_.track_locations) return 0;
    return doc_.locations.Add(source_, line, column);
  }

  const ParseOptions& options_;
  const char* begin_;
  const char* p_;
  const char* end_;
  const char* line_start_;
  std::uint32_t line_ = 1;
  Document doc_;
  std::uint32_t source_ = 0;  // the interned source name
  std::vector<Frame> stack_;
};

std::unexpected<Error> JsonParser::Unexpected(std::string_view expected) const {
  if (p_ >= end_) return Fail(p_, fmt::format("unexpected end of input, expected {}", expected));
  return Fail(p_, fmt::format("unexpected {}, expected {}",
                              DescribeByte(static_cast<unsigned char>(*p_)), expected));
}

Status JsonParser::ParseEscape(std::string& out) {
  // p_ is at the backslash.
  const char* start = p_;
  if (end_ - p_ < 2) return Fail(start, "unterminated escape sequence");
  char c = p_[1];
  p_ += 2;
  switch (c) {
    case '"':
      out += '"';
      return OkStatus();
    case '\\':
      out += '\\';
      return OkStatus();
    case '/':
      out += '/';
      return OkStatus();
    case 'b':
      out += '\b';
      return OkStatus();
    case 'f':
      out += '\f';
      return OkStatus();
    case 'n':
      out += '\n';
      return OkStatus();
    case 'r':
      out += '\r';
      return OkStatus();
    case 't':
      out += '\t';
      return OkStatus();
    case 'u':
      break;
    default:
      return Fail(start, fmt::format("invalid escape \\{} in string",
                                     DescribeByte(static_cast<unsigned char>(c))));
  }
  auto hex4 = [&](const char* at) -> int {
    if (end_ - at < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = at[i];
      int d = (h >= '0' && h <= '9')   ? h - '0'
              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                       : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  };
  int cp = hex4(p_);
  if (cp < 0) return Fail(start, "\\u must be followed by four hex digits");
  p_ += 4;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail(start, "lone low surrogate in \\u escape");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') {
      return Fail(start, "high surrogate \\u escape not followed by a low surrogate");
    }
    int low = hex4(p_ + 2);
    if (low < 0xDC00 || low > 0xDFFF) {
      return Fail(start, "high surrogate \\u escape not followed by a low surrogate");
    }
    p_ += 6;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  AppendUtf8(out, static_cast<char32_t>(cp));
  return OkStatus();
}

Status JsonParser::ParseString(std::string& out) {
  // p_ is at the opening quote.
  const char* open = p_;
  ++p_;
  for (;;) {
    const char* run = p_;
    while (p_ < end_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++p_;
    }
    out.append(run, p_);
    if (p_ >= end_) return Fail(open, "unterminated string");
    auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      return OkStatus();
    }
    if (c == '\\') {
      BULWARK_RETURN_IF_ERROR(ParseEscape(out));
    } else if (c >= 0x80) {
      std::size_t n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                                         reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) return Fail(p_, "invalid UTF-8 in string");
      out.append(p_, n);
      p_ += n;
    } else if (c == '\n') {
      return Fail(open, "unterminated string (raw newline in string)");
    } else {
      return Fail(p_, fmt::format("control character 0x{:02X} in string must be escaped", c));
    }
  }
}

Result<Value> JsonParser::ParseNumber() {
  const char* start = p_;
  const char* q = p_;
  bool integral = true;
  if (q < end_ && *q == '-') ++q;
  if (q >= end_ || *q < '0' || *q > '9') return Fail(start, "invalid number");
  if (*q == '0') {
    ++q;
    if (q < end_ && *q >= '0' && *q <= '9') return Fail(start, "number with a leading zero");
  } else {
    while (q < end_ && *q >= '0' && *q <= '9') ++q;
  }
  if (q < end_ && *q == '.') {
    integral = false;
    ++q;
    if (q >= end_ || *q < '0' || *q > '9') return Fail(start, "digit expected after '.'");
    while (q < end_ && *q >= '0' && *q <= '9') ++q;
  }
  if (q < end_ && (*q == 'e' || *q == 'E')) {
    integral = false;
    ++q;
    if (q < end_ && (*q == '+' || *q == '-')) ++q;
    if (q >= end_ || *q < '0' || *q > '9') return Fail(start, "digit expected in exponent");
    while (q < end_ && *q >= '0' && *q <= '9') ++q;
  }
  p_ = q;
  if (integral) {
    std::int64_t i = 0;
    auto [ptr, ec] = std::from_chars(start, q, i);
    if (ec == std::errc() && ptr == q) return Value(i);
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(start, q, d);
  if (ec == std::errc() && ptr == q) return Value(d);
  // Out of range: strtod gives the correctly rounded denormal/zero on underflow and HUGE_VAL on
  // overflow, which JSON cannot carry.
  std::string copy(start, q);
  d = std::strtod(copy.c_str(), nullptr);
  if (d == HUGE_VAL || d == -HUGE_VAL) return Fail(start, "number out of range for a double");
  return Value(d);
}

Status JsonParser::ParseKey(Frame& frame) {
  SkipWhitespace();
  if (p_ >= end_ || *p_ != '"') return Unexpected("a string key");
  frame.key_line = line_;
  frame.key_column = Column(p_);
  frame.key.clear();
  BULWARK_RETURN_IF_ERROR(ParseString(frame.key));
  SkipWhitespace();
  if (p_ >= end_ || *p_ != ':') return Unexpected("':' after the key");
  ++p_;
  return OkStatus();
}

Result<Document> JsonParser::Parse() {
  if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) {
    p_ += 3;
    line_start_ = p_;
  }
  if (options_.track_locations) source_ = doc_.locations.InternSource(options_.source_name);
  Value value;
  for (;;) {
    // Parse the start of one value.
    SkipWhitespace();
    if (p_ >= end_) return Unexpected("a value");
    const std::uint32_t line = line_;
    const std::uint32_t column = Column(p_);
    const std::uint32_t location = Record(line, column);
    switch (*p_) {
      case '{':
      case '[': {
        const bool is_map = *p_ == '{';
        if (stack_.size() >= options_.max_depth) {
          return Fail(p_, fmt::format("nesting deeper than {} levels", options_.max_depth));
        }
        ++p_;
        SkipWhitespace();
        if (p_ < end_ && *p_ == (is_map ? '}' : ']')) {
          ++p_;
          value = is_map ? Value::EmptyMap() : Value::EmptyList();
          break;
        }
        stack_.push_back(Frame{is_map ? Value::EmptyMap() : Value::EmptyList(), {}, 0, 0, is_map});
        stack_.back().value.set_location_id(location);
        if (is_map) BULWARK_RETURN_IF_ERROR(ParseKey(stack_.back()));
        continue;
      }
      case '"': {
        std::string s;
        BULWARK_RETURN_IF_ERROR(ParseString(s));
        value = Value(std::move(s));
        break;
      }
      case 't':
        if (end_ - p_ < 4 || std::memcmp(p_, "true", 4) != 0) return Unexpected("a value");
        p_ += 4;
        value = Value(true);
        break;
      case 'f':
        if (end_ - p_ < 5 || std::memcmp(p_, "false", 5) != 0) return Unexpected("a value");
        p_ += 5;
        value = Value(false);
        break;
      case 'n':
        if (end_ - p_ < 4 || std::memcmp(p_, "null", 4) != 0) return Unexpected("a value");
        p_ += 4;
        value = Value(nullptr);
        break;
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          BULWARK_ASSIGN_OR_RETURN(value, ParseNumber());
          break;
        }
        return Unexpected("a value");
    }
    // `value` is complete: attach it to its parent, closing every container that ends here.
    value.set_location_id(location);
    for (;;) {
      if (stack_.empty()) {
        SkipWhitespace();
        if (p_ < end_) return Unexpected("end of input after the top-level value");
        doc_.root = std::move(value);
        return std::move(doc_);
      }
      Frame& frame = stack_.back();
      if (frame.is_map) {
        ValueMap& map = frame.value.AsMap();
        if (map.Find(frame.key) != nullptr) {
          return ErrorAt(options_.source_name, frame.key_line, frame.key_column,
                         fmt::format("duplicate key {}", Excerpt(frame.key)));
        }
        map.Insert(std::move(frame.key), std::move(value));
      } else {
        frame.value.AsList().push_back(std::move(value));
      }
      SkipWhitespace();
      const char close = frame.is_map ? '}' : ']';
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        if (frame.is_map) BULWARK_RETURN_IF_ERROR(ParseKey(frame));
        break;  // parse the next member
      }
      if (p_ < end_ && *p_ == close) {
        ++p_;
        value = std::move(frame.value);
        stack_.pop_back();
        continue;
      }
      return Unexpected(frame.is_map ? "',' or '}' after an object member"
                                     : "',' or ']' after an array element");
    }
  }
}

}  // namespace

Result<Document> ParseJson(std::string_view text, const ParseOptions& options) {
  JsonParser parser(text, options);
  return parser.Parse();
}

}  // namespace bulwark::config::internal
