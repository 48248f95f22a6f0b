#include "bulwark/audit/merkle_hash.h"

#include <gtest/gtest.h>

#include "audit/reference_merkle_testutil.h"
#include "bulwark/audit/in_memory_tree.h"
#include "bulwark/audit/tree_builder.h"

namespace bulwark::audit {
namespace {

TEST(MerkleHashTest, EmptyRootIsSha256OfEmptyString) {
  EXPECT_EQ(HashToHex(EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleHashTest, LeafHashPrefixesZeroByte) {
  // RFC 6962 test tree leaf 0 is the empty string: SHA-256(0x00).
  EXPECT_EQ(HashToHex(HashLeaf(std::string_view())),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(MerkleHashTest, NodeHashPrefixesOneByte) {
  // Root of the 2-leaf test tree {"", 0x00}.
  const std::uint8_t zero[] = {0x00};
  EXPECT_EQ(HashToHex(HashChildren(HashLeaf(std::string_view()), HashLeaf(zero))),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
}

TEST(MerkleHashTest, HashFromBytesRejectsWrongLength) {
  std::vector<std::uint8_t> short_hash(31);
  auto r = HashFromBytes(short_hash, "root");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("root"), std::string::npos);
  EXPECT_FALSE(HashFromHex("abcd").has_value());
}

TEST(TreeBuilderTest, RootMatchesReferenceForEverySizeUpTo130) {
  std::vector<Hash> leaves;
  TreeBuilder builder;
  EXPECT_EQ(builder.Root(), EmptyRoot());
  for (int i = 0; i < 130; ++i) {
    const std::string leaf = "leaf " + std::to_string(i);
    leaves.push_back(HashLeaf(leaf));
    builder.AppendLeafHash(leaves.back());
    ASSERT_EQ(builder.Root(), reference::Mth(leaves, 0, leaves.size())) << "size " << i + 1;
  }
}

TEST(TreeBuilderTest, ResumesFromFrontier) {
  TreeBuilder a;
  for (int i = 0; i < 11; ++i)
    a.AppendLeaf(std::vector<std::uint8_t>{static_cast<std::uint8_t>(i)});
  auto b = TreeBuilder::FromFrontier(a.size(), a.frontier());
  ASSERT_TRUE(b.has_value());
  for (int i = 11; i < 20; ++i) {
    a.AppendLeaf(std::vector<std::uint8_t>{static_cast<std::uint8_t>(i)});
    b->AppendLeaf(std::vector<std::uint8_t>{static_cast<std::uint8_t>(i)});
  }
  EXPECT_EQ(a.Root(), b->Root());
  EXPECT_FALSE(TreeBuilder::FromFrontier(11, {}).has_value());
}

TEST(TreeBuilderTest, NodeSinkReportsEveryPerfectSubtree) {
  std::vector<NodeId> nodes;
  TreeBuilder b;
  for (int i = 0; i < 4; ++i) {
    b.AppendLeaf(std::vector<std::uint8_t>{static_cast<std::uint8_t>(i)},
                 [&](unsigned level, std::uint64_t index, const Hash&) {
                   nodes.push_back({level, index});
                 });
  }
  const std::vector<NodeId> want = {{0, 0}, {0, 1}, {1, 0}, {0, 2}, {0, 3}, {1, 1}, {2, 0}};
  EXPECT_EQ(nodes, want);
}

}  // namespace
}  // namespace bulwark::audit
