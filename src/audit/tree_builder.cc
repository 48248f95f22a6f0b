#include "bulwark/audit/tree_builder.h"

#include <fmt/format.h>

#include <bit>

namespace bulwark::audit {

Result<TreeBuilder> TreeBuilder::FromFrontier(std::uint64_t size, std::vector<Hash> frontier) {
  if (frontier.size() != static_cast<std::size_t>(std::popcount(size))) {
    return InvalidArgumentError(
        fmt::format("tree frontier: a tree of {} leaves has {} perfect subtrees, got {} hashes",
                    size, std::popcount(size), frontier.size()));
  }
  TreeBuilder b;
  b.size_ = size;
  b.frontier_ = std::move(frontier);
  return b;
}

void TreeBuilder::AppendLeaf(std::span<const std::uint8_t> leaf, const NodeSink& sink) {
  AppendLeafHash(HashLeaf(leaf), sink);
}

void TreeBuilder::AppendLeafHash(const Hash& leaf_hash, const NodeSink& sink) {
  if (sink) sink(0, size_, leaf_hash);
  Hash h = leaf_hash;
  std::uint64_t index = size_;
  unsigned level = 0;
  // Each trailing 1 bit of the old size is a perfect subtree of the same height to merge with.
  for (std::uint64_t s = size_; s & 1; s >>= 1) {
    h = HashChildren(frontier_.back(), h);
    frontier_.pop_back();
    ++level;
    index >>= 1;
    if (sink) sink(level, index, h);
  }
  frontier_.push_back(h);
  ++size_;
}

Hash TreeBuilder::Root() const {
  if (frontier_.empty()) return EmptyRoot();
  Hash h = frontier_.back();
  for (auto it = frontier_.rbegin() + 1; it != frontier_.rend(); ++it) h = HashChildren(*it, h);
  return h;
}

}  // namespace bulwark::audit
