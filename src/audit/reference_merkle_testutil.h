// Test-only naive RFC 9162 reference: MTH, PATH and PROOF written literally as the recursive
// definitions of RFC 9162 section 2.1, used to check the iterative production code.
#ifndef BULWARK_SRC_AUDIT_REFERENCE_MERKLE_TESTUTIL_H_
#define BULWARK_SRC_AUDIT_REFERENCE_MERKLE_TESTUTIL_H_

#include <bit>
#include <cstdint>
#include <vector>

#include "bulwark/audit/merkle_hash.h"

namespace bulwark::audit::reference {

inline std::uint64_t K(std::uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[begin:end]) over leaf hashes.
inline Hash Mth(const std::vector<Hash>& leaves, std::uint64_t begin, std::uint64_t end) {
  const std::uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if (n == 1) return leaves[begin];
  const std::uint64_t k = K(n);
  return HashChildren(Mth(leaves, begin, begin + k), Mth(leaves, begin + k, end));
}

// PATH(m, D[begin:end]).
inline std::vector<Hash> Path(const std::vector<Hash>& leaves, std::uint64_t m, std::uint64_t begin,
                              std::uint64_t end) {
  const std::uint64_t n = end - begin;
  if (n <= 1) return {};
  const std::uint64_t k = K(n);
  std::vector<Hash> out;
  if (m < k) {
    out = Path(leaves, m, begin, begin + k);
    out.push_back(Mth(leaves, begin + k, end));
  } else {
    out = Path(leaves, m - k, begin + k, end);
    out.push_back(Mth(leaves, begin, begin + k));
  }
  return out;
}

// SUBPROOF(m, D[begin:end], b).
inline std::vector<Hash> Subproof(const std::vector<Hash>& leaves, std::uint64_t m,
                                  std::uint64_t begin, std::uint64_t end, bool b) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (b) return {};
    return {Mth(leaves, begin, end)};
  }
  const std::uint64_t k = K(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = Subproof(leaves, m, begin, begin + k, b);
    out.push_back(Mth(leaves, begin + k, end));
  } else {
    out = Subproof(leaves, m - k, begin + k, end, false);
    out.push_back(Mth(leaves, begin, begin + k));
  }
  return out;
}

// PROOF(m, D[n]) for 0 < m < n.
inline std::vector<Hash> Proof(const std::vector<Hash>& leaves, std::uint64_t m, std::uint64_t n) {
  return Subproof(leaves, m, 0, n, true);
}

}  // namespace bulwark::audit::reference

#endif  // BULWARK_SRC_AUDIT_REFERENCE_MERKLE_TESTUTIL_H_
