// LocalKeystoreProvider: key-encryption keys (KEKs) kept in a local file protected by a passphrase.
//
// The keystore file holds one or more random 256-bit KEKs (the newest is current), encrypted with
// AES-256-GCM under a key derived from the passphrase by Argon2id (PBKDF2-HMAC-SHA256 under a FIPS
// policy); the KDF parameters and salt are stored in the file. The byte layout is in
// docs/formats-keys.md ("keystore file").
//
// Durability: every write of a new generation goes to "<path>.prev" first and then to <path>, the
// same bytes, each through FileSystem::WriteFileAtomic with mode 0600: <path>.prev is a mirror of
// the newest generation, never an older one, so recovering from it loses no KEK rotation, keeps no
// removed or retired KEK, and does not open with a passphrase that was changed
// (docs/formats-keys.md, section 3). A crash between the two writes leaves <path> at the
// generation before, which is what the keyring on disk still matches (callers write the keyring
// only after a rotation returns). Each file ends with a SHA-256 checksum of all its other bytes,
// so a corrupted, truncated or half-written file is told apart from a wrong passphrase:
//  - current file fails its checksum (or is missing) but <path>.prev is intact: Open succeeds from
//    <path>.prev, restores <path> from it, and reports a warning in Opened::warnings;
//  - both fail: kDataLoss naming both files;
//  - checksum intact but decryption fails: kUnauthenticated ("wrong passphrase, or the keystore was
//    altered"); <path>.prev is not tried.
//
// Wrapped-DEK blob (what WrapKey returns), byte by byte:
//   0x01 | KEK id (4, big-endian) | nonce (12) | AES-256-GCM ciphertext of the DEK | tag (16)
// with the caller's context as associated data.
//
// Thread safety: WrapKey/UnwrapKey/Describe/HealthCheck may run concurrently; RotateKek,
// ChangePassphrase and RemoveKek must not run concurrently with anything else.
#ifndef BULWARK_KEYS_LOCAL_KEYSTORE_H_
#define BULWARK_KEYS_LOCAL_KEYSTORE_H_

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/runtime.h"
#include "bulwark/crypto/aead.h"
#include "bulwark/crypto/kdf.h"
#include "bulwark/crypto/policy.h"
#include "bulwark/keys/key_id.h"
#include "bulwark/keys/key_provider.h"

namespace bulwark::keys {

class LocalKeystoreProvider final : public KeyProvider {
 public:
  struct Opened {
    std::unique_ptr<LocalKeystoreProvider> provider;
    // Human-readable notes about recovery ("recovered generation 4 from ...prev").
    std::vector<std::string> warnings;
  };

  // Creates a new keystore at `path` with one fresh KEK. kAlreadyExists if `path` exists.
  // `kdf` defaults to the policy's password KDF with its default parameters and a fresh salt;
  // kFailedPrecondition if the policy forbids the given KDF (Argon2id in FIPS mode).
  static Result<std::unique_ptr<LocalKeystoreProvider>> Create(
      const std::filesystem::path& path, const SecretBytes& passphrase, Runtime runtime,
      crypto::AlgorithmPolicy policy, std::optional<crypto::PasswordKdfParams> kdf = std::nullopt);

  // Opens an existing keystore (see "Durability" above for the errors). kNotFound if neither
  // `path` nor `path`.prev exists.
  static Result<Opened> Open(const std::filesystem::path& path, const SecretBytes& passphrase,
                             Runtime runtime, crypto::AlgorithmPolicy policy);

  Result<std::vector<std::uint8_t>> WrapKey(const SecretBytes& dek,
                                            std::span<const std::uint8_t> context) const override;
  Result<SecretBytes> UnwrapKey(std::span<const std::uint8_t> wrapped,
                                std::span<const std::uint8_t> context) const override;
  // Adds a new current KEK and writes the keystore (new generation).
  Status RotateKek() override;
  // Drops every KEK but the current one and writes the resulting generation (to <path>.prev, then
  // <path>), so neither file keeps a retired KEK and either alone opens the keystore. Always
  // writes, also when nothing is dropped (so a .prev written by an older version, which kept the
  // generation before, is replaced too). On a write error the KEKs stay in memory and on disk in
  // the file that was not rewritten; running it again completes.
  Result<std::size_t> RetireOldKeks() override;
  std::string Describe() const override;
  // Re-reads the file and checks its checksum: kUnavailable if unreadable, kDataLoss if corrupt.
  Status HealthCheck() const override;

  // Re-encrypts the keystore under a new passphrase (fresh salt, same KDF kind and parameters).
  Status ChangePassphrase(const SecretBytes& new_passphrase);
  // Removes an old KEK after every DEK was re-wrapped; the current KEK cannot be removed.
  Status RemoveKek(KeyId id);

  KeyId current_kek_id() const { return current_; }
  std::vector<KeyId> kek_ids() const;
  std::uint64_t generation() const { return generation_; }
  const std::filesystem::path& path() const { return path_; }

  ~LocalKeystoreProvider() override;

 private:
  struct Kek {
    TimePoint created;
    SecretBytes material;
    std::unique_ptr<crypto::AeadCipher> cipher;
  };
  LocalKeystoreProvider(std::filesystem::path path, Runtime runtime,
                        crypto::AlgorithmPolicy policy);
  Status AddKek(KeyId id, TimePoint created, SecretBytes material);
  // Serializes a new generation and writes it to <path>.prev, then to <path>.
  Status Write();

  std::filesystem::path path_;
  Runtime runtime_;
  crypto::AlgorithmPolicy policy_;
  crypto::PasswordKdfParams kdf_;
  SecretBytes file_key_;  // derived from the passphrase
  std::map<KeyId, Kek> keks_;
  KeyId current_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace bulwark::keys

#endif  // BULWARK_KEYS_LOCAL_KEYSTORE_H_
