#include "bulwark/audit/log_verifier.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "audit/log_test_util.h"

namespace bulwark::audit {
namespace {

using testing::Entries;
using testing::kOrigin;
using Log = std::vector<std::vector<std::uint8_t>>;

class LogVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signer_ = testing::TestSigner();
    verifier_.emplace(*CheckpointVerifier::Create(std::string(kOrigin), {signer_->Verifier()}));
    log_ = Entries(100);
    checkpoints_ = testing::SignedCheckpoints(log_, {10, 40, 64, 100}, *signer_);
  }
  LogReport Verify(const Log& log, bool with_indices = false) const {
    return Verify(log, checkpoints_, with_indices);
  }
  LogReport Verify(const Log& log, const std::vector<std::string>& checkpoints,
                   bool with_indices = false) const {
    LogVerifier v = LogVerifier::Create(*verifier_, checkpoints);
    for (std::size_t i = 0; i < log.size(); ++i) {
      if (with_indices) {
        v.AppendLeaf(stored_index_.empty() ? i : stored_index_[i], log[i]);
      } else {
        v.AppendLeaf(log[i]);
      }
    }
    return v.Finish();
  }

  std::unique_ptr<NoteSigner> signer_;
  std::optional<CheckpointVerifier> verifier_;
  Log log_;
  std::vector<std::string> checkpoints_;
  std::vector<std::uint64_t> stored_index_;
};

TEST_F(LogVerifierTest, IntactLogIsClean) {
  const LogReport r = Verify(log_);
  EXPECT_TRUE(r.clean()) << r.Summary();
  EXPECT_EQ(r.log_size, 100u);
  EXPECT_EQ(r.verified_size, 100u);
  EXPECT_EQ(r.checkpoints_checked, 4u);
  EXPECT_EQ(r.unverified_entries, 0u);
}

TEST_F(LogVerifierTest, ModifiedEntryIsNarrowedToTheRangeBetweenCheckpoints) {
  Log tampered = log_;
  tampered[50][3] ^= 0x20;
  const LogReport r = Verify(tampered);
  ASSERT_EQ(r.findings.size(), 1u) << r.Summary();
  const LogFinding& f = r.findings[0];
  EXPECT_EQ(f.problem, LogProblem::kRootMismatch);
  EXPECT_EQ(f.first_bad_index, 40u);
  EXPECT_EQ(f.bad_range_end, 64u);
  EXPECT_EQ(f.checkpoint_size, 64u);
  EXPECT_EQ(r.verified_size, 40u);
  EXPECT_NE(f.message.find("[40, 64)"), std::string::npos) << f.message;
}

TEST_F(LogVerifierTest, InsertedDeletedAndReorderedEntriesAreDetected) {
  Log inserted = log_;
  inserted.insert(inserted.begin() + 5, testing::Entry(999));
  Log deleted = log_;
  deleted.erase(deleted.begin() + 20);
  Log reordered = log_;
  std::swap(reordered[70], reordered[71]);
  for (const auto& [log, begin, end] :
       {std::tuple{inserted, 0u, 10u}, std::tuple{deleted, 10u, 40u},
        std::tuple{reordered, 64u, 100u}}) {
    const LogReport r = Verify(log);
    ASSERT_FALSE(r.clean());
    const LogFinding* f = r.FirstBadEntry();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->problem, LogProblem::kRootMismatch);
    EXPECT_EQ(f->first_bad_index, begin);
    EXPECT_EQ(f->bad_range_end, end);
  }
}

TEST_F(LogVerifierTest, StoredIndicesPinpointDeletedAndInsertedEntries) {
  Log deleted = log_;
  deleted.erase(deleted.begin() + 20);
  for (std::uint64_t i = 0; i < 100; ++i) {
    if (i != 20) stored_index_.push_back(i);
  }
  const LogReport r = Verify(deleted, /*with_indices=*/true);
  ASSERT_EQ(r.findings.size(), 1u) << r.Summary();
  EXPECT_EQ(r.findings[0].problem, LogProblem::kIndexMismatch);
  EXPECT_EQ(r.findings[0].first_bad_index, 20u);
  EXPECT_NE(r.findings[0].message.find("deleted"), std::string::npos);
}

TEST_F(LogVerifierTest, TruncatedLogIsReportedFromItsEnd) {
  const Log truncated(log_.begin(), log_.begin() + 70);
  const LogReport r = Verify(truncated);
  ASSERT_EQ(r.findings.size(), 1u) << r.Summary();
  EXPECT_EQ(r.findings[0].problem, LogProblem::kTruncated);
  EXPECT_EQ(r.findings[0].first_bad_index, 70u);
  EXPECT_EQ(r.findings[0].checkpoint_size, 100u);
  EXPECT_EQ(r.verified_size, 64u);
}

TEST_F(LogVerifierTest, EntriesAfterTheNewestCheckpointAreCountedNotFlagged) {
  Log longer = log_;
  longer.push_back(testing::Entry(100));
  longer.push_back(testing::Entry(101));
  const LogReport r = Verify(longer);
  EXPECT_TRUE(r.clean()) << r.Summary();
  EXPECT_EQ(r.unverified_entries, 2u);
  EXPECT_NE(r.Summary().find("not yet signed"), std::string::npos);
}

TEST_F(LogVerifierTest, ForgedOrReplacedCheckpointIsReported) {
  auto checkpoints = checkpoints_;
  checkpoints[1][checkpoints[1].find("\n40\n") + 2] = '1';  // "41": signature no longer matches
  auto impostor = testing::TestSigner(42);
  checkpoints.push_back(testing::SignedCheckpoints(log_, {100}, *impostor)[0]);
  const LogReport r = Verify(log_, checkpoints);
  ASSERT_EQ(r.findings.size(), 2u) << r.Summary();
  EXPECT_EQ(r.findings[0].problem, LogProblem::kBadCheckpoint);
  EXPECT_EQ(r.findings[0].checkpoint_position, 1u);
  EXPECT_EQ(r.findings[1].problem, LogProblem::kBadCheckpoint);
  EXPECT_EQ(r.findings[1].checkpoint_position, 4u);
  EXPECT_EQ(r.FirstBadEntry(), nullptr);
}

TEST_F(LogVerifierTest, TwoSignedHistoriesOfOneSizeAreAFork) {
  Log other = log_;
  other[1][4] ^= 1;
  auto checkpoints = checkpoints_;
  checkpoints.push_back(testing::SignedCheckpoints(other, {40}, *signer_)[0]);
  const LogReport r = Verify(log_, checkpoints);
  ASSERT_FALSE(r.clean());
  EXPECT_EQ(r.findings[0].problem, LogProblem::kCheckpointFork);
}

RC_GTEST_PROP(LogVerifierProperty, AnySingleByteChangeInAnyStoredEntryIsDetected, ()) {
  const auto n = *rc::gen::inRange<std::uint64_t>(1, 80);
  const Log log = Entries(n);
  auto signer = testing::TestSigner();
  const auto verifier = *CheckpointVerifier::Create(std::string(kOrigin), {signer->Verifier()});
  const auto checkpoints = testing::SignedCheckpoints(log, {n / 2, n}, *signer);
  Log tampered = log;
  const auto i = *rc::gen::inRange<std::uint64_t>(0, n);
  const auto byte = *rc::gen::inRange<std::size_t>(0, tampered[i].size());
  tampered[i][byte] ^= static_cast<std::uint8_t>(*rc::gen::inRange<int>(1, 256));
  LogVerifier v = LogVerifier::Create(verifier, checkpoints);
  for (const auto& e : tampered) v.AppendLeaf(e);
  const LogReport r = v.Finish();
  RC_ASSERT(!r.clean());
  const LogFinding* f = r.FirstBadEntry();
  RC_ASSERT(f != nullptr);
  RC_ASSERT(f->first_bad_index <= i);
  RC_ASSERT(i < f->bad_range_end);
}

}  // namespace
}  // namespace bulwark::audit
