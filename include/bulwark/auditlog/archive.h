// Retention for the audit log: archive the oldest events [start, end) into a self-verifying file
// (format: docs/formats-audit.md section 9), prune them from the database, and keep verification
// and proofs working across the archive boundary (docs/audit.md "Retention").
//
// The log is append-only, so an archive is always a prefix of what is still stored: the first
// archive covers [0, n1), the next [n1, n2), ... The database keeps, per archive, an
// ArchiveRecord (event_store.h): the range, the file name and SHA-256, the compact range of
// [0, end) (the TreeBuilder frontier: the roots of the <= 64 perfect subtrees of the first `end`
// leaves) and a signed checkpoint of size `end`. From the compact range the tree continues
// exactly as if the archived leaves were still there.
//
// ArchiveLog is crash-safe: the file is written to FILE.tmp, fsynced, renamed and the directory
// fsynced, then re-read and verified completely, and only then are the events deleted, in one
// transaction that also records the archive. Killed before the prune, the log is unchanged and
// the command can simply run again; the prune itself is atomic.
//
// Thread safety: the functions are thread-safe if the log is (AuditLog is); ArchivedTreeReader is
// safe for concurrent const use.
#ifndef BULWARK_AUDITLOG_ARCHIVE_H_
#define BULWARK_AUDITLOG_ARCHIVE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/audit/merkle_hash.h"
#include "bulwark/audit/tree_reader.h"
#include "bulwark/core/error.h"

namespace bulwark::audit {

inline constexpr std::string_view kArchiveFormat = "bulwark-audit-archive/1";

// Where the stored log starts: 0 and an empty range for a log never archived.
struct LogStart {
  std::uint64_t size = 0;
  std::vector<Hash> frontier;         // compact range of [0, size)
  std::optional<ArchiveRecord> last;  // the archive that ends at `size`
};
// Reads the newest archive record. DataLoss when its stored range is malformed.
Result<LogStart> LogStartOf(const AuditLog& log);

// Compact range <-> the bytes stored in ArchiveRecord::frontier (hashes concatenated).
std::vector<std::uint8_t> FrontierToBytes(std::span<const Hash> frontier);
// InvalidArgument unless `bytes` is exactly popcount(size) hashes.
Result<std::vector<Hash>> FrontierFromBytes(std::uint64_t size,
                                            std::span<const std::uint8_t> bytes);

// A TreeReader over a log whose leaves [0, start) were archived: nodes that lie inside the
// compact range of [0, start) or cover only stored leaves are served, and so are the nodes that
// straddle `start` (folded from the range and the stored leaves). Anything that needs an archived
// leaf fails with FailedPrecondition "events [a, b) are archived in <file>". Proofs for leaves
// >= start in trees of size >= start, and consistency proofs between sizes >= start, therefore
// work as on the unpruned log (proof.h).
class ArchivedTreeReader final : public TreeReader {
 public:
  ArchivedTreeReader(const TreeReader& base, std::uint64_t start, std::vector<Hash> frontier,
                     std::string archive_file);
  // Over `log` from its LogStartOf.
  static Result<ArchivedTreeReader> ForLog(const AuditLog& log);

  std::uint64_t start() const { return start_; }
  Result<std::uint64_t> LeafCount() const override;
  Status ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                        std::vector<Hash>& out) const override;
  Status ReadNodeHashes(std::span<const NodeId> ids,
                        std::span<std::optional<Hash>> out) const override;

 private:
  const TreeReader* base_;
  std::uint64_t start_;
  std::vector<Hash> frontier_;
  std::vector<NodeId> frontier_ids_;  // the node of each frontier hash
  std::string file_;
};

struct ArchiveOptions {
  std::filesystem::path out;
  // The boundary: the first stored event whose (indexed) time is >= before_us, or before_index;
  // exactly one must be set. Capped at the size of the checkpoint published when the archive
  // starts; an archive never holds events appended while it runs.
  std::optional<std::int64_t> before_us;
  std::optional<std::uint64_t> before_index;
  // false: write and verify the file but keep the events in the database (no record either).
  bool prune = true;
  // When set, the boundary is also capped here (the CLI: the lowest cursor of the configured
  // audit sinks, so that no event a sink has not acknowledged is archived away).
  std::optional<std::uint64_t> max_end;
};

struct ArchiveResult {
  bool archived = false;  // false: nothing older than the boundary is stored
  std::uint64_t start = 0, end = 0;
  std::filesystem::path file;  // absolute
  std::string sha256_hex;
  std::uint64_t later_size = 0;  // the checkpoint the consistency proof leads to
  bool capped = false;           // the boundary was lowered to options.max_end
};

// Verifies the stored log (VerifyAuditLog: an archive only ever holds a log that verifies clean),
// writes the archive of [LogStart, boundary) to options.out, re-verifies the file and prunes.
// FailedPrecondition when the log has tampering findings or no signer; InvalidArgument for bad
// options.
Result<ArchiveResult> ArchiveLog(AuditLog& log, const CheckpointVerifier& verifier,
                                 const ArchiveOptions& options);

enum class ArchiveProblem : std::uint8_t {
  kMalformed,      // not an archive, a bad header or event line
  kBadCheckpoint,  // a checkpoint in the header does not verify or has the wrong size
  kStartRange,     // start_range does not fold to the start checkpoint's root
  kIndex,          // an event missing, inserted or out of order (named by index)
  kEventMismatch,  // an event member that does not canonicalize to its leaf (named by index)
  kRootMismatch,   // the events do not hash to a signed root (a modified event in a range)
  kEndRange,       // end_range is not the compact range of the events
  kConsistency,    // the consistency proof to the later checkpoint does not verify
  kNotRecorded,    // the file is not the one the log recorded for its range
  kChain,          // two consecutive archive files that do not link up
};
// "malformed", "bad checkpoint", "start range", "index", "event mismatch", "root mismatch",
// "end range", "consistency", "not recorded", "chain".
std::string_view ArchiveProblemName(ArchiveProblem problem);

struct ArchiveFinding {
  ArchiveProblem problem;
  std::optional<std::uint64_t> index;  // the first event concerned, when known
  std::string message;
};

struct ArchiveVerification {
  std::filesystem::path file;
  std::uint64_t start = 0, end = 0;
  std::string sha256_hex;                    // of the whole file
  std::vector<Hash> start_range, end_range;  // as read from the header
  std::string previous_sha256_hex;           // header previous_archive_sha256 ("" when null)
  std::optional<Checkpoint> end_checkpoint;  // opened, when valid
  std::vector<ArchiveFinding> findings;
  bool clean() const { return findings.empty(); }
  std::string Summary() const;
};

// Verifies an archive file on its own against the log's keys (docs/formats-audit.md section 9).
// Errors only for I/O; everything wrong with the contents is a finding.
Result<ArchiveVerification> VerifyArchiveFile(const std::filesystem::path& path,
                                              const CheckpointVerifier& verifier);

// For archive files given together (any order): each one that starts where another ends must
// name that file's SHA-256 as previous_archive_sha256 and start from its end range; kChain
// findings otherwise (on the later file).
void CheckArchiveChain(std::span<ArchiveVerification> archives);

// Adds kNotRecorded findings unless the verified file is the one `records` holds for its range
// (same start and end, compact range and SHA-256).
void CheckArchiveRecorded(std::span<const ArchiveRecord> records, ArchiveVerification& v);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDITLOG_ARCHIVE_H_
