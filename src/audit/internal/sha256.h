// SHA-256 over OpenSSL EVP with a per-thread reusable context (the Merkle tree computes millions of
// 64-byte hashes; allocating an EVP_MD_CTX per hash would dominate the cost).
#ifndef BULWARK_SRC_AUDIT_INTERNAL_SHA256_H_
#define BULWARK_SRC_AUDIT_INTERNAL_SHA256_H_

#include <array>
#include <cstdint>
#include <span>

namespace bulwark::audit::internal {

// SHA-256 of the concatenation of `parts`.
std::array<std::uint8_t, 32> Sha256(std::span<const std::span<const std::uint8_t>> parts);

}  // namespace bulwark::audit::internal

#endif  // BULWARK_SRC_AUDIT_INTERNAL_SHA256_H_
