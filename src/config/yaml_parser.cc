// YAML parser: yaml-cpp's event parser (Debian 0.7) feeding our own tree builder.
//
// Building the tree from parser events, rather than from YAML::Node, gives us each node's Mark for
// locations, the scalar style (plain or quoted) and tag for YAML 1.2 core schema typing, duplicate
// key detection, and control over alias expansion. The builder aborts by throwing BuildError, which
// ParseYaml catches along with every yaml-cpp exception and turns into "<source>:<l>:<c>: ..."
// errors.
//
// Protections: input must be UTF-8 without control characters; nesting is estimated before
// yaml-cpp sees the text (CheckYamlNesting; yaml-cpp 0.7 also stops at 2000 levels) and enforced
// exactly by the builder; aliases may expand to at most kMaxAliasNodes nodes in total
// (billion-laughs protection) and may not nest deeper than max_depth.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <istream>
#include <streambuf>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bulwark/core/encoding.h"
#include "config/internal/formats.h"
#include "config/internal/nesting_guard.h"
#include "config/internal/text.h"
#include "config/internal/yaml_scalar.h"

namespace bulwark::config::internal {
namespace {

constexpr std::size_t kMaxAliasNodes = 100'000;
constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

struct BuildError {
  YAML::Mark mark;
  std::string message;
};

// A read-only streambuf over the caller's text, so yaml-cpp reads it without a copy.
class MemoryBuffer : public std::streambuf {
 public:
  explicit MemoryBuffer(std::string_view text) {
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

// "str" for "tag:yaml.org,2002:str" or "!!str"; "" for other tags.
std::string_view CoreTagName(const std::string& tag) {
  std::string_view t = tag;
  if (t.starts_with(kCoreTagPrefix)) return t.substr(kCoreTagPrefix.size());
  if (t.starts_with("!!")) return t.substr(2);
  return {};
}

void Measure(const Value& root, std::size_t& nodes, std::size_t& depth) {
  nodes = 0;
  depth = 0;
  std::vector<std::pair<const Value*, std::size_t>> todo{{&root, 0}};
  while (!todo.empty()) {
    auto [v, d] = todo.back();
    todo.pop_back();
    ++nodes;
    if (const ValueList* l = v->IfList()) {
      depth = std::max(depth, d + 1);
      for (const Value& c : *l) todo.emplace_back(&c, d + 1);
    } else if (const ValueMap* m = v->IfMap()) {
      depth = std::max(depth, d + 1);
      for (const MapEntry& e : *m) todo.emplace_back(&e.value, d + 1);
    }
  }
}

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string_view text, const ParseOptions& options, Document& doc)
      : text_(text), options_(options), doc_(doc) {
    // yaml-cpp's Mark::pos counts bytes after a byte order mark.
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  }

  bool has_root() const { return has_root_; }
  Value TakeRoot() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_++ > 0) {
      throw BuildError{mark, "a file may hold only one YAML document (found a second '---')"};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (ExpectingKey()) throw BuildError{mark, "map keys must be non-null scalars"};
    Value v(nullptr);
    v.set_location_id(Record(mark));
    Complete(std::move(v), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override;

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    BeginContainer(mark, tag, "seq", false, anchor);
  }
  void OnSequenceEnd() override { EndContainer(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    BeginContainer(mark, tag, "map", true, anchor);
  }
  void OnMapEnd() override { EndContainer(); }

 private:
  struct Frame {
    Value value;
    bool is_map = false;
    bool have_key = false;
    std::string key;
    YAML::Mark key_mark;
    YAML::anchor_t anchor = 0;
  };
  struct Anchor {
    Value value;
    std::size_t nodes = 0;
    std::size_t depth = 0;
  };

  bool ExpectingKey() const {
    return !stack_.empty() && stack_.back().is_map && !stack_.back().have_key;
  }
  // The location id of a node starting at `mark` (0 when locations are not tracked).
  std::uint32_t Record(const YAML::Mark& mark) {
    if (!options_.track_locations) return 0;
    if (!have_source_) {
      source_ = doc_.locations.InternSource(options_.source_name);
      have_source_ = true;
    }
    return doc_.locations.Add(source_, static_cast<std::uint32_t>(mark.line + 1),
                              static_cast<std::uint32_t>(mark.column + 1));
  }
  void SetKey(std::string key, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = Anchor{Value(key), 1, 0};
    Frame& f = stack_.back();
    f.key = std::move(key);
    f.key_mark = mark;
    f.have_key = true;
  }

  void BeginContainer(const YAML::Mark& mark, const std::string& tag, std::string_view kind,
                      bool is_map, YAML::anchor_t anchor);
  void EndContainer();
  void Complete(Value value, YAML::anchor_t anchor);
  Value ResolveScalar(const YAML::Mark& mark, const std::string& tag, const std::string& text);

  void CheckQuoteTerminated(const YAML::Mark& mark) const;

  std::string_view text_;
  const ParseOptions& options_;
  Document& doc_;
  std::vector<Frame> stack_;
  std::uint32_t source_ = 0;  // the interned source name (once have_source_)
  bool have_source_ = false;
  std::unordered_map<YAML::anchor_t, Anchor> anchors_;
  std::size_t expanded_nodes_ = 0;
  int documents_ = 0;
  bool has_root_ = false;
  Value root_;
};

void TreeBuilder::BeginContainer(const YAML::Mark& mark, const std::string& tag,
                                 std::string_view kind, bool is_map, YAML::anchor_t anchor) {
  if (ExpectingKey()) throw BuildError{mark, "map keys must be scalars, not lists or maps"};
  if (!(tag.empty() || tag == "?" || tag == "!" || CoreTagName(tag) == kind)) {
    throw BuildError{
        mark, fmt::format("unsupported tag {} on a {}", Excerpt(tag), is_map ? "map" : "list")};
  }
  if (stack_.size() >= options_.max_depth) {
    throw BuildError{mark, fmt::format("nesting deeper than {} levels", options_.max_depth)};
  }
  Frame f;
  f.value = is_map ? Value::EmptyMap() : Value::EmptyList();
  f.value.set_location_id(Record(mark));
  f.is_map = is_map;
  f.anchor = anchor;
  stack_.push_back(std::move(f));
}

void TreeBuilder::EndContainer() {
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  Complete(std::move(f.value), f.anchor);
}

void TreeBuilder::Complete(Value value, YAML::anchor_t anchor) {
  if (anchor != 0) {
    Anchor a;
    Measure(value, a.nodes, a.depth);
    a.value = value;
    anchors_[anchor] = std::move(a);
  }
  if (stack_.empty()) {
    root_ = std::move(value);
    has_root_ = true;
    return;
  }
  Frame& f = stack_.back();
  if (f.is_map) {
    ValueMap& map = f.value.AsMap();
    if (map.Find(f.key) != nullptr) {
      throw BuildError{f.key_mark, fmt::format("duplicate key {}", Excerpt(f.key))};
    }
    map.Insert(std::move(f.key), std::move(value));
    f.have_key = false;
  } else {
    f.value.AsList().push_back(std::move(value));
  }
}

void TreeBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
  auto it = anchors_.find(anchor);
  if (it == anchors_.end()) {
    throw BuildError{mark, "alias refers to a node that contains it (recursive alias)"};
  }
  const Anchor& a = it->second;
  if (ExpectingKey()) {
    if (!a.value.is_string()) throw BuildError{mark, "an alias used as a map key must be a string"};
    SetKey(a.value.AsString(), mark, 0);
    return;
  }
  expanded_nodes_ += a.nodes;
  if (expanded_nodes_ > kMaxAliasNodes) {
    throw BuildError{mark, fmt::format("aliases expand to more than {} nodes", kMaxAliasNodes)};
  }
  if (stack_.size() + a.depth > options_.max_depth) {
    throw BuildError{mark, fmt::format("alias nests deeper than {} levels", options_.max_depth)};
  }
  // The alias node is where the alias is written; its descendants keep the positions where the
  // anchored text wrote them (the copy keeps their location ids).
  Value copy(a.value);
  copy.set_location_id(Record(mark));
  Complete(std::move(copy), 0);
}

Value TreeBuilder::ResolveScalar(const YAML::Mark& mark, const std::string& tag,
                                 const std::string& text) {
  if (tag == "!") return Value(text);  // quoted or block scalar without a tag
  const std::string_view core = CoreTagName(tag);
  if (tag != "?" && core.empty()) {
    throw BuildError{mark, fmt::format("unsupported tag {}", Excerpt(tag))};
  }
  if (core == "str") return Value(text);
  if (core == "binary") {
    std::string compact;
    for (char c : text) {
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact += c;
    }
    auto bytes = Base64Decode(compact);
    if (!bytes) throw BuildError{mark, "!!binary value is not valid base64"};
    return Value::FromBytes(std::move(*bytes));
  }
  auto resolved = ResolvePlainScalar(text);
  if (!resolved) throw BuildError{mark, resolved.error().message()};
  if (core.empty()) return std::move(*resolved);
  if (core == "int" && resolved->is_int()) return std::move(*resolved);
  if (core == "float" && resolved->is_double()) return std::move(*resolved);
  if (core == "float" && resolved->is_int()) return Value(static_cast<double>(resolved->AsInt()));
  if (core == "bool" && resolved->is_bool()) return std::move(*resolved);
  if (core == "null" && resolved->is_null()) return std::move(*resolved);
  if (core == "int" || core == "float" || core == "bool" || core == "null") {
    throw BuildError{mark, fmt::format("value does not match its tag !!{}", core)};
  }
  throw BuildError{mark, fmt::format("unsupported tag {}", Excerpt(tag))};
}

// yaml-cpp 0.7 accepts a quoted scalar left open at the end of the input (a truncated file), so
// the builder checks that the quote it started with is closed.
void TreeBuilder::CheckQuoteTerminated(const YAML::Mark& mark) const {
  if (mark.pos < 0) return;
  std::size_t i = static_cast<std::size_t>(mark.pos);
  const std::size_t n = text_.size();
  // Skip node properties (!tag, &anchor) to reach the scalar itself.
  while (i < n && (text_[i] == '!' || text_[i] == '&')) {
    while (i < n && text_[i] != ' ' && text_[i] != '\t' && text_[i] != '\n') ++i;
    while (i < n && (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\n' || text_[i] == '\r'))
      ++i;
  }
  if (i >= n || (text_[i] != '"' && text_[i] != '\'')) return;
  const char quote = text_[i];
  for (++i; i < n; ++i) {
    if (quote == '"' && text_[i] == '\\') {
      ++i;
    } else if (text_[i] == quote) {
      if (quote == '\'' && i + 1 < n && text_[i + 1] == '\'') {
        ++i;
      } else {
        return;
      }
    }
  }
  throw BuildError{mark, "unterminated quoted scalar"};
}

// yaml-cpp 0.7 decodes the escapes "\N" (U+0085) and "\_" (U+00A0) to the single bytes 0x85 and
// 0xA0 instead of their UTF-8 encodings. The input was checked to be valid UTF-8 and every other
// escape is encoded properly, so a byte that starts no valid sequence in a decoded scalar can only
// come from one of those two escapes; anything else is refused rather than passed on.
std::string RepairYamlCppEscapes(const std::string& value, const YAML::Mark& mark) {
  std::string out;
  out.reserve(value.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const auto* end = p + value.size();
  while (p < end) {
    std::size_t n = Utf8SequenceLength(p, end);
    if (n != 0) {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    } else if (*p == 0x85 || *p == 0xA0) {
      AppendUtf8(out, static_cast<char32_t>(*p));
      ++p;
    } else {
      throw BuildError{mark, "scalar decodes to invalid UTF-8"};
    }
  }
  return out;
}

void TreeBuilder::OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                           const std::string& raw_value) {
  if (tag != "?") CheckQuoteTerminated(mark);
  std::string repaired;
  if (FindInvalidUtf8Fast(raw_value) != std::string_view::npos) {
    repaired = RepairYamlCppEscapes(raw_value, mark);
  }
  const std::string& value = repaired.empty() ? raw_value : repaired;
  if (ExpectingKey()) {
    // Keys are strings: plain keys keep their text ("123: x" has the key "123").
    if (!(tag == "?" || tag == "!" || CoreTagName(tag) == "str")) {
      throw BuildError{mark, fmt::format("unsupported tag {} on a map key", Excerpt(tag))};
    }
    SetKey(value, mark, anchor);
    return;
  }
  Value v = ResolveScalar(mark, tag, value);
  v.set_location_id(Record(mark));
  Complete(std::move(v), anchor);
}

// Rejects input yaml-cpp would misread: invalid UTF-8 and characters outside YAML's printable set
// (C0 controls other than tab/LF/CR, DEL, C1 controls other than NEL, U+FFFE/U+FFFF, and byte
// order marks after the start).
Status CheckYamlCharacters(std::string_view text, const ParseOptions& options) {
  if (std::size_t bad = FindInvalidUtf8Fast(text); bad != std::string_view::npos) {
    LineColumn lc = LocateOffset(text, bad);
    return ErrorAt(options.source_name, lc.line, lc.column, "invalid UTF-8");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = p[i];
    bool bad = false;
    if (c < 0x20) {
      bad = c != '\t' && c != '\n' && c != '\r';
    } else if (c == 0x7F) {
      bad = true;
    } else if (c == 0xC2 && i + 1 < text.size()) {
      unsigned char d = p[i + 1];
      bad = d >= 0x80 && d <= 0x9F && d != 0x85;
    } else if (c == 0xEF && i + 2 < text.size()) {
      bad = (p[i + 1] == 0xBF && (p[i + 2] == 0xBE || p[i + 2] == 0xBF)) ||
            (i > 0 && p[i + 1] == 0xBB && p[i + 2] == 0xBF);
    }
    if (bad) {
      LineColumn lc = LocateOffset(text, i);
      return ErrorAt(options.source_name, lc.line, lc.column,
                     "control or non-printable character is not allowed in YAML");
    }
  }
  return OkStatus();
}

std::string ShortMessage(std::string message) {
  if (message.size() > 2 * kMaxExcerpt + 40)
    message = message.substr(0, 2 * kMaxExcerpt + 40) + "...";
  return message;
}

}  // namespace

Result<Document> ParseYaml(std::string_view text, const ParseOptions& options) {
  BULWARK_RETURN_IF_ERROR(CheckYamlCharacters(text, options));
  BULWARK_RETURN_IF_ERROR(
      CheckYamlNesting(text, PrescanLimit(options.max_depth), options.source_name));
  Document doc;
  TreeBuilder builder(text, options, doc);
  MemoryBuffer buffer(text);
  std::istream in(&buffer);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const BuildError& e) {
    return ErrorAt(options.source_name, e.mark.line + 1, e.mark.column + 1, e.message);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      LineColumn lc = LocateOffset(text, text.size());
      return ErrorAt(options.source_name, lc.line, lc.column, ShortMessage(e.msg));
    }
    return ErrorAt(options.source_name, e.mark.line + 1, e.mark.column + 1, ShortMessage(e.msg));
  } catch (const std::exception& e) {
    return ErrorAt(options.source_name, 1, 1,
                   fmt::format("YAML parser failed: {}", ShortMessage(e.what())));
  }
  if (builder.has_root()) {
    doc.root = builder.TakeRoot();
  } else {
    // No document at all (empty file or only comments): an empty map.
    doc.root = Value::EmptyMap();
    if (options.track_locations) doc.SetLocation(doc.root, {options.source_name, 1, 1});
  }
  return doc;
}

}  // namespace bulwark::config::internal
