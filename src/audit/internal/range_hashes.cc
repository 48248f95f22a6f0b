#include "audit/internal/range_hashes.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <optional>

#include "bulwark/audit/tree_builder.h"

namespace bulwark::audit::internal {
namespace {

// Perfect subtrees covering [a, b), left to right (the largest aligned block each time).
void Decompose(std::uint64_t a, std::uint64_t b, std::vector<NodeId>& out) {
  while (a < b) {
    unsigned level = a == 0 ? 63u : static_cast<unsigned>(std::countr_zero(a));
    const unsigned fit = static_cast<unsigned>(std::bit_width(b - a) - 1);
    level = std::min(level, fit);
    out.push_back({level, a >> level});
    a += std::uint64_t{1} << level;
  }
}

}  // namespace

// Computes MTH of each range (each range is a subtree of the RFC recursion, or [0, size)).
Result<std::vector<Hash>> RangeHashes(const TreeReader& reader, const std::vector<Range>& ranges) {
  std::vector<NodeId> nodes;
  std::vector<std::size_t> first_node;  // first_node[r] = start of range r's nodes
  for (const auto& [a, b] : ranges) {
    first_node.push_back(nodes.size());
    Decompose(a, b, nodes);
  }
  first_node.push_back(nodes.size());

  std::vector<std::optional<Hash>> cached(nodes.size());
  BULWARK_RETURN_IF_ERROR(reader.ReadNodeHashes(nodes, cached));
  std::vector<Hash> leaves;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (cached[i]) continue;
    // Not cached: hash the 2^level leaves below the node.
    const std::uint64_t begin = nodes[i].index << nodes[i].level;
    const std::uint64_t end = begin + (std::uint64_t{1} << nodes[i].level);
    leaves.clear();
    BULWARK_RETURN_IF_ERROR(reader.ReadLeafHashes(begin, end, leaves));
    if (leaves.size() != end - begin) {
      return DataLossError(fmt::format("read leaf hashes [{}, {}): store returned {} hashes", begin,
                                       end, leaves.size()));
    }
    TreeBuilder builder;
    for (const Hash& h : leaves) builder.AppendLeafHash(h);
    cached[i] = builder.Root();
  }

  std::vector<Hash> out;
  out.reserve(ranges.size());
  for (std::size_t r = 0; r < ranges.size(); ++r) {
    if (first_node[r] == first_node[r + 1]) {
      out.push_back(EmptyRoot());
      continue;
    }
    Hash h = *cached[first_node[r + 1] - 1];
    for (std::size_t i = first_node[r + 1] - 1; i-- > first_node[r];)
      h = HashChildren(*cached[i], h);
    out.push_back(h);
  }
  return out;
}

}  // namespace bulwark::audit::internal
