// Narrowing a root mismatch down to the first altered entry.
//
// A signed checkpoint (size C, root R) that the stored entries do not hash to says only that some
// entry in [verified, C) changed, where `verified` is the size of the last checkpoint that still
// matched. The log also keeps a cache of subtree hashes (level-4 nodes: one per aligned group of
// 16 entries, written when the entries were appended). A cached group hash is worth nothing on its
// own (whoever rewrote the entries may have rewritten it), but if the tree built from the cached
// groups hashes to R, every cached group is the one that was signed (a different one would need a
// SHA-256 collision). Then:
//  1. the first group whose entries no longer hash to its cached hash holds the first altered
//     entry, and
//  2. inside that group, the edits an attacker makes to a table of events are tried: an entry
//     inserted at p (later entries shifted up by one) and two entries swapped (reordered or
//     renumbered). The one that makes the group hash to its signed value names the exact entry.
// When the cache does not fold to R (it was rewritten too, or the change lies in the last partial
// group, which is not cached), the same edits are tried on the entries after the last full group
// against R itself. When nothing explains the mismatch, the answer is the narrowest range found.
#ifndef BULWARK_SRC_AUDIT_INTERNAL_TAMPER_LOCATOR_H_
#define BULWARK_SRC_AUDIT_INTERNAL_TAMPER_LOCATOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "bulwark/audit/merkle_hash.h"

namespace bulwark::audit::internal {

inline constexpr std::uint64_t kCachedGroupSize = 16;  // level-4 nodes

struct TamperQuery {
  std::uint64_t size = 0;      // the mismatching checkpoint's size C
  Hash root{};                 // its signed root
  std::uint64_t verified = 0;  // entries [0, verified) matched an earlier checkpoint
  // Leaf hashes of the stored entries by position, from position `first_leaf` (the archive
  // boundary) on; at least up to `size`, plus one more when stored (an insertion shifts it in).
  std::uint64_t first_leaf = 0;
  std::span<const Hash> leaves;
  // MTH of [lo, hi) for the blocks of the archived prefix [0, first_leaf) (its compact range);
  // nullopt for any other range.
  std::function<std::optional<Hash>(std::uint64_t lo, std::uint64_t hi)> archived;
  // The cached hash of group g (entries [16g, 16g + 16)), if the log has one.
  std::function<std::optional<Hash>(std::uint64_t g)> cached_group;
};

struct TamperLocation {
  std::uint64_t first = 0;  // the first altered position
  std::uint64_t end = 0;    // exclusive; first + 1 when `exact`
  bool exact = false;
  std::string explanation;  // one sentence
};

// nullopt when nothing narrower than [verified, size) can be said.
std::optional<TamperLocation> LocateTampering(const TamperQuery& query);

}  // namespace bulwark::audit::internal

#endif  // BULWARK_SRC_AUDIT_INTERNAL_TAMPER_LOCATOR_H_
