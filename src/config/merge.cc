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

Document MergeLayers(const std::vector<const Document*>& layers) {
  Document out;
  out.root = Value::EmptyMap();
  for (const Document* layer : layers) MergeInto(out.root, layer->root);
  // Provenance: the topmost layer whose tree contains the node's path set it.
  Walk(out.root, [&](const Path& path, const Value&) {
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
      const Document& layer = **it;
      if (Find(layer.root, path) == nullptr) continue;
      auto loc = layer.locations.find(path);
      if (loc != layer.locations.end()) out.locations.emplace(path, loc->second);
      break;
    }
    return true;
  });
  return out;
}

}  // namespace bulwark::config
