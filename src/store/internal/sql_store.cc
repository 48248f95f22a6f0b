#include "store/internal/sql_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/config/path.h"
#include "bulwark/core/encoding.h"
#include "bulwark/store/diff.h"
#include "bulwark/store/namespace.h"
#include "store/internal/codec.h"

namespace bulwark::store::internal {
namespace {

// Author, message and tags are stored as text: valid UTF-8 without NUL (PostgreSQL text
// cannot hold NUL bytes).
Status CheckText(std::string_view field, std::string_view text) {
  if (!IsValidUtf8(text) || text.find('\0') != std::string_view::npos) {
    return InvalidArgumentError(fmt::format("{} is not valid UTF-8 text", field));
  }
  return OkStatus();
}

Status CheckMetadata(const WriteOptions& o) {
  BULWARK_RETURN_IF_ERROR(CheckText("author", o.author));
  BULWARK_RETURN_IF_ERROR(CheckText("message", o.message));
  for (const std::string& t : o.tags) BULWARK_RETURN_IF_ERROR(CheckText("tag", t));
  return OkStatus();
}

Status CheckHash(const StoredVersion& v) {
  BULWARK_ASSIGN_OR_RETURN(std::string hash, Sha256Hex(v.content));
  if (hash != v.info.content_hash) {
    return DataLossError(fmt::format("{} version {}: content does not match its SHA-256 hash",
                                     v.info.namespace_name, v.info.version));
  }
  return OkStatus();
}

}  // namespace

Result<VersionInfo> SqlStore::Write(std::string_view what, std::string_view ns,
                                    const WriteOptions& options, const Builder& build) {
  auto ctx = [&](const Error& e) { return e.WithContext(fmt::format("{} {}", what, ns)); };
  if (auto st = ValidateNamespace(ns); !st) return std::unexpected(ctx(st.error()));
  if (options.expected_version && *options.expected_version < 0) {
    return std::unexpected(ctx(Error(ErrorCode::kInvalidArgument, "expected version < 0")));
  }
  if (auto st = CheckMetadata(options); !st) {
    return std::unexpected(ctx(st.error()));
  }
  VersionInfo result;
  auto attempt = [&](Txn& txn) -> Status {
    BULWARK_ASSIGN_OR_RETURN(std::optional<NamespaceInfo> head, txn.Head(ns));
    Version latest = head ? head->latest_version : 0;
    if (options.expected_version && *options.expected_version != latest) {
      return ConflictError(fmt::format("expected version {}, but the latest is {}",
                                       *options.expected_version, latest));
    }
    BULWARK_ASSIGN_OR_RETURN(Draft draft, build(txn, head));
    VersionInfo info;
    info.namespace_name = std::string(ns);
    info.version = latest + 1;
    if (latest > 0) info.parent = latest;
    // Microsecond precision (what the database keeps), never before the parent.
    TimePoint now = FromMicros(ToMicros(clock_->Now()));
    info.created_at = head ? std::max(now, head->updated_at) : now;
    info.author = options.author;
    info.message = std::move(draft.message);
    info.tags = options.tags;
    info.operation = draft.operation;
    info.rollback_of = draft.rollback_of;
    BULWARK_ASSIGN_OR_RETURN(info.content_hash, Sha256Hex(draft.content));
    info.content_size = draft.content.size();
    std::optional<VersionInfo> parent;
    if (latest > 0) {
      BULWARK_ASSIGN_OR_RETURN(parent, txn.Info(ns, latest));
      if (!parent) {
        return DataLossError(fmt::format("the latest version {} is missing", latest));
      }
      info.parent_mac = parent->mac;
    }
    if (options.seal) {
      BULWARK_ASSIGN_OR_RETURN(info.mac, options.seal(info, parent ? &*parent : nullptr));
    }
    BULWARK_RETURN_IF_ERROR(txn.Insert(info, draft.content));
    result = std::move(info);
    return OkStatus();
  };
  // Without compare-and-set the write applies to whatever is latest: when a concurrent writer
  // takes the next version number first (possible on PostgreSQL when two writers create a
  // namespace at once), run the transaction again on the new latest version.
  constexpr int kMaxAttempts = 8;
  Status st;
  for (int i = 1; i <= kMaxAttempts; ++i) {
    st = Transact(true, attempt);
    if (st || options.expected_version || st.error().code() != ErrorCode::kConflict) break;
  }
  if (!st) return std::unexpected(ctx(st.error()));
  return result;
}

Result<VersionInfo> SqlStore::Put(std::string_view ns, const config::Value& content,
                                  const WriteOptions& options) {
  auto encoded = EncodeContent(content);
  if (!encoded) return std::unexpected(encoded.error().WithContext(fmt::format("put {}", ns)));
  return Write("put", ns, options, [&](Txn&, const std::optional<NamespaceInfo>&) -> Result<Draft> {
    return Draft{*encoded, Operation::kPut, std::nullopt, options.message};
  });
}

Result<VersionInfo> SqlStore::Set(std::string_view ns, std::string_view path,
                                  const config::Value& value, const WriteOptions& options) {
  auto parsed = config::Path::ParseAny(path);
  if (!parsed) {
    return std::unexpected(parsed.error().WithContext(fmt::format("set {} '{}'", ns, path)));
  }
  return Write("set", ns, options,
               [&](Txn& txn, const std::optional<NamespaceInfo>& head) -> Result<Draft> {
                 config::Value doc = config::Value::EmptyMap();
                 if (head) {
                   BULWARK_ASSIGN_OR_RETURN(
                       Snapshot snap, LoadIn(txn, ns, VersionRef::Number(head->latest_version)));
                   doc = std::move(snap.content);
                 }
                 if (auto st = config::Set(doc, *parsed, value); !st) {
                   return std::unexpected(st.error().WithContext(fmt::format("path '{}'", path)));
                 }
                 BULWARK_ASSIGN_OR_RETURN(std::string content, EncodeContent(doc));
                 return Draft{std::move(content), Operation::kSet, std::nullopt, options.message};
               });
}

Result<VersionInfo> SqlStore::Unset(std::string_view ns, std::string_view path,
                                    const WriteOptions& options) {
  auto parsed = config::Path::ParseAny(path);
  if (!parsed) {
    return std::unexpected(parsed.error().WithContext(fmt::format("unset {} '{}'", ns, path)));
  }
  return Write("unset", ns, options,
               [&](Txn& txn, const std::optional<NamespaceInfo>& head) -> Result<Draft> {
                 if (!head) return NotFoundError("namespace does not exist");
                 BULWARK_ASSIGN_OR_RETURN(
                     Snapshot snap, LoadIn(txn, ns, VersionRef::Number(head->latest_version)));
                 if (auto st = config::Remove(snap.content, *parsed); !st) {
                   return std::unexpected(st.error().WithContext(fmt::format("path '{}'", path)));
                 }
                 BULWARK_ASSIGN_OR_RETURN(std::string content, EncodeContent(snap.content));
                 return Draft{std::move(content), Operation::kUnset, std::nullopt, options.message};
               });
}

Result<VersionInfo> SqlStore::Rollback(std::string_view ns, Version to, std::string_view reason,
                                       const WriteOptions& options) {
  if (reason.empty()) {
    return InvalidArgumentError(fmt::format("rollback {}: a reason is required", ns));
  }
  if (auto st = CheckText("reason", reason); !st) {
    return std::unexpected(st.error().WithContext(fmt::format("rollback {}", ns)));
  }
  return Write(
      "rollback", ns, options, [&](Txn& txn, const std::optional<NamespaceInfo>&) -> Result<Draft> {
        BULWARK_ASSIGN_OR_RETURN(std::optional<StoredVersion> old,
                                 txn.Load(ns, VersionRef::Number(to)));
        if (!old) return NotFoundError(fmt::format("version {} does not exist", to));
        BULWARK_RETURN_IF_ERROR(CheckHash(*old));
        return Draft{std::move(old->content), Operation::kRollback, to, std::string(reason)};
      });
}

Result<Snapshot> SqlStore::LoadIn(Txn& txn, std::string_view ns, VersionRef ref) const {
  BULWARK_ASSIGN_OR_RETURN(std::optional<StoredVersion> v, txn.Load(ns, ref));
  if (!v) {
    if (ref.kind() == VersionRef::Kind::kLatest) {
      return NotFoundError("namespace does not exist");
    }
    BULWARK_ASSIGN_OR_RETURN(std::optional<NamespaceInfo> head, txn.Head(ns));
    if (!head) return NotFoundError("namespace does not exist");
    return NotFoundError(fmt::format("no {} (latest is {})", ref.ToString(), head->latest_version));
  }
  BULWARK_RETURN_IF_ERROR(CheckHash(*v));
  auto content = DecodeContent(v->content);
  if (!content) {
    return std::unexpected(content.error().WithContext(fmt::format("version {}", v->info.version)));
  }
  return Snapshot{std::move(v->info), std::move(*content)};
}

Result<Snapshot> SqlStore::Get(std::string_view ns, VersionRef ref) const {
  auto ctx = [&](const Error& e) { return e.WithContext(fmt::format("get {}", ns)); };
  if (auto st = ValidateNamespace(ns); !st) return std::unexpected(ctx(st.error()));
  Snapshot out;
  Status st = Transact(false, [&](Txn& txn) -> Status {
    BULWARK_ASSIGN_OR_RETURN(out, LoadIn(txn, ns, ref));
    return OkStatus();
  });
  if (!st) return std::unexpected(ctx(st.error()));
  return out;
}

Result<std::vector<VersionInfo>> SqlStore::History(std::string_view ns,
                                                   const HistoryOptions& options) const {
  auto ctx = [&](const Error& e) { return e.WithContext(fmt::format("history {}", ns)); };
  if (auto st = ValidateNamespace(ns); !st) return std::unexpected(ctx(st.error()));
  std::vector<VersionInfo> out;
  Status st = Transact(false, [&](Txn& txn) -> Status {
    BULWARK_ASSIGN_OR_RETURN(out, txn.History(ns, options.limit));
    if (out.empty()) return NotFoundError("namespace does not exist");
    return OkStatus();
  });
  if (!st) return std::unexpected(ctx(st.error()));
  return out;
}

Result<std::vector<DiffEntry>> SqlStore::Diff(std::string_view ns, Version from, Version to) const {
  auto ctx = [&](const Error& e) {
    return e.WithContext(fmt::format("diff {} {} {}", ns, from, to));
  };
  if (auto st = ValidateNamespace(ns); !st) return std::unexpected(ctx(st.error()));
  Snapshot a;
  Snapshot b;
  Status st = Transact(false, [&](Txn& txn) -> Status {
    BULWARK_ASSIGN_OR_RETURN(a, LoadIn(txn, ns, VersionRef::Number(from)));
    BULWARK_ASSIGN_OR_RETURN(b, LoadIn(txn, ns, VersionRef::Number(to)));
    return OkStatus();
  });
  if (!st) return std::unexpected(ctx(st.error()));
  return DiffValues(a.content, b.content);
}

Result<std::vector<NamespaceInfo>> SqlStore::List(std::string_view prefix) const {
  auto ctx = [&](const Error& e) { return e.WithContext(fmt::format("list '{}'", prefix)); };
  if (auto st = ValidateNamespacePrefix(prefix); !st) return std::unexpected(ctx(st.error()));
  std::vector<NamespaceInfo> all;
  std::string base(prefix);
  if (!base.empty() && base.back() == '/') base.pop_back();
  Status st = Transact(false, [&](Txn& txn) -> Status {
    BULWARK_ASSIGN_OR_RETURN(all, txn.List(base));
    return OkStatus();
  });
  if (!st) return std::unexpected(ctx(st.error()));
  // The backend returns names starting with `base`; keep segment-boundary matches only.
  std::vector<NamespaceInfo> out;
  bool include_self = !prefix.empty() && prefix.back() != '/';
  for (NamespaceInfo& n : all) {
    if (base.empty() || (include_self && n.name == base) ||
        (n.name.size() > base.size() && n.name.starts_with(base) && n.name[base.size()] == '/')) {
      out.push_back(std::move(n));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const NamespaceInfo& x, const NamespaceInfo& y) { return x.name < y.name; });
  return out;
}

Status SqlStore::AttachMac(std::string_view ns, Version version, std::string_view content_hash,
                          std::string_view mac) {
  auto ctx = [&](const Error& e) {
    return e.WithContext(fmt::format("attach mac {} version {}", ns, version));
  };
  if (auto st = ValidateNamespace(ns); !st) return std::unexpected(ctx(st.error()));
  if (mac.empty() || !IsValidUtf8(mac) || mac.find('\0') != std::string_view::npos) {
    return std::unexpected(ctx(Error(ErrorCode::kInvalidArgument, "empty or invalid mac")));
  }
  Status st = Transact(true, [&](Txn& txn) -> Status {
    BULWARK_ASSIGN_OR_RETURN(std::optional<VersionInfo> info, txn.Info(ns, version));
    if (!info) return NotFoundError("no such version");
    if (!info->mac.empty()) return FailedPreconditionError("the version already has a mac");
    if (info->content_hash != content_hash) {
      return FailedPreconditionError("the version's content hash changed since it was verified");
    }
    return txn.AttachMac(ns, version, content_hash, mac);
  });
  if (!st) return std::unexpected(ctx(st.error()));
  return OkStatus();
}

Result<MacCounts> SqlStore::CountMacs() const {
  MacCounts out;
  Status st = Transact(false, [&](Txn& txn) -> Status {
    BULWARK_ASSIGN_OR_RETURN(out, txn.CountMacs());
    return OkStatus();
  });
  if (!st) return std::unexpected(st.error().WithContext("count version macs"));
  return out;
}

Status SqlStore::Rename(std::string_view from, std::string_view to) {
  auto ctx = [&](const Error& e) {
    return e.WithContext(fmt::format("rename {} to {}", from, to));
  };
  if (auto st = ValidateNamespace(from); !st) return std::unexpected(ctx(st.error()));
  if (auto st = ValidateNamespace(to); !st) return std::unexpected(ctx(st.error()));
  if (from == to) {
    return std::unexpected(ctx(Error(ErrorCode::kInvalidArgument, "source and target are equal")));
  }
  Status st = Transact(true, [&](Txn& txn) -> Status { return txn.Rename(from, to); });
  if (!st) return std::unexpected(ctx(st.error()));
  return OkStatus();
}

}  // namespace bulwark::store::internal
