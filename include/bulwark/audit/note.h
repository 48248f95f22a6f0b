// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys: the envelope of Bulwark's
// audit checkpoints.
//
// A signed note is the note text, a blank line, and one or more signature lines:
//
//   <text: one or more lines, each ending in "\n">
//   "\n"
//   "— " <key name> " " <base64(key id (4 bytes, big-endian) || signature)> "\n"   (repeated)
//
// "—" is U+2014 EM DASH (UTF-8 e2 80 94). The text must be non-empty valid UTF-8 ending in "\n"
// with no control characters other than "\n". A key name is non-empty UTF-8 without spaces or "+".
// An Ed25519 signature (type 0x01) is the 64-byte RFC 8032 signature of the text bytes (including
// the final "\n", excluding the blank line). The key id is the first 4 bytes of
// SHA-256(key name || 0x0A || 0x01 || 32-byte public key).
//
// Verifier keys are text: "<name>+<8 lowercase hex digits key id>+<base64(0x01 || public key)>".
// Signer keys (secret) are "PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || 32-byte seed)>", the
// format of Go's golang.org/x/mod/sumdb/note.
//
// Verification (OpenNote) follows Go's note.Open: signatures by keys the caller does not know are
// ignored (a note may carry witness cosignatures or a rotated key's signature); a signature that
// claims a known key (same name and key id) but does not verify is an error (a forgery); the note
// is accepted when at least one known key's signature verifies. Key rotation: sign with both the
// old and the new key during the overlap, and verifiers that know either accept the note.
//
// Errors: every parse error is InvalidArgument and names the line (1-based) and what is wrong;
// signature failures and "no known signature" are DataLoss.
//
// Thread safety: NoteSigner and NoteVerifier are immutable after creation; const use from several
// threads is safe.
#ifndef BULWARK_AUDIT_NOTE_H_
#define BULWARK_AUDIT_NOTE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/crypto/signer.h"

namespace bulwark::audit {

inline constexpr std::uint8_t kNoteEd25519 = 0x01;  // signature type byte in key ids and vkeys
inline constexpr std::size_t kMaxNoteSignatures = 100;

struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  std::vector<std::uint8_t> signature;  // the bytes after the 4-byte key id
  friend bool operator==(const NoteSignature&, const NoteSignature&) = default;
};

struct Note {
  std::string text;  // ends with "\n"
  std::vector<NoteSignature> signatures;
};

// Strict parse of a signed note (at least one signature line, nothing after the last one).
Result<Note> ParseNote(std::string_view message);
// The inverse of ParseNote. The caller guarantees a valid text and names.
std::string FormatNote(const Note& note);

// Checks the text rules above; InvalidArgument naming the line otherwise.
Status ValidateNoteText(std::string_view text);
// Checks the key name rules above.
Status ValidateKeyName(std::string_view name);
// First 4 bytes of SHA-256(name || 0x0A || type || public_key), big-endian.
std::uint32_t NoteKeyId(std::string_view name, std::uint8_t type,
                        std::span<const std::uint8_t> public_key);

class NoteVerifier {
 public:
  // Parses "<name>+<hex key id>+<base64(0x01 || public key)>"; InvalidArgument when malformed, when
  // the type is not Ed25519 or when the key id does not match the name and key.
  static Result<NoteVerifier> FromVerifierKey(std::string_view vkey);
  static Result<NoteVerifier> FromPublicKey(std::string_view name,
                                            std::span<const std::uint8_t> public_key);

  const std::string& name() const { return name_; }
  std::uint32_t key_id() const { return key_id_; }
  const crypto::Ed25519PublicKey& public_key() const { return verifier_->public_key(); }
  // The verifier key string.
  std::string VerifierKey() const;
  // Ok when `signature` (without key id) is this key's signature of `text`, else DataLoss.
  Status Verify(std::string_view text, std::span<const std::uint8_t> signature) const;

 private:
  NoteVerifier(std::string name, std::uint32_t key_id,
               std::shared_ptr<const crypto::Ed25519Verifier> verifier)
      : name_(std::move(name)), key_id_(key_id), verifier_(std::move(verifier)) {}
  std::string name_;
  std::uint32_t key_id_;
  std::shared_ptr<const crypto::Ed25519Verifier> verifier_;
};

class NoteSigner {
 public:
  // `seed` is the 32-byte Ed25519 private key seed.
  static Result<std::unique_ptr<NoteSigner>> Create(std::string_view name, const SecretBytes& seed);
  // Parses a "PRIVATE+KEY+..." signer key string (held in SecretBytes: it contains the seed).
  static Result<std::unique_ptr<NoteSigner>> FromSignerKey(const SecretBytes& skey);

  const std::string& name() const { return name_; }
  std::uint32_t key_id() const { return key_id_; }
  NoteVerifier Verifier() const { return verifier_; }
  // The signer key string (secret).
  SecretBytes SignerKey() const;
  // Signs `text` (validated with ValidateNoteText).
  Result<NoteSignature> Sign(std::string_view text) const;

 private:
  NoteSigner(std::string name, std::uint32_t key_id, std::unique_ptr<crypto::Ed25519Signer> signer,
             SecretBytes seed, NoteVerifier verifier)
      : name_(std::move(name)),
        key_id_(key_id),
        signer_(std::move(signer)),
        seed_(std::move(seed)),
        verifier_(std::move(verifier)) {}
  std::string name_;
  std::uint32_t key_id_;
  std::unique_ptr<crypto::Ed25519Signer> signer_;
  SecretBytes seed_;
  NoteVerifier verifier_;
};

// Signs `text` with every signer (at least one) and returns the signed note.
Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers);

struct VerifiedNote {
  std::string text;
  std::vector<NoteSignature> verified;  // signatures by known keys, all of which verified
  std::vector<NoteSignature> unknown;   // signatures by keys not in the verifier list
};

// Parses `message` and checks its signatures against `verifiers` (semantics above).
Result<VerifiedNote> OpenNote(std::string_view message, std::span<const NoteVerifier> verifiers);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDIT_NOTE_H_
