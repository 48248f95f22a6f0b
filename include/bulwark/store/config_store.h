// The versioned, immutable configuration store.
//
// Configuration lives in namespaces ("production/orchestrator", "staging/payments"); every change
// to a namespace makes a new immutable version numbered 1, 2, 3, ... within that namespace. A
// version's content is a `config::Value` tree stored as canonical JSON (compact, map keys in
// document order, bytes as base64 strings); its content hash is the lowercase hex SHA-256 of those
// stored bytes and is re-checked on every read (a mismatch is kDataLoss).
//
// The store keeps what the service gives it: sensitive values arrive already encrypted as tokens
// (strings starting with "ENC["), and the store never needs or sees keys. Diffs report such values
// as changed without their contents.
//
// Writes (Put, Set, Unset, Rollback) are atomic: a version is either fully stored with its
// metadata or not at all, and once a write returns a version it survives a crash of the process or
// machine (see docs/store.md for each backend's durability settings). Every write may name the
// version it is based on (`WriteOptions::expected_version`); if the namespace's latest version is
// different when the write commits, it fails with kConflict and changes nothing (compare-and-set).
// Version numbering never races, also with several processes or servers over one database.
//
// Namespaces are validated (see namespace.h); an invalid one is kInvalidArgument naming it.
// Timestamps come from the injected Clock and are kept with microsecond precision; a version's
// timestamp is never earlier than its parent's (a clock that steps back is clamped), so "the
// version current at time T" is well defined.
//
// Errors: kInvalidArgument (bad namespace, path or options), kNotFound (namespace, version or
// path), kConflict (compare-and-set lost), kAlreadyExists (rename target exists), kDataLoss
// (stored content does not match its hash, corrupt database), kFailedPrecondition (database
// written by a newer Bulwark, or not a Bulwark store), kResourceExhausted (document too large),
// kUnavailable (database unreachable or busy beyond the timeout). Messages name the operation and
// the namespace, never a value.
//
// Thread safety: every ConfigStore implementation is safe for concurrent use from several threads;
// several processes (SQLite) or servers (PostgreSQL) may share one database.
#ifndef BULWARK_STORE_CONFIG_STORE_H_
#define BULWARK_STORE_CONFIG_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::store {

// Version numbers start at 1 within each namespace and grow by 1 with every write.
using Version = std::int64_t;

// The largest canonical document the store accepts (kResourceExhausted beyond it).
inline constexpr std::size_t kMaxDocumentBytes = std::size_t{64} << 20;  // 64 MiB

// How a version was made.
enum class Operation : std::uint8_t { kPut, kSet, kUnset, kRollback };
// "put", "set", "unset", "rollback".
std::string_view OperationName(Operation op);

struct VersionInfo;

// Computes the authentication tag (MAC) stored with a new version. A write calls it inside its
// transaction, once the new version's metadata is final (number, parent, time, content hash; its
// `parent_mac` is the parent's stored tag), with the parent version as stored (metadata and tag;
// null for version 1). An error aborts the write with that error. The store never interprets the
// tag (docs/store.md, "Authenticated versions"); the service computes and verifies it.
using SealFn = std::function<Result<std::string>(const VersionInfo& next, const VersionInfo* parent)>;

struct WriteOptions {
  std::string author;             // who made the change (the service's principal)
  std::string message;            // free text; for a rollback, the reason
  std::vector<std::string> tags;  // free labels, kept in the given order
  // Compare-and-set: the version this write is based on. 0 means "the namespace must not exist
  // yet". Unset means last-writer-wins (the write applies to whatever is latest).
  std::optional<Version> expected_version;
  // The tag to store with the version; unset: stored without one (mac empty).
  SealFn seal;
};

// Metadata of one version.
struct VersionInfo {
  std::string namespace_name;
  Version version = 0;
  std::optional<Version> parent;  // the previous version; none for version 1
  TimePoint created_at;
  std::string author;
  std::string message;
  std::vector<std::string> tags;
  Operation operation = Operation::kPut;
  std::optional<Version> rollback_of;  // for kRollback: the version whose content was restored
  std::string content_hash;            // lowercase hex SHA-256 of the stored canonical bytes
  std::size_t content_size = 0;        // bytes of canonical JSON
  // The version's authentication tag as stored (empty when it has none) and its parent's (empty
  // for version 1 or a parent without one); opaque to the store.
  std::string mac;
  std::string parent_mac;

  friend bool operator==(const VersionInfo&, const VersionInfo&) = default;
};

// How many versions the store holds, and how many of them carry a tag.
struct MacCounts {
  std::int64_t versions = 0;
  std::int64_t with_mac = 0;
};

// One version with its content.
struct Snapshot {
  VersionInfo info;
  config::Value content;
};

// Names which version to read.
class VersionRef {
 public:
  static VersionRef Latest() { return VersionRef(Kind::kLatest, 0, {}); }
  static VersionRef Number(Version v) { return VersionRef(Kind::kNumber, v, {}); }
  // The latest version whose timestamp is at or before `t`.
  static VersionRef At(TimePoint t) { return VersionRef(Kind::kAt, 0, t); }

  enum class Kind : std::uint8_t { kLatest, kNumber, kAt };
  Kind kind() const { return kind_; }
  Version number() const { return number_; }
  TimePoint time() const { return time_; }
  // "latest", "version 3", "version at 2026-11-22T05:21:07.000000Z" (for error messages).
  std::string ToString() const;

 private:
  VersionRef(Kind k, Version n, TimePoint t) : kind_(k), number_(n), time_(t) {}
  Kind kind_;
  Version number_;
  TimePoint time_;
};

// One path-level difference between two versions. Paths are canonical dotted paths
// (config::Path::ToString) of leaves: scalars and empty containers.
struct DiffEntry {
  enum class Kind : std::uint8_t { kAdded, kRemoved, kChanged };
  std::string path;
  Kind kind = Kind::kChanged;
  // The old (kRemoved, kChanged) and new (kAdded, kChanged) values, both absent when `redacted`.
  std::optional<config::Value> old_value;
  std::optional<config::Value> new_value;
  // True when either side is an encrypted token ("ENC[..."): only the fact of the change is
  // reported. Identical tokens are unchanged and not listed.
  bool redacted = false;

  friend bool operator==(const DiffEntry&, const DiffEntry&) = default;
};
// "added", "removed", "changed".
std::string_view DiffKindName(DiffEntry::Kind kind);

struct NamespaceInfo {
  std::string name;
  Version latest_version = 0;
  TimePoint updated_at;  // timestamp of the latest version

  friend bool operator==(const NamespaceInfo&, const NamespaceInfo&) = default;
};

struct HistoryOptions {
  std::size_t limit = 0;  // 0 = all versions
};

class ConfigStore {
 public:
  virtual ~ConfigStore() = default;

  // Stores `content` as the new latest version of `ns` (creating the namespace on first write).
  // `content` may be any Value (normally a map).
  virtual Result<VersionInfo> Put(std::string_view ns, const config::Value& content,
                                  const WriteOptions& options) = 0;

  // Sets one path (config::Path::ParseAny syntax, dotted or JSON Pointer) in a copy of the latest
  // version and stores it as a new version, reading and writing in one transaction. On a namespace
  // without versions the document starts as an empty map. Missing intermediate maps are created;
  // setting through a non-null scalar is kInvalidArgument.
  virtual Result<VersionInfo> Set(std::string_view ns, std::string_view path,
                                  const config::Value& value, const WriteOptions& options) = 0;

  // Removes one path from a copy of the latest version and stores it as a new version. kNotFound
  // when the namespace or the path does not exist.
  virtual Result<VersionInfo> Unset(std::string_view ns, std::string_view path,
                                    const WriteOptions& options) = 0;

  // Reads a version with its content (the hash is verified: kDataLoss on mismatch). kNotFound when
  // the namespace, the version, or any version at or before the time does not exist.
  virtual Result<Snapshot> Get(std::string_view ns, VersionRef ref) const = 0;

  // Versions of `ns`, newest first. kNotFound when the namespace does not exist.
  virtual Result<std::vector<VersionInfo>> History(std::string_view ns,
                                                   const HistoryOptions& options = {}) const = 0;

  // Path-level differences from version `from` to version `to` of `ns`, sorted by path. Values
  // that are encrypted tokens are never included (DiffEntry::redacted).
  virtual Result<std::vector<DiffEntry>> Diff(std::string_view ns, Version from,
                                              Version to) const = 0;

  // Makes a new version whose content equals version `to`; it records Operation::kRollback,
  // `rollback_of` = `to` and the reason as its message. `reason` must not be empty
  // (kInvalidArgument); options.message is ignored.
  virtual Result<VersionInfo> Rollback(std::string_view ns, Version to, std::string_view reason,
                                       const WriteOptions& options) = 0;

  // Namespaces under `prefix`, recursively, sorted by name. The prefix is matched at segment
  // boundaries: "production/" and "production" both list "production/orchestrator" and
  // "production/payments/api"; "production" also lists "production" itself; "prod" lists neither.
  // An empty prefix lists every namespace.
  virtual Result<std::vector<NamespaceInfo>> List(std::string_view prefix) const = 0;

  // Renames namespace `from` to `to` atomically with all its versions. kNotFound when `from` does
  // not exist, kAlreadyExists when `to` exists. History keeps version numbers and hashes.
  virtual Status Rename(std::string_view from, std::string_view to) = 0;

  // Attaches `mac` to a stored version that has none (sealing a store written before versions
  // carried tags; the only change the store allows to a stored version). kNotFound when the
  // version does not exist, kFailedPrecondition when it already has a tag or its content hash is
  // not `content_hash` (it changed since the caller verified it), kInvalidArgument for an empty
  // mac.
  virtual Status AttachMac(std::string_view ns, Version version, std::string_view content_hash,
                           std::string_view mac) = 0;

  // Over every namespace, reserved ones included.
  virtual Result<MacCounts> CountMacs() const = 0;

  // "sqlite:/path/to/db" or "postgresql://host/db" with the password removed (for messages).
  virtual std::string DisplayUrl() const = 0;
};

}  // namespace bulwark::store

#endif  // BULWARK_STORE_CONFIG_STORE_H_
