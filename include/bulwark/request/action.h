// What a request does to what: the Action and the Resource every authorization decision and every
// audit record names. One low-level header, below every service, so that access control can
// extend them (new actions and resource kinds are added at the end of their enums, new Resource
// members at the end of the struct, so aggregate initializers of the existing ones keep working).
//
// Thread safety: plain values.
#ifndef BULWARK_REQUEST_ACTION_H_
#define BULWARK_REQUEST_ACTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::request {

enum class Action : std::uint8_t {
  kRead,       // read configuration, metadata, key lists, ciphertext
  kReveal,     // plaintext of sensitive values (store reads with reveal, file decryption)
  kWrite,      // create or change configuration or an encrypted file
  kDelete,     // remove a path, destroy a key
  kList,       // enumerate namespaces
  kRotate,     // move values to the current key, rotate keys or the key-encryption key
  kApprove,    // approve a change request
  kAdmin,      // key states (disable, enable, compromised), home initialization, policies
  kAuditRead,  // search, export or prove the audit log
};
inline constexpr int kActionCount = 9;

// "read", "reveal", "write", "delete", "list", "rotate", "approve", "admin", "audit.read".
std::string_view ActionName(Action action);
// The inverse of ActionName; nullopt for an unknown name.
std::optional<Action> ParseAction(std::string_view name);

enum class ResourceKind : std::uint8_t {
  kNamespace,      // a configuration namespace of the store (Resource::namespace_name)
  kFile,           // an encrypted configuration file (name: its absolute path)
  kKey,            // a data key (name: its 8-hex-digit key id)
  kKeyring,        // the home's keyring and key-encryption key (name: the home directory)
  kAudit,          // the audit log (name: its origin)
  kPolicy,         // an access policy (name: its id)
  kChangeRequest,  // a change request (name: its id)
};

// "namespace", "file", "key", "keyring", "audit", "policy", "change_request".
std::string_view ResourceKindName(ResourceKind kind);
std::optional<ResourceKind> ParseResourceKind(std::string_view name);

struct Resource {
  std::string namespace_name;      // kNamespace: the namespace; "" for the whole store (list)
  std::vector<std::string> paths;  // the value paths touched, when known (also for files)
  bool sensitive = false;          // whether any of them is sensitive
  ResourceKind kind = ResourceKind::kNamespace;
  std::string name;  // every kind but kNamespace: what the kind's comment says
};

}  // namespace bulwark::request

#endif  // BULWARK_REQUEST_ACTION_H_
