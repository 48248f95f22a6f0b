#include "compliance/render_util.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "bulwark/core/encoding.h"
#include "bulwark/core/quoted_string.h"

namespace bulwark::compliance::internal {

std::string RuleExplanation(const RuleResult& rr) {
  switch (rr.status) {
    case RuleStatus::kPass:
      return fmt::format("all {} check{} passed", rr.applicable, rr.applicable == 1 ? "" : "s");
    case RuleStatus::kFail:
      return fmt::format("{} of {} check{} failed", rr.failed, rr.applicable,
                         rr.applicable == 1 ? "" : "s");
    case RuleStatus::kError:
      return fmt::format("{} of {} check{} could not be evaluated{}", rr.errored, rr.applicable,
                         rr.applicable == 1 ? "" : "s",
                         rr.errors.empty() ? std::string() : ": " + rr.errors.front());
    case RuleStatus::kNotApplicable:
    case RuleStatus::kDisabled:
      return rr.note;
  }
  return rr.note;
}

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The bytes of `s` with each maximal invalid UTF-8 subpart replaced by U+FFFD, as nlohmann's
// dump_escaped does with error_handler_t::replace (its decoder is the RFC 3629 automaton; on a
// rejected continuation byte it writes U+FFFD and reads that byte again as a new lead byte).
std::string ReplaceInvalidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t need = 0;                // continuation bytes
    unsigned char lo = 0x80, hi = 0xBF;  // range of the first continuation byte
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c == 0xE0) {
      need = 2, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      need = 2;
    } else if (c == 0xED) {
      need = 2, hi = 0x9F;
    } else if (c == 0xF0) {
      need = 3, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      need = 3;
    } else if (c == 0xF4) {
      need = 3, hi = 0x8F;
    } else {
      out += kReplacement;  // 0x80..0xC1, 0xF5..0xFF never start a sequence
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    std::size_t k = 0;
    for (; k < need && j < n; ++k, ++j) {
      const auto b = static_cast<unsigned char>(s[j]);
      if (b < (k == 0 ? lo : 0x80) || b > (k == 0 ? hi : 0xBF)) break;
    }
    if (k == need) {
      out.append(s.substr(i, need + 1));
    } else {
      out += kReplacement;  // s[j] (if any) is read again as the start of the next character
    }
    i = j;
  }
  return out;
}

void AppendUnsigned(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  if (FindInvalidUtf8(s) == std::string_view::npos) {
    AppendQuotedString(out, s);
  } else {
    AppendQuotedString(out, ReplaceInvalidUtf8(s));
  }
}

void JsonWriter::BeginValue() {
  if (after_key_) {
    after_key_ = false;
  } else if (!counts_.empty()) {
    NextItem();
  }
}

void JsonWriter::NextItem() {
  out_.append(counts_.back()++ == 0 ? "\n" : ",\n");
  out_.append(2 * counts_.size(), ' ');
}

JsonWriter& JsonWriter::BeginObject() {
  BeginValue();
  out_ += '{';
  counts_.push_back(0);
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeginValue();
  out_ += '[';
  counts_.push_back(0);
  return *this;
}

JsonWriter& JsonWriter::End(char close) {
  if (counts_.back() != 0) {
    out_ += '\n';
    out_.append(2 * (counts_.size() - 1), ' ');
  }
  out_ += close;
  counts_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  NextItem();
  AppendJsonString(out_, key);
  out_.append(": ");
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  BeginValue();
  AppendJsonString(out_, s);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool b) {
  BeginValue();
  out_.append(b ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeginValue();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::Uint(std::uint64_t v) {
  BeginValue();
  AppendUnsigned(out_, v);
  return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t v) {
  BeginValue();
  if (v < 0) {
    out_ += '-';
    AppendUnsigned(out_, 0 - static_cast<std::uint64_t>(v));
  } else {
    AppendUnsigned(out_, static_cast<std::uint64_t>(v));
  }
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  BeginValue();
  // nlohmann's own formatting (Grisu2, shortest round trip in its layout; null when not finite),
  // so the digits match the reference exactly. Reports carry few doubles (framework scores).
  out_.append(nlohmann::json(v).dump());
  return *this;
}

JsonWriter& JsonWriter::Value(const config::Value& v) {
  switch (v.type()) {
    case config::ValueType::kNull:
      return Null();
    case config::ValueType::kBool:
      return Bool(v.AsBool());
    case config::ValueType::kInt:
      return Int(v.AsInt());
    case config::ValueType::kDouble:
      return Double(v.AsDouble());
    case config::ValueType::kString:
      return String(v.AsString());
    case config::ValueType::kBytes: {
      const config::Bytes& b = v.AsBytes();
      return String(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    case config::ValueType::kList:
      BeginArray();
      for (const config::Value& e : v.AsList()) Value(e);
      return EndArray();
    case config::ValueType::kMap: {
      BeginObject();  // ValueMap keys are unique, so no repeated-key handling is needed here
      for (const config::MapEntry& e : v.AsMap()) Key(e.key).Value(e.value);
      return EndObject();
    }
  }
  return Null();
}

JsonWriter& JsonWriter::Strings(const std::vector<std::string>& list) {
  BeginArray();
  for (const std::string& s : list) String(s);
  return EndArray();
}

std::string_view SarifLevel(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh:
      return "error";
    case Severity::kMedium:
      return "warning";
    default:
      return "note";
  }
}

std::string_view SecuritySeverityScore(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "9.5";
    case Severity::kHigh:
      return "8.0";
    case Severity::kMedium:
      return "5.5";
    case Severity::kLow:
      return "3.0";
    default:
      return "0.0";
  }
}

std::string SarifRuleName(std::string_view id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (c == '_' || c == '-' || c == '.') {
      upper = true;
      continue;
    }
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += c;
    upper = false;
  }
  return out;
}

std::string FileUri(std::string_view path) {
  std::string out;
  if (path.starts_with("/")) out = "file://";
  for (unsigned char c : path) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || c == '/';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&#39;";
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Copy one UTF-8 sequence if it is valid, else U+FFFD for the byte.
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > text.size() || !IsValidUtf8(text.substr(i, len))) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    // U+FFFE and U+FFFF are not XML characters.
    if (len == 3 && c == 0xEF && static_cast<unsigned char>(text[i + 1]) == 0xBF &&
        static_cast<unsigned char>(text[i + 2]) >= 0xBE) {
      out += "\xEF\xBF\xBD";
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace bulwark::compliance::internal
