// CheckpointVerifier: accepts a log's signed checkpoints and checks that each new one extends the
// last one the verifier trusted, so that a log that rolled back or forked (showed different
// histories to different readers, or rewrote its past) is detected.
//
// A client keeps the last checkpoint it verified. For a new signed checkpoint it asks the log for a
// consistency proof from the old size to the new size and calls CheckUpdate:
//   - the new note must carry a valid signature by one of the log's keys and the log's origin;
//   - new size <  old size: rollback (the log now claims fewer entries than it already signed);
//   - new size == old size: the roots must be equal, otherwise the log signed two different trees
//     of the same size: a fork, proven by the two signed checkpoints alone;
//   - new size >  old size: the consistency proof must show that the old tree is a prefix of the
//     new one (RFC 9162 2.1.4.2); if it does not, the log's history was rewritten or forked (or
//     the proof is bogus: either way the new checkpoint must not be trusted).
// An old checkpoint of size 0 is extended by any new checkpoint (there is nothing to be consistent
// with; the proof must then be empty).
//
// Thread safety: immutable after Create; const methods may be called concurrently.
#ifndef BULWARK_AUDIT_CHECKPOINT_VERIFIER_H_
#define BULWARK_AUDIT_CHECKPOINT_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/note.h"

namespace bulwark::audit {

enum class CheckpointFinding : std::uint8_t {
  kExtends,       // the new checkpoint extends (or equals) the trusted one
  kInvalidNote,   // the new note is malformed, unsigned by a known key, or for another origin
  kRollback,      // the new checkpoint is smaller than the trusted one
  kFork,          // same size, different root
  kInconsistent,  // larger, but the consistency proof does not connect the two roots
};

// "extends", "invalid note", "rollback", "fork", "inconsistent".
std::string_view CheckpointFindingName(CheckpointFinding finding);

struct CheckpointCheck {
  CheckpointFinding finding = CheckpointFinding::kExtends;
  std::string message;                   // one human-readable sentence
  std::optional<Checkpoint> checkpoint;  // the new checkpoint, once its signature verified
  bool ok() const { return finding == CheckpointFinding::kExtends; }
};

class CheckpointVerifier {
 public:
  // `origin` names the log; `verifiers` are its keys (several during a key rotation).
  // InvalidArgument when the origin is empty or no verifier is given.
  static Result<CheckpointVerifier> Create(std::string origin, std::vector<NoteVerifier> verifiers);

  const std::string& origin() const { return origin_; }
  const std::vector<NoteVerifier>& verifiers() const { return verifiers_; }

  // OpenCheckpoint with this log's origin and keys.
  Result<Checkpoint> Open(std::string_view signed_note) const;

  // Checks `new_note` against `trusted` with `proof` = ConsistencyProof(trusted.size, new size).
  CheckpointCheck CheckUpdate(const Checkpoint& trusted, std::string_view new_note,
                              std::span<const Hash> proof) const;
  // Same with an already opened new checkpoint.
  CheckpointCheck CheckUpdate(const Checkpoint& trusted, const Checkpoint& next,
                              std::span<const Hash> proof) const;

 private:
  CheckpointVerifier(std::string origin, std::vector<NoteVerifier> verifiers)
      : origin_(std::move(origin)), verifiers_(std::move(verifiers)) {}
  std::string origin_;
  std::vector<NoteVerifier> verifiers_;
};

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_CHECKPOINT_VERIFIER_H_
