// Subtree proofs (draft-ietf-plants-merkle-tree-certs, "subtrees" of an RFC 9162 tree): proofs
// about the contiguous range of leaves [start, end) as one unit. Bulwark uses them to archive a
// range of old events (retention) together with a proof that ties the range's own root hash to a
// signed checkpoint of the whole log.
//
// A subtree [start, end) is valid when start < end and start is a multiple of BIT_CEIL(end - start)
// (so it is a node of the tree or the left part of one at the right edge). Its hash is
// MTH(D[start:end]).
//   - Subtree inclusion: leaf `index` (start <= index < end) is in the subtree: the RFC 9162
//     inclusion proof of index - start in a tree of end - start leaves, against the subtree hash.
//   - Subtree consistency: the subtree hash is MTH(D[start:end]) of the tree of `size` leaves with
//     root `root`. The proof lists, deepest first, the sibling hashes on the path from the subtree
//     to the root, plus (as in RFC 9162 consistency proofs) the hash of the node the subtree is
//     only part of, when there is one. The verifier recomputes both the subtree hash and the root.
// Edge cases follow transparency-dev/merkle's probes: an empty subtree (start == end <= size) is
// consistent with any tree when its hash is SHA-256("") and the proof is empty; start == 0 and
// end == size needs an empty proof and equal hashes.
//
// Errors: InvalidArgument for malformed input (range, lengths, proof size), DataLoss for a proof
// that does not reproduce the expected hashes. Thread safety: pure functions (generation is
// thread-safe if the reader is).
#ifndef BULWARK_AUDIT_SUBTREE_PROOF_H_
#define BULWARK_AUDIT_SUBTREE_PROOF_H_

#include <cstdint>
#include <span>
#include <vector>

#include "bulwark/audit/merkle_hash.h"
#include "bulwark/audit/tree_reader.h"

namespace bulwark::audit {

// True when [start, end) is a valid non-empty subtree.
bool IsValidSubtree(std::uint64_t start, std::uint64_t end);

// Subtree consistency proof for [start, end) in the tree of the first `size` leaves.
Result<std::vector<Hash>> SubtreeConsistencyProof(const TreeReader& reader, std::uint64_t start,
                                                  std::uint64_t end, std::uint64_t size);

Status VerifySubtreeInclusion(std::uint64_t index, std::uint64_t start, std::uint64_t end,
                              std::span<const std::uint8_t> leaf_hash, std::span<const Hash> proof,
                              std::span<const std::uint8_t> subtree_hash);

Status VerifySubtreeConsistency(std::uint64_t start, std::uint64_t end, std::uint64_t size,
                                std::span<const Hash> proof,
                                std::span<const std::uint8_t> subtree_hash,
                                std::span<const std::uint8_t> root);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_SUBTREE_PROOF_H_
