#include "bulwark/audit/subtree_proof.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "audit/reference_merkle_testutil.h"
#include "bulwark/audit/in_memory_tree.h"
#include "bulwark/audit/proof.h"

namespace bulwark::audit {
namespace {

std::vector<Hash> MakeLeaves(std::uint64_t n) {
  std::vector<Hash> leaves;
  for (std::uint64_t i = 0; i < n; ++i) leaves.push_back(HashLeaf("entry " + std::to_string(i)));
  return leaves;
}

TEST(SubtreeProofTest, ValidSubtreesAreAlignedToTheirSize) {
  EXPECT_TRUE(IsValidSubtree(0, 5));
  EXPECT_TRUE(IsValidSubtree(8, 16));
  EXPECT_TRUE(IsValidSubtree(8, 13));
  EXPECT_FALSE(IsValidSubtree(4, 9));  // 5 leaves need alignment 8
  EXPECT_FALSE(IsValidSubtree(1, 3));
  EXPECT_FALSE(IsValidSubtree(3, 3));
  EXPECT_TRUE(IsValidSubtree(0, ~std::uint64_t{0}));
  EXPECT_FALSE(IsValidSubtree(1, ~std::uint64_t{0}));
}

TEST(SubtreeProofTest, ConsistencyProofsForEveryValidSubtreeVerifyUpTo40) {
  const auto leaves = MakeLeaves(40);
  InMemoryTree tree;
  for (const Hash& h : leaves) tree.AppendLeafHash(h);
  int checked = 0;
  for (std::uint64_t size = 1; size <= 40; ++size) {
    const Hash root = reference::Mth(leaves, 0, size);
    for (std::uint64_t start = 0; start < size; ++start) {
      for (std::uint64_t end = start + 1; end <= size; ++end) {
        if (!IsValidSubtree(start, end)) continue;
        auto proof = SubtreeConsistencyProof(tree, start, end, size);
        ASSERT_TRUE(proof.has_value()) << proof.error();
        const Hash sub = reference::Mth(leaves, start, end);
        auto s = VerifySubtreeConsistency(start, end, size, *proof, sub, root);
        ASSERT_TRUE(s.has_value()) << start << " " << end << " " << size << ": " << s.error();
        if (start == 0 && end < size) {  // a prefix subtree is an RFC 9162 consistency proof
          ASSERT_EQ(*proof, *ConsistencyProof(tree, end, size));
        }
        // The subtree hash of a different range does not pass.
        ASSERT_FALSE(VerifySubtreeConsistency(start, end, size, *proof,
                                              reference::Mth(leaves, start, end - 1), root)
                         .has_value());
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 500);
  EXPECT_FALSE(SubtreeConsistencyProof(tree, 1, 3, 8).has_value());
}

TEST(SubtreeProofTest, InclusionInASubtreeUsesTheShiftedIndex) {
  const auto leaves = MakeLeaves(16);
  InMemoryTree subtree;
  for (std::uint64_t i = 8; i < 13; ++i) subtree.AppendLeafHash(leaves[i]);
  const Hash sub = reference::Mth(leaves, 8, 13);
  auto proof = *InclusionProof(subtree, 2, 5);
  EXPECT_TRUE(VerifySubtreeInclusion(10, 8, 13, leaves[10], proof, sub).has_value());
  EXPECT_FALSE(VerifySubtreeInclusion(11, 8, 13, leaves[10], proof, sub).has_value());
  EXPECT_FALSE(VerifySubtreeInclusion(13, 8, 13, leaves[10], proof, sub).has_value());
  EXPECT_FALSE(VerifySubtreeInclusion(5, 4, 9, leaves[5], proof, sub).has_value());
}

RC_GTEST_PROP(SubtreeProofProperty, AnySingleByteChangeInASubtreeProofFailsVerification, ()) {
  const auto size = *rc::gen::inRange<std::uint64_t>(2, 200);
  const auto start = *rc::gen::inRange<std::uint64_t>(0, size);
  const auto end = *rc::gen::inRange<std::uint64_t>(start + 1, size + 1);
  RC_PRE(IsValidSubtree(start, end) && !(start == 0 && end == size));
  const auto leaves = MakeLeaves(size);
  InMemoryTree tree;
  for (const Hash& h : leaves) tree.AppendLeafHash(h);
  auto proof = *SubtreeConsistencyProof(tree, start, end, size);
  Hash sub = reference::Mth(leaves, start, end), root = tree.Root();
  RC_ASSERT(VerifySubtreeConsistency(start, end, size, proof, sub, root).has_value());
  const auto target = *rc::gen::inRange<std::size_t>(0, proof.size() + 2);
  Hash& victim = target == proof.size() ? sub : target == proof.size() + 1 ? root : proof[target];
  victim[*rc::gen::inRange<std::size_t>(0, kHashSize)] ^=
      static_cast<std::uint8_t>(*rc::gen::inRange<int>(1, 256));
  RC_ASSERT(!VerifySubtreeConsistency(start, end, size, proof, sub, root).has_value());
}

}  // namespace
}  // namespace bulwark::audit
