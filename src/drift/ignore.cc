#include "bulwark/drift/ignore.h"

#include <fmt/format.h>


namespace bulwark::drift {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Result<access::Glob> CompileRule(std::string_view glob, std::string_view where) {
  if (glob.empty()) return InvalidArgumentError(fmt::format("{}: empty ignore rule", where));
  for (char c : glob) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError(fmt::format("{}: control character in ignore rule", where));
    }
  }
  auto g = access::Glob::Compile(glob, '.', /*classes=*/false);
  if (!g) return std::unexpected(g.error().WithContext(fmt::format("{}: ignore rule", where)));
  return g;
}

}  // namespace

Result<IgnoreRules> IgnoreRules::Create(const std::vector<std::string>& globs,
                                        std::string_view source) {
  IgnoreRules rules;
  for (const std::string& g : globs) {
    const std::string_view t = Trim(g);
    BULWARK_ASSIGN_OR_RETURN(access::Glob glob, CompileRule(t, source));
    rules.globs_.push_back(std::move(glob));
  }
  return rules;
}

Result<IgnoreRules> IgnoreRules::Parse(std::string_view text, std::string_view source) {
  IgnoreRules rules;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    BULWARK_ASSIGN_OR_RETURN(access::Glob glob,
                             CompileRule(line, fmt::format("{}:{}", source, line_no)));
    rules.globs_.push_back(std::move(glob));
  }
  return rules;
}

void IgnoreRules::Merge(const IgnoreRules& other) {
  globs_.insert(globs_.end(), other.globs_.begin(), other.globs_.end());
}

std::vector<std::string> IgnoreRules::globs() const {
  std::vector<std::string> out;
  for (const access::Glob& g : globs_) out.push_back(g.pattern());
  return out;
}

bool IgnoreRules::Matches(const config::Path& path) const {
  if (globs_.empty()) return false;
  config::Path p = path;
  while (true) {
    if (p.empty()) return false;
    const std::string text = p.ToString();
    for (const access::Glob& g : globs_) {
      if (g.Matches(text)) return true;
    }
    p.Pop();
  }
}

}  // namespace bulwark::drift
