#include "bulwark/keys/keyring.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "bulwark/crypto/hash.h"
#include "keys/byte_io.h"

namespace bulwark::keys {
namespace {

using crypto::AeadAlgorithm;
using crypto::AeadCipher;
using internal::ByteReader;
using internal::ByteWriter;

constexpr std::string_view kKeyringMagic = "BWKR";
constexpr std::uint8_t kKeyringFormatVersion = 1;
constexpr std::string_view kMacKeyContext = "bulwark keyring mac key v1";
constexpr std::size_t kMacKeySize = 32;
constexpr std::size_t kMaxWrappedSize = 64 * 1024;
constexpr std::size_t kMaxKeys = 65535;

// The context a DEK is wrapped under: binds the wrapped blob to its key id and algorithm.
std::vector<std::uint8_t> DekContext(KeyId id, AeadAlgorithm alg) {
  ByteWriter w;
  w.Raw("bulwark dek v1");
  w.U32(id);
  w.U8(static_cast<std::uint8_t>(alg));
  const std::string& d = w.data();
  return {d.begin(), d.end()};
}

std::int64_t ToMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
TimePoint FromMicros(std::int64_t us) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(us)));
}

std::string KeyError(KeyId id, std::string_view what) {
  return fmt::format("key {} {}", FormatKeyId(id), what);
}

}  // namespace

std::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kPrimary:
      return "primary";
    case KeyState::kDecryptOnly:
      return "decrypt-only";
    case KeyState::kDisabled:
      return "disabled";
    case KeyState::kCompromised:
      return "compromised";
    case KeyState::kDestroyed:
      return "destroyed";
  }
  return "unknown";
}

struct Keyring::Entry {
  KeyInfo info;
  SecretBytes material;                // empty once destroyed
  std::unique_ptr<AeadCipher> cipher;  // null once destroyed
};

Keyring::Keyring(Runtime runtime, crypto::AlgorithmPolicy policy, Options options)
    : runtime_(std::move(runtime)), policy_(std::move(policy)), options_(options) {}
Keyring::~Keyring() = default;

Result<KeyId> Keyring::NewKeyIdLocked() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    BULWARK_ASSIGN_OR_RETURN(auto bytes, runtime_.random->Bytes(4));
    const KeyId id = (KeyId{bytes[0]} << 24) | (KeyId{bytes[1]} << 16) | (KeyId{bytes[2]} << 8) |
                     KeyId{bytes[3]};
    if (id != 0 && !keys_.contains(id)) return id;
  }
  return InternalError("keyring: could not draw an unused key id in 64 attempts");
}

Result<KeyId> Keyring::AddKeyLocked(AeadAlgorithm alg, SecretBytes material, KeyInfo info) {
  auto entry = std::make_unique<Entry>();
  entry->info = info;
  if (info.state != KeyState::kDestroyed) {
    entry->material = material.Clone();
    BULWARK_ASSIGN_OR_RETURN(
        entry->cipher,
        AeadCipher::Create(alg, std::move(material), runtime_.random,
                           {.initial_usage = info.usage, .usage_limit = options_.usage_limit}));
  }
  const KeyId id = info.id;
  keys_[id] = std::move(entry);
  next_version_ = std::max(next_version_, info.version + 1);
  return id;
}

Result<std::unique_ptr<Keyring>> Keyring::Create(Runtime runtime, crypto::AlgorithmPolicy policy,
                                                 Options options) {
  BULWARK_RETURN_IF_ERROR(
      internal::MapError(policy.CheckAead(options.algorithm),
                         [](const Error& e) { return e.WithContext("create keyring"); }));
  std::unique_ptr<Keyring> ring(new Keyring(std::move(runtime), std::move(policy), options));
  BULWARK_RETURN_IF_ERROR(ring->Rotate(options.algorithm));
  return ring;
}

Result<KeyId> Keyring::Rotate(std::optional<AeadAlgorithm> algorithm) {
  std::unique_lock lock(mu_);
  AeadAlgorithm alg = options_.algorithm;
  if (algorithm.has_value()) {
    alg = *algorithm;
  } else if (primary_ != 0) {
    alg = keys_.at(primary_)->info.algorithm;
  }
  BULWARK_RETURN_IF_ERROR(internal::MapError(
      policy_.CheckAead(alg), [](const Error& e) { return e.WithContext("rotate keyring"); }));
  if (keys_.size() >= kMaxKeys) {
    return ResourceExhaustedError(fmt::format(
        "rotate keyring: {} keys is the maximum; destroy and purge old keys first", kMaxKeys));
  }
  BULWARK_ASSIGN_OR_RETURN(KeyId id, NewKeyIdLocked());
  BULWARK_ASSIGN_OR_RETURN(SecretBytes material, AeadCipher::GenerateKey(alg, *runtime_.random));
  KeyInfo info{.id = id,
               .version = next_version_,
               .algorithm = alg,
               .created = runtime_.clock->Now(),
               .state = KeyState::kPrimary,
               .usage = 0};
  BULWARK_RETURN_IF_ERROR(AddKeyLocked(alg, std::move(material), info));
  if (primary_ != 0) keys_.at(primary_)->info.state = KeyState::kDecryptOnly;
  primary_ = id;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return id;
}

Status Keyring::Disable(KeyId id) {
  std::unique_lock lock(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return NotFoundError(KeyError(id, "is not in the keyring"));
  KeyInfo& info = it->second->info;
  if (info.state == KeyState::kPrimary) {
    return FailedPreconditionError(KeyError(id, "is the primary key; rotate before disabling it"));
  }
  if (info.state != KeyState::kDecryptOnly && info.state != KeyState::kDisabled) {
    return FailedPreconditionError(KeyError(
        id,
        fmt::format("is {}; only decrypt-only keys can be disabled", KeyStateName(info.state))));
  }
  info.state = KeyState::kDisabled;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return OkStatus();
}

Status Keyring::Enable(KeyId id) {
  std::unique_lock lock(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return NotFoundError(KeyError(id, "is not in the keyring"));
  KeyInfo& info = it->second->info;
  if (info.state != KeyState::kDisabled && info.state != KeyState::kDecryptOnly) {
    return FailedPreconditionError(KeyError(
        id, fmt::format("is {}; only disabled keys can be enabled", KeyStateName(info.state))));
  }
  info.state = KeyState::kDecryptOnly;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return OkStatus();
}

Status Keyring::Destroy(KeyId id) {
  std::unique_lock lock(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return NotFoundError(KeyError(id, "is not in the keyring"));
  Entry& e = *it->second;
  if (e.info.state == KeyState::kPrimary) {
    return FailedPreconditionError(KeyError(id, "is the primary key; rotate before destroying it"));
  }
  e.info.usage = e.cipher ? e.cipher->usage() : e.info.usage;
  e.info.state = KeyState::kDestroyed;
  e.cipher.reset();
  e.material.Clear();
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return OkStatus();
}

Result<KeyId> Keyring::MarkCompromised(KeyId id) {
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return NotFoundError(KeyError(id, "is not in the keyring"));
    if (it->second->info.state == KeyState::kDestroyed) {
      return FailedPreconditionError(KeyError(id, "is destroyed; nothing left to compromise"));
    }
  }
  if (primary_id() == id) BULWARK_RETURN_IF_ERROR(Rotate());
  std::unique_lock lock(mu_);
  keys_.at(id)->info.state = KeyState::kCompromised;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return primary_;
}

std::vector<KeyInfo> Keyring::List() const {
  std::shared_lock lock(mu_);
  std::vector<KeyInfo> out;
  for (const auto& [id, e] : keys_) {
    KeyInfo info = e->info;
    if (e->cipher) {
      info.usage = e->cipher->usage();
      info.usage_limit = e->cipher->usage_limit();
    }
    out.push_back(info);
  }
  std::sort(out.begin(), out.end(),
            [](const KeyInfo& a, const KeyInfo& b) { return a.version < b.version; });
  return out;
}

Result<KeyInfo> Keyring::Get(KeyId id) const {
  std::shared_lock lock(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return NotFoundError(KeyError(id, "is not in the keyring"));
  KeyInfo info = it->second->info;
  if (it->second->cipher) {
    info.usage = it->second->cipher->usage();
    info.usage_limit = it->second->cipher->usage_limit();
  }
  return info;
}

KeyId Keyring::primary_id() const {
  std::shared_lock lock(mu_);
  return primary_;
}

// ---- Encryption ----

Result<std::vector<std::uint8_t>> Keyring::Encrypt(
    std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> associated_data) const {
  std::shared_lock lock(mu_);
  const Entry& e = *keys_.find(primary_)->second;
  BULWARK_RETURN_IF_ERROR(policy_.CheckAead(e.info.algorithm));
  const std::uint8_t prefix[kKeyedPrefixSize] = {
      kKeyedCiphertextVersion, static_cast<std::uint8_t>(primary_ >> 24),
      static_cast<std::uint8_t>(primary_ >> 16), static_cast<std::uint8_t>(primary_ >> 8),
      static_cast<std::uint8_t>(primary_)};
  return e.cipher->EncryptWithPrefix(prefix, plaintext, associated_data);
}

Result<KeyedCiphertext> Keyring::EncryptParts(std::span<const std::uint8_t> plaintext,
                                              std::span<const std::uint8_t> associated_data) const {
  std::shared_lock lock(mu_);
  const Entry& e = *keys_.find(primary_)->second;
  BULWARK_RETURN_IF_ERROR(policy_.CheckAead(e.info.algorithm));
  KeyedCiphertext out{.key_id = primary_, .algorithm = e.info.algorithm, .parts = {}};
  BULWARK_ASSIGN_OR_RETURN(out.parts, e.cipher->EncryptParts(plaintext, associated_data));
  return out;
}

Result<KeyId> Keyring::KeyIdOf(std::span<const std::uint8_t> ciphertext) {
  if (ciphertext.size() < kKeyedPrefixSize) {
    return DataLossError(fmt::format("keyed ciphertext: {} bytes is shorter than the 5-byte prefix",
                                     ciphertext.size()));
  }
  if (ciphertext[0] != kKeyedCiphertextVersion) {
    return DataLossError(
        fmt::format("keyed ciphertext: unknown format version 0x{:02x}", ciphertext[0]));
  }
  return (KeyId{ciphertext[1]} << 24) | (KeyId{ciphertext[2]} << 16) | (KeyId{ciphertext[3]} << 8) |
         KeyId{ciphertext[4]};
}

Result<const Keyring::Entry*> Keyring::FindForDecrypt(KeyId id, bool allow_compromised) const {
  auto it = keys_.find(id);
  if (it == keys_.end()) return NotFoundError(KeyError(id, "is not in the keyring"));
  const Entry* e = it->second.get();
  BULWARK_RETURN_IF_ERROR(internal::MapError(
      policy_.CheckAead(e->info.algorithm),
      [&](const Error& err) { return err.WithContext(KeyError(id, "cannot be used")); }));
  switch (e->info.state) {
    case KeyState::kPrimary:
    case KeyState::kDecryptOnly:
      return e;
    case KeyState::kCompromised:
      if (allow_compromised) return e;
      return FailedPreconditionError(
          KeyError(id, "is marked compromised; its data must be re-encrypted under a new key"));
    case KeyState::kDisabled:
      return FailedPreconditionError(KeyError(id, "is disabled; enable it to decrypt"));
    case KeyState::kDestroyed:
      return FailedPreconditionError(
          KeyError(id, "was destroyed; data encrypted with it cannot be decrypted"));
  }
  return InternalError(KeyError(id, "has an unknown state"));
}

Result<SecretBytes> Keyring::DecryptImpl(std::span<const std::uint8_t> ciphertext,
                                         std::span<const std::uint8_t> associated_data,
                                         bool allow_compromised) const {
  BULWARK_ASSIGN_OR_RETURN(KeyId id, KeyIdOf(ciphertext));
  std::shared_lock lock(mu_);
  BULWARK_ASSIGN_OR_RETURN(const Entry* e, FindForDecrypt(id, allow_compromised));
  return e->cipher->Decrypt(ciphertext.subspan(kKeyedPrefixSize), associated_data);
}

Result<SecretBytes> Keyring::Decrypt(std::span<const std::uint8_t> ciphertext,
                                     std::span<const std::uint8_t> associated_data) const {
  return DecryptImpl(ciphertext, associated_data, /*allow_compromised=*/false);
}

Result<SecretBytes> Keyring::DecryptForReencryption(
    std::span<const std::uint8_t> ciphertext, std::span<const std::uint8_t> associated_data) const {
  return DecryptImpl(ciphertext, associated_data, /*allow_compromised=*/true);
}

Result<SecretBytes> Keyring::DecryptParts(KeyId key_id, std::span<const std::uint8_t> nonce,
                                          std::span<const std::uint8_t> ciphertext,
                                          std::span<const std::uint8_t> tag,
                                          std::span<const std::uint8_t> associated_data) const {
  std::shared_lock lock(mu_);
  BULWARK_ASSIGN_OR_RETURN(const Entry* e, FindForDecrypt(key_id, false));
  return e->cipher->DecryptParts(nonce, ciphertext, tag, associated_data);
}

Result<SecretBytes> Keyring::DecryptPartsForReencryption(
    KeyId key_id, std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> ciphertext,
    std::span<const std::uint8_t> tag, std::span<const std::uint8_t> associated_data) const {
  std::shared_lock lock(mu_);
  BULWARK_ASSIGN_OR_RETURN(const Entry* e, FindForDecrypt(key_id, true));
  return e->cipher->DecryptParts(nonce, ciphertext, tag, associated_data);
}

Keyring::BatchDecryptor::BatchDecryptor(const Keyring& ring, bool allow_compromised)
    : ring_(&ring), lock_(ring.mu_), allow_compromised_(allow_compromised) {}

Result<SecretBytes> Keyring::BatchDecryptor::DecryptParts(
    KeyId key_id, std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> ciphertext,
    std::span<const std::uint8_t> tag, std::span<const std::uint8_t> associated_data) {
  if (key_id != last_id_ || last_ == nullptr) {
    // Errors are not remembered: every token under a refused key gets FindForDecrypt's error.
    BULWARK_ASSIGN_OR_RETURN(last_, ring_->FindForDecrypt(key_id, allow_compromised_));
    last_id_ = key_id;
  }
  return last_->cipher->DecryptParts(nonce, ciphertext, tag, associated_data);
}

Status Keyring::BatchDecryptor::DecryptPartsInto(KeyId key_id, std::span<const std::uint8_t> nonce,
                                                 std::span<const std::uint8_t> ciphertext,
                                                 std::span<const std::uint8_t> tag,
                                                 std::span<const std::uint8_t> associated_data,
                                                 std::span<std::uint8_t> plaintext) {
  if (key_id != last_id_ || last_ == nullptr) {
    auto found = ring_->FindForDecrypt(key_id, allow_compromised_);
    if (!found) {
      SecureZero(plaintext.data(), plaintext.size());
      return std::unexpected(found.error());
    }
    last_ = *found;
    last_id_ = key_id;
  }
  return last_->cipher->DecryptPartsInto(nonce, ciphertext, tag, associated_data, plaintext);
}

// ---- Persistence (docs/formats-keys.md, "keyring file") ----

Result<std::string> Keyring::Serialize(const KeyProvider& provider) const {
  std::shared_lock lock(mu_);
  BULWARK_ASSIGN_OR_RETURN(SecretBytes mac_key, runtime_.random->Secret(kMacKeySize));
  BULWARK_ASSIGN_OR_RETURN(auto wrapped_mac,
                           provider.WrapKey(mac_key, internal::AsBytes(kMacKeyContext)));
  ByteWriter w;
  w.Raw(kKeyringMagic);
  w.U8(kKeyringFormatVersion);
  w.U16(static_cast<std::uint16_t>(keys_.size()));
  w.Blob(wrapped_mac);
  std::vector<const Entry*> ordered;
  for (const auto& [id, e] : keys_) ordered.push_back(e.get());
  std::sort(ordered.begin(), ordered.end(),
            [](const Entry* a, const Entry* b) { return a->info.version < b->info.version; });
  for (const Entry* e : ordered) {
    const KeyInfo& info = e->info;
    w.U32(info.id);
    w.U32(info.version);
    w.U8(static_cast<std::uint8_t>(info.algorithm));
    w.U8(static_cast<std::uint8_t>(info.state));
    w.U64(static_cast<std::uint64_t>(ToMicros(info.created)));
    w.U64(e->cipher ? e->cipher->usage() : info.usage);
    if (info.state == KeyState::kDestroyed) {
      w.U32(0);
      continue;
    }
    BULWARK_ASSIGN_OR_RETURN(auto wrapped,
                             provider.WrapKey(e->material, DekContext(info.id, info.algorithm)));
    w.Blob(wrapped);
  }
  w.U32(primary_);
  BULWARK_ASSIGN_OR_RETURN(auto mac, crypto::HmacSha256(mac_key, internal::AsBytes(w.data())));
  w.Bytes(mac);
  return w.data();
}

Result<std::unique_ptr<Keyring>> Keyring::Load(std::string_view file, const KeyProvider& provider,
                                               Runtime runtime, crypto::AlgorithmPolicy policy,
                                               Options options) {
  const auto bytes = internal::AsBytes(file);
  if (bytes.size() < kKeyringMagic.size() + 1 + 2 + 4 + 4 + crypto::kSha256Size ||
      file.substr(0, 4) != kKeyringMagic) {
    return DataLossError("keyring file: not a Bulwark keyring (bad magic or too short)");
  }
  const auto body = bytes.first(bytes.size() - crypto::kSha256Size);
  const auto mac = bytes.last(crypto::kSha256Size);
  ByteReader r(body, "keyring file");
  BULWARK_RETURN_IF_ERROR(r.Take(4));
  BULWARK_ASSIGN_OR_RETURN(std::uint8_t version, r.U8());
  if (version != kKeyringFormatVersion) {
    return DataLossError(fmt::format("keyring file: unsupported format version {}", version));
  }
  BULWARK_ASSIGN_OR_RETURN(std::uint16_t count, r.U16());
  BULWARK_ASSIGN_OR_RETURN(auto wrapped_mac, r.Blob(kMaxWrappedSize));
  BULWARK_ASSIGN_OR_RETURN(SecretBytes mac_key,
                           provider.UnwrapKey(wrapped_mac, internal::AsBytes(kMacKeyContext)));
  // Authenticate everything before interpreting the records.
  BULWARK_RETURN_IF_ERROR(internal::MapError(
      crypto::HmacVerify(crypto::HashAlgorithm::kSha256, mac_key, body, mac), [](const Error&) {
        return Error(ErrorCode::kDataLoss,
                     "keyring file: MAC mismatch (the file was altered or corrupted)");
      }));
  std::unique_ptr<Keyring> ring(new Keyring(std::move(runtime), std::move(policy), options));
  for (std::uint16_t i = 0; i < count; ++i) {
    KeyInfo info;
    BULWARK_ASSIGN_OR_RETURN(info.id, r.U32());
    BULWARK_ASSIGN_OR_RETURN(info.version, r.U32());
    BULWARK_ASSIGN_OR_RETURN(std::uint8_t alg_id, r.U8());
    BULWARK_ASSIGN_OR_RETURN(
        info.algorithm, internal::MapError(crypto::AeadAlgorithmFromId(alg_id), [](const Error& e) {
          return Error(ErrorCode::kDataLoss, "keyring file: " + e.message());
        }));
    BULWARK_ASSIGN_OR_RETURN(std::uint8_t state, r.U8());
    if (state < 1 || state > 5) {
      return DataLossError(
          fmt::format("keyring file: key {} has unknown state {}", FormatKeyId(info.id), state));
    }
    info.state = static_cast<KeyState>(state);
    BULWARK_ASSIGN_OR_RETURN(std::uint64_t created, r.U64());
    info.created = FromMicros(static_cast<std::int64_t>(created));
    BULWARK_ASSIGN_OR_RETURN(info.usage, r.U64());
    BULWARK_ASSIGN_OR_RETURN(auto wrapped, r.Blob(kMaxWrappedSize));
    if (ring->keys_.contains(info.id) || info.id == 0) {
      return DataLossError(
          fmt::format("keyring file: duplicate or zero key id {}", FormatKeyId(info.id)));
    }
    SecretBytes material;
    if (info.state != KeyState::kDestroyed) {
      BULWARK_ASSIGN_OR_RETURN(
          material,
          internal::MapError(provider.UnwrapKey(wrapped, DekContext(info.id, info.algorithm)),
                             [&](const Error& e) {
                               return e.WithContext(fmt::format("keyring file: unwrap key {}",
                                                                FormatKeyId(info.id)));
                             }));
    } else if (!wrapped.empty()) {
      return DataLossError(fmt::format("keyring file: destroyed key {} still has key material",
                                       FormatKeyId(info.id)));
    }
    BULWARK_RETURN_IF_ERROR(ring->AddKeyLocked(info.algorithm, std::move(material), info));
  }
  BULWARK_ASSIGN_OR_RETURN(ring->primary_, r.U32());
  if (r.remaining() != 0) return DataLossError("keyring file: trailing bytes after the records");
  auto it = ring->keys_.find(ring->primary_);
  if (it == ring->keys_.end() || it->second->info.state != KeyState::kPrimary) {
    return DataLossError("keyring file: the primary key id does not name a primary key");
  }
  const auto primaries = std::count_if(ring->keys_.begin(), ring->keys_.end(), [](const auto& kv) {
    return kv.second->info.state == KeyState::kPrimary;
  });
  if (primaries != 1) {
    return DataLossError(
        fmt::format("keyring file: {} primary keys (exactly one required)", primaries));
  }
  return ring;
}

}  // namespace bulwark::keys
