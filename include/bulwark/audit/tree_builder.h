// TreeBuilder: incremental RFC 9162 Merkle tree root computation for an append-only log.
//
// The builder keeps the "frontier" (a compact range [0, size)): the roots of the perfect subtrees
// that make up the tree, one per set bit of `size`, largest (leftmost) first. That is at most 64
// hashes, so appending is amortized O(1) hashes and O(log n) memory, and the root of the current
// tree is O(log n) hashes away. Appending 1,000,000 leaf hashes costs about 2,000,000 SHA-256
// computations in total (see bench/results/merkle.md).
//
// Every time an append completes a perfect subtree, an optional `NodeSink` is told its coordinates
// and hash: (level 0 = the leaf hash itself, index = position among nodes of that level). A store
// uses it to cache subtree hashes so that proofs do not have to re-hash whole subtrees (see
// tree_reader.h).
//
// Thread safety: not synchronized; one writer at a time.
#ifndef BULWARK_AUDIT_TREE_BUILDER_H_
#define BULWARK_AUDIT_TREE_BUILDER_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "bulwark/audit/merkle_hash.h"

namespace bulwark::audit {

// Called with (level, index, hash) of each perfect subtree completed by an append, bottom-up.
using NodeSink = std::function<void(unsigned level, std::uint64_t index, const Hash& hash)>;

class TreeBuilder {
 public:
  // An empty tree.
  TreeBuilder() = default;

  // Resumes from a stored frontier: the roots of the perfect subtrees of a tree of `size` leaves,
  // largest first (exactly popcount(size) hashes, as returned by `frontier()`). InvalidArgument
  // when the count does not match.
  static Result<TreeBuilder> FromFrontier(std::uint64_t size, std::vector<Hash> frontier);

  // Appends one leaf (hashed as SHA-256(0x00 || leaf)) or a precomputed leaf hash.
  void AppendLeaf(std::span<const std::uint8_t> leaf, const NodeSink& sink = {});
  void AppendLeafHash(const Hash& leaf_hash, const NodeSink& sink = {});

  std::uint64_t size() const { return size_; }
  // The RFC 9162 root of the tree of the first size() leaves (EmptyRoot() when empty).
  Hash Root() const;
  // Perfect subtree roots, largest first; enough to resume with FromFrontier.
  const std::vector<Hash>& frontier() const { return frontier_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> frontier_;
};

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_TREE_BUILDER_H_
