#include "bulwark/identity/token_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "bulwark/identity/api_token.h"

namespace bulwark::identity {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

std::int64_t Micros(TimePoint t) {
  return duration_cast<microseconds>(t.time_since_epoch()).count();
}
TimePoint FromMicros(std::int64_t us) {
  return TimePoint(duration_cast<TimePoint::duration>(microseconds(us)));
}

std::unexpected<Error> SqlError(sqlite3* db, std::string_view what) {
  return UnavailableError(fmt::format("token store: {}: {}", what, sqlite3_errmsg(db)));
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string ToJson(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }

Result<std::vector<std::string>> FromJson(const unsigned char* text, std::string_view column) {
  std::vector<std::string> out;
  if (text == nullptr) return out;
  auto j = nlohmann::json::parse(reinterpret_cast<const char*>(text), nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return DataLossError(fmt::format("token store: column {} is not a JSON list", column));
  }
  for (const auto& item : j) {
    if (!item.is_string()) {
      return DataLossError(fmt::format("token store: column {} holds a non-string", column));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

constexpr const char* kColumns =
    "id, name, hash, roles, namespaces, created_by, created_us, expires_us, revoked_us, "
    "last_used_us";

std::optional<TimePoint> OptionalTime(sqlite3_stmt* s, int col) {
  if (sqlite3_column_type(s, col) == SQLITE_NULL) return std::nullopt;
  return FromMicros(sqlite3_column_int64(s, col));
}

Result<TokenRecord> Row(sqlite3_stmt* s) {
  TokenRecord r;
  r.id = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  r.name = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
  if (sqlite3_column_bytes(s, 2) != static_cast<int>(r.hash.size())) {
    return DataLossError(fmt::format("token store: token {} has a malformed hash", r.id));
  }
  std::memcpy(r.hash.data(), sqlite3_column_blob(s, 2), r.hash.size());
  BULWARK_ASSIGN_OR_RETURN(r.roles, FromJson(sqlite3_column_text(s, 3), "roles"));
  BULWARK_ASSIGN_OR_RETURN(r.namespaces, FromJson(sqlite3_column_text(s, 4), "namespaces"));
  if (const unsigned char* t = sqlite3_column_text(s, 5))
    r.created_by = reinterpret_cast<const char*>(t);
  r.created_at = FromMicros(sqlite3_column_int64(s, 6));
  r.expires_at = OptionalTime(s, 7);
  r.revoked_at = OptionalTime(s, 8);
  r.last_used_at = OptionalTime(s, 9);
  return r;
}

void BindOptionalTime(sqlite3_stmt* s, int col, const std::optional<TimePoint>& t) {
  if (t) {
    sqlite3_bind_int64(s, col, Micros(*t));
  } else {
    sqlite3_bind_null(s, col);
  }
}

void BindText(sqlite3_stmt* s, int col, std::string_view text) {
  sqlite3_bind_text(s, col, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

}  // namespace

Result<std::unique_ptr<TokenStore>> TokenStore::Open(const std::filesystem::path& path,
                                                     Runtime runtime) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError(
        fmt::format("token store {}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    auto e = UnavailableError(
        fmt::format("token store {}: {}", path.string(), db ? sqlite3_errmsg(db) : "open"));
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<TokenStore> store(new TokenStore(path, db, std::move(runtime)));
  sqlite3_busy_timeout(db, 10000);
  char* err = nullptr;
  const char* schema =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
      "CREATE TABLE IF NOT EXISTS api_tokens(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
      " hash BLOB NOT NULL, roles TEXT NOT NULL, namespaces TEXT NOT NULL, created_by TEXT,"
      " created_us INTEGER NOT NULL, expires_us INTEGER, revoked_us INTEGER,"
      " last_used_us INTEGER);";
  if (sqlite3_exec(db, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    auto e =
        UnavailableError(fmt::format("token store {}: schema: {}", path.string(), err ? err : "?"));
    sqlite3_free(err);
    return e;
  }
  return store;
}

TokenStore::~TokenStore() { sqlite3_close(db_); }

Result<CreatedToken> TokenStore::Create(const NewTokenRequest& request) {
  if (!ValidName(request.name)) {
    return InvalidArgumentError(fmt::format(
        "token name '{}': use 1-64 letters, digits, '.', '_' or '-'", request.name.substr(0, 64)));
  }
  if (request.roles.empty()) {
    return InvalidArgumentError(
        fmt::format("token '{}': give at least one role (--role)", request.name));
  }
  for (const auto& r : request.roles) {
    if (r.empty()) return InvalidArgumentError(fmt::format("token '{}': empty role", request.name));
  }
  for (const auto& n : request.namespaces) {
    if (n.empty()) {
      return InvalidArgumentError(fmt::format("token '{}': empty namespace", request.name));
    }
  }
  const TimePoint now = runtime_.clock->Now();
  if (request.expires_at && *request.expires_at <= now) {
    return InvalidArgumentError(
        fmt::format("token '{}': the expiry must be in the future", request.name));
  }
  BULWARK_ASSIGN_OR_RETURN(GeneratedApiToken generated, GenerateApiToken(*runtime_.random));
  CreatedToken out;
  out.record.id = generated.id;
  out.record.name = request.name;
  out.record.roles = request.roles;
  out.record.namespaces = request.namespaces;
  out.record.created_by = request.created_by;
  out.record.created_at = now;
  out.record.expires_at = request.expires_at;
  out.record.hash = HashApiToken(generated.token.RevealAsString());
  out.token = std::move(generated.token);

  std::lock_guard lock(mu_);
  Stmt st;
  const std::string sql =
      fmt::format("INSERT INTO api_tokens({}) VALUES (?,?,?,?,?,?,?,?,NULL,NULL)", kColumns);
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
    return SqlError(db_, "create " + request.name);
  }
  BindText(st.s, 1, out.record.id);
  BindText(st.s, 2, out.record.name);
  sqlite3_bind_blob(st.s, 3, out.record.hash.data(), static_cast<int>(out.record.hash.size()),
                    SQLITE_TRANSIENT);
  BindText(st.s, 4, ToJson(out.record.roles));
  BindText(st.s, 5, ToJson(out.record.namespaces));
  BindText(st.s, 6, out.record.created_by);
  sqlite3_bind_int64(st.s, 7, Micros(now));
  BindOptionalTime(st.s, 8, out.record.expires_at);
  const int rc = sqlite3_step(st.s);
  if (rc == SQLITE_CONSTRAINT) {
    return AlreadyExistsError(fmt::format("token '{}' already exists", request.name));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "create " + request.name);
  return out;
}

Result<std::vector<TokenRecord>> TokenStore::Query(std::string_view where,
                                                   std::string_view arg) const {
  std::lock_guard lock(mu_);
  Stmt st;
  const std::string sql =
      fmt::format("SELECT {} FROM api_tokens {} ORDER BY created_us DESC, id", kColumns, where);
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
    return SqlError(db_, "read");
  }
  if (!where.empty()) {
    BindText(st.s, 1, arg);
    if (sqlite3_bind_parameter_count(st.s) > 1) BindText(st.s, 2, arg);
  }
  std::vector<TokenRecord> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    BULWARK_ASSIGN_OR_RETURN(TokenRecord r, Row(st.s));
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "read");
  return out;
}

Result<std::vector<TokenRecord>> TokenStore::List() const { return Query("", ""); }

Result<TokenRecord> TokenStore::FindById(std::string_view id) const {
  BULWARK_ASSIGN_OR_RETURN(auto rows, Query("WHERE id = ?", id));
  if (rows.empty()) return NotFoundError("token not found");
  return std::move(rows.front());
}

Result<TokenRecord> TokenStore::Find(std::string_view id_or_name) const {
  BULWARK_ASSIGN_OR_RETURN(auto rows, Query("WHERE id = ?1 OR name = ?1", id_or_name));
  if (rows.empty()) {
    return NotFoundError(fmt::format("token '{}' not found", id_or_name.substr(0, 64)));
  }
  // An id match wins over a name match (names cannot collide with each other).
  for (auto& r : rows) {
    if (r.id == id_or_name) return std::move(r);
  }
  return std::move(rows.front());
}

Result<TokenRecord> TokenStore::Revoke(std::string_view id_or_name) {
  BULWARK_ASSIGN_OR_RETURN(TokenRecord r, Find(id_or_name));
  if (r.revoked()) return r;
  const TimePoint now = runtime_.clock->Now();
  std::lock_guard lock(mu_);
  Stmt st;
  if (sqlite3_prepare_v2(db_,
                         "UPDATE api_tokens SET revoked_us = ? WHERE id = ? AND revoked_us IS NULL",
                         -1, &st.s, nullptr) != SQLITE_OK) {
    return SqlError(db_, "revoke " + r.id);
  }
  sqlite3_bind_int64(st.s, 1, Micros(now));
  BindText(st.s, 2, r.id);
  if (sqlite3_step(st.s) != SQLITE_DONE) return SqlError(db_, "revoke " + r.id);
  r.revoked_at = now;
  return r;
}

Status TokenStore::MarkUsed(const TokenRecord& record, TimePoint when) {
  if (record.last_used_at && when - *record.last_used_at < std::chrono::minutes(1)) {
    return OkStatus();
  }
  std::lock_guard lock(mu_);
  Stmt st;
  if (sqlite3_prepare_v2(db_, "UPDATE api_tokens SET last_used_us = ? WHERE id = ?", -1, &st.s,
                         nullptr) != SQLITE_OK) {
    return SqlError(db_, "mark used " + record.id);
  }
  sqlite3_bind_int64(st.s, 1, Micros(when));
  BindText(st.s, 2, record.id);
  if (sqlite3_step(st.s) != SQLITE_DONE) return SqlError(db_, "mark used " + record.id);
  return OkStatus();
}

}  // namespace bulwark::identity
