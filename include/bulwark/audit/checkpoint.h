// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed statement "the log named
// <origin> has <size> leaves and this root hash".
//
// Body (the text of a signed note, see note.h), each line ending in "\n":
//   line 1: origin        unique name of the log, e.g. "bulwark.example.com/audit"; non-empty,
//                         UTF-8, no control characters
//   line 2: tree size     ASCII decimal, no sign, no leading zeros ("0" for an empty log), < 2^64
//   line 3: root hash     standard base64 (with padding) of the 32-byte RFC 9162 root
//   lines 4..: extension  optional, each non-empty; Bulwark writes none but keeps what it reads
//
// Thread safety: plain value types and free functions.
#ifndef BULWARK_AUDIT_CHECKPOINT_H_
#define BULWARK_AUDIT_CHECKPOINT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/audit/merkle_hash.h"
#include "bulwark/audit/note.h"
#include "bulwark/core/error.h"

namespace bulwark::audit {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The body text. The caller guarantees a valid origin and extension lines (ParseCheckpoint of the
// result gives the checkpoint back).
std::string FormatCheckpoint(const Checkpoint& checkpoint);
// Strict parse of a checkpoint body; InvalidArgument naming the line otherwise.
Result<Checkpoint> ParseCheckpoint(std::string_view body);

// Formats `checkpoint` and signs it with every signer: the signed note to publish.
Result<std::string> SignCheckpoint(const Checkpoint& checkpoint,
                                   std::span<const NoteSigner* const> signers);

// Opens a signed checkpoint note: the signature rules of OpenNote, then ParseCheckpoint of the
// text, then the origin must equal `origin` (InvalidArgument otherwise: it is another log's).
Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, std::string_view origin,
                                  std::span<const NoteVerifier> verifiers);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_CHECKPOINT_H_
