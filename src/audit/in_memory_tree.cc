#include "bulwark/audit/in_memory_tree.h"

#include <fmt/format.h>

namespace bulwark::audit {

void InMemoryTree::AppendLeaf(std::span<const std::uint8_t> leaf) {
  AppendLeafHash(HashLeaf(leaf));
}

void InMemoryTree::AppendLeaf(std::string_view leaf) { AppendLeafHash(HashLeaf(leaf)); }

void InMemoryTree::AppendLeafHash(const Hash& leaf_hash) {
  builder_.AppendLeafHash(leaf_hash, [this](unsigned level, std::uint64_t, const Hash& h) {
    if (levels_.size() <= level) levels_.resize(level + 1);
    levels_[level].push_back(h);  // nodes of a level complete in index order
  });
}

Status InMemoryTree::ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                                    std::vector<Hash>& out) const {
  if (begin > end || end > size()) {
    return InvalidArgumentError(
        fmt::format("read leaf hashes [{}, {}): tree has {} leaves", begin, end, size()));
  }
  if (begin == end) return OkStatus();
  out.insert(out.end(), levels_[0].begin() + static_cast<std::ptrdiff_t>(begin),
             levels_[0].begin() + static_cast<std::ptrdiff_t>(end));
  return OkStatus();
}

Status InMemoryTree::ReadNodeHashes(std::span<const NodeId> ids,
                                    std::span<std::optional<Hash>> out) const {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const NodeId& id = ids[i];
    if (id.level < levels_.size() && id.index < levels_[id.level].size()) {
      out[i] = levels_[id.level][id.index];
    } else {
      out[i].reset();
    }
  }
  return OkStatus();
}

}  // namespace bulwark::audit
