#include "bulwark/audit/subtree_proof.h"

#include <fmt/format.h>

#include <bit>

#include "audit/internal/range_hashes.h"
#include "bulwark/audit/proof.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::audit {
namespace {

using internal::Range;
using internal::SplitPoint;

// Ranges of the proof hashes for subtree [s, e) within the node range [a, b), deepest first.
// `whole` is true while the subtree's own hash can stand for the node it ends in (RFC 9162's
// SUBPROOF flag b).
void SubtreeRanges(std::uint64_t s, std::uint64_t e, std::uint64_t a, std::uint64_t b, bool whole,
                   std::vector<Range>& out) {
  if (s == a && e == b) {
    if (!whole) out.push_back({a, b});
    return;
  }
  const std::uint64_t mid = a + SplitPoint(b - a);
  if (e <= mid) {
    SubtreeRanges(s, e, a, mid, whole, out);
    out.push_back({mid, b});
  } else if (s >= mid) {
    SubtreeRanges(s, e, mid, b, whole, out);
    out.push_back({a, mid});
  } else {  // a valid subtree that straddles the split starts at a
    SubtreeRanges(mid, e, mid, b, false, out);
    out.push_back({a, mid});
  }
}

// Recomputes (subtree hash, node hash) for [s, e) within [a, b), consuming `proof` from the back.
struct Recompute {
  std::span<const Hash> proof;
  std::size_t remaining;
  const Hash& subtree_hash;

  bool Run(std::uint64_t s, std::uint64_t e, std::uint64_t a, std::uint64_t b, bool whole,
           Hash& sub, Hash& node) {
    if (s == a && e == b) {
      if (whole) {
        sub = node = subtree_hash;
        return true;
      }
      if (remaining == 0) return false;
      sub = node = proof[--remaining];
      return true;
    }
    if (remaining == 0) return false;
    const Hash sibling = proof[--remaining];
    const std::uint64_t mid = a + SplitPoint(b - a);
    if (e <= mid) {
      if (!Run(s, e, a, mid, whole, sub, node)) return false;
      node = HashChildren(node, sibling);
    } else if (s >= mid) {
      if (!Run(s, e, mid, b, whole, sub, node)) return false;
      node = HashChildren(sibling, node);
    } else {
      if (!Run(mid, e, mid, b, false, sub, node)) return false;
      sub = HashChildren(sibling, sub);
      node = HashChildren(sibling, node);
    }
    return true;
  }
};

}  // namespace

bool IsValidSubtree(std::uint64_t start, std::uint64_t end) {
  if (start >= end) return false;
  const std::uint64_t width = end - start;
  // bit_ceil of a width above 2^63 would be 2^64: only start 0 is aligned to that.
  if (width > (std::uint64_t{1} << 63)) return start == 0;
  return start % std::bit_ceil(width) == 0;
}

Result<std::vector<Hash>> SubtreeConsistencyProof(const TreeReader& reader, std::uint64_t start,
                                                  std::uint64_t end, std::uint64_t size) {
  if (!IsValidSubtree(start, end) || end > size) {
    return InvalidArgumentError(fmt::format(
        "subtree consistency proof: [{}, {}) is not a valid subtree of a tree of size {}", start,
        end, size));
  }
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t count, reader.LeafCount());
  if (size > count) {
    return InvalidArgumentError(fmt::format(
        "subtree consistency proof: tree size {} exceeds the {} stored leaves", size, count));
  }
  std::vector<Range> ranges;
  SubtreeRanges(start, end, 0, size, true, ranges);
  return internal::RangeHashes(reader, ranges);
}

Status VerifySubtreeInclusion(std::uint64_t index, std::uint64_t start, std::uint64_t end,
                              std::span<const std::uint8_t> leaf_hash, std::span<const Hash> proof,
                              std::span<const std::uint8_t> subtree_hash) {
  if (!IsValidSubtree(start, end)) {
    return InvalidArgumentError(
        fmt::format("verify subtree inclusion: [{}, {}) is not a valid subtree", start, end));
  }
  if (index < start || index >= end) {
    return InvalidArgumentError(fmt::format(
        "verify subtree inclusion: leaf {} is outside the subtree [{}, {})", index, start, end));
  }
  return VerifyInclusion(index - start, end - start, leaf_hash, proof, subtree_hash);
}

Status VerifySubtreeConsistency(std::uint64_t start, std::uint64_t end, std::uint64_t size,
                                std::span<const Hash> proof,
                                std::span<const std::uint8_t> subtree_hash,
                                std::span<const std::uint8_t> root) {
  const std::string op =
      fmt::format("verify subtree consistency [{}, {}) in tree size {}", start, end, size);
  if (start > end || end > size) return InvalidArgumentError(op + ": range out of order");
  if (start == end) {
    if (!proof.empty()) return InvalidArgumentError(op + ": an empty subtree needs an empty proof");
    if (!ConstantTimeEquals(subtree_hash, EmptyRoot())) {
      return DataLossError(op + ": the hash of an empty subtree must be SHA-256(\"\")");
    }
    return OkStatus();
  }
  if (!IsValidSubtree(start, end)) return InvalidArgumentError(op + ": not a valid subtree");
  if (start == 0 && end == size) {
    if (!proof.empty()) return InvalidArgumentError(op + ": the whole tree needs an empty proof");
    if (!ConstantTimeEquals(subtree_hash, root)) {
      return DataLossError(op + ": the subtree is the whole tree but the hashes differ");
    }
    return OkStatus();
  }
  BULWARK_ASSIGN_OR_RETURN(Hash sub_expected, HashFromBytes(subtree_hash, op + ": subtree hash"));
  BULWARK_ASSIGN_OR_RETURN(Hash root_expected, HashFromBytes(root, op + ": root"));
  Recompute r{proof, proof.size(), sub_expected};
  Hash sub, node;
  if (!r.Run(start, end, 0, size, true, sub, node) || r.remaining != 0) {
    return InvalidArgumentError(fmt::format("{}: wrong proof size {}", op, proof.size()));
  }
  if (sub != sub_expected) return DataLossError(op + ": subtree hash does not match");
  if (node != root_expected) return DataLossError(op + ": root does not match");
  return OkStatus();
}

}  // namespace bulwark::audit
