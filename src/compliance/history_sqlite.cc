// ComplianceHistory over SQLite: one row per (namespace, version) and one per finding.
#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "bulwark/compliance/history.h"

namespace bulwark::compliance {
namespace {

// Created by the first Record (a write), never by opening or listing: several commands open the
// history at once, and a reader must not need the write lock.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS compliance_versions (
  ns TEXT NOT NULL, version INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
  partial INTEGER NOT NULL, info INTEGER NOT NULL, low INTEGER NOT NULL, medium INTEGER NOT NULL,
  high INTEGER NOT NULL, critical INTEGER NOT NULL, PRIMARY KEY (ns, version));
CREATE TABLE IF NOT EXISTS compliance_findings (
  ns TEXT NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL, rule_id TEXT NOT NULL,
  path TEXT NOT NULL, severity INTEGER NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (ns, version, seq));
)sql";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void Text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

class SqliteHistory final : public ComplianceHistory {
 public:
  explicit SqliteHistory(sqlite3* db) : db_(db) {}
  ~SqliteHistory() override { sqlite3_close(db_); }

  Status Record(const VersionStatus& s) override {
    std::lock_guard lock(mu_);
    if (!has_tables_) {
      // WAL first (outside a transaction; it persists in the file), so readers never block the
      // writer and the writer never blocks readers.
      BULWARK_RETURN_IF_ERROR(Exec("PRAGMA journal_mode = WAL"));
    }
    BULWARK_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    if (!has_tables_) {
      if (Status created = Exec(kSchema); !created) {
        (void)Exec("ROLLBACK");
        return created;
      }
    }
    Status st = RecordLocked(s);
    if (!st) {
      (void)Exec("ROLLBACK");
      return st;
    }
    BULWARK_RETURN_IF_ERROR(Exec("COMMIT"));
    has_tables_ = true;
    return OkStatus();
  }

  Result<std::vector<VersionStatus>> List(std::string_view ns) const override {
    std::lock_guard lock(mu_);
    std::vector<VersionStatus> out;
    if (!has_tables_) {
      BULWARK_ASSIGN_OR_RETURN(bool exists, TablesExist());
      if (!exists) return out;  // nothing recorded yet
      has_tables_ = true;
    }
    Stmt v(db_,
           "SELECT version, recorded_at, partial, info, low, medium, high, critical FROM "
           "compliance_versions WHERE ns = ? ORDER BY version");
    if (!v.ok()) return Fail("list versions");
    v.Text(1, ns);
    int rc;
    while ((rc = sqlite3_step(v.get())) == SQLITE_ROW) {
      VersionStatus s;
      s.ns = std::string(ns);
      s.version = sqlite3_column_int64(v.get(), 0);
      s.recorded_at = sqlite3_column_int64(v.get(), 1);
      s.partial = sqlite3_column_int(v.get(), 2) != 0;
      for (int i = 0; i < 5; ++i) {
        s.by_severity[i] = static_cast<std::size_t>(sqlite3_column_int64(v.get(), 3 + i));
      }
      out.push_back(std::move(s));
    }
    if (rc != SQLITE_DONE) return Fail("list versions");
    Stmt f(db_,
           "SELECT version, rule_id, path, severity, message FROM compliance_findings WHERE ns = ? "
           "ORDER BY version, seq");
    if (!f.ok()) return Fail("list findings");
    f.Text(1, ns);
    std::size_t vi = 0;
    while ((rc = sqlite3_step(f.get())) == SQLITE_ROW) {
      const std::int64_t version = sqlite3_column_int64(f.get(), 0);
      while (vi < out.size() && out[vi].version < version) ++vi;
      if (vi == out.size() || out[vi].version != version) continue;
      auto text = [&](int c) {
        const unsigned char* t = sqlite3_column_text(f.get(), c);
        return std::string(reinterpret_cast<const char*>(t),
                           static_cast<std::size_t>(sqlite3_column_bytes(f.get(), c)));
      };
      const int sev = sqlite3_column_int(f.get(), 3);
      if (sev < 0 || sev > 4) return DataLossError("compliance history: bad severity in database");
      out[vi].findings.push_back({text(1), text(2), static_cast<Severity>(sev), text(4)});
    }
    if (rc != SQLITE_DONE) return Fail("list findings");
    return out;
  }

 private:
  std::unexpected<Error> Fail(std::string_view what) const {
    return UnavailableError(fmt::format("compliance history: {}: {}", what, sqlite3_errmsg(db_)));
  }
  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      return UnavailableError("compliance history: " + msg);
    }
    return {};
  }
  Status RecordLocked(const VersionStatus& s) {
    {
      Stmt del(db_, "DELETE FROM compliance_findings WHERE ns = ? AND version = ?");
      if (!del.ok()) return Fail("record");
      del.Text(1, s.ns);
      del.Int(2, s.version);
      if (sqlite3_step(del.get()) != SQLITE_DONE) return Fail("record");
    }
    Stmt ins(db_, "INSERT OR REPLACE INTO compliance_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins.ok()) return Fail("record");
    ins.Text(1, s.ns);
    ins.Int(2, s.version);
    ins.Int(3, s.recorded_at);
    ins.Int(4, s.partial ? 1 : 0);
    for (int i = 0; i < 5; ++i) ins.Int(5 + i, static_cast<std::int64_t>(s.by_severity[i]));
    if (sqlite3_step(ins.get()) != SQLITE_DONE) return Fail("record");
    Stmt f(db_, "INSERT INTO compliance_findings VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!f.ok()) return Fail("record");
    for (std::size_t i = 0; i < s.findings.size(); ++i) {
      const StoredFinding& fd = s.findings[i];
      sqlite3_reset(f.get());
      f.Text(1, s.ns);
      f.Int(2, s.version);
      f.Int(3, static_cast<std::int64_t>(i));
      f.Text(4, fd.rule_id);
      f.Text(5, fd.path);
      f.Int(6, static_cast<int>(fd.severity));
      f.Text(7, fd.message);
      if (sqlite3_step(f.get()) != SQLITE_DONE) return Fail("record");
    }
    return {};
  }

  Result<bool> TablesExist() const {
    Stmt q(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                "'compliance_findings'");
    if (!q.ok()) return Fail("read schema");
    if (sqlite3_step(q.get()) != SQLITE_ROW) return Fail("read schema");
    return sqlite3_column_int(q.get(), 0) > 0;
  }

  mutable std::mutex mu_;
  sqlite3* db_;
  mutable bool has_tables_ = false;  // known to exist (created by this or another process)
};

}  // namespace

Result<std::unique_ptr<ComplianceHistory>> OpenSqliteComplianceHistory(
    const std::filesystem::path& path, std::chrono::milliseconds busy_timeout) {
  if (path != ":memory:") {
    // Created private (0600) whatever the umask: findings name paths of the configuration.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return UnavailableError(
          fmt::format("open compliance history {}: {}", path.string(), std::strerror(errno)));
    }
    ::close(fd);
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return UnavailableError("open compliance history " + path.string() + ": " + msg);
  }
  // Every statement waits up to the timeout for another process's lock (then kUnavailable).
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  return std::unique_ptr<ComplianceHistory>(std::make_unique<SqliteHistory>(db));
}

}  // namespace bulwark::compliance
