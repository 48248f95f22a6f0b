#include "bulwark/service/caching_value_cipher.h"

#include <cstring>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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

// The size of a scalar's cached form; nullopt for containers.
std::optional<std::size_t> CachedSize(const Value& v) {
  switch (v.type()) {
    case ValueType::kNull:
      return 0;
    case ValueType::kBool:
      return 1;
    case ValueType::kInt:
      return sizeof(std::int64_t);
    case ValueType::kDouble:
      return sizeof(double);
    case ValueType::kString:
      return v.AsString().size();
    case ValueType::kBytes:
      return v.AsBytes().size();
    case ValueType::kList:
    case ValueType::kMap:
      break;
  }
  return std::nullopt;
}

// Writes a scalar's cached form into `out` (CachedSize(v) bytes).
void WriteCached(const Value& v, std::span<std::uint8_t> out) {
  switch (v.type()) {
    case ValueType::kBool:
      out[0] = v.AsBool() ? 1 : 0;
      return;
    case ValueType::kInt: {
      const std::int64_t i = v.AsInt();
      std::memcpy(out.data(), &i, sizeof i);
      return;
    }
    case ValueType::kDouble: {
      const double d = v.AsDouble();
      std::memcpy(out.data(), &d, sizeof d);
      return;
    }
    case ValueType::kString:
      if (!out.empty()) std::memcpy(out.data(), v.AsString().data(), out.size());
      return;
    case ValueType::kBytes:
      if (!out.empty()) std::memcpy(out.data(), v.AsBytes().data(), out.size());
      return;
    case ValueType::kNull:
    case ValueType::kList:
    case ValueType::kMap:
      return;
  }
}

std::optional<CachedScalar> Capture(const Value& v) {
  const std::optional<std::size_t> size = CachedSize(v);
  if (!size) return std::nullopt;
  CachedScalar c;
  c.type = v.type();
  if (*size > 0) {
    c.bytes = SecretBytes(*size);
    WriteCached(v, c.bytes.MutableReveal());
  }
  return c;
}

// A fresh Value from a cached form: one allocation for a string longer than the inline buffer
// (15 bytes) or for bytes, none otherwise.
Value Restore(ValueType type, std::span<const std::uint8_t> b) {
  switch (type) {
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
      return Value(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
    case ValueType::kBytes:
      return Value::FromBytes(config::Bytes(b.begin(), b.end()));
    case ValueType::kNull:
    case ValueType::kList:
    case ValueType::kMap:
      break;
  }
  return Value();
}

Value Restore(const CachedScalar& c) { return Restore(c.type, c.bytes.Reveal()); }

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

// One token's value, for this document identity and path.
struct Entry {
  std::string token;
  std::string document_id;
  config::Path path;
  CachedScalar value;
  std::uint64_t used = 0;  // Table::tick when last used
};

// The dotted path a token's associated data binds: TokenAt::dotted, or built from the path (as
// the keyring cipher does).
std::string_view DottedOf(const TokenAt& t, std::string& scratch) {
  if (!t.dotted.empty()) return t.dotted;
  scratch = t.path->ToString();
  return scratch;
}

// All the values of one stored content's tokens, for one document identity. Token texts and
// dotted paths are concatenated (they are not secret); the plaintexts share one SecretBytes.
struct DocEntry {
  struct Item {
    std::uint32_t token_end;   // in `tokens`
    std::uint32_t dotted_end;  // in `dotted`
    std::uint32_t plain_end;   // in `plain`
    ValueType type;
  };
  std::string content_hash;
  std::string document_id;
  std::string tokens;
  std::string dotted;
  std::vector<Item> items;
  SecretBytes plain;
  std::uint64_t used = 0;

  // Whether this entry holds exactly these tokens, in this order, at these paths, for this
  // document identity (then its values are what the per-token entries of the same tokens,
  // document and paths would hold).
  bool Matches(std::span<const TokenAt> batch, std::string_view doc_id,
               std::string& scratch) const {
    if (items.size() != batch.size() || document_id != doc_id) return false;
    std::uint32_t tb = 0, db = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Item& it = items[i];
      if (std::string_view(tokens.data() + tb, it.token_end - tb) != batch[i].token) return false;
      if (std::string_view(dotted.data() + db, it.dotted_end - db) != DottedOf(batch[i], scratch)) {
        return false;
      }
      tb = it.token_end;
      db = it.dotted_end;
    }
    return true;
  }

  // Writes the values into `out`: in place when it holds one value per item (a string value's
  // buffer is reused when it is large enough: no allocation), else appended.
  void RestoreAll(std::vector<Value>& out) const {
    const auto bytes = plain.Reveal();
    const bool in_place = out.size() == items.size();
    if (!in_place) out.reserve(out.size() + items.size());
    std::uint32_t pb = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Item& it = items[i];
      const std::size_t n = it.plain_end - pb;
      if (it.type == ValueType::kString) {
        const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + pb, n);
        if (!in_place) {
          out.emplace_back(text);  // built in place: the string's one allocation (none to 15 bytes)
        } else if (std::string* s = out[i].IfString()) {
          s->assign(text);  // the caller's string (a moved-in token): its buffer is large enough
        } else {
          out[i] = Value(text);
        }
      } else if (in_place) {
        out[i] = Restore(it.type, bytes.subspan(pb, n));
      } else {
        out.push_back(Restore(it.type, bytes.subspan(pb, n)));
      }
      pb = it.plain_end;
    }
  }
};

// The document entry for a batch and its values; nullopt when a value is not a scalar or a
// length does not fit the entry's 32-bit offsets.
std::optional<DocEntry> MakeDocEntry(std::string_view content_hash, std::string_view document_id,
                                     std::span<const TokenAt> batch,
                                     const std::vector<Value>& values) {
  DocEntry d;
  d.content_hash = std::string(content_hash);
  d.document_id = std::string(document_id);
  d.items.reserve(batch.size());
  std::size_t token_bytes = 0, plain_bytes = 0;
  std::vector<std::size_t> sizes;
  sizes.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::optional<std::size_t> size = CachedSize(values[i]);
    if (!size) return std::nullopt;
    sizes.push_back(*size);
    plain_bytes += *size;
    token_bytes += batch[i].token.size();
  }
  constexpr std::size_t kMax = std::numeric_limits<std::uint32_t>::max();
  if (token_bytes > kMax || plain_bytes > kMax) return std::nullopt;
  d.tokens.reserve(token_bytes);
  d.plain = SecretBytes(plain_bytes);
  const auto plain = d.plain.MutableReveal();
  std::string scratch;
  std::size_t pb = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    d.tokens.append(batch[i].token);
    d.dotted.append(DottedOf(batch[i], scratch));
    if (d.dotted.size() > kMax) return std::nullopt;
    WriteCached(values[i], plain.subspan(pb, sizes[i]));
    pb += sizes[i];
    d.items.push_back({static_cast<std::uint32_t>(d.tokens.size()),
                       static_cast<std::uint32_t>(d.dotted.size()), static_cast<std::uint32_t>(pb),
                       values[i].type()});
  }
  return d;
}

}  // namespace

struct CachingValueCipher::Table {
  mutable std::mutex mu;
  std::uint64_t generation = 0;  // of the keyring, when the entries were made
  std::uint64_t tick = 0;        // use counter: the LRU order across both lists
  std::size_t values = 0;        // values held over both lists (bounded by max_entries)
  std::list<Entry> lru;          // per-token entries, most recently used first
  // Keys view Entry::token (list nodes do not move).
  std::unordered_map<std::string_view, std::list<Entry>::iterator, TokenHash> index;
  std::list<DocEntry> docs;  // per-document entries, most recently used first
  // Keys view DocEntry::content_hash.
  std::unordered_map<std::string_view, std::list<DocEntry>::iterator> doc_index;
  ValueCacheStats stats;

  // Drops everything when the keyring's state moved on since the entries were made.
  void SyncLocked(std::uint64_t keyring_generation) {
    if (keyring_generation == generation) return;
    if (!lru.empty() || !docs.empty()) ++stats.invalidations;
    DropAllLocked();
    generation = keyring_generation;
  }

  // The cached value of `token` for this document and path, if any (and marks it recently used).
  const CachedScalar* LookupLocked(std::string_view token, std::string_view document_id,
                                   const config::Path& path) {
    auto it = index.find(token);
    if (it == index.end()) return nullptr;
    Entry& e = *it->second;
    if (e.document_id != document_id || e.path != path) return nullptr;
    e.used = ++tick;
    lru.splice(lru.begin(), lru, it->second);
    return &e.value;
  }

  // The document entry of `content_hash` if it holds exactly this batch (and marks it used).
  const DocEntry* LookupDocLocked(std::string_view content_hash, std::span<const TokenAt> batch,
                                  std::string_view document_id, std::string& scratch) {
    auto it = doc_index.find(content_hash);
    if (it == doc_index.end()) return nullptr;
    DocEntry& d = *it->second;
    if (!d.Matches(batch, document_id, scratch)) return nullptr;
    d.used = ++tick;
    docs.splice(docs.begin(), docs, it->second);
    return &d;
  }

  // Evicts least recently used entries (of either kind) until `n` more values fit.
  void MakeRoomLocked(std::size_t n, std::size_t max_entries) {
    while (values + n > max_entries && (!lru.empty() || !docs.empty())) {
      const bool doc = lru.empty() || (!docs.empty() && docs.back().used < lru.back().used);
      if (doc) {
        const std::size_t k = docs.back().items.size();
        doc_index.erase(docs.back().content_hash);
        docs.pop_back();
        values -= k;
        stats.evictions += k;
      } else {
        index.erase(lru.back().token);
        lru.pop_back();
        --values;
        ++stats.evictions;
      }
    }
  }

  void InsertLocked(std::string_view token, std::string_view document_id, const config::Path& path,
                    CachedScalar value, std::size_t max_entries) {
    if (auto it = index.find(token); it != index.end()) {
      // The same token under another document or path: keep the latest successful one.
      Entry& e = *it->second;
      e.document_id = std::string(document_id);
      e.path = path;
      e.value = std::move(value);
      e.used = ++tick;
      lru.splice(lru.begin(), lru, it->second);
      return;
    }
    MakeRoomLocked(1, max_entries);
    lru.push_front(
        Entry{std::string(token), std::string(document_id), path, std::move(value), ++tick});
    index.emplace(lru.front().token, lru.begin());
    ++values;
  }

  // Keeps `d` as its content's entry, replacing an older one (callers ensure it fits the bound).
  void InsertDocLocked(DocEntry d, std::size_t max_entries) {
    if (auto it = doc_index.find(d.content_hash); it != doc_index.end()) {
      values -= it->second->items.size();
      auto node = it->second;
      doc_index.erase(it);
      docs.erase(node);
    }
    const std::size_t n = d.items.size();
    MakeRoomLocked(n, max_entries);
    d.used = ++tick;
    docs.push_front(std::move(d));
    doc_index.emplace(docs.front().content_hash, docs.begin());
    values += n;
  }

  void DropAllLocked() {
    index.clear();
    lru.clear();  // SecretBytes zeroize on destruction
    doc_index.clear();
    docs.clear();
    values = 0;
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

Status CachingValueCipher::LookUpAndDecrypt(std::span<const TokenAt> tokens,
                                            std::string_view document_id, std::uint64_t generation,
                                            std::vector<Value>& out,
                                            std::vector<std::size_t>& fresh) const {
  Table& t = *table_;
  out.clear();
  out.resize(tokens.size());
  fresh.clear();
  {
    std::lock_guard lock(t.mu);
    t.SyncLocked(generation);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (const CachedScalar* hit = t.LookupLocked(tokens[i].token, document_id, *tokens[i].path)) {
        out[i] = Restore(*hit);
      } else {
        fresh.push_back(i);
      }
    }
    t.stats.hits += tokens.size() - fresh.size();
    t.stats.misses += fresh.size();
  }
  if (fresh.empty()) return OkStatus();
  // The misses go to the inner cipher as one batch (it may share its buffers across them).
  std::vector<TokenAt> missed;
  missed.reserve(fresh.size());
  for (std::size_t i : fresh) missed.push_back(tokens[i]);
  std::vector<Value> decrypted;
  if (auto s = inner_->DecryptMany(missed, document_id, decrypted); !s) {
    out.clear();
    return s;
  }
  for (std::size_t k = 0; k < fresh.size(); ++k) out[fresh[k]] = std::move(decrypted[k]);
  return OkStatus();
}

void CachingValueCipher::KeepPerToken(std::span<const TokenAt> tokens, std::string_view document_id,
                                      std::uint64_t generation, const std::vector<Value>& out,
                                      const std::vector<std::size_t>& fresh) const {
  if (fresh.empty()) return;
  std::vector<std::pair<std::size_t, CachedScalar>> kept;
  kept.reserve(fresh.size());
  for (std::size_t i : fresh) {
    if (auto c = Capture(out[i])) kept.emplace_back(i, std::move(*c));
  }
  Table& t = *table_;
  std::lock_guard lock(t.mu);
  // A key state change since this call began: the values were decrypted under the old state, so
  // they are returned (as they would be without a cache) but not kept.
  if (keyring_->state_generation() != generation || t.generation != generation) return;
  for (auto& [i, c] : kept) {
    t.InsertLocked(tokens[i].token, document_id, *tokens[i].path, std::move(c),
                   options_.max_entries);
  }
}

Status CachingValueCipher::DecryptMany(std::span<const TokenAt> tokens,
                                       std::string_view document_id,
                                       std::vector<Value>& out) const {
  if (options_.max_entries == 0) return inner_->DecryptMany(tokens, document_id, out);
  const std::uint64_t generation = keyring_->state_generation();
  std::vector<std::size_t> fresh;
  BULWARK_RETURN_IF_ERROR(LookUpAndDecrypt(tokens, document_id, generation, out, fresh));
  KeepPerToken(tokens, document_id, generation, out, fresh);
  return OkStatus();
}

// Moves `plain` into `out` (DecryptContent's contract: in place when the sizes match).
static void MoveInto(std::vector<Value>& plain, std::vector<Value>& out) {
  if (out.size() != plain.size()) {
    out = std::move(plain);
    return;
  }
  for (std::size_t i = 0; i < plain.size(); ++i) out[i] = std::move(plain[i]);
}

Status CachingValueCipher::DecryptContent(std::span<const TokenAt> tokens,
                                          std::string_view document_id,
                                          std::string_view content_hash,
                                          std::vector<Value>& out) const {
  if (options_.max_entries == 0) {
    return inner_->DecryptContent(tokens, document_id, content_hash, out);
  }
  // `out` may hold the strings `tokens` view: every token is read (matched, decrypted, kept)
  // before any value is written to `out`, and failures leave it unchanged.
  std::vector<Value> plain;
  // No name, nothing to share, or more values than the cache may hold: per-token entries only.
  if (content_hash.empty() || tokens.empty() || tokens.size() > options_.max_entries) {
    BULWARK_RETURN_IF_ERROR(DecryptMany(tokens, document_id, plain));
    MoveInto(plain, out);
    return OkStatus();
  }
  Table& t = *table_;
  const std::uint64_t generation = keyring_->state_generation();
  {
    std::string scratch;
    std::lock_guard lock(t.mu);
    t.SyncLocked(generation);
    if (const DocEntry* d = t.LookupDocLocked(content_hash, tokens, document_id, scratch)) {
      if (out.size() != tokens.size()) out.clear();
      d->RestoreAll(out);
      t.stats.hits += tokens.size();
      ++t.stats.document_hits;
      return OkStatus();
    }
  }
  std::vector<std::size_t> fresh;
  BULWARK_RETURN_IF_ERROR(LookUpAndDecrypt(tokens, document_id, generation, plain, fresh));
  std::optional<DocEntry> entry = MakeDocEntry(content_hash, document_id, tokens, plain);
  if (!entry) {
    KeepPerToken(tokens, document_id, generation, plain, fresh);
  } else {
    std::lock_guard lock(t.mu);
    // As in KeepPerToken: values decrypted under an older key state are returned, not kept.
    if (keyring_->state_generation() == generation && t.generation == generation) {
      t.InsertDocLocked(std::move(*entry), options_.max_entries);
    }
  }
  MoveInto(plain, out);
  return OkStatus();
}

void CachingValueCipher::Clear() const {
  std::lock_guard lock(table_->mu);
  table_->DropAllLocked();
}

ValueCacheStats CachingValueCipher::stats() const {
  std::lock_guard lock(table_->mu);
  ValueCacheStats s = table_->stats;
  s.entries = table_->values;
  s.documents = table_->docs.size();
  return s;
}

}  // namespace bulwark::service
