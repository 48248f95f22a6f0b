// Encrypted configuration files: the sensitive values of a YAML, JSON, TOML, dotenv or INI file are
// replaced in place by ENC[...] tokens (token.h), and a metadata block with a document MAC is
// appended. Everything else (comments, key order, quoting of other values, anchors, blank lines,
// line endings) stays byte-identical, and DecryptFile gives back the original bytes exactly.
//
// Metadata (docs/formats-encfile.md, "Document metadata") records the format version, a random
// document id (bound into every token's associated data, so tokens cannot move between files),
// the creation time, the key ids in use, whether the original ended with a line break, and the
// MAC: an ENC token holding SHA-256 over the ordered list of (path, plaintext bytes) of ALL the
// document's values, encrypted under the primary key with the other metadata fields as associated
// data. Removing, adding, reordering or changing any value, or altering the metadata, is detected.
//
// Safety: EncryptFile decrypts its own output and compares it with the input before returning, so
// a file whose layout the scanners misjudge is refused (kInternal) rather than written wrongly.
//
// Errors:
//   kInvalidArgument  the file does not parse (spans.h messages), it is already encrypted, a plain
//                     value already looks like an ENC token, or the format cannot carry metadata
//                     (YAML/JSON/TOML roots must be maps);
//   kDataLoss         integrity failure: a token that does not authenticate (tampered, moved to
//                     another path or file, wrong key material), a malformed token, metadata that
//                     is missing pieces or altered, or a MAC mismatch. Messages name the path and
//                     line, never a value;
//   kNotFound         a token's key id is not in the keyring ("key 1a2b3c4d is not in the
//   keyring"); kFailedPrecondition  a token's key is disabled, destroyed or compromised
//   (keyring.h).
#ifndef BULWARK_SECFILE_ENCFILE_H_
#define BULWARK_SECFILE_ENCFILE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/config/sensitivity.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/secfile/spans.h"

namespace bulwark::secfile {

inline constexpr std::uint32_t kMetadataVersion = 1;

struct DocumentMetadata {
  std::uint32_t version = kMetadataVersion;
  std::string id;                    // 32 lowercase hex digits
  std::string created;               // RFC 3339 UTC
  std::vector<keys::KeyId> key_ids;  // sorted, unique: value tokens' keys and the MAC's key
  bool final_newline = true;         // false when encryption added a line break before metadata
  std::string mac;                   // ENC token of the values digest
};

struct EncryptOptions {
  std::string source_name = "<input>";
  // The values to encrypt: these paths and everything under them. When unset, `classifier`
  // decides (or, when that is null too, the field-name heuristic IsSensitiveKeyName).
  std::optional<std::vector<config::Path>> paths;
  const config::SensitivityClassifier* classifier = nullptr;
  // Reuse this document id (re-encryption, edit); empty: a fresh random id.
  std::string document_id;
  // Reuse this creation time; empty: now.
  std::string created;
};

struct EncryptedFile {
  std::string text;
  DocumentMetadata metadata;
  std::vector<config::Path> encrypted;  // in document order
};

struct DecryptOptions {
  std::string source_name = "<input>";
  // Accept values whose key is marked compromised (only to move them to a new key).
  bool allow_compromised = false;
};

struct DecryptedFile {
  std::string text;  // the original bytes
  DocumentMetadata metadata;
  std::vector<config::Path> encrypted;                // in document order
  std::map<keys::KeyId, std::size_t> values_per_key;  // value tokens per key id
};

// True when the text carries Bulwark metadata (it was encrypted by EncryptFile).
bool IsEncryptedFile(std::string_view text, FileFormat format);

// The paths EncryptFile would encrypt with `classifier` (null: name heuristic), outermost first.
Result<std::vector<config::Path>> SensitivePaths(std::string_view text, FileFormat format,
                                                 const config::SensitivityClassifier* classifier,
                                                 std::string_view source_name = "<input>");

// Encrypts a plaintext file. `runtime` provides the clock (creation time) and randomness
// (document id); nonces come from the keyring.
Result<EncryptedFile> EncryptFile(std::string_view text, FileFormat format,
                                  const keys::Keyring& keyring, const Runtime& runtime,
                                  const EncryptOptions& options = {});

// Verifies every token and the MAC and returns the original bytes.
Result<DecryptedFile> DecryptFile(std::string_view text, FileFormat format,
                                  const keys::Keyring& keyring, const DecryptOptions& options = {});

// Decrypts and encrypts the same values again under the keyring's current primary key (rotation:
// values under old or compromised keys move to the primary), keeping the document id and creation
// time. `moved` receives the number of value tokens per old key id.
struct ReencryptedFile {
  EncryptedFile file;
  std::map<keys::KeyId, std::size_t> previous_keys;
};
Result<ReencryptedFile> ReencryptFile(std::string_view text, FileFormat format,
                                      const keys::Keyring& keyring, const Runtime& runtime,
                                      std::string_view source_name = "<input>");

// The key ids an encrypted file uses, read without decrypting anything (so it works with any
// keyring, and for keys that are disabled or destroyed): every value token's path and key id, in
// document order, plus the metadata (its `key_ids` include the MAC's key). Nothing is
// authenticated: use it to find where keys are used, not to trust the file. kDataLoss when the
// metadata is missing or malformed or a token does not parse; kInvalidArgument when the text does
// not parse in its format.
struct TokenRef {
  config::Path path;
  keys::KeyId key_id = 0;
};
struct FileTokens {
  DocumentMetadata metadata;
  std::vector<TokenRef> values;
  keys::KeyId mac_key_id = 0;
  // Value tokens per key id (the MAC is not counted).
  std::map<keys::KeyId, std::size_t> ValuesPerKey() const;
};
Result<FileTokens> ListTokens(std::string_view text, FileFormat format,
                              std::string_view source_name = "<input>");

}  // namespace bulwark::secfile

#endif  // BULWARK_SECFILE_ENCFILE_H_
