#include "bulwark/store/namespace.h"

#include <fmt/format.h>

namespace bulwark::store {
namespace {

bool IsNamespaceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// A short, printable rendering of a (possibly hostile) name for error messages.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

}  // namespace

Status ValidateNamespace(std::string_view ns) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("invalid namespace '{}': {}", Printable(ns), why));
  };
  if (ns.empty()) return bad("empty");
  if (ns.size() > kMaxNamespaceLength) {
    return bad(fmt::format("longer than {} bytes", kMaxNamespaceLength));
  }
  std::size_t start = 0;
  while (true) {
    std::size_t end = ns.find('/', start);
    std::string_view seg = ns.substr(start, end == std::string_view::npos ? ns.npos : end - start);
    if (seg.empty()) return bad("empty segment (leading, trailing or doubled '/')");
    if (seg == "." || seg == "..") return bad("'.' and '..' are not valid segments");
    for (char c : seg) {
      if (!IsNamespaceChar(c)) {
        return bad(fmt::format("character '{}' not allowed (segments use a-z 0-9 . _ -)",
                               Printable(std::string_view(&c, 1))));
      }
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return OkStatus();
}

Status ValidateNamespacePrefix(std::string_view prefix) {
  if (prefix.empty()) return OkStatus();
  std::string_view ns = prefix;
  if (ns.back() == '/') ns.remove_suffix(1);
  auto st = ValidateNamespace(ns);
  if (!st) {
    return InvalidArgumentError(
        fmt::format("invalid namespace prefix '{}': {}", Printable(prefix), st.error().message()));
  }
  return OkStatus();
}

}  // namespace bulwark::store
