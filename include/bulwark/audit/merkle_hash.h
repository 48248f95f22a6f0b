// RFC 9162 (RFC 6962) Merkle tree hashing with SHA-256.
//
//   leaf hash  = SHA-256(0x00 || leaf bytes)
//   node hash  = SHA-256(0x01 || left child hash || right child hash)
//   empty root = SHA-256("")   (the root of a tree with no leaves)
//
// The 0x00/0x01 domain separation prevents a leaf from being passed off as an interior node
// (second-preimage attack on the tree). Every hash in the audit log is a 32-byte `Hash`; byte
// strings of any other length that come from outside (proofs, checkpoints, files) are converted
// with `HashFromBytes`, which rejects them.
//
// SHA-256 comes from OpenSSL EVP (one fetched digest and context per thread).
//
// Thread safety: all functions are thread-safe.
#ifndef BULWARK_AUDIT_MERKLE_HASH_H_
#define BULWARK_AUDIT_MERKLE_HASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::audit {

inline constexpr std::size_t kHashSize = 32;
using Hash = std::array<std::uint8_t, kHashSize>;

// SHA-256(0x00 || leaf).
Hash HashLeaf(std::span<const std::uint8_t> leaf);
Hash HashLeaf(std::string_view leaf);
// SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);
// SHA-256("") = e3b0c442...b855.
const Hash& EmptyRoot();

// Copies a 32-byte string into a Hash; InvalidArgument naming `what` for any other length.
Result<Hash> HashFromBytes(std::span<const std::uint8_t> bytes, std::string_view what = "hash");
// Lowercase hex of the 32 bytes (64 characters).
std::string HashToHex(const Hash& hash);
// Parses 64 hex digits; InvalidArgument naming `what` otherwise.
Result<Hash> HashFromHex(std::string_view hex, std::string_view what = "hash");

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_MERKLE_HASH_H_
