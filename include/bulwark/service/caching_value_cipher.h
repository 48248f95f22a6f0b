// A ValueCipher that remembers the values it decrypted, for processes that serve the same secrets
// many times (a server, a long-lived library user).
//
// Decrypting one token costs a token parse, the associated data and an AEAD open (about 1 µs); a
// service that reveals a document with 40 secrets pays that 40 times per read. This decorator
// keeps up to `max_entries` decrypted values, keyed by the full token text. A hit also requires
// the same document identity and path as the request that filled the entry, so the binding of the
// associated data holds: a token copied to another path or namespace misses, goes to the inner
// cipher and fails there (kDataLoss), exactly as without the cache. Errors are never cached.
// Encrypt is passed through.
//
// Invalidation: the whole cache is dropped when the keyring's state changes
// (Keyring::state_generation: Rotate, Disable, Enable, Destroy, MarkCompromised), so a key that is
// disabled, marked compromised or destroyed stops decrypting through the cache at the next call.
// Clear() drops everything (call it when a session ends); destruction does too. The least recently
// used entry is evicted when the cache is full.
//
// Whole documents: DecryptContent keeps one entry per stored content (keyed by its content hash)
// holding all its values, so a warm reveal of a document costs one lookup. A hit needs the same
// document identity, token count, and every token text and dotted path equal to the entry's (the
// hash only finds the candidate), so it answers exactly what the per-token entries would. A
// document entry counts as many entries as it holds values; both kinds share `max_entries`, one
// LRU order and the invalidation above (docs/service.md, "Per-document entries").
//
// Plaintext is held in SecretBytes, zeroized on eviction, invalidation, Clear and destruction. The
// trade-off (docs/service.md, "Decrypted-value cache"): plaintext of recently read secrets stays in
// the process's memory between reads, bounded by `max_entries`; max_entries = 0 disables the cache
// (every call goes to the inner cipher).
//
// Thread safety: safe for concurrent use when the inner cipher is (one mutex around the table;
// the inner cipher is called outside it).
#ifndef BULWARK_SERVICE_CACHING_VALUE_CIPHER_H_
#define BULWARK_SERVICE_CACHING_VALUE_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "bulwark/core/error.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/service/value_cipher.h"

namespace bulwark::service {

struct ValueCacheOptions {
  std::size_t max_entries = 1024;  // 0: no cache
};

struct ValueCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;      // values dropped because the cache was full
  std::uint64_t invalidations = 0;  // times the whole cache was dropped on a key state change
  std::size_t entries = 0;          // values held, in per-token and per-document entries
  std::uint64_t document_hits = 0;  // DecryptContent calls answered by one document entry
  std::size_t documents = 0;        // per-document entries held
};

class CachingValueCipher final : public ValueCipher {
 public:
  // `keyring` is the keyring behind `inner` (its state changes invalidate the cache).
  // kInvalidArgument when either is null.
  static Result<std::unique_ptr<CachingValueCipher>> Create(
      std::shared_ptr<const ValueCipher> inner, std::shared_ptr<const keys::Keyring> keyring,
      ValueCacheOptions options);
  ~CachingValueCipher() override;

  Result<std::string> Encrypt(const config::Value& plaintext, std::string_view document_id,
                              const config::Path& path) const override;
  Result<config::Value> Decrypt(std::string_view token, std::string_view document_id,
                                const config::Path& path) const override;
  // One lock for all the lookups; the misses are decrypted by the inner cipher outside it.
  Status DecryptMany(std::span<const TokenAt> tokens, std::string_view document_id,
                     std::vector<config::Value>& out) const override;
  // One lookup and one check for the whole batch when its document entry matches (the values are
  // then written into `out`'s strings in place when it holds one per token: no allocation);
  // otherwise DecryptMany, and the values are kept as the content's document entry.
  Status DecryptContent(std::span<const TokenAt> tokens, std::string_view document_id,
                        std::string_view content_hash,
                        std::vector<config::Value>& out) const override;

  // Drops (and zeroizes) every cached value.
  void Clear() const;
  ValueCacheStats stats() const;

 private:
  struct Table;
  // Looks every token up in the per-token entries and decrypts the misses through the inner
  // cipher as one batch; `fresh` receives the positions of the values decrypted now.
  Status LookUpAndDecrypt(std::span<const TokenAt> tokens, std::string_view document_id,
                          std::uint64_t generation, std::vector<config::Value>& out,
                          std::vector<std::size_t>& fresh) const;
  // Keeps the values at `fresh` as per-token entries (unless the keyring state moved on).
  void KeepPerToken(std::span<const TokenAt> tokens, std::string_view document_id,
                    std::uint64_t generation, const std::vector<config::Value>& out,
                    const std::vector<std::size_t>& fresh) const;
  CachingValueCipher(std::shared_ptr<const ValueCipher> inner,
                     std::shared_ptr<const keys::Keyring> keyring, ValueCacheOptions options);
  std::shared_ptr<const ValueCipher> inner_;
  std::shared_ptr<const keys::Keyring> keyring_;
  ValueCacheOptions options_;
  std::unique_ptr<Table> table_;
};

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_CACHING_VALUE_CIPHER_H_
