// The tag of one stored version (docs/store.md, "Authenticated versions"): what it covers, how it
// is written into the store's `mac` column, and its verification.
//
//   mac = "bwmac1:" <key id> ":" <meta version> ":" hex(HMAC-SHA256(key, M))
//
// M is "bulwark-store-version/v1\n" followed by length-prefixed fields (4-byte big-endian length,
// then the bytes; integers in decimal): binding, version, parent version (0 for none), parent's
// mac, created_at in microseconds, author, message, tag count and each tag, operation,
// rollback_of (0 for none), content hash, meta version, meta mac.
#ifndef BULWARK_SRC_SERVICE_VERSION_MAC_H_
#define BULWARK_SRC_SERVICE_VERSION_MAC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "bulwark/crypto/hash.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/store/config_store.h"

namespace bulwark::service::internal {

// What a version is bound to besides its own row.
struct VersionBinding {
  // "ns:<identity>" for a namespace's version, "meta:<identity>" for its metadata document.
  std::string binding;
  // For a namespace's version: the metadata version in force when it was written and that
  // version's mac; 0 and "" for metadata versions.
  std::int64_t meta_version = 0;
  std::string_view meta_mac;
};

std::string DataBinding(std::string_view identity);
std::string MetaBinding(std::string_view identity);

// The bytes M covered by the tag.
std::string VersionMacMessage(const store::VersionInfo& info, const VersionBinding& binding);

// The value of the `mac` column for `info` (whose parent_mac must be set).
Result<std::string> SealVersion(const StoreMacKey& key, const store::VersionInfo& info,
                                const VersionBinding& binding);

struct ParsedMac {
  std::string key_id;
  std::int64_t meta_version = 0;
  crypto::Sha256Digest tag{};
};
// kDataLoss naming the namespace and version for an empty or malformed mac column.
Result<ParsedMac> ParseVersionMac(const store::VersionInfo& info);

// kDataLoss naming the namespace and version when the tag was made under another key or does not
// match (`parsed` is ParseVersionMac(info)).
Status VerifyVersion(const StoreMacKey& key, const store::VersionInfo& info,
                     const ParsedMac& parsed, const VersionBinding& binding);

}  // namespace bulwark::service::internal

#endif  // BULWARK_SRC_SERVICE_VERSION_MAC_H_
