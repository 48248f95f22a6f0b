// Where API tokens are kept: a SQLite database (<home>/tokens.db, mode 0600, WAL, busy timeout
// 10 s so that the server and a `bulwark token` command can use it at the same time).
//
// Each row holds the token's id, a unique name, SHA-256 of the token (never the token), the roles
// and namespaces it is scoped to, who created it and when, when it expires, when it was revoked,
// and when it was last used. Rows are never deleted: a revoked token stays listed (and refused).
// Schema and columns: docs/identity.md "API tokens".
//
// Errors: kInvalidArgument (bad name, no role, expiry not in the future), kAlreadyExists (a name in
// use), kNotFound (no such id or name), kUnavailable (the database cannot be opened or written),
// kDataLoss (a row that does not parse).
//
// Thread safety: every method may be called concurrently (one connection, serialized).
#ifndef BULWARK_IDENTITY_TOKEN_STORE_H_
#define BULWARK_IDENTITY_TOKEN_STORE_H_

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/crypto/hash.h"

struct sqlite3;

namespace bulwark::identity {

struct TokenRecord {
  std::string id;
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> namespaces;  // empty: not limited to namespaces by the token
  std::string created_by;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;  // none: never expires (allowed only when asked for)
  std::optional<TimePoint> revoked_at;
  std::optional<TimePoint> last_used_at;
  crypto::Sha256Digest hash{};

  bool revoked() const { return revoked_at.has_value(); }
  bool expired(TimePoint now) const { return expires_at.has_value() && now >= *expires_at; }
};

struct NewTokenRequest {
  std::string name;                     // [A-Za-z0-9._-]{1,64}, unique
  std::vector<std::string> roles;       // at least one
  std::vector<std::string> namespaces;  // optional scope
  std::string created_by;
  std::optional<TimePoint> expires_at;  // must be in the future when set
};

struct CreatedToken {
  TokenRecord record;
  SecretBytes token;  // the only time the token exists outside its holder
};

class TokenStore {
 public:
  // Opens or creates the database (the file created 0600 before SQLite touches it).
  static Result<std::unique_ptr<TokenStore>> Open(const std::filesystem::path& path,
                                                  Runtime runtime);
  ~TokenStore();

  // Generates a token, stores its hash, returns it once.
  Result<CreatedToken> Create(const NewTokenRequest& request);
  // All tokens, newest first (revoked and expired included).
  Result<std::vector<TokenRecord>> List() const;
  // By id, or else by name.
  Result<TokenRecord> Find(std::string_view id_or_name) const;
  Result<TokenRecord> FindById(std::string_view id) const;
  // Marks the token revoked (idempotent: revoking twice keeps the first time).
  Result<TokenRecord> Revoke(std::string_view id_or_name);
  // Records a use. Writes at most once a minute per token so that a busy client does not turn
  // every request into a database write.
  Status MarkUsed(const TokenRecord& record, TimePoint when);

  const std::filesystem::path& path() const { return path_; }

 private:
  TokenStore(std::filesystem::path path, sqlite3* db, Runtime runtime)
      : path_(std::move(path)), db_(db), runtime_(std::move(runtime)) {}
  Result<std::vector<TokenRecord>> Query(std::string_view where, std::string_view arg) const;

  std::filesystem::path path_;
  sqlite3* db_;
  Runtime runtime_;
  mutable std::mutex mu_;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_TOKEN_STORE_H_
