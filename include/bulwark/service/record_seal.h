// Sealing the records that services keep in reserved namespaces of the store (docs/store.md,
// "Sealed records"): change requests (`.bulwark/changes/<id>`, docs/change.md) and lifecycle
// documents (`.bulwark/lifecycle/NS`, docs/rotation.md). They are written to the store directly,
// not through ConfigService, so they do not carry the service's version binding; instead every
// version carries the tag
//
//   "c1:" || hex(HMAC-SHA256(store MAC key,
//                            domain || 0 || namespace || 0 || version || 0 || parent tag || 0 ||
//                            content hash))
//
// made when it is written (`Sealer()` as store::WriteOptions::seal) and checked when it is read
// (`Verify`). The domain separates the kinds of record ("bulwark-change/v1",
// "bulwark-lifecycle/v1"): a tag of one kind never verifies as another. A record altered, replaced
// or rolled back to an older chain in the database by someone without the key (the key is a file
// in the home, never in the database) fails verification; so does a version written without a tag.
//
// Errors: Verify returns kDataLoss "<what> version <n>: its authentication tag does not verify
// (altered in the store)"; it never includes key bytes or the record's content.
//
// Thread safety: immutable; Tag, Verify and the sealer may run concurrently.
#ifndef BULWARK_SERVICE_RECORD_SEAL_H_
#define BULWARK_SERVICE_RECORD_SEAL_H_

#include <memory>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/store/config_store.h"

namespace bulwark::service {

class RecordSeal {
 public:
  // `key` must not be null; `domain` names the kind of record.
  RecordSeal(std::shared_ptr<const StoreMacKey> key, std::string domain)
      : key_(std::move(key)), domain_(std::move(domain)) {}

  // The tag of the version described by `info` (its namespace, version, parent_mac and
  // content_hash as the store fills them in before the write).
  Result<std::string> Tag(const store::VersionInfo& info) const;
  // OK when `info.mac` is the tag of `info`, compared in constant time; kDataLoss naming `what`
  // and the version otherwise.
  Status Verify(const store::VersionInfo& info, std::string_view what) const;
  // For store::WriteOptions::seal.
  store::SealFn Sealer() const;

 private:
  std::shared_ptr<const StoreMacKey> key_;
  std::string domain_;
};

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_RECORD_SEAL_H_
