#include "bulwark/service/caching_value_cipher.h"

#include <cstring>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bulwark/core/secret_bytes.h"

namespace bulwark::service {

using config::Value;
using config::ValueType;

namespace {

// A scalar's plaintext in zeroizing memory. Containers are not cached (the inner cipher only
// returns scalars; anything else is passed through uncached).
struct CachedScalar {
  ValueType type = ValueType::kNull;
  SecretBytes bytes;
};

std::optional<CachedScalar> Capture(const Value& v) {
  CachedScalar c;
  c.type = v.type();
  switch (v.type()) {
    case ValueType::kNull:
      return c;
    case ValueType::kBool:
      c.bytes = SecretBytes(1);
      c.bytes.MutableReveal()[0] = v.AsBool() ? 1 : 0;
      return c;
    case ValueType::kInt: {
      const std::int64_t i = v.AsInt();
      c.bytes = SecretBytes(sizeof i);
      std::memcpy(c.bytes.MutableReveal().data(), &i, sizeof i);
      return c;
    }
    case ValueType::kDouble: {
      const double d = v.AsDouble();
      c.bytes = SecretBytes(sizeof d);
      std::memcpy(c.bytes.MutableReveal().data(), &d, sizeof d);
      return c;
    }
    case ValueType::kString:
      c.bytes = SecretBytes::FromString(v.AsString());
      return c;
    case ValueType::kBytes:
      c.bytes = SecretBytes(std::span<const std::uint8_t>(v.AsBytes()));
      return c;
    case ValueType::kList:
    case ValueType::kMap:
      break;
  }
  return std::nullopt;
}

Value Restore(const CachedScalar& c) {
  const auto b = c.bytes.Reveal();
  switch (c.type) {
    case ValueType::kBool:
      return Value(b[0] != 0);
    case ValueType::kInt: {
      std::int64_t i = 0;
      std::memcpy(&i, b.data(), sizeof i);
      return Value(i);
    }
    case ValueType::kDouble: {
      double d = 0;
      std::memcpy(&d, b.data(), sizeof d);
      return Value(d);
    }
    case ValueType::kString:
      return Value(std::string(c.bytes.RevealAsString()));
    case ValueType::kBytes:
      return Value::FromBytes(config::Bytes(b.begin(), b.end()));
    case ValueType::kNull:
    case ValueType::kList:
    case ValueType::kMap:
      break;
  }
  return Value();
}

// Tokens end with their AEAD tag and type ("...,tag:<base64>,type:str]"). The 16 bytes before the
// type hold base64 of 128 random-looking tag bits: mixing them is as good a hash as hashing the
// whole token and several times cheaper. Equality still compares whole tokens.
struct TokenHash {
  std::size_t operator()(std::string_view token) const noexcept {
    if (token.size() < 32) return std::hash<std::string_view>{}(token);
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, token.data() + token.size() - 32, 8);
    std::memcpy(&b, token.data() + token.size() - 24, 8);
    std::uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) + token.size();
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return static_cast<std::size_t>(h);
  }
};

struct Entry {
  std::string token;
  std::string document_id;
  config::Path path;
  CachedScalar value;
};

}  // namespace

struct CachingValueCipher::Table {
  mutable std::mutex mu;
  std::uint64_t generation = 0;  // of the keyring, when the entries were made
  std::list<Entry> lru;          // most recently used first
  // Keys view Entry::token (list nodes do not move).
  std::unordered_map<std::string_view, std::list<Entry>::iterator, TokenHash> index;
  ValueCacheStats stats;

  // Drops everything when the keyring's state moved on since the entries were made.
  void SyncLocked(std::uint64_t keyring_generation) {
    if (keyring_generation == generation) return;
    if (!lru.empty()) ++stats.invalidations;
    DropAllLocked();
    generation = keyring_generation;
  }

  // The cached value of `token` for this document and path, if any (and marks it recently used).
  const CachedScalar* LookupLocked(std::string_view token, std::string_view document_id,
                                   const config::Path& path) {
    auto it = index.find(token);
    if (it == index.end()) return nullptr;
    const Entry& e = *it->second;
    if (e.document_id != document_id || e.path != path) return nullptr;
    lru.splice(lru.begin(), lru, it->second);
    return &e.value;
  }

  void InsertLocked(std::string_view token, std::string_view document_id, const config::Path& path,
                    CachedScalar value, std::size_t max_entries) {
    if (auto it = index.find(token); it != index.end()) {
      // The same token under another document or path: keep the latest successful one.
      Entry& e = *it->second;
      e.document_id = std::string(document_id);
      e.path = path;
      e.value = std::move(value);
      lru.splice(lru.begin(), lru, it->second);
      return;
    }
    lru.push_front(Entry{std::string(token), std::string(document_id), path, std::move(value)});
    index.emplace(lru.front().token, lru.begin());
    while (lru.size() > max_entries) {
      index.erase(lru.back().token);
      lru.pop_back();
      ++stats.evictions;
    }
    stats.entries = lru.size();
  }

  void DropAllLocked() {
    index.clear();
    lru.clear();  // SecretBytes zeroize on destruction
    stats.entries = 0;
  }
};

CachingValueCipher::CachingValueCipher(std::shared_ptr<const ValueCipher> inner,
                                       std::shared_ptr<const keys::Keyring> keyring,
                                       ValueCacheOptions options)
    : inner_(std::move(inner)),
      keyring_(std::move(keyring)),
      options_(options),
      table_(std::make_unique<Table>()) {
  table_->generation = keyring_->state_generation();
}

CachingValueCipher::~CachingValueCipher() { Clear(); }

Result<std::unique_ptr<CachingValueCipher>> CachingValueCipher::Create(
    std::shared_ptr<const ValueCipher> inner, std::shared_ptr<const keys::Keyring> keyring,
    ValueCacheOptions options) {
  if (!inner || !keyring) {
    return InvalidArgumentError(
        "caching value cipher: an inner cipher and its keyring are required");
  }
  return std::unique_ptr<CachingValueCipher>(
      new CachingValueCipher(std::move(inner), std::move(keyring), options));
}

Result<std::string> CachingValueCipher::Encrypt(const Value& plaintext,
                                                std::string_view document_id,
                                                const config::Path& path) const {
  return inner_->Encrypt(plaintext, document_id, path);
}

Result<Value> CachingValueCipher::Decrypt(std::string_view token, std::string_view document_id,
                                          const config::Path& path) const {
  if (options_.max_entries == 0) return inner_->Decrypt(token, document_id, path);
  Table& t = *table_;
  const std::uint64_t generation = keyring_->state_generation();
  {
    std::lock_guard lock(t.mu);
    t.SyncLocked(generation);
    if (const CachedScalar* hit = t.LookupLocked(token, document_id, path)) {
      ++t.stats.hits;
      return Restore(*hit);
    }
    ++t.stats.misses;
  }
  BULWARK_ASSIGN_OR_RETURN(Value plain, inner_->Decrypt(token, document_id, path));
  std::optional<CachedScalar> captured = Capture(plain);
  if (!captured) return plain;
  std::lock_guard lock(t.mu);
  // A key state change since this call began: the value was decrypted under the old state, so it
  // is returned (as it would be without a cache) but not kept.
  if (keyring_->state_generation() != generation || t.generation != generation) return plain;
  t.InsertLocked(token, document_id, path, std::move(*captured), options_.max_entries);
  return plain;
}

Status CachingValueCipher::DecryptMany(std::span<const TokenAt> tokens,
                                       std::string_view document_id,
                                       std::vector<Value>& out) const {
  if (options_.max_entries == 0) return inner_->DecryptMany(tokens, document_id, out);
  Table& t = *table_;
  out.clear();
  out.resize(tokens.size());
  std::vector<std::size_t> misses;
  const std::uint64_t generation = keyring_->state_generation();
  {
    std::lock_guard lock(t.mu);
    t.SyncLocked(generation);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (const CachedScalar* hit = t.LookupLocked(tokens[i].token, document_id, *tokens[i].path)) {
        out[i] = Restore(*hit);
      } else {
        misses.push_back(i);
      }
    }
    t.stats.hits += tokens.size() - misses.size();
    t.stats.misses += misses.size();
  }
  if (misses.empty()) return OkStatus();
  // The misses go to the inner cipher as one batch (it may share its buffers across them).
  std::vector<TokenAt> missed;
  missed.reserve(misses.size());
  for (std::size_t i : misses) missed.push_back(tokens[i]);
  std::vector<Value> decrypted;
  if (auto s = inner_->DecryptMany(missed, document_id, decrypted); !s) {
    out.clear();
    return s;
  }
  std::vector<std::pair<std::size_t, CachedScalar>> fresh;
  fresh.reserve(misses.size());
  for (std::size_t k = 0; k < misses.size(); ++k) {
    const std::size_t i = misses[k];
    if (auto c = Capture(decrypted[k])) fresh.emplace_back(i, std::move(*c));
    out[i] = std::move(decrypted[k]);
  }
  std::lock_guard lock(t.mu);
  if (keyring_->state_generation() != generation || t.generation != generation) return OkStatus();
  for (auto& [i, c] : fresh) {
    t.InsertLocked(tokens[i].token, document_id, *tokens[i].path, std::move(c),
                   options_.max_entries);
  }
  return OkStatus();
}

void CachingValueCipher::Clear() const {
  std::lock_guard lock(table_->mu);
  table_->DropAllLocked();
}

ValueCacheStats CachingValueCipher::stats() const {
  std::lock_guard lock(table_->mu);
  ValueCacheStats s = table_->stats;
  s.entries = table_->lru.size();
  return s;
}

}  // namespace bulwark::service
