#include "bulwark/service/store_mac.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/core/encoding.h"

namespace bulwark::service {
namespace {

constexpr std::string_view kHeader = "bulwark-store-mac-key v1";
constexpr auto kPrivate = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

Result<std::string> KeyId(const SecretBytes& key) {
  std::string input = "bulwark-store-mac-key-id";
  input.append(key.RevealAsString());
  auto digest = crypto::Sha256(input);
  SecureZero(input);
  if (!digest) return std::unexpected(digest.error());
  return HexEncode(std::span<const std::uint8_t>(*digest).first(8));
}

}  // namespace

Result<std::shared_ptr<const StoreMacKey>> StoreMacKey::Create(SecretBytes key) {
  if (key.size() != kStoreMacKeySize) {
    return InvalidArgumentError(
        fmt::format("store mac key: expected {} bytes, got {}", kStoreMacKeySize, key.size()));
  }
  BULWARK_ASSIGN_OR_RETURN(std::string id, KeyId(key));
  BULWARK_ASSIGN_OR_RETURN(crypto::HmacSha256Key hmac, crypto::HmacSha256Key::Create(key));
  return std::shared_ptr<const StoreMacKey>(
      new StoreMacKey(std::move(key), std::move(id), std::move(hmac)));
}

Result<std::shared_ptr<const StoreMacKey>> StoreMacKey::Generate(SecureRandom& random) {
  BULWARK_ASSIGN_OR_RETURN(SecretBytes key, random.Secret(kStoreMacKeySize));
  return Create(std::move(key));
}

Result<std::shared_ptr<const StoreMacKey>> StoreMacKey::Parse(std::string_view text,
                                                             std::string_view source) {
  auto bad = [&](std::string_view why) {
    return DataLossError(fmt::format("{}: not a store mac key file: {}", source, why));
  };
  std::string_view rest = text;
  auto next_line = [&]() {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  if (next_line() != kHeader) return bad(fmt::format("the first line must be '{}'", kHeader));
  const std::string_view id_line = next_line();
  const std::string_view key_line = next_line();
  if (!id_line.starts_with("id ") || !key_line.starts_with("key ")) {
    return bad("expected the lines 'id <hex>' and 'key <base64>'");
  }
  auto raw = Base64Decode(key_line.substr(4));
  if (!raw || raw->size() != kStoreMacKeySize) {
    if (raw) std::fill(raw->begin(), raw->end(), 0);
    return bad(fmt::format("the key must be the base64 of {} bytes", kStoreMacKeySize));
  }
  SecretBytes key(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  BULWARK_ASSIGN_OR_RETURN(auto out, Create(std::move(key)));
  if (out->id() != id_line.substr(3)) {
    return bad(fmt::format("the id {} does not belong to the key (its id is {})",
                           id_line.substr(3, 40), out->id()));
  }
  return out;
}

std::string StoreMacKey::Serialize() const {
  return fmt::format("{}\nid {}\nkey {}\n", kHeader, id_, Base64Encode(key_.Reveal()));
}

Result<crypto::Sha256Digest> StoreMacKey::Tag(std::span<const std::uint8_t> message) const {
  return hmac_.Tag(message);
}

Status StoreMacKey::Verify(std::span<const std::uint8_t> message,
                           std::span<const std::uint8_t> tag) const {
  return hmac_.Verify(message, tag);
}

Result<std::shared_ptr<const StoreMacKey>> ReadStoreMacKey(const FileSystem& fs,
                                                           const std::filesystem::path& path) {
  auto text = fs.ReadFile(path, 4096);
  if (!text) {
    if (text.error().code() == ErrorCode::kNotFound) {
      return NotFoundError(fmt::format("{} does not exist", path.string()));
    }
    return std::unexpected(text.error());
  }
  auto key = StoreMacKey::Parse(*text, path.string());
  SecureZero(*text);
  return key;
}

Status WriteStoreMacKey(FileSystem& fs, const std::filesystem::path& path,
                        const StoreMacKey& key) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, fs.Exists(path));
  if (exists) {
    return AlreadyExistsError(
        fmt::format("{} exists; refusing to replace a store mac key", path.string()));
  }
  std::string text = key.Serialize();
  Status st = fs.WriteFileAtomic(path, text, kPrivate);
  SecureZero(text);
  return st;
}

Status StoreMacKeyOpening::Commit(FileSystem& fs) {
  if (created) {
    BULWARK_RETURN_IF_ERROR(fs.Rename(pending, path));
    created = false;
  }
  lock.reset();
  return OkStatus();
}

Result<StoreMacKeyOpening> OpenStoreMacKey(FileSystem& fs, const std::filesystem::path& path,
                                           const store::ConfigStore& store, SecureRandom& random) {
  StoreMacKeyOpening out;
  out.path = path;
  out.pending = path.string() + ".new";
  auto read = [&]() -> Result<bool> {
    auto key = ReadStoreMacKey(fs, path);
    if (key) {
      out.key = std::move(*key);
      return true;
    }
    if (key.error().code() == ErrorCode::kNotFound) return false;
    return std::unexpected(key.error());
  };
  BULWARK_ASSIGN_OR_RETURN(bool found, read());
  if (found) return out;
  BULWARK_ASSIGN_OR_RETURN(out.lock,
                           FileLock::Acquire(path.string() + ".lock", "the store mac key"));
  BULWARK_ASSIGN_OR_RETURN(found, read());  // another command may have created it meanwhile
  if (found) {
    out.lock.reset();
    return out;
  }
  // A killed earlier creation may have left temporary copies of a key: none is in use now.
  for (const auto& p : {path, out.pending}) {
    BULWARK_ASSIGN_OR_RETURN(auto removed, RemoveStaleTemporaries(fs, p));
    (void)removed;
  }
  BULWARK_ASSIGN_OR_RETURN(store::MacCounts counts, store.CountMacs());
  auto pending = ReadStoreMacKey(fs, out.pending);
  if (pending) {
    out.key = std::move(*pending);  // an interrupted creation: finish sealing with its key
  } else if (pending.error().code() != ErrorCode::kNotFound) {
    return std::unexpected(pending.error());
  } else {
    if (counts.with_mac > 0) {
      return UnavailableError(fmt::format(
          "{} is missing, but {} holds {} authenticated versions: restore the key from a backup "
          "(or copy it from the home or server that wrote them); refusing to create a new one",
          path.string(), store.DisplayUrl(), counts.with_mac));
    }
    BULWARK_ASSIGN_OR_RETURN(out.key, StoreMacKey::Generate(random));
    BULWARK_RETURN_IF_ERROR(WriteStoreMacKey(fs, out.pending, *out.key));
  }
  out.created = true;
  out.untagged = counts.versions - counts.with_mac;
  return out;
}

}  // namespace bulwark::service
