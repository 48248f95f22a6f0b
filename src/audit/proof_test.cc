#include "bulwark/audit/proof.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "audit/reference_merkle_testutil.h"
#include "bulwark/audit/in_memory_tree.h"

namespace bulwark::audit {
namespace {

// A store that keeps only leaf hashes, so every proof hash is recomputed from leaves.
class LeafOnlyReader final : public TreeReader {
 public:
  explicit LeafOnlyReader(std::vector<Hash> leaves) : leaves_(std::move(leaves)) {}
  Result<std::uint64_t> LeafCount() const override { return leaves_.size(); }
  Status ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                        std::vector<Hash>& out) const override {
    out.insert(out.end(), leaves_.begin() + static_cast<std::ptrdiff_t>(begin),
               leaves_.begin() + static_cast<std::ptrdiff_t>(end));
    return OkStatus();
  }

 private:
  std::vector<Hash> leaves_;
};

std::vector<Hash> MakeLeaves(std::uint64_t n) {
  std::vector<Hash> leaves;
  for (std::uint64_t i = 0; i < n; ++i) leaves.push_back(HashLeaf("event " + std::to_string(i)));
  return leaves;
}

InMemoryTree MakeTree(const std::vector<Hash>& leaves) {
  InMemoryTree t;
  for (const Hash& h : leaves) t.AppendLeafHash(h);
  return t;
}

constexpr std::uint64_t kMaxSize = 40;

TEST(ProofTest, InclusionProofsMatchReferenceAndVerifyForAllIndicesUpTo40) {
  const auto leaves = MakeLeaves(kMaxSize);
  const InMemoryTree tree = MakeTree(leaves);
  const LeafOnlyReader leaf_only(leaves);
  for (std::uint64_t n = 1; n <= kMaxSize; ++n) {
    const Hash root = reference::Mth(leaves, 0, n);
    ASSERT_EQ(*RootAt(tree, n), root);
    ASSERT_EQ(*RootAt(leaf_only, n), root);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto proof = InclusionProof(tree, i, n);
      ASSERT_TRUE(proof.has_value()) << proof.error();
      ASSERT_EQ(*proof, reference::Path(leaves, i, 0, n)) << i << " " << n;
      ASSERT_EQ(*InclusionProof(leaf_only, i, n), *proof);
      ASSERT_TRUE(VerifyInclusion(i, n, leaves[i], *proof, root).has_value()) << i << " " << n;
    }
  }
}

TEST(ProofTest, ConsistencyProofsMatchReferenceAndVerifyForAllSizePairsUpTo40) {
  const auto leaves = MakeLeaves(kMaxSize);
  const InMemoryTree tree = MakeTree(leaves);
  const LeafOnlyReader leaf_only(leaves);
  for (std::uint64_t n = 1; n <= kMaxSize; ++n) {
    const Hash root2 = reference::Mth(leaves, 0, n);
    for (std::uint64_t m = 1; m <= n; ++m) {
      const Hash root1 = reference::Mth(leaves, 0, m);
      auto proof = ConsistencyProof(tree, m, n);
      ASSERT_TRUE(proof.has_value()) << proof.error();
      if (m < n) {
        ASSERT_EQ(*proof, reference::Proof(leaves, m, n)) << m << " " << n;
      }
      ASSERT_EQ(*ConsistencyProof(leaf_only, m, n), *proof);
      auto s = VerifyConsistency(m, n, *proof, root1, root2);
      ASSERT_TRUE(s.has_value()) << m << " " << n << ": " << s.error();
    }
  }
}

TEST(ProofTest, GenerationRejectsOutOfRangeArguments) {
  const InMemoryTree tree = MakeTree(MakeLeaves(5));
  EXPECT_FALSE(InclusionProof(tree, 5, 5).has_value());
  EXPECT_FALSE(InclusionProof(tree, 0, 6).has_value());
  EXPECT_FALSE(ConsistencyProof(tree, 4, 3).has_value());
  EXPECT_FALSE(ConsistencyProof(tree, 3, 6).has_value());
  EXPECT_FALSE(RootAt(tree, 6).has_value());
  EXPECT_EQ(*RootAt(tree, 0), EmptyRoot());
}

TEST(ProofTest, InclusionVerificationRejectsWrongLeafRootAndLengths) {
  const auto leaves = MakeLeaves(7);
  const InMemoryTree tree = MakeTree(leaves);
  const Hash root = tree.Root();
  auto proof = *InclusionProof(tree, 3, 7);
  EXPECT_EQ(VerifyInclusion(3, 7, leaves[4], proof, root).error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(VerifyInclusion(4, 7, leaves[3], proof, root).error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(VerifyInclusion(7, 7, leaves[3], proof, root).error().code(),
            ErrorCode::kInvalidArgument);
  std::vector<std::uint8_t> short_root(root.begin(), root.end() - 1);
  EXPECT_EQ(VerifyInclusion(3, 7, leaves[3], proof, short_root).error().code(),
            ErrorCode::kInvalidArgument);
  auto longer = proof;
  longer.push_back(root);
  EXPECT_EQ(VerifyInclusion(3, 7, leaves[3], longer, root).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ProofFromBytes({std::vector<std::uint8_t>(33)}).has_value());
}

TEST(ProofTest, ConsistencyVerificationFollowsTransparencyDevEdgeCases) {
  const auto leaves = MakeLeaves(8);
  const InMemoryTree tree = MakeTree(leaves);
  const Hash r3 = *RootAt(tree, 3), r8 = tree.Root();
  // size1 == 0 is an error, even 0 -> 0.
  EXPECT_FALSE(VerifyConsistency(0, 0, {}, EmptyRoot(), EmptyRoot()).has_value());
  EXPECT_FALSE(VerifyConsistency(0, 8, {}, EmptyRoot(), r8).has_value());
  // Equal sizes: empty proof and equal roots.
  EXPECT_TRUE(VerifyConsistency(8, 8, {}, r8, r8).has_value());
  EXPECT_FALSE(VerifyConsistency(8, 8, {}, r8, r3).has_value());
  EXPECT_FALSE(VerifyConsistency(8, 8, std::vector<Hash>{r8}, r8, r8).has_value());
  // Smaller new tree, empty proof, swapped roots.
  auto proof = *ConsistencyProof(tree, 3, 8);
  EXPECT_FALSE(VerifyConsistency(8, 3, proof, r8, r3).has_value());
  EXPECT_FALSE(VerifyConsistency(3, 8, {}, r3, r8).has_value());
  EXPECT_EQ(VerifyConsistency(3, 8, proof, r8, r3).error().code(), ErrorCode::kDataLoss);
  EXPECT_TRUE(VerifyConsistency(3, 8, proof, r3, r8).has_value());
}

// --- RapidCheck properties against the naive reference ----------------------------------------

RC_GTEST_PROP(ProofProperty, InclusionProofsForEveryIndexVerifyAgainstReferenceRoot, ()) {
  const auto n = *rc::gen::inRange<std::uint64_t>(1, 300);
  const auto leaves = MakeLeaves(n);
  const InMemoryTree tree = MakeTree(leaves);
  const Hash root = reference::Mth(leaves, 0, n);
  for (std::uint64_t i = 0; i < n; ++i) {
    auto proof = InclusionProof(tree, i, n);
    RC_ASSERT(proof.has_value());
    RC_ASSERT(VerifyInclusion(i, n, leaves[i], *proof, root).has_value());
  }
}

RC_GTEST_PROP(ProofProperty, ConsistencyProofsForEverySizePairVerify, ()) {
  const auto n = *rc::gen::inRange<std::uint64_t>(1, 70);
  const auto leaves = MakeLeaves(n);
  const InMemoryTree tree = MakeTree(leaves);
  const Hash root2 = reference::Mth(leaves, 0, n);
  for (std::uint64_t m = 1; m <= n; ++m) {
    auto proof = ConsistencyProof(tree, m, n);
    RC_ASSERT(proof.has_value());
    RC_ASSERT(VerifyConsistency(m, n, *proof, reference::Mth(leaves, 0, m), root2).has_value());
  }
}

RC_GTEST_PROP(ProofProperty, AnySingleByteChangeInLeafOrInclusionProofFailsVerification, ()) {
  const auto n = *rc::gen::inRange<std::uint64_t>(2, 200);
  const auto i = *rc::gen::inRange<std::uint64_t>(0, n);
  const auto leaves = MakeLeaves(n);
  const InMemoryTree tree = MakeTree(leaves);
  auto proof = *InclusionProof(tree, i, n);
  Hash leaf = leaves[i];
  const auto target = *rc::gen::inRange<std::size_t>(0, proof.size() + 1);  // proof.size() = leaf
  const auto byte = *rc::gen::inRange<std::size_t>(0, kHashSize);
  const auto flip = *rc::gen::inRange<int>(1, 256);
  Hash& victim = target == proof.size() ? leaf : proof[target];
  victim[byte] ^= static_cast<std::uint8_t>(flip);
  RC_ASSERT(!VerifyInclusion(i, n, leaf, proof, tree.Root()).has_value());
}

RC_GTEST_PROP(ProofProperty, AnySingleByteChangeInLeafBytesChangesTheRoot, ()) {
  const auto n = *rc::gen::inRange<std::uint64_t>(1, 100);
  auto leaves = *rc::gen::container<std::vector<std::vector<std::uint8_t>>>(
      n, rc::gen::container<std::vector<std::uint8_t>>(rc::gen::arbitrary<std::uint8_t>()));
  const auto i = *rc::gen::inRange<std::uint64_t>(0, n);
  RC_PRE(!leaves[i].empty());
  InMemoryTree original;
  for (const auto& l : leaves) original.AppendLeaf(l);
  const auto byte = *rc::gen::inRange<std::size_t>(0, leaves[i].size());
  leaves[i][byte] ^= static_cast<std::uint8_t>(*rc::gen::inRange<int>(1, 256));
  InMemoryTree tampered;
  for (const auto& l : leaves) tampered.AppendLeaf(l);
  RC_ASSERT(original.Root() != tampered.Root());
}

RC_GTEST_PROP(ProofProperty, AnySingleByteChangeInConsistencyProofOrRootsFailsVerification, ()) {
  const auto n = *rc::gen::inRange<std::uint64_t>(2, 120);
  const auto m = *rc::gen::inRange<std::uint64_t>(1, n);
  const auto leaves = MakeLeaves(n);
  const InMemoryTree tree = MakeTree(leaves);
  auto proof = *ConsistencyProof(tree, m, n);
  Hash root1 = *RootAt(tree, m), root2 = tree.Root();
  const auto target = *rc::gen::inRange<std::size_t>(0, proof.size() + 2);
  const auto byte = *rc::gen::inRange<std::size_t>(0, kHashSize);
  Hash& victim = target == proof.size()       ? root1
                 : target == proof.size() + 1 ? root2
                                              : proof[target];
  victim[byte] ^= static_cast<std::uint8_t>(*rc::gen::inRange<int>(1, 256));
  RC_ASSERT(!VerifyConsistency(m, n, proof, root1, root2).has_value());
}

}  // namespace
}  // namespace bulwark::audit
