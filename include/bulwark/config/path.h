// Addressing values in a configuration tree.
//
// Two notations name the same thing:
//   dotted    services[3].database.port     a."key.with.dots".b     a["key with spaces"]
//   pointer   /services/3/database/port     (RFC 6901 JSON Pointer, ~0 = '~', ~1 = '/')
// The empty string names the root in both. Bare dotted keys are runs of characters other than
// . [ ] " ' and whitespace; anything else is written quoted ("..." or '...', with \" \' \\ escapes).
//
// A segment is a key or an index. Resolving a key segment that is a canonical decimal number
// against a list treats it as an index, so JSON Pointers work on lists as RFC 6901 says.
//
// `Path::ToString()` is canonical: parsing its output gives an equal Path.
#ifndef BULWARK_CONFIG_PATH_H_
#define BULWARK_CONFIG_PATH_H_

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::config {

class PathSegment {
 public:
  static PathSegment Key(std::string key) { return PathSegment(std::move(key)); }
  static PathSegment Index(std::size_t index) { return PathSegment(index); }

  bool is_key() const { return std::holds_alternative<std::string>(v_); }
  bool is_index() const { return !is_key(); }
  const std::string& key() const { return std::get<std::string>(v_); }
  std::size_t index() const { return std::get<std::size_t>(v_); }

  friend bool operator==(const PathSegment&, const PathSegment&) = default;
  friend auto operator<=>(const PathSegment&, const PathSegment&) = default;

 private:
  explicit PathSegment(std::string k) : v_(std::move(k)) {}
  explicit PathSegment(std::size_t i) : v_(i) {}
  std::variant<std::string, std::size_t> v_;
};

class Path {
 public:
  Path() = default;
  explicit Path(std::vector<PathSegment> segments) : segments_(std::move(segments)) {}

  // Parses dotted notation. Errors (kInvalidArgument) give the offset of the problem.
  static Result<Path> Parse(std::string_view dotted);
  // Parses an RFC 6901 JSON Pointer ("" or "/..."). Every token becomes a key segment.
  static Result<Path> ParseJsonPointer(std::string_view pointer);
  // A JSON Pointer when the text starts with '/', dotted notation otherwise.
  static Result<Path> ParseAny(std::string_view text);

  std::string ToString() const;     // canonical dotted form
  std::string ToJsonPointer() const;

  Path Key(std::string key) const;
  Path Index(std::size_t index) const;
  Path Parent() const;  // the root's parent is the root
  Path Concat(const Path& suffix) const;
  void Push(PathSegment s) { segments_.push_back(std::move(s)); }
  void Pop() { segments_.pop_back(); }

  const std::vector<PathSegment>& segments() const { return segments_; }
  std::size_t size() const { return segments_.size(); }
  bool empty() const { return segments_.empty(); }
  const PathSegment& back() const { return segments_.back(); }
  // The last key segment, or "" for the root or a trailing index.
  std::string_view LastKey() const;
  bool StartsWith(const Path& prefix) const;

  friend bool operator==(const Path&, const Path&) = default;
  friend auto operator<=>(const Path&, const Path&) = default;

 private:
  std::vector<PathSegment> segments_;
};

// Quotes a map key for dotted notation when it is not a bare key.
std::string QuoteKeyIfNeeded(std::string_view key);

// ---- Tree operations --------------------------------------------------------------------------

// The child of `node` named by one segment (a key of a map, an index or a canonical decimal key of
// a list), or nullptr.
const Value* FindChild(const Value& node, const PathSegment& seg);

// The value at `path`, or nullptr when any segment is missing or addresses the wrong type.
const Value* Find(const Value& root, const Path& path);
Value* Find(Value& root, const Path& path);

// Like Find, but kNotFound names the first missing segment ("get a.b.c: 'b' not found in map a").
Result<const Value*> Get(const Value& root, const Path& path);

struct SetOptions {
  // Create missing intermediate maps (a missing segment followed by an index creates a list).
  bool create_missing = true;
};
// Sets the value at `path`, replacing what is there. An index equal to a list's size appends;
// larger indices are kInvalidArgument. Setting through a scalar is kInvalidArgument unless the
// scalar is null (then it becomes a container), and never silently discards data.
Status Set(Value& root, const Path& path, Value value, SetOptions options = {});

// Removes the value at `path` (kNotFound when absent). Removing a list element shifts later ones.
Status Remove(Value& root, const Path& path);

// Visits every node in document order, parents before children. Return false from `visit` to skip
// a node's children.
void Walk(const Value& root, const std::function<bool(const Path&, const Value&)>& visit);
// Visits only leaves: scalars and empty containers.
void WalkLeaves(const Value& root, const std::function<void(const Path&, const Value&)>& visit);

}  // namespace bulwark::config

template <>
struct std::hash<bulwark::config::Path> {
  std::size_t operator()(const bulwark::config::Path& p) const noexcept;
};

#endif  // BULWARK_CONFIG_PATH_H_
