#include "bulwark/keys/local_keystore.h"

#include <fmt/format.h>

#include <chrono>

#include "bulwark/crypto/hash.h"
#include "keys/byte_io.h"

namespace bulwark::keys {
namespace {

namespace fs = std::filesystem;
using crypto::AeadAlgorithm;
using crypto::AeadCipher;
using internal::ByteReader;
using internal::ByteWriter;

constexpr std::string_view kMagic = "BWKS";
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kHeaderSize = 42;  // through the payload length field
constexpr std::size_t kKekSize = 32;
constexpr std::uint8_t kWrapVersion = 1;
constexpr std::size_t kMaxKeks = 1024;
constexpr fs::perms kMode = fs::perms::owner_read | fs::perms::owner_write;

fs::path PrevPath(const fs::path& p) { return fs::path(p.string() + ".prev"); }

// A keystore file whose checksum and layout were verified (the payload is still encrypted).
struct ParsedFile {
  crypto::PasswordKdfParams kdf;
  std::uint64_t generation = 0;
  std::span<const std::uint8_t> header;   // associated data of the payload
  std::span<const std::uint8_t> payload;  // nonce || ciphertext || tag (AeadCipher layout)
};

Result<ParsedFile> ParseFile(std::string_view file, const fs::path& path) {
  const auto bytes = internal::AsBytes(file);
  const std::string what = fmt::format("keystore {}", path.string());
  if (bytes.size() < kHeaderSize + crypto::kSha256Size) {
    return DataLossError(fmt::format("{}: truncated ({} bytes)", what, bytes.size()));
  }
  const auto body = bytes.first(bytes.size() - crypto::kSha256Size);
  BULWARK_ASSIGN_OR_RETURN(auto digest, crypto::Sha256(body));
  if (!ConstantTimeEquals(digest, bytes.last(crypto::kSha256Size))) {
    return DataLossError(fmt::format("{}: checksum mismatch (corrupted or half-written)", what));
  }
  ByteReader r(body, what);
  BULWARK_ASSIGN_OR_RETURN(auto magic, r.Take(4));
  if (!std::equal(magic.begin(), magic.end(), kMagic.begin())) {
    return DataLossError(fmt::format("{}: not a Bulwark keystore", what));
  }
  BULWARK_ASSIGN_OR_RETURN(std::uint8_t version, r.U8());
  if (version != kFormatVersion) {
    return DataLossError(fmt::format("{}: unsupported format version {}", what, version));
  }
  ParsedFile p;
  BULWARK_ASSIGN_OR_RETURN(std::uint8_t kdf, r.U8());
  p.kdf.kdf = static_cast<crypto::PasswordKdf>(kdf);
  BULWARK_ASSIGN_OR_RETURN(p.kdf.iterations, r.U32());
  BULWARK_ASSIGN_OR_RETURN(p.kdf.memory_kib, r.U32());
  BULWARK_ASSIGN_OR_RETURN(auto salt, r.Take(crypto::kPasswordSaltSize));
  p.kdf.salt.assign(salt.begin(), salt.end());
  BULWARK_RETURN_IF_ERROR(internal::MapError(p.kdf.Validate(), [&](const Error& e) {
    return Error(ErrorCode::kDataLoss, what + ": " + e.message());
  }));
  BULWARK_ASSIGN_OR_RETURN(p.generation, r.U64());
  BULWARK_ASSIGN_OR_RETURN(std::uint32_t len, r.U32());
  p.header = body.first(kHeaderSize);
  BULWARK_ASSIGN_OR_RETURN(p.payload, r.Take(len));
  if (r.remaining() != 0 || len < 12 + crypto::kAeadTagSize) {
    return DataLossError(fmt::format("{}: payload length does not match the file size", what));
  }
  return p;
}

std::uint64_t ToMicros(TimePoint t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

}  // namespace

LocalKeystoreProvider::LocalKeystoreProvider(fs::path path, Runtime runtime,
                                             crypto::AlgorithmPolicy policy)
    : path_(std::move(path)), runtime_(std::move(runtime)), policy_(std::move(policy)) {}
LocalKeystoreProvider::~LocalKeystoreProvider() = default;

Status LocalKeystoreProvider::AddKek(KeyId id, TimePoint created, SecretBytes material) {
  Kek kek;
  kek.created = created;
  kek.material = material.Clone();
  BULWARK_ASSIGN_OR_RETURN(kek.cipher, AeadCipher::Create(AeadAlgorithm::kAes256Gcm,
                                                          std::move(material), runtime_.random));
  keks_[id] = std::move(kek);
  return OkStatus();
}

Result<std::unique_ptr<LocalKeystoreProvider>> LocalKeystoreProvider::Create(
    const fs::path& path, const SecretBytes& passphrase, Runtime runtime,
    crypto::AlgorithmPolicy policy, std::optional<crypto::PasswordKdfParams> kdf) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, runtime.fs->Exists(path));
  if (exists) {
    return AlreadyExistsError(fmt::format("create keystore {}: already exists", path.string()));
  }
  if (!kdf.has_value()) {
    if (policy.DefaultPasswordKdf() == crypto::PasswordKdf::kArgon2id) {
      BULWARK_ASSIGN_OR_RETURN(kdf, crypto::PasswordKdfParams::DefaultArgon2id(*runtime.random));
    } else {
      BULWARK_ASSIGN_OR_RETURN(kdf, crypto::PasswordKdfParams::DefaultPbkdf2(*runtime.random));
    }
  }
  BULWARK_RETURN_IF_ERROR(
      internal::MapError(policy.CheckPasswordKdf(kdf->kdf), [&](const Error& e) {
        return e.WithContext(fmt::format("create keystore {}", path.string()));
      }));
  std::unique_ptr<LocalKeystoreProvider> ks(
      new LocalKeystoreProvider(path, std::move(runtime), std::move(policy)));
  ks->kdf_ = std::move(*kdf);
  BULWARK_ASSIGN_OR_RETURN(ks->file_key_, crypto::DerivePasswordKey(passphrase, ks->kdf_, 32));
  BULWARK_RETURN_IF_ERROR(ks->RotateKek());
  return ks;
}

Result<LocalKeystoreProvider::Opened> LocalKeystoreProvider::Open(const fs::path& path,
                                                                  const SecretBytes& passphrase,
                                                                  Runtime runtime,
                                                                  crypto::AlgorithmPolicy policy) {
  Opened opened;
  auto current = runtime.fs->ReadFile(path);
  if (!current.has_value() && current.error().code() != ErrorCode::kNotFound) {
    return std::unexpected(current.error());
  }
  Result<ParsedFile> parsed = current.has_value()
                                  ? ParseFile(*current, path)
                                  : Result<ParsedFile>(std::unexpected(current.error()));
  std::string used_bytes;
  bool recovered = false;
  if (parsed.has_value()) {
    used_bytes = *current;
  } else {
    const std::string damage = parsed.error().message();
    const fs::path prev_path = PrevPath(path);
    auto prev = runtime.fs->ReadFile(prev_path);
    if (!prev.has_value()) {
      if (!current.has_value() && prev.error().code() == ErrorCode::kNotFound) {
        return NotFoundError(fmt::format("open keystore {}: no such file", path.string()));
      }
      return DataLossError(
          fmt::format("open keystore {}: {}; previous generation {} unreadable: {}", path.string(),
                      parsed.error().message(), prev_path.string(), prev.error().message()));
    }
    auto parsed_prev = ParseFile(*prev, prev_path);
    if (!parsed_prev.has_value()) {
      return DataLossError(fmt::format("open keystore {}: {}; {}", path.string(),
                                       parsed.error().message(), parsed_prev.error().message()));
    }
    used_bytes = std::move(*prev);
    parsed = ParseFile(used_bytes, prev_path);  // re-point the spans at used_bytes
    recovered = true;
    opened.warnings.push_back(fmt::format(
        "keystore {}: {}; recovered generation {} from {} (a KEK rotation made after that "
        "generation is lost)",
        path.string(),
        current.has_value() ? fmt::format("current file is damaged ({})", damage)
                            : std::string("current file is missing"),
        parsed->generation, prev_path.string()));
  }
  BULWARK_RETURN_IF_ERROR(
      internal::MapError(policy.CheckPasswordKdf(parsed->kdf.kdf), [&](const Error& e) {
        return e.WithContext(fmt::format("open keystore {}", path.string()));
      }));

  std::unique_ptr<LocalKeystoreProvider> ks(
      new LocalKeystoreProvider(path, std::move(runtime), std::move(policy)));
  ks->kdf_ = parsed->kdf;
  ks->generation_ = parsed->generation;
  BULWARK_ASSIGN_OR_RETURN(ks->file_key_, crypto::DerivePasswordKey(passphrase, ks->kdf_, 32));
  BULWARK_ASSIGN_OR_RETURN(
      auto file_cipher,
      AeadCipher::Create(AeadAlgorithm::kAes256Gcm, ks->file_key_.Clone(), ks->runtime_.random));
  auto plain = file_cipher->Decrypt(parsed->payload, parsed->header);
  if (!plain.has_value()) {
    return UnauthenticatedError(fmt::format(
        "open keystore {}: wrong passphrase, or the keystore was altered", path.string()));
  }
  ByteReader r(plain->Reveal(), fmt::format("keystore {} contents", path.string()));
  BULWARK_ASSIGN_OR_RETURN(std::uint16_t count, r.U16());
  if (count == 0 || count > kMaxKeks) {
    return DataLossError(fmt::format("open keystore {}: {} KEKs", path.string(), count));
  }
  for (std::uint16_t i = 0; i < count; ++i) {
    BULWARK_ASSIGN_OR_RETURN(KeyId id, r.U32());
    BULWARK_ASSIGN_OR_RETURN(std::uint64_t created, r.U64());
    BULWARK_ASSIGN_OR_RETURN(auto material, r.Take(kKekSize));
    BULWARK_RETURN_IF_ERROR(ks->AddKek(id,
                                       TimePoint(std::chrono::duration_cast<TimePoint::duration>(
                                           std::chrono::microseconds(created))),
                                       SecretBytes(material)));
  }
  BULWARK_ASSIGN_OR_RETURN(ks->current_, r.U32());
  if (!ks->keks_.contains(ks->current_) || r.remaining() != 0) {
    return DataLossError(fmt::format("open keystore {}: inconsistent contents", path.string()));
  }
  if (recovered) {
    // Put the recovered generation back in place so the next open does not warn again.
    BULWARK_RETURN_IF_ERROR(ks->runtime_.fs->WriteFileAtomic(path, used_bytes, kMode));
  }
  opened.provider = std::move(ks);
  return opened;
}

Status LocalKeystoreProvider::Write() {
  // Plaintext contents (kept in a SecretBytes-backed buffer only as long as needed).
  ByteWriter contents;
  // Reserve up front so that no reallocation leaves a stray copy of KEK bytes in freed memory.
  contents.mutable_data().reserve(2 + keks_.size() * (4 + 8 + kKekSize) + 4);
  contents.U16(static_cast<std::uint16_t>(keks_.size()));
  for (const auto& [id, kek] : keks_) {
    contents.U32(id);
    contents.U64(ToMicros(kek.created));
    contents.Bytes(kek.material.Reveal());
  }
  contents.U32(current_);
  SecretBytes plain = SecretBytes::FromString(contents.data());
  SecureZero(contents.mutable_data());

  const std::uint64_t generation = generation_ + 1;
  ByteWriter w;
  w.Raw(kMagic);
  w.U8(kFormatVersion);
  w.U8(static_cast<std::uint8_t>(kdf_.kdf));
  w.U32(kdf_.iterations);
  w.U32(kdf_.memory_kib);
  w.Bytes(kdf_.salt);
  w.U64(generation);
  w.U32(static_cast<std::uint32_t>(12 + plain.size() + crypto::kAeadTagSize));
  // The header written so far is the associated data of the payload.
  BULWARK_ASSIGN_OR_RETURN(
      auto file_cipher,
      AeadCipher::Create(AeadAlgorithm::kAes256Gcm, file_key_.Clone(), runtime_.random));
  BULWARK_ASSIGN_OR_RETURN(auto payload,
                           file_cipher->Encrypt(plain.Reveal(), internal::AsBytes(w.data())));
  w.Bytes(payload);
  BULWARK_ASSIGN_OR_RETURN(auto digest, crypto::Sha256(w.data()));
  w.Bytes(digest);

  // A write killed before its rename left a temporary copy of a generation beside the file (old
  // KEKs, e.g. after a later `keys destroy`): such copies go before a new generation is written.
  // Callers hold the keyring lock, so no other write of the keystore is in progress.
  for (const fs::path& p : {PrevPath(path_), path_}) {
    if (auto removed = RemoveStaleTemporaries(*runtime_.fs, p); !removed) {
      return std::unexpected(removed.error());
    }
  }
  // The mirror first: a crash in between leaves <path> at the generation before, which the keyring
  // on disk still matches (callers write the keyring only after this returns).
  BULWARK_RETURN_IF_ERROR(runtime_.fs->WriteFileAtomic(PrevPath(path_), w.data(), kMode));
  BULWARK_RETURN_IF_ERROR(runtime_.fs->WriteFileAtomic(path_, w.data(), kMode));
  generation_ = generation;
  return OkStatus();
}

Status LocalKeystoreProvider::RotateKek() {
  KeyId id = 0;
  for (int attempt = 0; attempt < 64 && (id == 0 || keks_.contains(id)); ++attempt) {
    BULWARK_ASSIGN_OR_RETURN(auto b, runtime_.random->Bytes(4));
    id = (KeyId{b[0]} << 24) | (KeyId{b[1]} << 16) | (KeyId{b[2]} << 8) | KeyId{b[3]};
  }
  BULWARK_ASSIGN_OR_RETURN(SecretBytes material, runtime_.random->Secret(kKekSize));
  const KeyId old_current = current_;
  BULWARK_RETURN_IF_ERROR(AddKek(id, runtime_.clock->Now(), std::move(material)));
  current_ = id;
  auto written = Write();
  if (!written.has_value()) {
    keks_.erase(id);
    current_ = old_current;
    return written;
  }
  return OkStatus();
}

Status LocalKeystoreProvider::ChangePassphrase(const SecretBytes& new_passphrase) {
  crypto::PasswordKdfParams params = kdf_;
  BULWARK_ASSIGN_OR_RETURN(params.salt, runtime_.random->Bytes(crypto::kPasswordSaltSize));
  BULWARK_ASSIGN_OR_RETURN(SecretBytes key, crypto::DerivePasswordKey(new_passphrase, params, 32));
  std::swap(kdf_, params);
  std::swap(file_key_, key);
  auto written = Write();
  if (!written.has_value()) {
    std::swap(kdf_, params);
    std::swap(file_key_, key);
  }
  return written;
}

Status LocalKeystoreProvider::RemoveKek(KeyId id) {
  if (id == current_) {
    return FailedPreconditionError(fmt::format(
        "keystore {}: KEK {} is current and cannot be removed", path_.string(), FormatKeyId(id)));
  }
  auto it = keks_.find(id);
  if (it == keks_.end()) {
    return NotFoundError(fmt::format("keystore {}: no KEK {}", path_.string(), FormatKeyId(id)));
  }
  Kek removed = std::move(it->second);
  keks_.erase(it);
  auto written = Write();
  if (!written.has_value()) keks_[id] = std::move(removed);
  return written;
}

Result<std::size_t> LocalKeystoreProvider::RetireOldKeks() {
  std::map<KeyId, Kek> retired;
  for (auto it = keks_.begin(); it != keks_.end();) {
    if (it->first == current_) {
      ++it;
      continue;
    }
    auto node = keks_.extract(it++);
    retired.insert(std::move(node));
  }
  auto written = Write();
  if (!written.has_value()) {
    keks_.merge(retired);
    return std::unexpected(
        written.error().WithContext(fmt::format("retire old KEKs of keystore {}", path_.string())));
  }
  return retired.size();  // their material is wiped as `retired` goes out of scope
}

std::vector<KeyId> LocalKeystoreProvider::kek_ids() const {
  std::vector<KeyId> ids;
  for (const auto& [id, kek] : keks_) ids.push_back(id);
  return ids;
}

Result<std::vector<std::uint8_t>> LocalKeystoreProvider::WrapKey(
    const SecretBytes& dek, std::span<const std::uint8_t> context) const {
  const std::uint8_t prefix[5] = {kWrapVersion, static_cast<std::uint8_t>(current_ >> 24),
                                  static_cast<std::uint8_t>(current_ >> 16),
                                  static_cast<std::uint8_t>(current_ >> 8),
                                  static_cast<std::uint8_t>(current_)};
  return keks_.at(current_).cipher->EncryptWithPrefix(prefix, dek.Reveal(), context);
}

Result<SecretBytes> LocalKeystoreProvider::UnwrapKey(std::span<const std::uint8_t> wrapped,
                                                     std::span<const std::uint8_t> context) const {
  if (wrapped.size() < 5 || wrapped[0] != kWrapVersion) {
    return DataLossError(
        fmt::format("unwrap with keystore {}: malformed wrapped key", path_.string()));
  }
  const KeyId id = (KeyId{wrapped[1]} << 24) | (KeyId{wrapped[2]} << 16) |
                   (KeyId{wrapped[3]} << 8) | KeyId{wrapped[4]};
  auto it = keks_.find(id);
  if (it == keks_.end()) {
    return NotFoundError(fmt::format("unwrap with keystore {}: KEK {} is not in the keystore",
                                     path_.string(), FormatKeyId(id)));
  }
  return internal::MapError(
      it->second.cipher->Decrypt(wrapped.subspan(5), context), [&](const Error& e) {
        return e.WithContext(
            fmt::format("unwrap with keystore {} (KEK {})", path_.string(), FormatKeyId(id)));
      });
}

std::string LocalKeystoreProvider::Describe() const {
  return fmt::format("local keystore {} (KEK {}, {} KEKs, {}, generation {})", path_.string(),
                     FormatKeyId(current_), keks_.size(), crypto::PasswordKdfName(kdf_.kdf),
                     generation_);
}

Status LocalKeystoreProvider::HealthCheck() const {
  auto bytes = runtime_.fs->ReadFile(path_);
  if (!bytes.has_value()) {
    return UnavailableError(
        fmt::format("keystore {}: cannot be read: {}", path_.string(), bytes.error().message()));
  }
  BULWARK_RETURN_IF_ERROR(ParseFile(*bytes, path_));
  return OkStatus();
}

}  // namespace bulwark::keys
