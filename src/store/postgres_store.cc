// The PostgreSQL backend (libpq). One connection per store object guarded by a mutex. Writes run
// in READ COMMITTED transactions that lock the namespace row (SELECT ... FOR UPDATE) before
// reading the latest version; the advance of latest_version is itself a compare-and-set
// (UPDATE ... WHERE latest_version = n - 1) and (namespace_id, version) is a primary key, so two
// servers can never store the same version number. Serialization failures and deadlocks are
// retried; a lost connection is reset and the transaction retried once.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "bulwark/store/open.h"
#include "pgutil/pg_result.h"
#include "store/internal/codec.h"
#include "store/internal/sql_store.h"

namespace bulwark::store {
namespace {

using internal::FromMicros;
using internal::StoredVersion;
using internal::ToMicros;

// pg_advisory_xact_lock key that serializes schema migrations across servers ("BWK1").
constexpr std::int64_t kMigrationLockKey = 0x42574B31;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE bulwark_schema (version integer NOT NULL);
INSERT INTO bulwark_schema (version) VALUES (1);
CREATE TABLE bulwark_namespaces (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE COLLATE "C",
  latest_version bigint NOT NULL CHECK (latest_version >= 0),
  updated_at_us bigint NOT NULL);
CREATE TABLE bulwark_versions (
  namespace_id bigint NOT NULL REFERENCES bulwark_namespaces(id),
  version bigint NOT NULL CHECK (version >= 1),
  parent_version bigint,
  created_at_us bigint NOT NULL,
  author text NOT NULL,
  message text NOT NULL,
  tags text NOT NULL,
  operation text NOT NULL,
  rollback_of bigint,
  content_hash text NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (namespace_id, version));
CREATE INDEX bulwark_versions_by_time ON bulwark_versions (namespace_id, created_at_us);
CREATE FUNCTION bulwark_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'bulwark_versions rows are immutable'; END $$;
CREATE TRIGGER bulwark_versions_immutable BEFORE UPDATE OR DELETE ON bulwark_versions
  FOR EACH ROW EXECUTE FUNCTION bulwark_versions_immutable();
)sql";

// Schema version 2: version tags (docs/store.md, "Authenticated versions"). The trigger allows
// exactly one change to a stored version: an empty mac becoming non-empty.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE bulwark_versions ADD COLUMN mac text NOT NULL DEFAULT '';
CREATE OR REPLACE FUNCTION bulwark_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.mac = '' AND NEW.mac <> '' AND
     (NEW.namespace_id, NEW.version, NEW.parent_version, NEW.created_at_us, NEW.author,
      NEW.message, NEW.tags, NEW.operation, NEW.rollback_of, NEW.content_hash, NEW.content)
     IS NOT DISTINCT FROM
     (OLD.namespace_id, OLD.version, OLD.parent_version, OLD.created_at_us, OLD.author,
      OLD.message, OLD.tags, OLD.operation, OLD.rollback_of, OLD.content_hash, OLD.content) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'bulwark_versions rows are immutable';
END $$;
UPDATE bulwark_schema SET version = 2;
)sql";

using pgutil::PgResult;

// SQLSTATEs that mean "run the transaction again".
bool IsRetryable(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

class PgConn {
 public:
  explicit PgConn(PGconn* c) : c_(c) {}
  ~PgConn() { PQfinish(c_); }
  PGconn* get() const { return c_; }

  // Runs `sql` with text parameters (a nullopt is NULL; entries listed in `binary` are sent as
  // binary, for bytea). Returns the result or an error that carries the SQLSTATE in `sqlstate`.
  Result<PgResult> Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params,
                        std::string* sqlstate = nullptr, std::vector<int> binary = {}) const {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (std::size_t i = 0; i < params.size(); ++i) {
      values.push_back(params[i] ? params[i]->data() : nullptr);
      lengths.push_back(params[i] ? static_cast<int>(params[i]->size()) : 0);
      bool bin = std::find(binary.begin(), binary.end(), static_cast<int>(i)) != binary.end();
      formats.push_back(bin ? 1 : 0);
    }
    std::string q(sql);
    PgResult r(PQexecParams(c_, q.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                            lengths.data(), formats.data(), 0));
    return Check(std::move(r), sqlstate);
  }

  Result<PgResult> ExecScript(const char* sql, std::string* sqlstate = nullptr) const {
    return Check(PgResult(PQexec(c_, sql)), sqlstate);
  }

 private:
  Result<PgResult> Check(PgResult r, std::string* sqlstate) const {
    PGresult* raw = r.get();
    ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    std::string code = state ? state : "";
    if (sqlstate) *sqlstate = code;
    std::string msg = raw ? PQresultErrorMessage(raw) : PQerrorMessage(c_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    ErrorCode ec = ErrorCode::kInternal;
    if (PQstatus(c_) != CONNECTION_OK || code.starts_with("08") || code.starts_with("57")) {
      ec = ErrorCode::kUnavailable;
    } else if (IsRetryable(code) || code == "55P03") {
      ec = ErrorCode::kUnavailable;
    } else if (code == "23505") {
      ec = ErrorCode::kConflict;
    } else if (code.starts_with("53")) {
      ec = ErrorCode::kResourceExhausted;
    } else if (code.starts_with("42501")) {
      ec = ErrorCode::kPermissionDenied;
    } else if (code == "XX001" || code == "XX002") {
      ec = ErrorCode::kDataLoss;
    }
    return MakeError(
        ec, fmt::format("postgresql: {} (SQLSTATE {})", msg, code.empty() ? "none" : code));
  }

  PGconn* c_;
};

Result<Operation> ParseOperation(std::string_view s) {
  for (Operation op : {Operation::kPut, Operation::kSet, Operation::kUnset, Operation::kRollback}) {
    if (OperationName(op) == s) return op;
  }
  return DataLossError(fmt::format("unknown stored operation '{}'", s));
}

// Columns 0-11 of a version row (ReadInfo) and the tables they come from: the parent's row is
// joined for its mac.
constexpr const char* kVersionColumns =
    "v.version, v.parent_version, v.created_at_us, v.author, v.message, v.tags, v.operation, "
    "v.rollback_of, v.content_hash, octet_length(v.content), v.mac, coalesce(p.mac, '')";
constexpr const char* kVersionTables =
    "bulwark_versions v JOIN bulwark_namespaces n ON v.namespace_id = n.id "
    "LEFT JOIN bulwark_versions p ON p.namespace_id = v.namespace_id "
    "AND p.version = v.parent_version";

Result<VersionInfo> ReadInfo(const PgResult& r, int row, std::string_view ns) {
  VersionInfo info;
  info.namespace_name = std::string(ns);
  info.version = r.Int(row, 0);
  info.parent = r.OptInt(row, 1);
  info.created_at = FromMicros(r.Int(row, 2));
  info.author = r.Text(row, 3);
  info.message = r.Text(row, 4);
  BULWARK_ASSIGN_OR_RETURN(info.tags, internal::DecodeTags(r.Text(row, 5)));
  BULWARK_ASSIGN_OR_RETURN(info.operation, ParseOperation(r.Text(row, 6)));
  info.rollback_of = r.OptInt(row, 7);
  info.content_hash = r.Text(row, 8);
  info.content_size = static_cast<std::size_t>(r.Int(row, 9));
  info.mac = r.Text(row, 10);
  info.parent_mac = r.Text(row, 11);
  return info;
}

std::optional<std::string> Str(std::int64_t v) { return std::to_string(v); }
std::optional<std::string> Str(std::optional<std::int64_t> v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}
std::optional<std::string> Str(std::string_view s) { return std::string(s); }

Status Done(Result<PgResult> r) {
  if (!r) return std::unexpected(r.error());
  return OkStatus();
}

class PgTxn final : public internal::Txn {
 public:
  PgTxn(const PgConn& conn, bool write, std::string* sqlstate)
      : conn_(conn), write_(write), sqlstate_(sqlstate) {}

  Result<std::optional<NamespaceInfo>> Head(std::string_view ns) override {
    std::string sql =
        "SELECT latest_version, updated_at_us FROM bulwark_namespaces WHERE name = $1";
    if (write_) sql += " FOR UPDATE";
    BULWARK_ASSIGN_OR_RETURN(PgResult r, conn_.Exec(sql, {Str(ns)}, sqlstate_));
    if (r.rows() == 0) return std::optional<NamespaceInfo>();
    return std::optional<NamespaceInfo>(
        NamespaceInfo{std::string(ns), r.Int(0, 0), FromMicros(r.Int(0, 1))});
  }

  Result<std::optional<StoredVersion>> Load(std::string_view ns, VersionRef ref) override {
    std::string sql = fmt::format("SELECT {}, v.content FROM {} WHERE n.name = $1 AND ",
                                  kVersionColumns, kVersionTables);
    std::vector<std::optional<std::string>> params = {Str(ns)};
    switch (ref.kind()) {
      case VersionRef::Kind::kLatest:
        sql += "v.version = n.latest_version";
        break;
      case VersionRef::Kind::kNumber:
        sql += "v.version = $2";
        params.push_back(Str(ref.number()));
        break;
      case VersionRef::Kind::kAt:
        sql += "v.created_at_us <= $2 ORDER BY v.version DESC LIMIT 1";
        params.push_back(Str(ToMicros(ref.time())));
        break;
    }
    BULWARK_ASSIGN_OR_RETURN(PgResult r, conn_.Exec(sql, params, sqlstate_));
    if (r.rows() == 0) return std::optional<StoredVersion>();
    StoredVersion v;
    BULWARK_ASSIGN_OR_RETURN(v.info, ReadInfo(r, 0, ns));
    BULWARK_ASSIGN_OR_RETURN(v.content, r.Bytea(0, 12));
    return std::optional<StoredVersion>(std::move(v));
  }

  Result<std::optional<VersionInfo>> Info(std::string_view ns, Version version) override {
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r, conn_.Exec(fmt::format("SELECT {} FROM {} WHERE n.name = $1 AND v.version = $2",
                                           kVersionColumns, kVersionTables),
                               {Str(ns), Str(std::int64_t{version})}, sqlstate_));
    if (r.rows() == 0) return std::optional<VersionInfo>();
    BULWARK_ASSIGN_OR_RETURN(VersionInfo info, ReadInfo(r, 0, ns));
    return std::optional<VersionInfo>(std::move(info));
  }

  Status AttachMac(std::string_view ns, Version version, std::string_view content_hash,
                   std::string_view mac) override {
    return Done(conn_.Exec(
        "UPDATE bulwark_versions SET mac = $3 WHERE mac = '' AND content_hash = $4 AND "
        "version = $2 AND namespace_id = (SELECT id FROM bulwark_namespaces WHERE name = $1)",
        {Str(ns), Str(std::int64_t{version}), Str(mac), Str(content_hash)}, sqlstate_));
  }

  Result<MacCounts> CountMacs() override {
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r, conn_.Exec("SELECT count(*), count(NULLIF(mac, '')) FROM bulwark_versions", {},
                               sqlstate_));
    return MacCounts{r.Int(0, 0), r.Int(0, 1)};
  }

  Status Insert(const VersionInfo& info, std::string_view content) override {
    std::int64_t t = ToMicros(info.created_at);
    if (info.version == 1) {
      // A concurrent first writer blocks here on the unique index until it commits; then this
      // insert does nothing and the compare-and-set below fails cleanly.
      BULWARK_RETURN_IF_ERROR(
          conn_.Exec("INSERT INTO bulwark_namespaces (name, latest_version, updated_at_us) "
                     "VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING",
                     {Str(info.namespace_name), Str(t)}, sqlstate_));
    }
    BULWARK_ASSIGN_OR_RETURN(
        PgResult up,
        conn_.Exec("UPDATE bulwark_namespaces SET latest_version = $2, updated_at_us = $3 "
                   "WHERE name = $1 AND latest_version = $4 RETURNING id",
                   {Str(info.namespace_name), Str(info.version), Str(t), Str(info.version - 1)},
                   sqlstate_));
    if (up.rows() != 1) {
      return ConflictError(fmt::format("another writer stored version {} first", info.version));
    }
    auto ins = conn_.Exec(
        "INSERT INTO bulwark_versions (namespace_id, version, parent_version, created_at_us, "
        "author, message, tags, operation, rollback_of, content_hash, content, mac) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        {Str(up.Int(0, 0)), Str(info.version), Str(info.parent), Str(t), Str(info.author),
         Str(info.message), Str(internal::EncodeTags(info.tags)),
         Str(OperationName(info.operation)), Str(info.rollback_of), Str(info.content_hash),
         Str(content), Str(info.mac)},
        sqlstate_, {10});
    if (!ins) return std::unexpected(ins.error());
    return OkStatus();
  }

  Result<std::vector<VersionInfo>> History(std::string_view ns, std::size_t limit) override {
    std::string sql = fmt::format("SELECT {} FROM {} WHERE n.name = $1 ORDER BY v.version DESC",
                                  kVersionColumns, kVersionTables);
    if (limit > 0) sql += fmt::format(" LIMIT {}", limit);
    BULWARK_ASSIGN_OR_RETURN(PgResult r, conn_.Exec(sql, {Str(ns)}, sqlstate_));
    std::vector<VersionInfo> out;
    for (int i = 0; i < r.rows(); ++i) {
      BULWARK_ASSIGN_OR_RETURN(VersionInfo info, ReadInfo(r, i, ns));
      out.push_back(std::move(info));
    }
    return out;
  }

  Result<std::vector<NamespaceInfo>> List(std::string_view prefix) override {
    BULWARK_ASSIGN_OR_RETURN(
        PgResult r,
        conn_.Exec("SELECT name, latest_version, updated_at_us FROM bulwark_namespaces "
                   "WHERE name >= $1 AND name < $2 AND latest_version > 0 ORDER BY name",
                   {Str(prefix), std::string(prefix) + "\x7f"}, sqlstate_));
    std::vector<NamespaceInfo> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(NamespaceInfo{r.Text(i, 0), r.Int(i, 1), FromMicros(r.Int(i, 2))});
    }
    return out;
  }

  Status Rename(std::string_view from, std::string_view to) override {
    BULWARK_ASSIGN_OR_RETURN(std::optional<NamespaceInfo> src, Head(from));
    if (!src) return NotFoundError(fmt::format("namespace {} does not exist", from));
    BULWARK_ASSIGN_OR_RETURN(std::optional<NamespaceInfo> dst, Head(to));
    if (dst) return AlreadyExistsError(fmt::format("namespace {} already exists", to));
    auto r = conn_.Exec("UPDATE bulwark_namespaces SET name = $2 WHERE name = $1",
                        {Str(from), Str(to)}, sqlstate_);
    if (!r) {
      // A concurrent writer created the target between the check and the update.
      if (sqlstate_ && *sqlstate_ == "23505") {
        return AlreadyExistsError(fmt::format("namespace {} already exists", to));
      }
      return std::unexpected(r.error());
    }
    return OkStatus();
  }

 private:
  const PgConn& conn_;
  bool write_;
  std::string* sqlstate_;
};

class PostgresStore final : public internal::SqlStore {
 public:
  PostgresStore(std::shared_ptr<Clock> clock, std::unique_ptr<PgConn> conn, std::string display)
      : SqlStore(std::move(clock)), conn_(std::move(conn)), display_(std::move(display)) {}

  std::string DisplayUrl() const override { return display_; }

 protected:
  Status Transact(bool write, const std::function<Status(internal::Txn&)>& fn) const override {
    std::lock_guard lock(mu_);
    constexpr int kMaxAttempts = 20;
    bool reset_done = false;
    for (int attempt = 1;; ++attempt) {
      std::string sqlstate;
      if (PQstatus(conn_->get()) != CONNECTION_OK) {
        if (reset_done) return UnavailableError("postgresql: connection lost");
        PQreset(conn_->get());
        reset_done = true;
        if (PQstatus(conn_->get()) != CONNECTION_OK) {
          return UnavailableError(
              fmt::format("postgresql: reconnect failed: {}", PQerrorMessage(conn_->get())));
        }
      }
      Status st =
          Done(conn_->ExecScript(write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                       : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
      if (st) {
        PgTxn txn(*conn_, write, &sqlstate);
        st = fn(txn);
        if (st) {
          st = Done(conn_->ExecScript("COMMIT", &sqlstate));
          if (st) return st;
        }
      }
      if (PQtransactionStatus(conn_->get()) != PQTRANS_IDLE) (void)conn_->ExecScript("ROLLBACK");
      bool lost = PQstatus(conn_->get()) != CONNECTION_OK;
      if ((IsRetryable(sqlstate) && attempt < kMaxAttempts) || (lost && !reset_done)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
        continue;
      }
      return st;
    }
  }

 private:
  mutable std::mutex mu_;
  std::unique_ptr<PgConn> conn_;
  std::string display_;
};

Status MigratePostgres(const PgConn& conn) {
  auto run = [&]() -> Status {
    BULWARK_RETURN_IF_ERROR(conn.ExecScript("BEGIN"));
    BULWARK_RETURN_IF_ERROR(
        conn.Exec("SELECT pg_advisory_xact_lock($1)", {Str(kMigrationLockKey)}));
    BULWARK_ASSIGN_OR_RETURN(PgResult exists,
                             conn.ExecScript("SELECT to_regclass('bulwark_schema') IS NOT NULL"));
    std::int64_t version = 0;
    if (exists.Text(0, 0) == "t") {
      BULWARK_ASSIGN_OR_RETURN(PgResult v,
                               conn.ExecScript("SELECT max(version) FROM bulwark_schema"));
      version = v.IsNull(0, 0) ? 0 : v.Int(0, 0);
    }
    if (version > kSchemaVersion) {
      return FailedPreconditionError(
          fmt::format("store schema version {} was written by a newer Bulwark (this build knows "
                      "up to {}); upgrade Bulwark",
                      version, kSchemaVersion));
    }
    if (version == 0) {
      BULWARK_RETURN_IF_ERROR(conn.ExecScript(kSchemaV1));
      version = 1;
    }
    if (version == 1) BULWARK_RETURN_IF_ERROR(conn.ExecScript(kSchemaV2));
    // Future migrations: if (version < 3) { ...; UPDATE bulwark_schema SET version = 3; }
    BULWARK_RETURN_IF_ERROR(conn.ExecScript("COMMIT"));
    return OkStatus();
  };
  Status st = run();
  if (!st && PQtransactionStatus(conn.get()) != PQTRANS_IDLE) (void)conn.ExecScript("ROLLBACK");
  return st;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  // scheme://user:password@host... -> scheme://user:***@host...
  std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  std::size_t start = scheme + 3;
  std::size_t at = url.find('@', start);
  std::size_t slash = url.find('/', start);
  std::string out(url);
  if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
    std::size_t colon = url.find(':', start);
    if (colon != std::string_view::npos && colon < at) {
      out = std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
    }
  }
  // Query parameters: password=...
  std::size_t p = out.find("password=");
  if (p != std::string::npos) {
    std::size_t end = out.find('&', p);
    out = out.substr(0, p) + "password=***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

Result<std::unique_ptr<ConfigStore>> OpenPostgresStore(std::string_view conninfo,
                                                       const Runtime& runtime,
                                                       const StoreOptions& options) {
  std::string display = RedactUrl(conninfo);
  auto ctx = [&](const Error& e) { return std::unexpected(e.WithContext("open " + display)); };
  if (!runtime.clock) return ctx(Error(ErrorCode::kInvalidArgument, "no clock"));
  auto conn = std::make_unique<PgConn>(PQconnectdb(std::string(conninfo).c_str()));
  if (PQstatus(conn->get()) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn->get());
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return ctx(Error(ErrorCode::kUnavailable, "postgresql: cannot connect: " + msg));
  }
  // Statement/lock timeouts bound how long a write waits for another server's row lock.
  auto timeout =
      conn->ExecScript(fmt::format("SET lock_timeout = {}; SET client_min_messages = warning",
                                   options.busy_timeout.count())
                           .c_str());
  if (!timeout) return ctx(timeout.error());
  if (auto st = MigratePostgres(*conn); !st) return ctx(st.error());
  return std::unique_ptr<ConfigStore>(
      new PostgresStore(runtime.clock, std::move(conn), std::move(display)));
}

}  // namespace bulwark::store
