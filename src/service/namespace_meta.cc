#include "service/namespace_meta.h"

#include <fmt/format.h>

namespace bulwark::service::internal {

std::string DocumentId(std::string_view ns_id) { return fmt::format("bulwark-store/v1/{}", ns_id); }

config::Value MetaDocument(const Meta& m) {
  config::ValueMap doc;
  doc.Set("id", m.id);
  if (m.schema) doc.Set("schema", *m.schema);
  if (!m.name.empty()) doc.Set("name", m.name);
  if (!m.renaming_from.empty()) doc.Set("renaming_from", m.renaming_from);
  return config::Value(std::move(doc));
}

Result<Meta> VerifiedMeta(const StoreMacKey& key, std::string_view ns, const store::Snapshot& snap,
                          bool latest) {
  Meta m;
  m.version = snap.info.version;
  m.mac = snap.info.mac;
  const config::Value* id = snap.content.Get("id");
  if (id == nullptr || !id->is_string() || id->AsString().empty()) {
    return DataLossError(fmt::format("namespace metadata of {} (version {}) has no id", ns,
                                     snap.info.version));
  }
  m.id = id->AsString();
  if (const config::Value* s = snap.content.Get("schema"); s != nullptr && !s->is_null()) {
    m.schema = *s;
  }
  for (auto [key_name, field] : {std::pair{"name", &m.name}, {"renaming_from", &m.renaming_from}}) {
    if (const config::Value* v = snap.content.Get(key_name)) {
      if (!v->is_string()) {
        return DataLossError(fmt::format("namespace metadata of {}: '{}' is not a string", ns,
                                         key_name));
      }
      *field = v->AsString();
    }
  }
  BULWARK_ASSIGN_OR_RETURN(ParsedMac parsed, ParseVersionMac(snap.info));
  if (parsed.meta_version != 0) {
    return DataLossError(fmt::format("{} version {}: a metadata version bound to metadata",
                                     snap.info.namespace_name, snap.info.version));
  }
  BULWARK_RETURN_IF_ERROR(
      VerifyVersion(key, snap.info, parsed, VersionBinding{MetaBinding(m.id), 0, ""}));
  // Names are bound since schema version 2; metadata written before carries none.
  if (latest && !m.name.empty() && m.name != ns && m.renaming_from != ns) {
    return DataLossError(fmt::format(
        "the metadata stored for namespace {} belongs to namespace {}: namespaces were renamed "
        "or swapped outside Bulwark",
        ns, m.name));
  }
  return m;
}

store::SealFn SealData(std::shared_ptr<const StoreMacKey> key, const Meta& meta,
                       std::optional<ParentExpectation> parent,
                       std::optional<std::string> content_hash) {
  return [key = std::move(key), binding_id = meta.id, meta_version = meta.version,
          meta_mac = meta.mac, parent = std::move(parent), content_hash = std::move(content_hash)](
             const store::VersionInfo& next,
             const store::VersionInfo* stored_parent) -> Result<std::string> {
    if (parent && stored_parent != nullptr && stored_parent->version == parent->version &&
        (stored_parent->mac != parent->mac ||
         (!parent->content_hash.empty() && stored_parent->content_hash != parent->content_hash))) {
      return DataLossError(fmt::format(
          "{} version {} changed outside Bulwark after it was verified", next.namespace_name,
          parent->version));
    }
    if (content_hash && next.content_hash != *content_hash) {
      return DataLossError(fmt::format("{}: the content to write changed outside Bulwark after it "
                                       "was verified",
                                       next.namespace_name));
    }
    return SealVersion(*key, next, VersionBinding{DataBinding(binding_id), meta_version, meta_mac});
  };
}

store::SealFn SealMeta(std::shared_ptr<const StoreMacKey> key, const Meta& next_meta,
                       std::string parent_mac) {
  return [key = std::move(key), id = next_meta.id, parent_mac = std::move(parent_mac)](
             const store::VersionInfo& next,
             const store::VersionInfo* stored_parent) -> Result<std::string> {
    if (stored_parent != nullptr && stored_parent->mac != parent_mac) {
      return DataLossError(fmt::format("{} version {} changed outside Bulwark after it was verified",
                                       next.namespace_name, stored_parent->version));
    }
    return SealVersion(*key, next, VersionBinding{MetaBinding(id), 0, ""});
  };
}

// The latest metadata of `ns`, read now (not cached: writes compare-and-set against it) and
// verified; version 0 when the namespace has none yet.
Result<Meta> LoadMeta(const ServiceDeps& deps, std::string_view ns) {
  auto snap = deps.store->Get(MetaNamespace(ns), store::VersionRef::Latest());
  if (!snap) {
    if (snap.error().code() == ErrorCode::kNotFound) return Meta{};
    return std::unexpected(snap.error());
  }
  return VerifiedMeta(*deps.store_mac, ns, *snap, /*latest=*/true);
}

// Writes `next` as the next metadata version of `ns` (compare-and-set on `base`, sealed).
Result<store::VersionInfo> WriteMeta(const ServiceDeps& deps, std::string_view ns, const Meta& base,
                                     const Meta& next, const std::string& author,
                                     std::string message) {
  return deps.store->Put(MetaNamespace(ns), MetaDocument(next),
                         {.author = author,
                          .message = std::move(message),
                          .expected_version = base.version,
                          .seal = SealMeta(deps.store_mac, next, base.mac)});
}

}  // namespace bulwark::service::internal
