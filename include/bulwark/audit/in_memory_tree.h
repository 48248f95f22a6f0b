// InMemoryTree: a TreeReader that keeps every leaf hash and every perfect subtree hash in memory
// (about 2 * 32 bytes per leaf: 64 MB for 1,000,000 leaves). It serves as the reference store for
// tests, benchmarks and the verifier, and as the model for database-backed stores (tree_reader.h).
//
// Thread safety: const methods may run concurrently with each other, not with Append*.
#ifndef BULWARK_AUDIT_IN_MEMORY_TREE_H_
#define BULWARK_AUDIT_IN_MEMORY_TREE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "bulwark/audit/tree_builder.h"
#include "bulwark/audit/tree_reader.h"

namespace bulwark::audit {

class InMemoryTree final : public TreeReader {
 public:
  InMemoryTree() = default;

  void AppendLeaf(std::span<const std::uint8_t> leaf);
  void AppendLeaf(std::string_view leaf);
  void AppendLeafHash(const Hash& leaf_hash);

  std::uint64_t size() const { return builder_.size(); }
  // Root of the whole tree (EmptyRoot() when empty); O(log n).
  Hash Root() const { return builder_.Root(); }
  const TreeBuilder& builder() const { return builder_; }

  Result<std::uint64_t> LeafCount() const override { return builder_.size(); }
  Status ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                        std::vector<Hash>& out) const override;
  Status ReadNodeHashes(std::span<const NodeId> ids,
                        std::span<std::optional<Hash>> out) const override;

 private:
  TreeBuilder builder_;
  std::vector<std::vector<Hash>> levels_;  // levels_[L][i] = node (L, i)
};

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_IN_MEMORY_TREE_H_
