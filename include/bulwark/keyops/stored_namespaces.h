// StoredNamespaces: how key lifecycle operations reach the configuration store without depending
// on the service (the key service implements it over ConfigService: every call is authorized and
// audited there). Keyops scans and moves files itself; for namespaces it asks this interface.
//
// Errors: kNotFound from Tokens when the namespace (or that version) does not exist; the
// service's errors otherwise (kPermissionDenied, kUnavailable, kConflict from MoveOffKey when
// another writer got in between).
#ifndef BULWARK_KEYOPS_STORED_NAMESPACES_H_
#define BULWARK_KEYOPS_STORED_NAMESPACES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/core/error.h"
#include "bulwark/keys/key_id.h"

namespace bulwark::keyops {

struct StoredNamespace {
  std::string name;
  std::int64_t latest_version = 0;
};

// An encrypted value as stored: its path and ENC[...] token (ciphertext only).
struct StoredValueToken {
  config::Path path;
  std::string token;
};

class StoredNamespaces {
 public:
  virtual ~StoredNamespaces() = default;
  // Every namespace of the store.
  virtual Result<std::vector<StoredNamespace>> List() = 0;
  // The tokens of a version of `ns` (nullopt: the latest), nothing decrypted.
  virtual Result<std::vector<StoredValueToken>> Tokens(std::string_view ns,
                                                      std::optional<std::int64_t> version) = 0;
  // Writes a new version of `ns` in which every value of the latest version encrypted under `key`
  // (which may be compromised) is encrypted again under the primary key; `message` goes into the
  // version's history.
  virtual Status MoveOffKey(std::string_view ns, keys::KeyId key, std::string_view message) = 0;
};

}  // namespace bulwark::keyops

#endif  // BULWARK_KEYOPS_STORED_NAMESPACES_H_
