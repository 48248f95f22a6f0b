#include "bulwark/audit/checkpoint_verifier.h"

#include <fmt/format.h>

#include "bulwark/audit/proof.h"

namespace bulwark::audit {

std::string_view CheckpointFindingName(CheckpointFinding finding) {
  switch (finding) {
    case CheckpointFinding::kExtends:
      return "extends";
    case CheckpointFinding::kInvalidNote:
      return "invalid note";
    case CheckpointFinding::kRollback:
      return "rollback";
    case CheckpointFinding::kFork:
      return "fork";
    case CheckpointFinding::kInconsistent:
      return "inconsistent";
  }
  return "unknown";
}

Result<CheckpointVerifier> CheckpointVerifier::Create(std::string origin,
                                                      std::vector<NoteVerifier> verifiers) {
  if (origin.empty()) return InvalidArgumentError("checkpoint verifier: empty origin");
  if (verifiers.empty()) return InvalidArgumentError("checkpoint verifier: no verifier key");
  return CheckpointVerifier(std::move(origin), std::move(verifiers));
}

Result<Checkpoint> CheckpointVerifier::Open(std::string_view signed_note) const {
  return OpenCheckpoint(signed_note, origin_, verifiers_);
}

CheckpointCheck CheckpointVerifier::CheckUpdate(const Checkpoint& trusted,
                                                std::string_view new_note,
                                                std::span<const Hash> proof) const {
  auto next = Open(new_note);
  if (!next) {
    return {CheckpointFinding::kInvalidNote,
            fmt::format("new checkpoint rejected: {}", next.error().message()), std::nullopt};
  }
  return CheckUpdate(trusted, *next, proof);
}

CheckpointCheck CheckpointVerifier::CheckUpdate(const Checkpoint& trusted, const Checkpoint& next,
                                                std::span<const Hash> proof) const {
  CheckpointCheck check{CheckpointFinding::kExtends, "", next};
  if (next.origin != origin_ || trusted.origin != origin_) {
    check.finding = CheckpointFinding::kInvalidNote;
    check.message = fmt::format("checkpoint origin \"{}\" / \"{}\" is not the log \"{}\"",
                                trusted.origin, next.origin, origin_);
    return check;
  }
  if (next.size < trusted.size) {
    check.finding = CheckpointFinding::kRollback;
    check.message = fmt::format(
        "log rolled back: new checkpoint has {} entries but a checkpoint with {} was already "
        "verified",
        next.size, trusted.size);
    return check;
  }
  if (next.size == trusted.size) {
    if (next.root != trusted.root) {
      check.finding = CheckpointFinding::kFork;
      check.message = fmt::format(
          "log forked: two signed checkpoints of size {} have different roots ({} and {})",
          next.size, HashToHex(trusted.root), HashToHex(next.root));
    } else {
      check.message = fmt::format("checkpoint unchanged at size {}", next.size);
    }
    return check;
  }
  if (trusted.size == 0) {
    if (!proof.empty()) {
      check.finding = CheckpointFinding::kInconsistent;
      check.message = "a consistency proof from the empty tree must be empty";
    } else {
      check.message = fmt::format("log grew from 0 to {} entries", next.size);
    }
    return check;
  }
  if (auto s = VerifyConsistency(trusted.size, next.size, proof, trusted.root, next.root); !s) {
    check.finding = CheckpointFinding::kInconsistent;
    check.message = fmt::format(
        "log history rewritten or forked: the new checkpoint (size {}) is not proven to extend the "
        "verified checkpoint (size {}): {}",
        next.size, trusted.size, s.error().message());
    return check;
  }
  check.message = fmt::format("log grew from {} to {} entries", trusted.size, next.size);
  return check;
}

}  // namespace bulwark::audit
