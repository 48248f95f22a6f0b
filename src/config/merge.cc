#include "bulwark/config/merge.h"

namespace bulwark::config {

void MergeInto(Value& base, const Value& overlay) {
  ValueMap* bm = base.IfMap();
  const ValueMap* om = overlay.IfMap();
  if (bm == nullptr || om == nullptr) {
    base = overlay;
    return;
  }
  for (const MapEntry& e : *om) {
    Value* existing = bm->Find(e.key);
    if (existing != nullptr && existing->is_map() && e.value.is_map()) {
      MergeInto(*existing, e.value);
    } else if (existing != nullptr) {
      *existing = e.value;
    } else {
      bm->Insert(e.key, e.value);
    }
  }
}

namespace {

// MergeInto with provenance: every node of `overlay` that ends up in `base` keeps its location id,
// and a map of both sides takes the overlay's id (the topmost layer that contains a path set it).
void MergeTracked(Value& base, Value overlay) {
  ValueMap* bm = base.IfMap();
  ValueMap* om = overlay.IfMap();
  if (bm == nullptr || om == nullptr) {
    base = std::move(overlay);
    return;
  }
  base.set_location_id(overlay.location_id());
  for (MapEntry& e : *om) {
    Value* existing = bm->Find(e.key);
    if (existing != nullptr && existing->is_map() && e.value.is_map()) {
      MergeTracked(*existing, std::move(e.value));
    } else if (existing != nullptr) {
      *existing = std::move(e.value);
    } else {
      bm->Insert(std::move(e.key), std::move(e.value));
    }
  }
}

}  // namespace

Document MergeLayers(const std::vector<const Document*>& layers) {
  Document out;
  out.root = Value::EmptyMap();
  for (const Document* layer : layers) {
    // The layer's location ids, moved into the merged table.
    Value copy = layer->root;
    ShiftLocations(copy, out.locations.Append(layer->locations));
    MergeTracked(out.root, std::move(copy));
  }
  return out;
}

}  // namespace bulwark::config
