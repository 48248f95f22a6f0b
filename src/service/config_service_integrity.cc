// The service's integrity checks (docs/store.md, "Authenticated versions"): verified reads, the
// metadata they are bound to, the stored-secrets rule, and the store-wide verification, sealing
// and repair operations.
#include <fmt/format.h>

#include <algorithm>

#include "bulwark/config/sensitivity.h"
#include "bulwark/secfile/token.h"
#include "bulwark/service/config_service.h"
#include "bulwark/store/namespace.h"
#include "service/namespace_meta.h"
#include "service/operation.h"

namespace bulwark::service {

using config::Path;
using config::Value;
using internal::Meta;

namespace {

// Bounds on what a service keeps (a long-lived server reads many namespaces).
constexpr std::size_t kMaxCachedMetas = 4096;
constexpr std::size_t kMaxCheckedContents = 65536;

constexpr std::string_view kMetaPrefix = ".bulwark/meta/";

bool IsReservedName(std::string_view ns) {
  return ns == ".bulwark" || ns.starts_with(".bulwark/");
}

// Reads and verifies a metadata version of `ns` and compiles its schema.
Result<std::shared_ptr<const ConfigService::MetaEntry>> LoadMetaEntry(const ServiceDeps& deps,
                                                                      std::string_view ns,
                                                                      store::VersionRef ref,
                                                                      bool latest) {
  auto snap = deps.store->Get(MetaNamespace(ns), ref);
  if (!snap) {
    if (snap.error().code() == ErrorCode::kNotFound) {
      return DataLossError(fmt::format("the metadata of namespace {} ({}) is missing", ns,
                                       ref.ToString()));
    }
    return std::unexpected(snap.error());
  }
  auto entry = std::make_shared<ConfigService::MetaEntry>();
  BULWARK_ASSIGN_OR_RETURN(entry->meta, internal::VerifiedMeta(*deps.store_mac, ns, *snap, latest));
  entry->doc_id = std::make_shared<const std::string>(internal::DocumentId(entry->meta.id));
  if (entry->meta.schema) {
    auto schema = config::Schema::Create(*entry->meta.schema, fmt::format("schema of {}", ns));
    if (!schema) return std::unexpected(schema.error());
    entry->schema = std::move(*schema);
  }
  return std::shared_ptr<const ConfigService::MetaEntry>(std::move(entry));
}

std::string Where(const store::VersionInfo& info) {
  return fmt::format("{} version {}", info.namespace_name, info.version);
}

}  // namespace

void ConfigService::ForgetMeta(std::string_view ns) {
  std::lock_guard lock(ids_mu_);
  if (auto it = metas_->latest.find(ns); it != metas_->latest.end()) metas_->latest.erase(it);
  std::erase_if(metas_->older, [&](const auto& e) { return e.first.first == ns; });
}

Result<std::shared_ptr<const ConfigService::MetaEntry>> ConfigService::MetaAt(
    std::string_view ns, store::Version version, bool reload) {
  std::shared_ptr<const MetaEntry> latest;
  if (!reload) {
    std::lock_guard lock(ids_mu_);
    if (auto it = metas_->latest.find(ns); it != metas_->latest.end()) {
      latest = it->second;
      if (version == 0 || latest->meta.version == version) return latest;
      if (version < latest->meta.version) {
        auto o = metas_->older.find({std::string(ns), version});
        if (o != metas_->older.end()) return o->second;
      }
    }
  }
  if (!latest || version > latest->meta.version) {
    // Not read yet, or another process wrote metadata since (a newer version is named).
    BULWARK_ASSIGN_OR_RETURN(latest,
                             LoadMetaEntry(deps_, ns, store::VersionRef::Latest(), /*latest=*/true));
    {
      std::lock_guard lock(ids_mu_);
      if (metas_->latest.size() >= kMaxCachedMetas) metas_->latest.clear();
      metas_->latest.insert_or_assign(std::string(ns), latest);
    }
    if (version == 0 || latest->meta.version == version) return latest;
    if (version > latest->meta.version) {
      return DataLossError(fmt::format(
          "namespace {} names metadata version {}, but its latest metadata version is {} "
          "(metadata versions were removed outside Bulwark)",
          ns, version, latest->meta.version));
    }
  }
  BULWARK_ASSIGN_OR_RETURN(
      auto older, LoadMetaEntry(deps_, ns, store::VersionRef::Number(version), /*latest=*/false));
  std::lock_guard lock(ids_mu_);
  if (metas_->older.size() >= kMaxCachedMetas) metas_->older.clear();
  metas_->older.insert_or_assign({std::string(ns), version}, older);
  return older;
}

Result<std::shared_ptr<const std::string>> ConfigService::DocumentIdOf(std::string_view ns,
                                                                       bool reload) {
  BULWARK_ASSIGN_OR_RETURN(auto entry, MetaAt(ns, 0, reload));
  return entry->doc_id;
}

Status ConfigService::VerifyInfo(const store::VersionInfo& info) {
  BULWARK_ASSIGN_OR_RETURN(internal::ParsedMac mac, internal::ParseVersionMac(info));
  if (mac.meta_version <= 0) {
    return DataLossError(fmt::format("{}: its tag names no metadata version", Where(info)));
  }
  auto verify = [&](bool reload) -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto meta, MetaAt(info.namespace_name, mac.meta_version, reload));
    return internal::VerifyVersion(*deps_.store_mac, info, mac, internal::DataBindingOf(meta->meta));
  };
  if (verify(false)) return OkStatus();
  // The cached metadata may be stale (the namespace was moved or recreated by another process).
  ForgetMeta(info.namespace_name);
  return verify(true);
}

Result<ConfigService::Verified> ConfigService::LoadVerified(std::string_view ns,
                                                            store::VersionRef ref,
                                                            ReadCheck check) {
  BULWARK_ASSIGN_OR_RETURN(store::Snapshot snap, deps_.store->Get(ns, ref));
  BULWARK_RETURN_IF_ERROR(VerifyInfo(snap.info));
  // VerifyInfo left the metadata it verified against in the cache.
  BULWARK_ASSIGN_OR_RETURN(internal::ParsedMac mac, internal::ParseVersionMac(snap.info));
  BULWARK_ASSIGN_OR_RETURN(auto meta, MetaAt(ns, mac.meta_version, false));
  if (check == ReadCheck::kFull) BULWARK_RETURN_IF_ERROR(CheckStoredSecrets(snap, *meta));
  return Verified{std::move(snap), std::move(meta)};
}

Status ConfigService::CheckStoredSecrets(const store::Snapshot& snap, const MetaEntry& meta) {
  std::string key =
      fmt::format("{}|{}|{}", snap.info.content_hash, *meta.doc_id, meta.meta.version);
  {
    std::lock_guard lock(ids_mu_);
    if (metas_->checked.contains(key)) return OkStatus();
  }
  // Every ENC value is a token this service wrote: it parses.
  std::optional<Path> malformed;
  config::WalkLeaves(snap.content, [&](const Path& p, const Value& leaf) {
    if (!malformed && IsEncryptedToken(leaf) && !secfile::ParseToken(leaf.AsString())) {
      malformed = p;
    }
  });
  if (malformed) {
    return DataLossError(fmt::format("{}: {} holds a malformed ENC token (altered or truncated)",
                                     Where(snap.info), malformed->ToString()));
  }
  // Every sensitive value (by the schema it was written under, or by the heuristic) is a token.
  BULWARK_ASSIGN_OR_RETURN(auto classifier,
                           config::SensitivityClassifier::Create(meta.schema.get(), {}));
  std::optional<Path> clear;
  for (const Path& s : classifier.Classify(snap.content)) {
    const Value* node = config::Find(snap.content, s);
    if (node == nullptr) continue;
    config::WalkLeaves(*node, [&](const Path& rel, const Value& leaf) {
      if (!clear && !leaf.is_container() && !IsEncryptedToken(leaf)) clear = s.Concat(rel);
    });
    if (clear) break;
  }
  if (clear) {
    return DataLossError(fmt::format(
        "{}: {} is sensitive but is stored in clear (changed outside Bulwark, or stored before it "
        "was classified sensitive: `bulwark verify-store {} --fix` encrypts it in a new version)",
        Where(snap.info), clear->ToString(), snap.info.namespace_name));
  }
  std::lock_guard lock(ids_mu_);
  if (metas_->checked.size() >= kMaxCheckedContents) metas_->checked.clear();
  metas_->checked.insert(std::move(key));
  return OkStatus();
}

// ---- verify-store ----

namespace {

// Versions 1..n of a namespace, oldest first; kDataLoss naming the first missing number.
Result<std::vector<store::VersionInfo>> ContiguousHistory(const store::ConfigStore& st,
                                                          std::string_view ns) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<store::VersionInfo> h, st.History(ns));
  std::reverse(h.begin(), h.end());
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i].version != static_cast<store::Version>(i + 1)) {
      return DataLossError(fmt::format(
          "{} version {} is missing (the next stored version is {}): versions were removed "
          "outside Bulwark",
          ns, i + 1, h[i].version));
    }
  }
  return h;
}

}  // namespace

Result<StoreVerification> ConfigService::VerifyStore(const RequestContext& ctx,
                                                     std::string_view prefix) {
  Op op(*this, ctx, "store.verify", Action::kRead, prefix);
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(prefix), {}, false}, false));
  auto listed = deps_.store->List(prefix);
  if (!listed) return op.Fail(listed.error());
  StoreVerification out;
  auto problem = [&](std::string ns, store::Version v, const Error& e) {
    out.problems.push_back({std::move(ns), v, e.message()});
  };
  for (const store::NamespaceInfo& n : *listed) {
    if (IsReservedName(n.name)) continue;
    ++out.namespaces;
    ForgetMeta(n.name);  // read everything from the store, not from what this service cached
    // The metadata's own chain first: every data version is bound to one of its versions.
    const std::string meta_ns = MetaNamespace(n.name);
    auto meta_history = ContiguousHistory(*deps_.store, meta_ns);
    if (!meta_history) {
      problem(meta_ns, 0, meta_history.error());
      continue;
    }
    bool meta_ok = true;
    for (const store::VersionInfo& info : *meta_history) {
      auto snap = deps_.store->Get(meta_ns, store::VersionRef::Number(info.version));
      Result<Meta> meta = snap ? internal::VerifiedMeta(*deps_.store_mac, n.name, *snap,
                                                        info.version == meta_history->back().version)
                               : Result<Meta>(std::unexpected(snap.error()));
      if (!meta) {
        problem(meta_ns, info.version, meta.error());
        meta_ok = false;
        break;
      }
      ++out.versions;
    }
    if (!meta_ok) continue;
    auto history = ContiguousHistory(*deps_.store, n.name);
    if (!history) {
      problem(n.name, 0, history.error());
      continue;
    }
    for (const store::VersionInfo& info : *history) {
      auto v = LoadVerified(n.name, store::VersionRef::Number(info.version), ReadCheck::kFull);
      if (!v) {
        problem(n.name, info.version, v.error());
        break;
      }
      ++out.versions;
    }
  }
  op.rec.reason = fmt::format("{} namespaces, {} versions verified, {} bad", out.namespaces,
                              out.versions, out.problems.size());
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return out;
}

// ---- Sealing a store written before versions carried tags ----

Result<SealReport> ConfigService::SealUnauthenticated(const RequestContext& ctx) {
  Op op(*this, ctx, "store.seal", Action::kAdmin, "");
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{"", {}, false}));
  auto listed = deps_.store->List("");
  if (!listed) return op.Fail(listed.error());
  SealReport out;
  const StoreMacKey& key = *deps_.store_mac;
  // Gives each untagged version of `ns` the tag `binding(snapshot)` asks for, oldest first (a
  // tag covers its parent's, which the store reads back from the row just sealed).
  auto seal_chain = [&](const std::string& ns,
                        const std::function<Result<internal::VersionBinding>(
                            const store::Snapshot&)>& binding) -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto history, ContiguousHistory(*deps_.store, ns));
    for (const store::VersionInfo& info : history) {
      if (!info.mac.empty()) continue;
      BULWARK_ASSIGN_OR_RETURN(store::Snapshot snap,
                               deps_.store->Get(ns, store::VersionRef::Number(info.version)));
      BULWARK_ASSIGN_OR_RETURN(internal::VersionBinding b, binding(snap));
      BULWARK_ASSIGN_OR_RETURN(std::string mac, internal::SealVersion(key, snap.info, b));
      BULWARK_RETURN_IF_ERROR(
          deps_.store->AttachMac(ns, info.version, snap.info.content_hash, mac));
      ++out.versions;
    }
    return OkStatus();
  };
  // Metadata first: a namespace's versions are bound to its latest metadata version.
  for (const store::NamespaceInfo& n : *listed) {
    if (!n.name.starts_with(kMetaPrefix)) continue;
    Status st = seal_chain(n.name, [&](const store::Snapshot& snap) -> Result<internal::VersionBinding> {
      const Value* id = snap.content.Get("id");
      if (id == nullptr || !id->is_string() || id->AsString().empty()) {
        return DataLossError(fmt::format("{} version {} has no id", n.name, snap.info.version));
      }
      return internal::VersionBinding{internal::MetaBinding(id->AsString()), 0, ""};
    });
    if (!st) return op.Fail(st.error());
  }
  for (const store::NamespaceInfo& n : *listed) {
    if (IsReservedName(n.name)) continue;
    ForgetMeta(n.name);
    auto meta = internal::LoadMeta(deps_, n.name);
    if (!meta) return op.Fail(meta.error().WithContext(fmt::format("seal {}", n.name)));
    if (meta->version == 0) {
      return op.Fail(Error(ErrorCode::kDataLoss,
                           fmt::format("namespace {} has no metadata to bind its versions to",
                                       n.name)));
    }
    Status st = seal_chain(n.name, [&](const store::Snapshot&) -> Result<internal::VersionBinding> {
      return internal::DataBindingOf(*meta);
    });
    if (!st) return op.Fail(st.error());
    if (meta->name.empty()) {  // bind the name, as every metadata version written now does
      Meta named = *meta;
      named.name = n.name;
      auto mv = deps_.store->Put(
          MetaNamespace(n.name), internal::MetaDocument(named),
          {.author = ctx.principal.id,
           .message = "name bound (store sealed)",
           .expected_version = meta->version,
           .seal = internal::SealMeta(deps_.store_mac, named, meta->mac)});
      if (!mv) return op.Fail(mv.error());
      ++out.namespaces;
    }
    ForgetMeta(n.name);
  }
  op.rec.reason = fmt::format("sealed {} versions; bound the names of {} namespaces", out.versions,
                              out.namespaces);
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return out;
}

// ---- verify-store --fix ----

Result<ReencryptResult> ConfigService::EncryptStoredPlaintext(const RequestContext& ctx,
                                                              std::string_view ns,
                                                              const WriteRequest& request) {
  Op op(*this, ctx, "config.encrypt_stored", Action::kWrite, ns);
  if (auto s = store::ValidateNamespace(ns); !s) return op.Fail(s.error());
  if (IsReservedName(ns)) {
    return op.Fail(Error(ErrorCode::kInvalidArgument,
                         fmt::format("namespace {} is reserved for Bulwark's metadata", ns)));
  }
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, true}));
  auto meta = internal::LoadMeta(deps_, ns);
  if (!meta) return op.Fail(meta.error());
  if (meta->version == 0) {
    return op.Fail(Error(ErrorCode::kNotFound, fmt::format("namespace {} does not exist", ns)));
  }
  auto verified = LoadVerified(ns, store::VersionRef::Latest(), ReadCheck::kTag);
  if (!verified) return op.Fail(verified.error());
  const store::Snapshot& snap = verified->snap;
  op.rec.version_before = snap.info.version;
  std::unique_ptr<config::Schema> schema;
  if (meta->schema) {
    auto s = config::Schema::Create(*meta->schema, fmt::format("schema of {}", ns));
    if (!s) return op.Fail(s.error());
    schema = std::move(*s);
  }
  auto classifier = config::SensitivityClassifier::Create(schema.get(), {});
  if (!classifier) return op.Fail(classifier.error());
  const std::string doc_id = internal::DocumentId(meta->id);
  ReencryptResult out;
  Value next = snap.content;
  for (const Path& s : classifier->Classify(snap.content)) {
    Value* node = config::Find(next, s);
    if (node == nullptr) continue;
    std::vector<Path> leaves;
    config::WalkLeaves(*node, [&](const Path& rel, const Value& leaf) {
      if (!leaf.is_container() && !IsEncryptedToken(leaf)) leaves.push_back(rel);
    });
    for (const Path& rel : leaves) {
      Value* leaf = config::Find(*node, rel);
      const Path full = s.Concat(rel);
      auto token = deps_.cipher->Encrypt(*leaf, doc_id, full);
      if (!token) return op.Fail(token.error());
      *leaf = Value(std::move(*token));
      out.moved.push_back(full);
      op.rec.paths.push_back(full.ToString());
      op.rec.sensitive_paths.push_back(full.ToString());
    }
  }
  if (out.moved.empty()) {
    BULWARK_RETURN_IF_ERROR(op.Succeed());
    return out;
  }
  auto info = deps_.store->Put(
      ns, next,
      {.author = ctx.principal.id,
       .message = request.message.empty() ? "encrypt sensitive values stored in clear"
                                          : request.message,
       .tags = request.tags,
       .expected_version = request.expected_version.value_or(snap.info.version),
       .seal = internal::SealData(deps_.store_mac, *meta,
                                  internal::ParentExpectation{snap.info.version, snap.info.mac,
                                                              snap.info.content_hash})});
  if (!info) return op.Fail(info.error());
  op.rec.version_after = info->version;
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  op.Notify(info->version);
  out.info = *info;
  return out;
}

}  // namespace bulwark::service
