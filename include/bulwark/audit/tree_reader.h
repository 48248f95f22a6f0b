// TreeReader: read access to the hashes of a stored append-only Merkle tree, from which the proof
// functions in proof.h build RFC 9162 inclusion and consistency proofs and historical roots.
//
// A store must provide the leaf hashes (leaf index i = the i-th appended event, 0-based). It may
// also cache hashes of perfect subtrees: node (level L, index i) is the root of the perfect subtree
// over leaves [i * 2^L, (i + 1) * 2^L); level 0 nodes are the leaf hashes. Because the log is
// append-only, a perfect subtree never changes once its last leaf is appended, so cached nodes stay
// valid for every later tree size. TreeBuilder's NodeSink reports each node as it is completed.
//
// Plugging in a database (SQLite/PostgreSQL) later:
//   - table leaf_hashes(idx INTEGER PRIMARY KEY, hash BLOB(32)) written in the same transaction
//   that
//     integrates a batch of events; ReadLeafHashes is one range query `idx >= ? AND idx < ?`;
//   - table subtree_hashes(level, idx, hash) filled from the NodeSink during integration, keeping
//     every level or only levels that are multiples of some k (tiles, as Tessera/Trillian do, so
//     the cache costs 1/(2^k - 1) extra rows); ReadNodeHashes is one `WHERE (level, idx) IN (...)`
//     query and reports std::nullopt for nodes it does not keep;
//   - for nodes a store does not cache, the proof code falls back to reading the 2^L leaf hashes
//     below the node and hashing them, so a leaf-only store is correct but proofs then cost O(n).
//   - the frontier (TreeBuilder::frontier()) and size are kept in a single tree-state row, so the
//     writer resumes appending with TreeBuilder::FromFrontier without re-reading the tree.
//
// Thread safety: implementations document their own; the in-memory one is safe for concurrent
// const use when no append runs at the same time.
#ifndef BULWARK_AUDIT_TREE_READER_H_
#define BULWARK_AUDIT_TREE_READER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bulwark/audit/merkle_hash.h"
#include "bulwark/core/error.h"

namespace bulwark::audit {

// A perfect subtree: leaves [index << level, (index + 1) << level).
struct NodeId {
  unsigned level = 0;
  std::uint64_t index = 0;
  friend bool operator==(const NodeId&, const NodeId&) = default;
};

class TreeReader {
 public:
  virtual ~TreeReader() = default;

  // Number of leaves stored. Proofs and roots can be produced for any tree size up to it.
  virtual Result<std::uint64_t> LeafCount() const = 0;

  // Appends the leaf hashes with indices [begin, end) to `out`, in order. The caller guarantees
  // begin <= end <= LeafCount(). Errors: whatever the storage reports (e.g. Unavailable, DataLoss).
  virtual Status ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                                std::vector<Hash>& out) const = 0;

  // Fills out[i] with the cached hash of ids[i], or std::nullopt when the store does not cache it
  // (the caller then recomputes it from leaf hashes). `out` has ids.size() elements. Every id lies
  // inside [0, LeafCount()). The default caches nothing.
  virtual Status ReadNodeHashes(std::span<const NodeId> ids,
                                std::span<std::optional<Hash>> out) const;
};

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_TREE_READER_H_
