#include "bulwark/audit/log_verifier.h"

#include <fmt/format.h>

#include <algorithm>

namespace bulwark::audit {

std::string_view LogProblemName(LogProblem problem) {
  switch (problem) {
    case LogProblem::kBadCheckpoint:
      return "bad checkpoint";
    case LogProblem::kCheckpointFork:
      return "checkpoint fork";
    case LogProblem::kRootMismatch:
      return "root mismatch";
    case LogProblem::kIndexMismatch:
      return "index mismatch";
    case LogProblem::kTruncated:
      return "truncated";
  }
  return "unknown";
}

const LogFinding* LogReport::FirstBadEntry() const {
  const LogFinding* best = nullptr;
  for (const auto& f : findings) {
    if (f.problem == LogProblem::kBadCheckpoint || f.problem == LogProblem::kCheckpointFork) {
      continue;
    }
    if (best == nullptr || f.first_bad_index < best->first_bad_index) best = &f;
  }
  return best;
}

std::string LogReport::Summary() const {
  if (findings.empty()) {
    std::string s = fmt::format("log intact: {} entries, {} verified against {} checkpoint(s)",
                                log_size, verified_size, checkpoints_checked);
    if (skipped_checkpoints > 0) {
      s += fmt::format(" ({} more at or below the archive boundary)", skipped_checkpoints);
    }
    if (unverified_entries > 0) {
      s += fmt::format("; {} entries after the newest checkpoint are not yet signed",
                       unverified_entries);
    }
    return s;
  }
  std::string s;
  for (const auto& f : findings) {
    if (!s.empty()) s += '\n';
    s += fmt::format("{}: {}", LogProblemName(f.problem), f.message);
  }
  return s;
}

LogVerifier LogVerifier::Create(const CheckpointVerifier& verifier,
                                std::span<const std::string> signed_checkpoints) {
  LogVerifier v;
  for (std::size_t i = 0; i < signed_checkpoints.size(); ++i) {
    auto cp = verifier.Open(signed_checkpoints[i]);
    if (!cp) {
      v.report_.findings.push_back(
          {LogProblem::kBadCheckpoint, 0, 0, std::nullopt, i,
           fmt::format("checkpoint #{} does not verify: {}", i, cp.error().message())});
      continue;
    }
    v.checkpoints_.push_back({std::move(*cp), i});
  }
  v.Prepare();
  return v;
}

LogVerifier LogVerifier::Create(std::vector<Checkpoint> checkpoints) {
  LogVerifier v;
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    v.checkpoints_.push_back({std::move(checkpoints[i]), i});
  }
  v.Prepare();
  return v;
}

void LogVerifier::Prepare() {
  std::stable_sort(
      checkpoints_.begin(), checkpoints_.end(),
      [](const Pending& a, const Pending& b) { return a.checkpoint.size < b.checkpoint.size; });
  // Same size, different root: the log signed two histories. Keep the first for the tree checks
  // (the tree can match at most one of them).
  std::vector<Pending> unique;
  for (auto& p : checkpoints_) {
    if (!unique.empty() && unique.back().checkpoint.size == p.checkpoint.size) {
      if (unique.back().checkpoint.root != p.checkpoint.root) {
        report_.findings.push_back(
            {LogProblem::kCheckpointFork, 0, 0, p.checkpoint.size, p.position,
             fmt::format("checkpoints #{} and #{} both sign size {} with different roots",
                         unique.back().position, p.position, p.checkpoint.size)});
      }
      continue;
    }
    unique.push_back(std::move(p));
  }
  checkpoints_ = std::move(unique);
  CheckReachedCheckpoints();  // size-0 checkpoints
}

void LogVerifier::CheckReachedCheckpoints() {
  while (next_ < checkpoints_.size() && checkpoints_[next_].checkpoint.size == count_) {
    const Pending& p = checkpoints_[next_++];
    if (tree_problem_) continue;
    const Hash root = builder_.Root();
    if (root == p.checkpoint.root) {
      report_.verified_size = count_;
      ++report_.checkpoints_checked;
      continue;
    }
    tree_problem_ = true;
    const std::uint64_t begin = report_.verified_size;
    report_.findings.push_back(
        {LogProblem::kRootMismatch, begin, count_, count_, p.position,
         fmt::format(
             "the first {} entries do not hash to the root signed in checkpoint #{} (size "
             "{}): an entry with index in [{}, {}) was modified, inserted, deleted or "
             "reordered{}",
             count_, p.position, count_, begin, count_,
             begin == 0 ? ""
                        : fmt::format(" (entries before {} match an earlier checkpoint)", begin))});
  }
}

Status LogVerifier::StartAt(std::uint64_t size, std::vector<Hash> frontier) {
  if (count_ != 0) {
    return InvalidArgumentError("log verifier: StartAt after entries were appended");
  }
  BULWARK_ASSIGN_OR_RETURN(builder_, TreeBuilder::FromFrontier(size, std::move(frontier)));
  count_ = size;
  report_.verified_size = size;
  while (next_ < checkpoints_.size() && checkpoints_[next_].checkpoint.size <= size) {
    ++next_;
    ++report_.skipped_checkpoints;
  }
  return OkStatus();
}

void LogVerifier::AppendLeaf(std::span<const std::uint8_t> leaf_bytes) {
  if (tree_problem_) {
    ++count_;
    return;
  }
  AppendLeafHash(HashLeaf(leaf_bytes));
}

void LogVerifier::AppendLeaf(std::uint64_t stored_index, std::span<const std::uint8_t> leaf_bytes) {
  if (!tree_problem_ && stored_index != count_) {
    tree_problem_ = true;
    report_.findings.push_back(
        {LogProblem::kIndexMismatch, count_, count_ + 1, std::nullopt, 0,
         fmt::format("the entry at position {} is stored with index {}: {}", count_, stored_index,
                     stored_index > count_
                         ? fmt::format("{} entries before it were deleted", stored_index - count_)
                         : std::string("it was inserted or moved out of order"))});
  }
  AppendLeaf(leaf_bytes);
}

void LogVerifier::AppendLeafHash(const Hash& leaf_hash) {
  ++count_;
  if (tree_problem_) return;
  builder_.AppendLeafHash(leaf_hash);
  if (next_ < checkpoints_.size() && checkpoints_[next_].checkpoint.size == count_) {
    CheckReachedCheckpoints();
  }
}

LogReport LogVerifier::Finish() {
  report_.log_size = count_;
  report_.root = tree_problem_ ? Hash{} : builder_.Root();
  if (!tree_problem_ && next_ < checkpoints_.size()) {
    const Pending& p = checkpoints_.back();
    report_.findings.push_back(
        {LogProblem::kTruncated, count_, p.checkpoint.size, p.checkpoint.size, p.position,
         fmt::format("the log has {} entries but checkpoint #{} signed {}: entries from index {} "
                     "on were removed",
                     count_, p.position, p.checkpoint.size, count_)});
  }
  const std::uint64_t newest = checkpoints_.empty() ? 0 : checkpoints_.back().checkpoint.size;
  report_.unverified_entries = count_ > newest ? count_ - newest : 0;
  return std::move(report_);
}

}  // namespace bulwark::audit
