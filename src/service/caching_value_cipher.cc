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

// Tokens end with their AEAD tag and type ("...,tag:<base64>,type:str]"): hashing the last 48
// bytes is as good as hashing all of it (the tag is 128 random-looking bits) and several times
// cheaper for long tokens. Equality still compares whole tokens.
struct TokenHash {
  std::size_t operator()(std::string_view token) const noexcept {
    constexpr std::size_t kTail = 48;
    return std::hash<std::string_view>{}(token.size() > kTail ? token.substr(token.size() - kTail)
                                                              : token);
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
    if (generation != t.generation) {
      if (!t.lru.empty()) ++t.stats.invalidations;
      t.DropAllLocked();
      t.generation = generation;
    }
    if (auto it = t.index.find(token); it != t.index.end()) {
      const Entry& e = *it->second;
      if (e.document_id == document_id && e.path == path) {
        ++t.stats.hits;
        t.lru.splice(t.lru.begin(), t.lru, it->second);
        return Restore(e.value);
      }
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
  if (auto it = t.index.find(token); it != t.index.end()) {
    // The same token asked for under another document or path: keep the latest successful one.
    Entry& e = *it->second;
    e.document_id = std::string(document_id);
    e.path = path;
    e.value = std::move(*captured);
    t.lru.splice(t.lru.begin(), t.lru, it->second);
    return plain;
  }
  t.lru.push_front(Entry{std::string(token), std::string(document_id), path, std::move(*captured)});
  t.index.emplace(t.lru.front().token, t.lru.begin());
  while (t.lru.size() > options_.max_entries) {
    t.index.erase(t.lru.back().token);
    t.lru.pop_back();
    ++t.stats.evictions;
  }
  t.stats.entries = t.lru.size();
  return plain;
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
