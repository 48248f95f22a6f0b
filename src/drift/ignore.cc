#include "bulwark/drift/ignore.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace bulwark::drift {
namespace {

bool IsSeparator(char c) { return c == '.' || c == '[' || c == ']'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Status CheckGlob(std::string_view glob, std::string_view where) {
  if (glob.empty()) return InvalidArgumentError(fmt::format("{}: empty ignore rule", where));
  for (char c : glob) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError(fmt::format("{}: control character in ignore rule", where));
    }
  }
  return OkStatus();
}

}  // namespace

// Dynamic programming over (glob position, text position): O(|glob| * |text|) time, O(|text|)
// space, exact for any mix of `*` and `**`.
bool GlobMatch(std::string_view glob, std::string_view text) {
  const std::size_t n = text.size();
  // row[t]: the glob prefix consumed so far matches text[0, t).
  std::vector<char> row(n + 1, 0), next(n + 1, 0);
  row[0] = 1;
  std::size_t g = 0;
  while (g < glob.size()) {
    std::fill(next.begin(), next.end(), 0);
    if (glob[g] == '*') {
      const bool dbl = g + 1 < glob.size() && glob[g + 1] == '*';
      for (std::size_t t = 0; t <= n; ++t) {
        if (row[t]) {
          next[t] = 1;
        } else if (t > 0 && next[t - 1] && (dbl || !IsSeparator(text[t - 1]))) {
          next[t] = 1;
        }
      }
      g += dbl ? 2 : 1;
    } else {
      for (std::size_t t = 1; t <= n; ++t) {
        if (row[t - 1] &&
            (glob[g] == text[t - 1] || (glob[g] == '?' && !IsSeparator(text[t - 1])))) {
          next[t] = 1;
        }
      }
      ++g;
    }
    row.swap(next);
  }
  return row[n] != 0;
}

Result<IgnoreRules> IgnoreRules::Create(const std::vector<std::string>& globs,
                                        std::string_view source) {
  IgnoreRules rules;
  for (const std::string& g : globs) {
    const std::string_view t = Trim(g);
    BULWARK_RETURN_IF_ERROR(CheckGlob(t, source));
    rules.globs_.emplace_back(t);
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
    BULWARK_RETURN_IF_ERROR(CheckGlob(line, fmt::format("{}:{}", source, line_no)));
    rules.globs_.emplace_back(line);
  }
  return rules;
}

void IgnoreRules::Merge(const IgnoreRules& other) {
  globs_.insert(globs_.end(), other.globs_.begin(), other.globs_.end());
}

bool IgnoreRules::Matches(const config::Path& path) const {
  if (globs_.empty()) return false;
  config::Path p = path;
  while (true) {
    if (p.empty()) return false;
    const std::string text = p.ToString();
    for (const std::string& g : globs_) {
      if (GlobMatch(g, text)) return true;
    }
    p.Pop();
  }
}

}  // namespace bulwark::drift
