// The store logic shared by the SQL backends: validation, compare-and-set, version numbering,
// hashing, set/unset/rollback on top of get+put, diff. A backend supplies transactions (Txn) over
// the schema described in docs/store.md.
#ifndef BULWARK_SRC_STORE_INTERNAL_SQL_STORE_H_
#define BULWARK_SRC_STORE_INTERNAL_SQL_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/runtime.h"
#include "bulwark/store/config_store.h"

namespace bulwark::store::internal {

// A version as stored: metadata and canonical content bytes.
struct StoredVersion {
  VersionInfo info;
  std::string content;
};

// One open database transaction. In a write transaction, Head() locks the namespace (or the
// database) until the transaction ends, so the read-modify-write is serialized per namespace.
class Txn {
 public:
  virtual ~Txn() = default;
  // The namespace's latest version and time, or nullopt when it does not exist.
  virtual Result<std::optional<NamespaceInfo>> Head(std::string_view ns) = 0;
  // The version named by `ref` with its content, or nullopt when there is none. Here and in
  // Info/History, VersionInfo::mac and parent_mac are filled (parent_mac from the parent's row).
  virtual Result<std::optional<StoredVersion>> Load(std::string_view ns, VersionRef ref) = 0;
  // A version's metadata without its content, or nullopt.
  virtual Result<std::optional<VersionInfo>> Info(std::string_view ns, Version version) = 0;
  // As ConfigStore::AttachMac.
  virtual Status AttachMac(std::string_view ns, Version version, std::string_view content_hash,
                           std::string_view mac) = 0;
  virtual Result<MacCounts> CountMacs() = 0;
  // Stores a new version with info.mac (creating the namespace row for version 1) and advances the namespace's
  // latest version from info.version - 1 to info.version; kConflict when the latest version is not
  // info.version - 1 (a concurrent writer won).
  virtual Status Insert(const VersionInfo& info, std::string_view content) = 0;
  virtual Result<std::vector<VersionInfo>> History(std::string_view ns, std::size_t limit) = 0;
  virtual Result<std::vector<NamespaceInfo>> List(std::string_view prefix) = 0;
  // kNotFound / kAlreadyExists as ConfigStore::Rename.
  virtual Status Rename(std::string_view from, std::string_view to) = 0;
};

class SqlStore : public ConfigStore {
 public:
  explicit SqlStore(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {}

  Result<VersionInfo> Put(std::string_view ns, const config::Value& content,
                          const WriteOptions& options) override;
  Result<VersionInfo> Set(std::string_view ns, std::string_view path, const config::Value& value,
                          const WriteOptions& options) override;
  Result<VersionInfo> Unset(std::string_view ns, std::string_view path,
                            const WriteOptions& options) override;
  Result<Snapshot> Get(std::string_view ns, VersionRef ref) const override;
  Result<std::vector<VersionInfo>> History(std::string_view ns,
                                           const HistoryOptions& options) const override;
  Result<std::vector<DiffEntry>> Diff(std::string_view ns, Version from, Version to) const override;
  Result<VersionInfo> Rollback(std::string_view ns, Version to, std::string_view reason,
                               const WriteOptions& options) override;
  Result<std::vector<NamespaceInfo>> List(std::string_view prefix) const override;
  Status Rename(std::string_view from, std::string_view to) override;
  Status AttachMac(std::string_view ns, Version version, std::string_view content_hash,
                   std::string_view mac) override;
  Result<MacCounts> CountMacs() const override;

 protected:
  // Runs `fn` in one transaction: commits when it succeeds, rolls back when it fails. A backend
  // may run `fn` again (in a fresh transaction) after a transient serialization failure.
  virtual Status Transact(bool write, const std::function<Status(Txn&)>& fn) const = 0;

 private:
  // What a write stores, computed inside the transaction from the namespace's head.
  struct Draft {
    std::string content;
    Operation operation = Operation::kPut;
    std::optional<Version> rollback_of;
    std::string message;
  };
  using Builder = std::function<Result<Draft>(Txn& txn, const std::optional<NamespaceInfo>& head)>;

  Result<VersionInfo> Write(std::string_view what, std::string_view ns, const WriteOptions& options,
                            const Builder& build);
  Result<Snapshot> LoadIn(Txn& txn, std::string_view ns, VersionRef ref) const;

  std::shared_ptr<Clock> clock_;
};

}  // namespace bulwark::store::internal

#endif  // BULWARK_SRC_STORE_INTERNAL_SQL_STORE_H_
