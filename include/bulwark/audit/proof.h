// RFC 9162 section 2.1 Merkle proofs: generation from a TreeReader, and verification.
//
// Generation (sections 2.1.3.1 and 2.1.4.1, PATH and SUBPROOF): the proof functions work out which
// subtree hashes a proof needs, ask the reader for the cached ones in one batch (ReadNodeHashes)
// and recompute the others from leaf hashes. Proof hashes are in RFC order: from the leaf (or the
// old tree's edge) upwards.
//
// Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 with the exact semantics of
// transparency-dev/merkle `proof.VerifyInclusion` / `proof.VerifyConsistency`:
//   - inclusion: index < size, the proof has exactly the length the (index, size) pair requires;
//   - consistency: size1 == 0 is an error (even 0 -> 0: there is nothing to prove), size1 > size2
//     is an error, size1 == size2 requires an empty proof and root1 == root2 byte for byte (as
//     upstream, whatever their length), otherwise the proof has exactly the required length and
//     both roots (32 bytes each) are recomputed from it.
// Hashes given as raw bytes must otherwise be 32 bytes long. Malformed input (lengths, indices,
// proof size) fails with InvalidArgument; a well-formed proof that does not reproduce the expected
// root fails with DataLoss (the evidence of tampering).
//
// Thread safety: all functions are thread-safe if the reader is.
#ifndef BULWARK_AUDIT_PROOF_H_
#define BULWARK_AUDIT_PROOF_H_

#include <cstdint>
#include <span>
#include <vector>

#include "bulwark/audit/merkle_hash.h"
#include "bulwark/audit/tree_reader.h"
#include "bulwark/core/error.h"

namespace bulwark::audit {

// --- generation -------------------------------------------------------------------------------

// Root of the tree made of the first `size` leaves of `reader` (EmptyRoot() for 0).
// InvalidArgument when size > LeafCount().
Result<Hash> RootAt(const TreeReader& reader, std::uint64_t size);

// Inclusion proof for leaf `index` in the tree of the first `size` leaves.
// InvalidArgument when index >= size or size > LeafCount().
Result<std::vector<Hash>> InclusionProof(const TreeReader& reader, std::uint64_t index,
                                         std::uint64_t size);

// Consistency proof from the tree of size1 leaves to the tree of size2 leaves (RFC 9162 PROOF(m,
// D[n])). Empty when size1 == size2 or size1 == 0. InvalidArgument when size1 > size2 or
// size2 > LeafCount().
Result<std::vector<Hash>> ConsistencyProof(const TreeReader& reader, std::uint64_t size1,
                                           std::uint64_t size2);

// --- verification -----------------------------------------------------------------------------

// Converts untrusted proof elements to hashes; InvalidArgument naming the first element whose
// length is not 32.
Result<std::vector<Hash>> ProofFromBytes(const std::vector<std::vector<std::uint8_t>>& proof);

// The root implied by an inclusion proof (RFC 9162 2.1.3.2 steps 1-5).
Result<Hash> RootFromInclusionProof(std::uint64_t index, std::uint64_t size,
                                    std::span<const std::uint8_t> leaf_hash,
                                    std::span<const Hash> proof);

// Ok when `proof` shows that `leaf_hash` is leaf `index` of the tree of `size` leaves with `root`.
Status VerifyInclusion(std::uint64_t index, std::uint64_t size,
                       std::span<const std::uint8_t> leaf_hash, std::span<const Hash> proof,
                       std::span<const std::uint8_t> root);

// Ok when `proof` shows that the tree (size1, root1) is a prefix of the tree (size2, root2).
Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2, std::span<const Hash> proof,
                         std::span<const std::uint8_t> root1, std::span<const std::uint8_t> root2);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_PROOF_H_
