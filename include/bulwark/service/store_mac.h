// The key that authenticates the store's versions (docs/store.md, "Authenticated versions").
//
// Every version the service writes carries an HMAC-SHA256 tag under this key over the namespace's
// identity, the version number, the parent's tag, the metadata, the content hash and the schema
// in force; the service verifies it on every read. The key never enters the database: it is a
// file in the home (`<home>/store-mac.key`, 0600), shared by every server over one database.
//
// File format (text):
//   bulwark-store-mac-key v1
//   id <16 lowercase hex: the first 8 bytes of SHA-256("bulwark-store-mac-key-id" || key)>
//   key <base64 of the 32 key bytes>
//
// Errors: Parse and ReadStoreMacKey return kDataLoss naming the file for a malformed file (wrong
// header, key length or id), kNotFound when the file is missing; WriteStoreMacKey refuses to
// replace an existing file (kAlreadyExists). Messages never contain key bytes.
//
// Thread safety: a StoreMacKey is immutable; Tag and Verify may run concurrently.
#ifndef BULWARK_SERVICE_STORE_MAC_H_
#define BULWARK_SERVICE_STORE_MAC_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/core/file_lock.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/store/config_store.h"

namespace bulwark::service {

inline constexpr std::size_t kStoreMacKeySize = 32;

class StoreMacKey {
 public:
  // kInvalidArgument unless `key` is exactly 32 bytes.
  static Result<std::shared_ptr<const StoreMacKey>> Create(SecretBytes key);
  static Result<std::shared_ptr<const StoreMacKey>> Generate(SecureRandom& random);
  // The file's text; `source` names it in errors.
  static Result<std::shared_ptr<const StoreMacKey>> Parse(std::string_view text,
                                                          std::string_view source);

  // The file's text (holds the key: write it 0600 and wipe the string after use).
  std::string Serialize() const;
  // 16 lowercase hex characters; stored in every tag so that a tag made under another home's
  // key is recognized as such.
  const std::string& id() const { return id_; }

  Result<crypto::Sha256Digest> Tag(std::span<const std::uint8_t> message) const;
  // OK or kDataLoss; constant time.
  Status Verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> tag) const;

 private:
  StoreMacKey(SecretBytes key, std::string id, crypto::HmacSha256Key hmac)
      : key_(std::move(key)), id_(std::move(id)), hmac_(std::move(hmac)) {}
  SecretBytes key_;
  std::string id_;
  crypto::HmacSha256Key hmac_;
};

// Reads the key file (kNotFound when it does not exist).
Result<std::shared_ptr<const StoreMacKey>> ReadStoreMacKey(const FileSystem& fs,
                                                           const std::filesystem::path& path);
// Writes a new key file (0600, atomically); kAlreadyExists if the file exists.
Status WriteStoreMacKey(FileSystem& fs, const std::filesystem::path& path, const StoreMacKey& key);

// Opening a home's key for a store (docs/store.md, "The key" and "Migration").
//
// If `path` exists it is read. If it is missing and the store holds no tagged version (a new
// store, or one written before versions carried tags), a key is created under `<path>.new`
// (or a creation interrupted earlier is resumed from it) with `created` set: the caller seals the
// store's untagged versions (ConfigService::SealUnauthenticated) and then calls Commit, which
// renames the key into place. Until then `<path>.lock` is held, so a concurrent command waits
// instead of creating a second key. If the key is missing but the store already holds tagged
// versions, kUnavailable (exit 5) names the file: a new key would fail every version, and creating
// one silently would let whoever removed the file start a new history.
struct StoreMacKeyOpening {
  std::shared_ptr<const StoreMacKey> key;
  bool created = false;
  std::int64_t untagged = 0;  // versions without a tag (to seal) when created
  std::filesystem::path path;
  std::filesystem::path pending;
  std::optional<FileLock> lock;
  // Renames the new key into place (when created) and releases the lock.
  Status Commit(FileSystem& fs);
};
Result<StoreMacKeyOpening> OpenStoreMacKey(FileSystem& fs, const std::filesystem::path& path,
                                           const store::ConfigStore& store, SecureRandom& random);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_STORE_MAC_H_
