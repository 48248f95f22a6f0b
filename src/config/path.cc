#include "bulwark/config/path.h"

#include <charconv>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace bulwark::config {
namespace {

bool IsBareChar(char c) {
  return c != '.' && c != '[' && c != ']' && c != '"' && c != '\'' && c != ' ' && c != '\t' &&
         c != '\n' && c != '\r' && c != '\0';
}

// Canonical decimal: "0" or no leading zero, only digits, fits size_t.
bool ParseIndex(std::string_view s, std::size_t& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Error PathError(std::string_view text, std::size_t pos, std::string_view what) {
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("path '{}': {} at offset {}", text.substr(0, 200), what, pos));
}

// Reads a quoted key starting at text[pos] (a quote); advances pos past the closing quote.
Result<std::string> ReadQuoted(std::string_view text, std::size_t& pos) {
  const char quote = text[pos++];
  std::string out;
  while (pos < text.size()) {
    char c = text[pos++];
    if (c == quote) return out;
    if (c == '\\') {
      if (pos >= text.size()) break;
      char e = text[pos++];
      if (e != '"' && e != '\'' && e != '\\') {
        return std::unexpected(PathError(text, pos - 2, "unknown escape in quoted key"));
      }
      out += e;
    } else {
      out += c;
    }
  }
  return std::unexpected(PathError(text, pos, "unterminated quoted key"));
}

}  // namespace

std::string QuoteKeyIfNeeded(std::string_view key) {
  bool bare = !key.empty();
  for (char c : key) bare = bare && IsBareChar(c);
  if (bare) return std::string(key);
  std::string out = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

Result<Path> Path::Parse(std::string_view text) {
  std::vector<PathSegment> segs;
  std::size_t pos = 0;
  bool expect_key = true;  // at start or after '.'
  bool after_dot = false;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '[') {
      if (after_dot) return std::unexpected(PathError(text, pos, "expected a key after '.'"));
      ++pos;
      if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
        BULWARK_ASSIGN_OR_RETURN(std::string key, ReadQuoted(text, pos));
        segs.push_back(PathSegment::Key(std::move(key)));
      } else {
        const std::size_t start = pos;
        while (pos < text.size() && text[pos] != ']') ++pos;
        std::size_t idx;
        if (!ParseIndex(text.substr(start, pos - start), idx)) {
          return std::unexpected(PathError(text, start, "expected a list index or quoted key in [ ]"));
        }
        segs.push_back(PathSegment::Index(idx));
      }
      if (pos >= text.size() || text[pos] != ']') {
        return std::unexpected(PathError(text, pos, "expected ']'"));
      }
      ++pos;
      expect_key = false;
      continue;
    }
    if (c == '.') {
      if (expect_key) return std::unexpected(PathError(text, pos, "empty key"));
      ++pos;
      expect_key = true;
      after_dot = true;
      continue;
    }
    if (!expect_key) return std::unexpected(PathError(text, pos, "expected '.' or '['"));
    if (c == '"' || c == '\'') {
      BULWARK_ASSIGN_OR_RETURN(std::string key, ReadQuoted(text, pos));
      segs.push_back(PathSegment::Key(std::move(key)));
    } else {
      const std::size_t start = pos;
      while (pos < text.size() && IsBareChar(text[pos])) ++pos;
      if (pos == start) return std::unexpected(PathError(text, pos, "unexpected character"));
      segs.push_back(PathSegment::Key(std::string(text.substr(start, pos - start))));
    }
    expect_key = false;
    after_dot = false;
  }
  if (after_dot) return std::unexpected(PathError(text, pos, "path ends with '.'"));
  return Path(std::move(segs));
}

Result<Path> Path::ParseJsonPointer(std::string_view text) {
  std::vector<PathSegment> segs;
  if (text.empty()) return Path();
  if (text[0] != '/') return std::unexpected(PathError(text, 0, "JSON Pointer must start with '/'"));
  std::size_t pos = 1;
  std::string token;
  for (;;) {
    if (pos >= text.size() || text[pos] == '/') {
      segs.push_back(PathSegment::Key(std::move(token)));
      token.clear();
      if (pos >= text.size()) break;
      ++pos;
      continue;
    }
    if (text[pos] == '~') {
      if (pos + 1 < text.size() && text[pos + 1] == '0') {
        token += '~';
      } else if (pos + 1 < text.size() && text[pos + 1] == '1') {
        token += '/';
      } else {
        return std::unexpected(PathError(text, pos, "'~' must be followed by 0 or 1"));
      }
      pos += 2;
      continue;
    }
    token += text[pos++];
  }
  return Path(std::move(segs));
}

Result<Path> Path::ParseAny(std::string_view text) {
  if (!text.empty() && text[0] == '/') return ParseJsonPointer(text);
  return Parse(text);
}

std::string Path::ToString() const {
  std::string out;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const PathSegment& s = segments_[i];
    if (s.is_index()) {
      out += '[';
      out += std::to_string(s.index());
      out += ']';
    } else {
      if (i > 0) out += '.';
      out += QuoteKeyIfNeeded(s.key());
    }
  }
  return out;
}

std::string Path::ToJsonPointer() const {
  std::string out;
  for (const PathSegment& s : segments_) {
    out += '/';
    if (s.is_index()) {
      out += std::to_string(s.index());
      continue;
    }
    for (char c : s.key()) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out += c;
    }
  }
  return out;
}

Path Path::Key(std::string key) const {
  Path p = *this;
  p.segments_.push_back(PathSegment::Key(std::move(key)));
  return p;
}

Path Path::Index(std::size_t index) const {
  Path p = *this;
  p.segments_.push_back(PathSegment::Index(index));
  return p;
}

Path Path::Parent() const {
  Path p = *this;
  if (!p.segments_.empty()) p.segments_.pop_back();
  return p;
}

Path Path::Concat(const Path& suffix) const {
  Path p = *this;
  p.segments_.insert(p.segments_.end(), suffix.segments_.begin(), suffix.segments_.end());
  return p;
}

std::string_view Path::LastKey() const {
  if (segments_.empty() || !segments_.back().is_key()) return {};
  return segments_.back().key();
}

bool Path::StartsWith(const Path& prefix) const {
  if (prefix.size() > size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (!(segments_[i] == prefix.segments_[i])) return false;
  }
  return true;
}

const Value* FindChild(const Value& node, const PathSegment& seg) {
  if (seg.is_index()) {
    const ValueList* l = node.IfList();
    return l && seg.index() < l->size() ? &(*l)[seg.index()] : nullptr;
  }
  if (const ValueMap* m = node.IfMap()) return m->Find(seg.key());
  if (const ValueList* l = node.IfList()) {
    std::size_t idx;
    if (ParseIndex(seg.key(), idx) && idx < l->size()) return &(*l)[idx];
  }
  return nullptr;
}

namespace {

const Value* Step(const Value& node, const PathSegment& seg) { return FindChild(node, seg); }

std::string SegmentText(const PathSegment& s) {
  return s.is_index() ? fmt::format("[{}]", s.index()) : fmt::format("'{}'", s.key());
}

}  // namespace

const Value* Find(const Value& root, const Path& path) {
  const Value* cur = &root;
  for (const PathSegment& seg : path.segments()) {
    cur = Step(*cur, seg);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

Value* Find(Value& root, const Path& path) {
  return const_cast<Value*>(Find(static_cast<const Value&>(root), path));
}

Result<const Value*> Get(const Value& root, const Path& path) {
  const Value* cur = &root;
  Path walked;
  for (const PathSegment& seg : path.segments()) {
    const Value* next = Step(*cur, seg);
    if (next == nullptr) {
      const std::string where = walked.empty() ? "the root" : walked.ToString();
      if (!cur->is_container()) {
        return NotFoundError(fmt::format("get {}: {} is a {}, not a map or list", path.ToString(),
                                         where, ValueTypeName(cur->type())));
      }
      return NotFoundError(
          fmt::format("get {}: {} not found in {}", path.ToString(), SegmentText(seg), where));
    }
    walked.Push(seg);
    cur = next;
  }
  return cur;
}

Status Set(Value& root, const Path& path, Value value, SetOptions options) {
  Value* cur = &root;
  const auto& segs = path.segments();
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const PathSegment& seg = segs[i];
    const bool last = i + 1 == segs.size();
    if (cur->is_null()) {
      if (!options.create_missing && i > 0) {
        return NotFoundError(fmt::format("set {}: {} does not exist", path.ToString(),
                                         Path(std::vector(segs.begin(), segs.begin() + i)).ToString()));
      }
      *cur = seg.is_index() ? Value::EmptyList() : Value::EmptyMap();
    }
    Value* next = nullptr;
    if (ValueMap* m = cur->IfMap()) {
      if (seg.is_index()) {
        return InvalidArgumentError(fmt::format("set {}: index [{}] used on a map", path.ToString(), seg.index()));
      }
      next = m->Find(seg.key());
      if (next == nullptr) {
        if (!options.create_missing && !last) {
          return NotFoundError(fmt::format("set {}: '{}' does not exist", path.ToString(), seg.key()));
        }
        next = m->Insert(seg.key(), Value()).first;
      }
    } else if (ValueList* l = cur->IfList()) {
      std::size_t idx;
      if (seg.is_index()) {
        idx = seg.index();
      } else if (!ParseIndex(seg.key(), idx)) {
        return InvalidArgumentError(fmt::format("set {}: key '{}' used on a list", path.ToString(), seg.key()));
      }
      if (idx > l->size()) {
        return InvalidArgumentError(fmt::format("set {}: index {} is past the end of a list of {}",
                                                path.ToString(), idx, l->size()));
      }
      if (idx == l->size()) l->emplace_back();
      next = &(*l)[idx];
    } else {
      return InvalidArgumentError(fmt::format(
          "set {}: {} is a {}, not a map or list", path.ToString(),
          Path(std::vector(segs.begin(), segs.begin() + i)).ToString(), ValueTypeName(cur->type())));
    }
    cur = next;
  }
  *cur = std::move(value);
  return OkStatus();
}

Status Remove(Value& root, const Path& path) {
  if (path.empty()) return InvalidArgumentError("remove: cannot remove the root");
  Value* parent = Find(root, path.Parent());
  const PathSegment& seg = path.back();
  if (parent != nullptr) {
    if (ValueMap* m = parent->IfMap(); m && seg.is_key()) {
      if (m->Erase(seg.key())) return OkStatus();
    } else if (ValueList* l = parent->IfList()) {
      std::size_t idx;
      bool ok = seg.is_index() ? (idx = seg.index(), true) : ParseIndex(seg.key(), idx);
      if (ok && idx < l->size()) {
        l->erase(l->begin() + static_cast<std::ptrdiff_t>(idx));
        return OkStatus();
      }
    }
  }
  return NotFoundError(fmt::format("remove {}: no such path", path.ToString()));
}

namespace {

void WalkImpl(const Value& v, Path& path, const std::function<bool(const Path&, const Value&)>& visit) {
  if (!visit(path, v)) return;
  if (const ValueMap* m = v.IfMap()) {
    for (const MapEntry& e : *m) {
      path.Push(PathSegment::Key(e.key));
      WalkImpl(e.value, path, visit);
      path.Pop();
    }
  } else if (const ValueList* l = v.IfList()) {
    for (std::size_t i = 0; i < l->size(); ++i) {
      path.Push(PathSegment::Index(i));
      WalkImpl((*l)[i], path, visit);
      path.Pop();
    }
  }
}

}  // namespace

void Walk(const Value& root, const std::function<bool(const Path&, const Value&)>& visit) {
  Path path;
  WalkImpl(root, path, visit);
}

void WalkLeaves(const Value& root, const std::function<void(const Path&, const Value&)>& visit) {
  Walk(root, [&](const Path& p, const Value& v) {
    const bool leaf = !v.is_container() || (v.is_map() && v.AsMap().empty()) ||
                      (v.is_list() && v.AsList().empty());
    if (leaf) visit(p, v);
    return true;
  });
}

}  // namespace bulwark::config

std::size_t std::hash<bulwark::config::Path>::operator()(const bulwark::config::Path& p) const noexcept {
  std::size_t h = 0xcbf29ce484222325ULL;
  for (const auto& s : p.segments()) {
    const std::size_t x = s.is_key() ? std::hash<std::string>{}(s.key()) : std::hash<std::size_t>{}(s.index()) * 31 + 7;
    h = (h ^ x) * 0x100000001b3ULL;
  }
  return h;
}
