// A parsed configuration document: its value tree plus where each value came from.
//
// Every loader returns a `Document`. Each node the loader created (maps, lists and leaves) carries
// a location id (`Value::location_id()`) into the document's `locations` table, so the position
// of a node is one array read; merged documents (see merge.h) carry, for every node, the location
// of the layer that set it. Lines and columns are 1-based; 0 means "not applicable" (an
// environment variable, a schema default).
//
// Location ids belong to the document whose table issued them. Moving or copying a Document keeps
// them valid; a node copied into another document keeps its id, which then means nothing there:
// code that grafts nodes between documents re-tags them (`TagSubtree`, see merge.cc) or clears them
// (`ClearLocations`). A node without a location (id 0, e.g. one added by `Set`) reports the
// location of its nearest ancestor that has one.
#ifndef BULWARK_CONFIG_DOCUMENT_H_
#define BULWARK_CONFIG_DOCUMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/config/value.h"

namespace bulwark::config {

struct SourceLocation {
  // A file path, "env:NAME" for an environment variable, "default" for a schema default, or
  // "<stdin>"/"<input>" for text without a file.
  std::string source;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  // "file.yaml:3:7", "file.yaml" (no position), or "env:APP_DATABASE__PORT".
  std::string ToString() const;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

// The locations of a document's nodes, indexed by location id (ids start at 1; 0 means none).
// Source names are interned: an entry is three 32-bit numbers.
class LocationTable {
 public:
  // A location without copies: `source` points into the table.
  struct Ref {
    std::string_view source;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    SourceLocation ToLocation() const { return {std::string(source), line, column}; }
  };

  // The index of `source` among the interned names (added when new).
  std::uint32_t InternSource(std::string_view source);
  // Adds a location and returns its id (never 0). `source` is a value of InternSource.
  std::uint32_t Add(std::uint32_t source, std::uint32_t line, std::uint32_t column) {
    entries_.push_back({source, line, column});
    return static_cast<std::uint32_t>(entries_.size());
  }
  std::uint32_t Add(std::string_view source, std::uint32_t line, std::uint32_t column) {
    return Add(InternSource(source), line, column);
  }
  std::uint32_t Add(const SourceLocation& loc) { return Add(loc.source, loc.line, loc.column); }
  // Appends every entry of `other`; returns the offset to add to `other`'s ids.
  std::uint32_t Append(const LocationTable& other);

  bool Has(std::uint32_t id) const { return id != 0 && id <= entries_.size(); }
  // Requires Has(id).
  Ref At(std::uint32_t id) const {
    const Entry& e = entries_[id - 1];
    return {sources_[e.source], e.line, e.column};
  }
  std::optional<SourceLocation> Get(std::uint32_t id) const {
    if (!Has(id)) return std::nullopt;
    return At(id).ToLocation();
  }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void Reserve(std::size_t n) { entries_.reserve(n); }

 private:
  struct Entry {
    std::uint32_t source;
    std::uint32_t line;
    std::uint32_t column;
  };
  std::vector<std::string> sources_;
  std::vector<Entry> entries_;
};

struct Document {
  Value root;
  LocationTable locations;

  // The location of the node at `path`, or of its nearest ancestor that has one; nullopt if none
  // (also for the part of a path that does not exist in the tree: the deepest existing node with a
  // location answers).
  std::optional<SourceLocation> LocationOf(const Path& path) const;
  // The location of the node at `path` itself (no fallback to ancestors).
  std::optional<SourceLocation> ExactLocationOf(const Path& path) const;
  // The location of a node of this document (no fallback), without copying the source name.
  std::optional<LocationTable::Ref> LocationOfNode(const Value& node) const {
    if (!locations.Has(node.location_id())) return std::nullopt;
    return locations.At(node.location_id());
  }
  // Gives `node` (only it) a new location in this document.
  void SetLocation(Value& node, const SourceLocation& loc) {
    node.set_location_id(locations.Add(loc));
  }
};

// Sets the location id of every node of the subtree to `id`.
void TagSubtree(Value& node, std::uint32_t id);
// Adds `offset` to every non-zero location id of the subtree (after LocationTable::Append).
void ShiftLocations(Value& node, std::uint32_t offset);
// Clears the location ids of the subtree (for nodes taken from another document).
inline void ClearLocations(Value& node) { TagSubtree(node, 0); }

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_DOCUMENT_H_
