// Computing MTH(D[a:b]) of several leaf ranges from a TreeReader: the ranges are split into perfect
// subtrees, cached ones are fetched in one ReadNodeHashes batch, the others are rebuilt from leaf
// hashes. Shared by the proof generators (proof.cc, subtree_proof.cc).
#ifndef BULWARK_SRC_AUDIT_INTERNAL_RANGE_HASHES_H_
#define BULWARK_SRC_AUDIT_INTERNAL_RANGE_HASHES_H_

#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

#include "bulwark/audit/merkle_hash.h"
#include "bulwark/audit/tree_reader.h"

namespace bulwark::audit::internal {

// Largest power of two strictly less than n (n >= 2): the RFC 9162 split point k.
inline std::uint64_t SplitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

using Range = std::pair<std::uint64_t, std::uint64_t>;  // leaves [first, second)

// MTH of each range, in order (EmptyRoot() for an empty range). Every range must lie within the
// reader's leaves and be a subtree of the RFC 9162 recursion or a prefix [0, size).
Result<std::vector<Hash>> RangeHashes(const TreeReader& reader, const std::vector<Range>& ranges);

}  // namespace bulwark::audit::internal

#endif  // BULWARK_SRC_AUDIT_INTERNAL_RANGE_HASHES_H_
