#include "compliance/render_util.h"

#include <fmt/format.h>

#include "bulwark/core/encoding.h"

namespace bulwark::compliance::internal {

nlohmann::ordered_json ValueToJson(const config::Value& v) {
  switch (v.type()) {
    case config::ValueType::kNull:
      return nullptr;
    case config::ValueType::kBool:
      return v.AsBool();
    case config::ValueType::kInt:
      return v.AsInt();
    case config::ValueType::kDouble:
      return v.AsDouble();
    case config::ValueType::kString:
      return v.AsString();
    case config::ValueType::kBytes: {
      const config::Bytes& b = v.AsBytes();
      return std::string(b.begin(), b.end());
    }
    case config::ValueType::kList: {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const config::Value& e : v.AsList()) a.push_back(ValueToJson(e));
      return a;
    }
    case config::ValueType::kMap: {
      nlohmann::ordered_json o = nlohmann::ordered_json::object();
      for (const config::MapEntry& e : v.AsMap()) o[e.key] = ValueToJson(e.value);
      return o;
    }
  }
  return nullptr;
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
