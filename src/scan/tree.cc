#include "bulwark/scan/tree.h"

#include <re2/re2.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace bulwark::scan {

struct IgnoreRules::Pattern {
  std::unique_ptr<RE2> re;
  bool negate = false;
  bool dir_only = false;
};

namespace {

// gitignore glob -> RE2 (without anchors).
std::string GlobToRegex(std::string_view g) {
  std::string out;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const char c = g[i];
    if (c == '*') {
      if (i + 1 < g.size() && g[i + 1] == '*') {
        const bool slash_after = i + 2 < g.size() && g[i + 2] == '/';
        if (slash_after) {
          out += "(?:.*/)?";
          i += 2;
        } else {
          out += ".*";
          ++i;
        }
      } else {
        out += "[^/]*";
      }
    } else if (c == '?') {
      out += "[^/]";
    } else if (c == '[') {
      const std::size_t close = g.find(']', i + 1);
      if (close == std::string_view::npos) {
        out += "\\[";
      } else {
        std::string cls(g.substr(i + 1, close - i - 1));
        if (!cls.empty() && cls[0] == '!') cls[0] = '^';
        std::string safe;
        for (char k : cls) {
          if (k == '\\' || k == '[') safe.push_back('\\');
          safe.push_back(k);
        }
        out += "[" + safe + "]";
        i = close;
      }
    } else if (c == '\\' && i + 1 < g.size()) {
      out += RE2::QuoteMeta(std::string(1, g[++i]));
    } else {
      out += RE2::QuoteMeta(std::string(1, c));
    }
  }
  return out;
}

}  // namespace

void IgnoreRules::Add(std::string_view base, std::string_view file_text) {
  std::size_t pos = 0;
  while (pos <= file_text.size()) {
    std::size_t nl = file_text.find('\n', pos);
    if (nl == std::string_view::npos) nl = file_text.size();
    std::string line(file_text.substr(pos, nl - pos));
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    while (!line.empty() && line.back() == ' ' && !(line.size() > 1 && line[line.size() - 2] == '\\')) {
      line.pop_back();
    }
    if (line.empty() || line[0] == '#') continue;
    auto p = std::make_shared<Pattern>();
    if (line[0] == '!') {
      p->negate = true;
      line.erase(0, 1);
    } else if (line[0] == '\\') {
      line.erase(0, 1);
    }
    if (!line.empty() && line.back() == '/') {
      p->dir_only = true;
      line.pop_back();
    }
    if (line.empty()) continue;
    const bool anchored = line.find('/') != std::string::npos;
    if (line[0] == '/') line.erase(0, 1);
    std::string prefix = base.empty() ? "" : RE2::QuoteMeta(std::string(base)) + "/";
    std::string re = "^" + prefix + (anchored ? "" : "(?:.*/)?") + GlobToRegex(line) + "$";
    RE2::Options o;
    o.set_log_errors(false);
    p->re = std::make_unique<RE2>(re, o);
    if (!p->re->ok()) continue;  // a line git would not understand either
    patterns_.push_back(std::move(p));
  }
}

bool IgnoreRules::Ignored(std::string_view rel, bool is_dir) const {
  bool ignored = false;
  const re2::StringPiece s(rel.data(), rel.size());
  for (const auto& p : patterns_) {
    if (p->dir_only && !is_dir) continue;
    if (RE2::FullMatch(s, *p->re)) ignored = !p->negate;
  }
  return ignored;
}

bool LooksBinary(std::string_view head) {
  return head.substr(0, 8000).find('\0') != std::string_view::npos;
}

namespace {

std::string ReadSmallFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str().substr(0, 1 << 20);
}

Status Walk(const std::filesystem::path& dir, const std::string& rel, const std::string& shown,
            const TreeOptions& options, IgnoreRules rules, std::vector<TreeFile>& out) {
  std::error_code ec;
  for (const char* name : {".gitignore", ".bulwarkignore"}) {
    if (!options.gitignore && std::string_view(name) == ".gitignore") continue;
    const auto f = dir / name;
    if (std::filesystem::is_regular_file(f, ec)) rules.Add(rel, ReadSmallFile(f));
  }
  std::vector<std::filesystem::directory_entry> entries;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return UnavailableError("list " + shown + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return UnavailableError("list " + shown + ": " + ec.message());
    entries.push_back(*it);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& e : entries) {
    const std::string fname = e.path().filename().string();
    const std::string child_rel = rel.empty() ? fname : rel + "/" + fname;
    const std::string child_shown =
        shown.empty() ? fname : shown + (shown.back() == '/' ? "" : "/") + fname;
    const bool is_link = e.is_symlink(ec);
    const bool is_dir = e.is_directory(ec);
    if (is_dir) {
      if (is_link || fname == ".git" || rules.Ignored(child_rel, true)) continue;
      BULWARK_RETURN_IF_ERROR(Walk(e.path(), child_rel, child_shown, options, rules, out));
      continue;
    }
    if (!e.is_regular_file(ec) || rules.Ignored(child_rel, false)) continue;
    const std::uint64_t size = e.file_size(ec);
    out.push_back(TreeFile{e.path(), child_shown, ec ? 0 : size});
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<TreeFile>> CollectFiles(const std::filesystem::path& root,
                                           const TreeOptions& options) {
  std::error_code ec;
  const auto st = std::filesystem::status(root, ec);
  if (ec || !std::filesystem::exists(st)) return NotFoundError("scan " + root.string() + ": no such file or directory");
  std::vector<TreeFile> out;
  if (!std::filesystem::is_directory(st)) {
    out.push_back(TreeFile{root, root.string(), std::filesystem::file_size(root, ec)});
    return out;
  }
  BULWARK_RETURN_IF_ERROR(Walk(root, "", root.string(), options, IgnoreRules(), out));
  return out;
}

}  // namespace bulwark::scan
