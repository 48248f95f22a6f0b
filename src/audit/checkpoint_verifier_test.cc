#include "bulwark/audit/checkpoint_verifier.h"

#include <gtest/gtest.h>

#include "audit/log_test_util.h"

namespace bulwark::audit {
namespace {

using testing::Entries;
using testing::kOrigin;

class CheckpointVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signer_ = testing::TestSigner();
    verifier_.emplace(*CheckpointVerifier::Create(std::string(kOrigin), {signer_->Verifier()}));
    entries_ = Entries(20);
    for (const auto& e : entries_) tree_.AppendLeaf(e);
    notes_ = testing::SignedCheckpoints(entries_, {0, 5, 12, 20}, *signer_);
  }
  Checkpoint Trusted(std::size_t i) { return *verifier_->Open(notes_[i]); }

  std::unique_ptr<NoteSigner> signer_;
  std::optional<CheckpointVerifier> verifier_;
  std::vector<std::vector<std::uint8_t>> entries_;
  InMemoryTree tree_;
  std::vector<std::string> notes_;
};

TEST_F(CheckpointVerifierTest, AcceptsAGrowingLogWithValidProofs) {
  auto check = verifier_->CheckUpdate(Trusted(1), notes_[2], *ConsistencyProof(tree_, 5, 12));
  EXPECT_TRUE(check.ok()) << check.message;
  ASSERT_TRUE(check.checkpoint.has_value());
  EXPECT_EQ(check.checkpoint->size, 12u);
  EXPECT_TRUE(verifier_->CheckUpdate(Trusted(0), notes_[3], {}).ok());
  EXPECT_TRUE(verifier_->CheckUpdate(Trusted(3), notes_[3], {}).ok());
}

TEST_F(CheckpointVerifierTest, DetectsRollback) {
  auto check = verifier_->CheckUpdate(Trusted(3), notes_[2], {});
  EXPECT_EQ(check.finding, CheckpointFinding::kRollback);
  EXPECT_NE(check.message.find("rolled back"), std::string::npos);
}

TEST_F(CheckpointVerifierTest, DetectsForkAtEqualSize) {
  // The log rewrites entry 3 and signs a new checkpoint of size 12.
  auto forked = entries_;
  forked[3][2] ^= 1;
  const auto forked_notes = testing::SignedCheckpoints(forked, {12, 20}, *signer_);
  auto check = verifier_->CheckUpdate(Trusted(2), forked_notes[0], {});
  EXPECT_EQ(check.finding, CheckpointFinding::kFork);
}

TEST_F(CheckpointVerifierTest, DetectsRewrittenHistoryAtLargerSize) {
  auto forked = entries_;
  forked[3][2] ^= 1;
  InMemoryTree forked_tree;
  for (const auto& e : forked) forked_tree.AppendLeaf(e);
  const auto forked_notes = testing::SignedCheckpoints(forked, {20}, *signer_);
  // Neither the honest proof nor the forked tree's proof links the trusted size-5 root to it.
  EXPECT_EQ(
      verifier_->CheckUpdate(Trusted(1), forked_notes[0], *ConsistencyProof(tree_, 5, 20)).finding,
      CheckpointFinding::kInconsistent);
  EXPECT_EQ(
      verifier_->CheckUpdate(Trusted(1), forked_notes[0], *ConsistencyProof(forked_tree, 5, 20))
          .finding,
      CheckpointFinding::kInconsistent);
  EXPECT_EQ(verifier_->CheckUpdate(Trusted(1), notes_[3], {}).finding,
            CheckpointFinding::kInconsistent);
}

TEST_F(CheckpointVerifierTest, RejectsCheckpointsNotSignedByTheLogKey) {
  auto other = testing::TestSigner(99);
  const auto foreign = testing::SignedCheckpoints(entries_, {20}, *other);
  auto check = verifier_->CheckUpdate(Trusted(1), foreign[0], *ConsistencyProof(tree_, 5, 20));
  EXPECT_EQ(check.finding, CheckpointFinding::kInvalidNote);
  EXPECT_FALSE(check.checkpoint.has_value());
}

TEST_F(CheckpointVerifierTest, AcceptsARotatedKeyDuringOverlap) {
  auto next_key = testing::TestSigner(77);
  auto rotated =
      CheckpointVerifier::Create(std::string(kOrigin), {signer_->Verifier(), next_key->Verifier()});
  ASSERT_TRUE(rotated.has_value());
  const auto by_new_key = testing::SignedCheckpoints(entries_, {20}, *next_key);
  EXPECT_TRUE(
      rotated->CheckUpdate(Trusted(1), by_new_key[0], *ConsistencyProof(tree_, 5, 20)).ok());
  EXPECT_FALSE(CheckpointVerifier::Create(std::string(kOrigin), {}).has_value());
}

}  // namespace
}  // namespace bulwark::audit
