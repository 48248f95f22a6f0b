// LogVerifier: recomputes an audit log's Merkle tree from the stored entries and checks it against
// every signed checkpoint the log published, naming the first place where the stored log no longer
// matches what was signed. This is the core of `bulwark audit verify`.
//
// Usage: create it with the log's CheckpointVerifier and the published signed checkpoints (any
// order; typically the newest plus the history the verifier kept), stream every stored entry in
// index order with AppendLeaf (the canonical leaf bytes) or AppendLeafHash, then call Finish().
// Memory is O(log n + number of checkpoints); 1,000,000 entries take well under a second of
// hashing (bench/results/merkle.md).
//
// What is detected, and how precisely:
//   - kBadCheckpoint: a checkpoint note that does not verify (forged, replaced, altered, another
//     log's). It is reported and left out of the tree checks.
//   - kCheckpointFork: two valid checkpoints with the same size and different roots (the log signed
//     two histories).
//   - kRootMismatch: at the size of checkpoint C the recomputed root differs from C's root while
//   the
//     previous checkpoint P (or the empty tree) still matched. Some entry in [P.size, C.size) was
//     modified, inserted, deleted or reordered; roots alone cannot say which kind or which entry,
//     so first_bad_index = P.size and bad_range_end = C.size. Publishing checkpoints more often
//     narrows the range; any later checkpoint also fails and is not reported separately.
//   - kIndexMismatch: the store's own index for an entry (AppendLeaf with stored_index) differs
//     from its position: the entry at first_bad_index was inserted/reordered (stored index below
//     the position) or entries before it were deleted (stored index above the position).
//   - kTruncated: the log has fewer entries than a checkpoint covers, and every checkpoint up to
//   the
//     log's size matched: entries from first_bad_index = log size on were removed.
// Entries after the newest checkpoint are not tampering (they were appended since) but are not yet
// covered by a signature: `unverified_entries` counts them.
//
// Thread safety: not synchronized; one verification per object.
#ifndef BULWARK_AUDIT_LOG_VERIFIER_H_
#define BULWARK_AUDIT_LOG_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/audit/tree_builder.h"

namespace bulwark::audit {

enum class LogProblem : std::uint8_t {
  kBadCheckpoint,
  kCheckpointFork,
  kRootMismatch,
  kIndexMismatch,
  kTruncated,
};

// "bad checkpoint", "checkpoint fork", "root mismatch", "index mismatch", "truncated".
std::string_view LogProblemName(LogProblem problem);

struct LogFinding {
  LogProblem problem;
  // Tree problems: the lowest entry index that can be the first tampered one. For kRootMismatch
  // the tampering lies in [first_bad_index, bad_range_end); for the others bad_range_end is
  // first_bad_index + 1 (kIndexMismatch) or the checkpoint size (kTruncated).
  // kBadCheckpoint / kCheckpointFork: 0 (they are about checkpoints, not entries).
  std::uint64_t first_bad_index = 0;
  std::uint64_t bad_range_end = 0;
  std::optional<std::uint64_t> checkpoint_size;  // the checkpoint concerned, when known
  std::size_t checkpoint_position = 0;           // its position in the list given to Create
  std::string message;                           // one sentence for humans
};

struct LogReport {
  std::uint64_t log_size = 0;  // entries read
  Hash root{};  // recomputed root of all entries read (all zero once an entry problem stopped
                // hashing)
  std::uint64_t verified_size = 0;       // entries [0, verified_size) match a signed checkpoint
  std::uint64_t unverified_entries = 0;  // entries after the newest valid checkpoint
  std::size_t checkpoints_checked = 0;   // valid checkpoints whose root matched
  std::size_t skipped_checkpoints = 0;   // valid checkpoints at or below the StartAt size
  std::vector<LogFinding> findings;      // in the order found; empty when the log is intact
  bool clean() const { return findings.empty(); }
  // The finding with the lowest first_bad_index among entry problems (root/index/truncation).
  const LogFinding* FirstBadEntry() const;
  // A multi-line human summary (one line per finding, or "log intact ...").
  std::string Summary() const;
};

class LogVerifier {
 public:
  // Opens every checkpoint with `verifier` (bad ones become kBadCheckpoint findings).
  static LogVerifier Create(const CheckpointVerifier& verifier,
                            std::span<const std::string> signed_checkpoints);
  // With already verified checkpoints (e.g. the trusted one a client kept).
  static LogVerifier Create(std::vector<Checkpoint> checkpoints);

  // Resumes from the compact range (TreeBuilder frontier) of the first `size` entries, for a log
  // whose older entries were archived (archive.h). Call before any Append. The range is taken as
  // given (the caller checks it against a signed checkpoint of that size); checkpoints of size
  // <= `size` are not checked against the tree (they are counted in skipped_checkpoints).
  // InvalidArgument when the frontier does not fit `size` or entries were already appended.
  Status StartAt(std::uint64_t size, std::vector<Hash> frontier);

  void AppendLeaf(std::span<const std::uint8_t> leaf_bytes);
  void AppendLeafHash(const Hash& leaf_hash);
  // As AppendLeaf, also checking that the store's index for this entry equals its position.
  void AppendLeaf(std::uint64_t stored_index, std::span<const std::uint8_t> leaf_bytes);

  // Checks the remaining checkpoints (truncation) and returns the report.
  LogReport Finish();

 private:
  LogVerifier() = default;
  void Prepare();
  void CheckReachedCheckpoints();

  struct Pending {
    Checkpoint checkpoint;
    std::size_t position;
  };
  std::vector<Pending> checkpoints_;  // sorted by size
  std::size_t next_ = 0;              // first checkpoint not yet reached
  TreeBuilder builder_;
  bool tree_problem_ = false;  // after the first entry problem the rest is only counted
  std::uint64_t count_ = 0;
  LogReport report_;
};

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_LOG_VERIFIER_H_
