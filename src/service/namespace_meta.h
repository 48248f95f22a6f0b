// A namespace's metadata document (`.bulwark/meta/NS`): its identity, JSON Schema and name, and
// the sealing and verification of the versions bound to it (docs/store.md, "Authenticated
// versions"). Shared by the service's operations (config_service.cc) and its integrity checks
// (config_service_integrity.cc).
#ifndef BULWARK_SRC_SERVICE_NAMESPACE_META_H_
#define BULWARK_SRC_SERVICE_NAMESPACE_META_H_

#include <map>
#include <memory>
#include <unordered_set>
#include <utility>
#include <optional>
#include <string>
#include <string_view>

#include "bulwark/config/schema.h"
#include "bulwark/config/value.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/store/config_store.h"
#include "service/version_mac.h"

namespace bulwark::service::internal {

struct Meta {
  std::string id;                     // the namespace identity (random, hex)
  std::optional<config::Value> schema;
  store::Version version = 0;         // of the metadata document; 0 = does not exist yet
  std::string mac;                    // that version's tag
  std::string name;                   // the namespace it belongs to ("" in stores before v2)
  std::string renaming_from;          // while a move is in progress: the old name
};

// The document identity that store tokens are bound to ("bulwark-store/v1/<id>").
std::string DocumentId(std::string_view ns_id);

config::Value MetaDocument(const Meta& m);

// The metadata version `snap` of namespace `ns`, its tag verified (and, with `latest`, its name
// checked against `ns`); kDataLoss naming the namespace otherwise.
Result<Meta> VerifiedMeta(const StoreMacKey& key, std::string_view ns, const store::Snapshot& snap,
                          bool latest);

// The latest metadata of `ns`, read now (not cached: writes compare-and-set against it) and
// verified; version 0 when the namespace has none yet.
Result<Meta> LoadMeta(const ServiceDeps& deps, std::string_view ns);

// Writes `next` as the next metadata version of `ns` (compare-and-set on `base`, sealed).
Result<store::VersionInfo> WriteMeta(const ServiceDeps& deps, std::string_view ns, const Meta& base,
                                     const Meta& next, const std::string& author,
                                     std::string message);

// A verified metadata version with what reads derive from it, shared between reads.
struct MetaView {
  Meta meta;
  std::shared_ptr<const std::string> doc_id;     // DocumentId(meta.id)
  std::shared_ptr<const config::Schema> schema;  // compiled meta.schema, or null
};

// The binding of a namespace's version to its metadata version `m`.
inline VersionBinding DataBindingOf(const Meta& m) {
  return VersionBinding{DataBinding(m.id), m.version, m.mac};
}

// What a write expects of the version it extends (checked inside the store's transaction).
struct ParentExpectation {
  store::Version version = 0;
  std::string mac;
  std::string content_hash;  // "" = the content does not matter (the write replaces it)
};

// The seal of a namespace's new version bound to `meta`. With `parent`, a parent of that number
// must carry exactly that tag (and content hash): a base changed outside Bulwark between the
// verified read and the write is refused (kDataLoss) instead of being carried into a new,
// authenticated version. With `content_hash`, the new version's content must hash to it (a
// rollback restores exactly the verified content).
store::SealFn SealData(std::shared_ptr<const StoreMacKey> key, const Meta& meta,
                       std::optional<ParentExpectation> parent,
                       std::optional<std::string> content_hash = std::nullopt);
// The seal of a metadata version for `next` (its id), extending `parent_mac`.
store::SealFn SealMeta(std::shared_ptr<const StoreMacKey> key, const Meta& next,
                       std::string parent_mac);

}  // namespace bulwark::service::internal

namespace bulwark::service {

struct ConfigService::MetaEntry : internal::MetaView {};

struct ConfigService::MetaCache {
  std::map<std::string, std::shared_ptr<const MetaEntry>, std::less<>> latest;
  std::map<std::pair<std::string, store::Version>, std::shared_ptr<const MetaEntry>> older;
  // Contents whose stored secrets were checked, by content hash, identity and metadata version.
  std::unordered_set<std::string> checked;
};

struct ConfigService::Verified {
  store::Snapshot snap;
  std::shared_ptr<const MetaEntry> meta;  // the metadata version the snapshot is bound to
};

}  // namespace bulwark::service

#endif  // BULWARK_SRC_SERVICE_NAMESPACE_META_H_
