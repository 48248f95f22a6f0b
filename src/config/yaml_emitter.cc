// YAML emitter: block style, keys in map order, written by hand so that the quoting rules match
// our parser's YAML 1.2 core schema typing exactly.
//
// A string is written plain only when it is printable ASCII, reads back as the same string under
// the core schema (so "true", "123", "1.5", "null", "~" and "" are quoted), cannot be mistaken for
// an indicator (leading "-?:,[]{}#&*!|>'\"%@`." or space, trailing space or ':', ": " or " #"
// inside) and has no bracket (which the parser's nesting pre-scan would count as flow nesting). Other strings are double-quoted with escapes. Doubles are written so that they read
// back as doubles (".0" added; .inf, -.inf, .nan). Bytes are written as "!!binary" base64.
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "bulwark/core/encoding.h"
#include "config/internal/formats.h"
#include "config/internal/text.h"
#include "config/internal/yaml_scalar.h"

namespace bulwark::config::internal {
namespace {

bool PlainSafe(std::string_view s) {
  if (s.empty()) return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`. ").find(s.front()) != std::string_view::npos) {
    return false;
  }
  if (s.back() == ' ' || s.back() == ':') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7F) return false;
    // Brackets are legal inside a block plain scalar, but the parser's nesting pre-scan counts
    // them (it over-estimates rather than parse); quoted, they are skipped.
    if (c == '[' || c == ']' || c == '{' || c == '}') return false;
    if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ') return false;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return false;
  }
  return ResolvesAsString(s);
}

void AppendDoubleQuoted(std::string& out, std::string_view s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\0':
          out += "\\0";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\x{:02X}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++p;
      continue;
    }
    std::size_t n = Utf8SequenceLength(p, end);  // validated by the caller, so n >= 2
    char32_t cp = n == 2   ? (p[0] & 0x1F) << 6 | (p[1] & 0x3F)
                  : n == 3 ? (p[0] & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p[2] & 0x3F)
                           : 0x10000;
    const bool escape = (cp >= 0x80 && cp <= 0x9F) || cp == 0xFEFF || cp == 0x2028 ||
                        cp == 0x2029 || cp == 0xFFFE || cp == 0xFFFF;
    if (escape) {
      out += fmt::format("\\u{:04X}", static_cast<std::uint32_t>(cp));
    } else {
      out.append(reinterpret_cast<const char*>(p), n);
    }
    p += n;
  }
  out += '"';
}

class YamlEmitter {
 public:
  static constexpr std::size_t kMaxImplicitKey = 1000;

  explicit YamlEmitter(int indent) : step_(indent > 0 ? indent : 2) {}

  Status EmitRoot(const Value& v) {
    if (IsBlock(v)) {
      if (v.is_map()) return Entries(v.AsMap(), 0, false);
      return Items(v.AsList(), 0, false);
    }
    BULWARK_RETURN_IF_ERROR(Scalar(v));
    out_ += '\n';
    return OkStatus();
  }
  std::string& out() { return out_; }

 private:
  static bool IsBlock(const Value& v) {
    return (v.is_map() && !v.AsMap().empty()) || (v.is_list() && !v.AsList().empty());
  }
  void Indent(int n) { out_.append(static_cast<std::size_t>(n), ' '); }

  Status String(std::string_view s) {
    if (FindInvalidUtf8Fast(s) != std::string_view::npos) {
      return InvalidArgumentError(
          fmt::format("emit yaml: string at {} is not valid UTF-8", path_.Describe()));
    }
    if (PlainSafe(s)) {
      out_ += s;
    } else {
      AppendDoubleQuoted(out_, s);
    }
    return OkStatus();
  }

  Status Scalar(const Value& v) {
    switch (v.type()) {
      case ValueType::kNull:
        out_ += "null";
        break;
      case ValueType::kBool:
        out_ += v.AsBool() ? "true" : "false";
        break;
      case ValueType::kInt:
        fmt::format_to(std::back_inserter(out_), "{}", v.AsInt());
        break;
      case ValueType::kDouble:
        out_ += FormatDouble(v.AsDouble(), kYamlNonFinite);
        break;
      case ValueType::kString:
        return String(v.AsString());
      case ValueType::kBytes:
        out_ += "!!binary ";
        AppendDoubleQuoted(out_, Base64Encode(v.AsBytes()));
        break;
      case ValueType::kList:
        out_ += "[]";
        break;
      case ValueType::kMap:
        out_ += "{}";
        break;
    }
    return OkStatus();
  }

  // Writes `v` after "key:" (after_dash false) or "-" (after_dash true) at indentation `indent`.
  Status AfterIndicator(const Value& v, int indent, bool after_dash) {
    if (!IsBlock(v)) {
      out_ += ' ';
      BULWARK_RETURN_IF_ERROR(Scalar(v));
      out_ += '\n';
      return OkStatus();
    }
    if (after_dash) {
      out_ += ' ';
      if (v.is_map()) return Entries(v.AsMap(), indent + 2, true);
      return Items(v.AsList(), indent + 2, true);
    }
    out_ += '\n';
    if (v.is_map()) return Entries(v.AsMap(), indent + step_, false);
    return Items(v.AsList(), indent + step_, false);
  }

  Status Entries(const ValueMap& map, int indent, bool first_inline) {
    bool first = true;
    for (const MapEntry& e : map) {
      if (!(first && first_inline)) Indent(indent);
      first = false;
      path_.PushKey(e.key);
      const std::size_t key_start = out_.size();
      BULWARK_RETURN_IF_ERROR(String(e.key));
      if (out_.size() - key_start > kMaxImplicitKey) {
        // YAML limits implicit keys to 1024 characters: write "? key" then ": value".
        out_.insert(key_start, "? ");
        out_ += '\n';
        Indent(indent);
      }
      out_ += ':';
      BULWARK_RETURN_IF_ERROR(AfterIndicator(e.value, indent, false));
      path_.Pop();
    }
    return OkStatus();
  }

  Status Items(const ValueList& list, int indent, bool first_inline) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!(i == 0 && first_inline)) Indent(indent);
      out_ += '-';
      path_.PushIndex(i);
      BULWARK_RETURN_IF_ERROR(AfterIndicator(list[i], indent, true));
      path_.Pop();
    }
    return OkStatus();
  }

  int step_;
  std::string out_;
  PathTracker path_;
};

}  // namespace

Result<std::string> EmitYaml(const Value& root, const EmitOptions& options) {
  YamlEmitter emitter(options.indent);
  BULWARK_RETURN_IF_ERROR(emitter.EmitRoot(root));
  return std::move(emitter.out());
}

}  // namespace bulwark::config::internal
