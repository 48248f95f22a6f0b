// Layered merge of configuration documents.
//
// Layers are applied in order, later layers winning: defaults < files (in the order given) <
// environment. Maps merge deeply (keys of both survive; a key in both is merged recursively when
// both sides are maps); lists and scalars are replaced whole; a null in a later layer replaces too
// (it does not delete). The result's `locations` give, for every node of the merged tree, the
// location in the topmost layer that contains that node's path, i.e. the layer that set it.
#ifndef BULWARK_CONFIG_MERGE_H_
#define BULWARK_CONFIG_MERGE_H_

#include <vector>

#include "bulwark/config/document.h"

namespace bulwark::config {

// Merges `overlay` into `base` in place (values only; no provenance).
void MergeInto(Value& base, const Value& overlay);

// Merges the layers in order and computes provenance. An empty list gives an empty map.
Document MergeLayers(const std::vector<const Document*>& layers);

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_MERGE_H_
