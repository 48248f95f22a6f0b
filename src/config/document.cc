#include "bulwark/config/document.h"

namespace bulwark::config {

std::string SourceLocation::ToString() const {
  if (line == 0) return source;
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::uint32_t LocationTable::InternSource(std::string_view source) {
  // Documents name one file (merged ones a few, plus env:NAME per variable): newest first.
  for (std::size_t i = sources_.size(); i-- > 0;) {
    if (sources_[i] == source) return static_cast<std::uint32_t>(i);
  }
  sources_.emplace_back(source);
  return static_cast<std::uint32_t>(sources_.size() - 1);
}

std::uint32_t LocationTable::Append(const LocationTable& other) {
  const auto offset = static_cast<std::uint32_t>(entries_.size());
  std::vector<std::uint32_t> remap(other.sources_.size());
  for (std::size_t i = 0; i < other.sources_.size(); ++i)
    remap[i] = InternSource(other.sources_[i]);
  entries_.reserve(entries_.size() + other.entries_.size());
  for (const Entry& e : other.entries_) entries_.push_back({remap[e.source], e.line, e.column});
  return offset;
}

namespace {

// The node at `path` and the deepest node on the way (the node itself included) with a location.
struct PathWalk {
  const Value* node = nullptr;         // nullptr when the path does not exist
  std::uint32_t nearest_location = 0;  // 0 when no node on the way has one
};

PathWalk WalkPath(const LocationTable& table, const Value& root, const Path& path) {
  PathWalk w;
  const Value* n = &root;
  auto note = [&](const Value* v) {
    if (table.Has(v->location_id())) w.nearest_location = v->location_id();
  };
  note(n);
  for (const PathSegment& s : path.segments()) {
    const Value* next = FindChild(*n, s);
    if (next == nullptr) return w;
    n = next;
    note(n);
  }
  w.node = n;
  return w;
}

}  // namespace

std::optional<SourceLocation> Document::LocationOf(const Path& path) const {
  return locations.Get(WalkPath(locations, root, path).nearest_location);
}

std::optional<SourceLocation> Document::ExactLocationOf(const Path& path) const {
  PathWalk w = WalkPath(locations, root, path);
  if (w.node == nullptr) return std::nullopt;
  return locations.Get(w.node->location_id());
}

void TagSubtree(Value& node, std::uint32_t id) {
  node.set_location_id(id);
  if (ValueMap* m = node.IfMap()) {
    for (MapEntry& e : *m) TagSubtree(e.value, id);
  } else if (ValueList* l = node.IfList()) {
    for (Value& v : *l) TagSubtree(v, id);
  }
}

void ShiftLocations(Value& node, std::uint32_t offset) {
  if (node.location_id() != 0) node.set_location_id(node.location_id() + offset);
  if (ValueMap* m = node.IfMap()) {
    for (MapEntry& e : *m) ShiftLocations(e.value, offset);
  } else if (ValueList* l = node.IfList()) {
    for (Value& v : *l) ShiftLocations(v, offset);
  }
}

}  // namespace bulwark::config
