// Keyring: the set of data keys (DEKs) that encrypt values, in the style of a Tink keyset.
//
// Every key has an id (random 32-bit, "1a2b3c4d"), a version (1, 2, 3... in creation order), an
// AEAD algorithm, a creation time (from the injected Clock), a usage count and a state:
//
//   state          encrypts  decrypts  material kept  how it gets there
//   kPrimary       yes       yes       yes            Create, Rotate (exactly one per keyring)
//   kDecryptOnly   no        yes       yes            Rotate (the previous primary), Enable
//   kDisabled      no        no        yes            Disable (reversible with Enable)
//   kCompromised   no        only via  yes            MarkCompromised (irreversible)
//                            DecryptForReencryption
//   kDestroyed     no        no        no (wiped)     Destroy (irreversible)
//
// Rotation makes a new primary and demotes the old one to kDecryptOnly: nothing is re-encrypted,
// because every ciphertext carries the id of its key. A primary cannot be disabled, destroyed or
// marked compromised without rotating first (MarkCompromised on the primary rotates for you).
//
// Keyed ciphertext layout (what Encrypt returns and Decrypt accepts), byte by byte:
//   offset 0   0x01                       format version
//   offset 1   key id, 4 bytes big-endian the key that encrypted it
//   offset 5   nonce || ciphertext || tag the AeadCipher layout of that key's algorithm
//                                         (bulwark/crypto/aead.h: 12- or 24-byte nonce, 16-byte
//                                         tag)
// The prefix is not part of the associated data; altering it selects another key (or none) and
// authentication fails. EncryptParts returns the same pieces separately for token formats.
//
// Persistence: Serialize writes the keyring file (docs/formats-keys.md, "keyring file"): metadata
// and each DEK wrapped by a KeyProvider, under an HMAC-SHA256 whose fresh random key is itself
// wrapped by the provider, so metadata (states, ids, usage) cannot be altered without detection.
// Load reverses it. Every Serialize wraps every DEK under the provider's *current* KEK, so rotating
// the KEK (KeyProvider::RotateKek) and saving re-wraps the DEKs and touches nothing else: no
// ciphertext changes. Usage counts are saved with the keyring; save after encrypting (the count
// only needs to be approximately right: the limit is 2^32).
//
// Errors: Encrypt: kFailedPrecondition if the primary's algorithm is not allowed by the policy,
// kResourceExhausted when the primary reached its usage limit (rotate). Decrypt: kDataLoss for
// malformed or unauthenticated input; kNotFound "key 1a2b3c4d is not in the keyring";
// kFailedPrecondition "key 1a2b3c4d is disabled / destroyed / compromised". State changes:
// kNotFound for unknown ids, kFailedPrecondition for forbidden transitions.
//
// Thread safety: all methods are safe to call concurrently; Encrypt/Decrypt share a reader lock and
// state changes (Rotate, Disable, ...) take a writer lock, so rotation during use is safe: an
// encryption either uses the old primary or the new one, and both decrypt afterwards.
#ifndef BULWARK_KEYS_KEYRING_H_
#define BULWARK_KEYS_KEYRING_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/crypto/aead.h"
#include "bulwark/crypto/policy.h"
#include "bulwark/keys/key_id.h"
#include "bulwark/keys/key_provider.h"

namespace bulwark::keys {

enum class KeyState : std::uint8_t {
  kPrimary = 1,
  kDecryptOnly = 2,
  kDisabled = 3,
  kCompromised = 4,
  kDestroyed = 5,
};
// "primary", "decrypt-only", "disabled", "compromised", "destroyed".
std::string_view KeyStateName(KeyState state);

struct KeyInfo {
  KeyId id = 0;
  std::uint32_t version = 0;
  crypto::AeadAlgorithm algorithm = crypto::kDefaultAeadAlgorithm;
  TimePoint created;
  KeyState state = KeyState::kPrimary;
  std::uint64_t usage = 0;        // encryptions made with this key
  std::uint64_t usage_limit = 0;  // encryptions allowed before rotation is required
};

// The pieces of one keyed encryption (for the ENC[...] token layer).
struct KeyedCiphertext {
  KeyId key_id = 0;
  crypto::AeadAlgorithm algorithm = crypto::kDefaultAeadAlgorithm;
  crypto::AeadParts parts;  // nonce, ciphertext, tag
};

inline constexpr std::uint8_t kKeyedCiphertextVersion = 0x01;
inline constexpr std::size_t kKeyedPrefixSize = 5;

class Keyring final : public crypto::Aead {
  struct Entry;

 public:
  struct Options {
    crypto::AeadAlgorithm algorithm = crypto::kDefaultAeadAlgorithm;
    // Overrides every key's encryption limit when non-zero (tests use tiny limits).
    std::uint64_t usage_limit = 0;
  };

  // A new keyring with one fresh primary key. kFailedPrecondition if `policy` forbids the
  // algorithm.
  static Result<std::unique_ptr<Keyring>> Create(Runtime runtime, crypto::AlgorithmPolicy policy,
                                                 Options options);
  static Result<std::unique_ptr<Keyring>> Create(Runtime runtime, crypto::AlgorithmPolicy policy) {
    return Create(std::move(runtime), std::move(policy), Options{});
  }

  // Reads a keyring file written by Serialize, unwrapping through `provider`. kDataLoss if the file
  // is malformed or its MAC does not verify; provider errors (kUnavailable, ...) pass through.
  static Result<std::unique_ptr<Keyring>> Load(std::string_view file, const KeyProvider& provider,
                                               Runtime runtime, crypto::AlgorithmPolicy policy,
                                               Options options);
  static Result<std::unique_ptr<Keyring>> Load(std::string_view file, const KeyProvider& provider,
                                               Runtime runtime, crypto::AlgorithmPolicy policy) {
    return Load(file, provider, std::move(runtime), std::move(policy), Options{});
  }

  // Writes the keyring file, wrapping every live DEK under `provider`'s current KEK (one WrapKey
  // call per non-destroyed key plus one for the MAC key).
  Result<std::string> Serialize(const KeyProvider& provider) const;

  // crypto::Aead: keyed layout above, always with the primary key.
  Result<std::vector<std::uint8_t>> Encrypt(
      std::span<const std::uint8_t> plaintext,
      std::span<const std::uint8_t> associated_data) const override;
  Result<SecretBytes> Decrypt(std::span<const std::uint8_t> ciphertext,
                              std::span<const std::uint8_t> associated_data) const override;

  Result<KeyedCiphertext> EncryptParts(std::span<const std::uint8_t> plaintext,
                                       std::span<const std::uint8_t> associated_data) const;
  Result<SecretBytes> DecryptParts(KeyId key_id, std::span<const std::uint8_t> nonce,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> associated_data) const;
  // Like Decrypt / DecryptParts but also accepting keys marked compromised: only for moving their
  // data to a new key (the `keys compromised` path).
  Result<SecretBytes> DecryptForReencryption(std::span<const std::uint8_t> ciphertext,
                                             std::span<const std::uint8_t> associated_data) const;
  Result<SecretBytes> DecryptPartsForReencryption(
      KeyId key_id, std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> ciphertext,
      std::span<const std::uint8_t> tag, std::span<const std::uint8_t> associated_data) const;

  // Decrypts a batch of DecryptParts calls under one shared lock of the keyring, looking a key up
  // (and checking its state and the policy) once per run of tokens under the same key instead of
  // once per token. Results and errors are exactly those of DecryptParts (or
  // DecryptPartsForReencryption when made with `allow_compromised`). It holds the keyring's reader
  // lock until destroyed: key state changes (Rotate, Disable, ...) wait for it, so keep it to one
  // batch, and call no other Keyring method on the same thread while it lives.
  class BatchDecryptor {
   public:
    Result<SecretBytes> DecryptParts(KeyId key_id, std::span<const std::uint8_t> nonce,
                                     std::span<const std::uint8_t> ciphertext,
                                     std::span<const std::uint8_t> tag,
                                     std::span<const std::uint8_t> associated_data);
    // The same into the caller's `plaintext` (ciphertext.size() bytes; see
    // crypto::AeadCipher::DecryptPartsInto): same checks and errors, `plaintext` wiped on error.
    Status DecryptPartsInto(KeyId key_id, std::span<const std::uint8_t> nonce,
                            std::span<const std::uint8_t> ciphertext,
                            std::span<const std::uint8_t> tag,
                            std::span<const std::uint8_t> associated_data,
                            std::span<std::uint8_t> plaintext);
    BatchDecryptor(BatchDecryptor&&) = default;
    BatchDecryptor& operator=(BatchDecryptor&&) = delete;

   private:
    friend class Keyring;
    BatchDecryptor(const Keyring& ring, bool allow_compromised);
    const Keyring* ring_;
    std::shared_lock<std::shared_mutex> lock_;
    bool allow_compromised_;
    KeyId last_id_ = 0;            // 0 is never a key id
    const Entry* last_ = nullptr;  // checked entry for last_id_, valid while lock_ is held
  };
  BatchDecryptor NewBatchDecryptor(bool allow_compromised = false) const {
    return BatchDecryptor(*this, allow_compromised);
  }

  // The key id of a keyed ciphertext (kDataLoss if too short or the version byte is unknown).
  static Result<KeyId> KeyIdOf(std::span<const std::uint8_t> ciphertext);

  // Adds a new primary key (with `algorithm`, default: the current primary's) and demotes the old
  // primary to kDecryptOnly. Returns the new key's id.
  Result<KeyId> Rotate(std::optional<crypto::AeadAlgorithm> algorithm = std::nullopt);
  Status Disable(KeyId id);
  // kDisabled or kDecryptOnly -> kDecryptOnly.
  Status Enable(KeyId id);
  // Wipes the key material. Irreversible.
  Status Destroy(KeyId id);
  // Marks `id` compromised; if it is the primary, rotates first. Returns the primary's id after.
  Result<KeyId> MarkCompromised(KeyId id);

  std::vector<KeyInfo> List() const;  // ordered by version
  // A counter that changes whenever a key's state changes (Rotate, Disable, Enable, Destroy,
  // MarkCompromised), for layers that cache decrypted values and must forget them then.
  std::uint64_t state_generation() const { return generation_.load(std::memory_order_acquire); }
  Result<KeyInfo> Get(KeyId id) const;
  KeyId primary_id() const;

  ~Keyring() override;

 private:
  Keyring(Runtime runtime, crypto::AlgorithmPolicy policy, Options options);
  Result<KeyId> AddKeyLocked(crypto::AeadAlgorithm alg, SecretBytes material, KeyInfo info);
  Result<const Entry*> FindForDecrypt(KeyId id, bool allow_compromised) const;
  Result<SecretBytes> DecryptImpl(std::span<const std::uint8_t> ciphertext,
                                  std::span<const std::uint8_t> associated_data,
                                  bool allow_compromised) const;
  Result<KeyId> NewKeyIdLocked();

  Runtime runtime_;
  crypto::AlgorithmPolicy policy_;
  Options options_;
  mutable std::shared_mutex mu_;
  std::map<KeyId, std::unique_ptr<Entry>> keys_;
  KeyId primary_ = 0;
  std::uint32_t next_version_ = 1;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace bulwark::keys

#endif  // BULWARK_KEYS_KEYRING_H_
