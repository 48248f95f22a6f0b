// KeyService: the key lifecycle in one place, through the same pipeline as the store and files:
// authorize (the node's Authorizer) -> refuse if the audit sink cannot record -> act -> exactly
// one audit record, also on denial or failure (docs/node.md section 4).
//
//   operation        action  resource          impact (default rules)
//   key.init         admin   keyring (home)    medium
//   key.list         read    keyring           low
//   key.rotate       rotate  key (new primary) medium
//   key.rewrap       rotate  keyring           medium
//   key.disable      admin   key               high
//   key.enable       admin   key               medium
//   key.destroy      delete  key               critical
//   key.compromised  admin   key               critical; every file it moves is a file.reencrypt
//                                              event, every namespace a config.reencrypt event
//
// Policies kept here (they were in the CLI):
//  - Destroy refuses (kFailedPrecondition, listing them) while files (the key-usage index plus
//    `check_files`) or namespaces (latest versions) still use the key, or while a file could not
//    be checked, unless `force`; it refuses the primary key. After wiping the key it
//    crypto-shreds (keys/kek_shred.h): rotates the KEK, writes the keyring re-wrapped (the commit
//    point), retires the old KEKs. A key already destroyed is shredded again (completing an
//    interrupted run). Errors after the commit point say that the key is destroyed but the old
//    KEKs are still held, and how to finish.
//  - Compromised marks the key compromised (rotating first if it is the primary) and moves
//    everything it protects to the primary key, resumably (keyops/compromise.h journal in the
//    home); an existing journal is always resumed.
//
// Keys are opened for update through the node (the keyring lock is held until the node closes);
// every change is saved before the call returns.
//
// Thread safety: calls that change keys must not run concurrently with each other in one
// process (they share the node's keys); across processes the keyring lock serializes them.
#ifndef BULWARK_SERVICE_KEY_SERVICE_H_
#define BULWARK_SERVICE_KEY_SERVICE_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/crypto/aead.h"
#include "bulwark/keyops/compromise.h"
#include "bulwark/keyops/key_usage.h"
#include "bulwark/keyops/stored_namespaces.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/file_service.h"

namespace bulwark::service {

struct InitRequest {
  std::string provider = "local";  // "local" (passphrase keystore) or "pkcs11"
  std::string pkcs11_module;       // pkcs11: the module path
  std::string token_label;         // pkcs11: the token's label
  std::string key_label = "bulwark-kek";
  crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::kAes256Gcm;
  bool fips = false;  // the home's algorithm policy (refused where the platform lacks it)
};

struct InitResult {
  keys::KeyId primary = 0;
  std::string provider;  // the provider's Describe()
};

struct RotateResult {
  keys::KeyId previous = 0;
  keys::KeyId primary = 0;
};

struct DestroyRequest {
  keys::KeyId key = 0;
  bool force = false;                    // destroy even though values become unreadable
  std::vector<std::string> check_files;  // more encrypted files to check besides the index
};

struct DestroyResult {
  bool already_destroyed = false;  // it was destroyed before; this call shredded again
  keyops::KeyUsage usage;          // what still used it (only with force), history, problems
  std::size_t retired_keks = 0;
  std::string provider;  // the provider's Describe() after the KEK rotation
};

struct CompromisedRequest {
  keys::KeyId key = 0;
  std::vector<std::string> files;  // more files to move besides the index
  bool resume_only = false;        // kNotFound unless a journal of an interrupted run exists
  // Called once the key is marked compromised, before anything moves (the primary now, and
  // whether an interrupted run's journal is resumed).
  std::function<void(keys::KeyId primary, bool resuming)> marked;
  // Once per item: (1-based position, total, target, values moved).
  std::function<void(std::size_t, std::size_t, const std::string&, std::size_t)> progress;
};

struct KeyServiceDeps {
  Runtime runtime;
  KeysSource keys;
  std::shared_ptr<const request::Authorizer> authorizer;
  std::shared_ptr<request::AuditSink> audit;
  // The configuration service, or nullptr when there is no store yet (no namespace to scan).
  std::function<Result<ConfigService*>()> store;
  std::filesystem::path home;         // for journals and the keyring record's name
  std::filesystem::path usage_index;  // <home>/key-usage.json
  std::function<void(std::string_view)> notice;
  // Creates the home's provider and keyring (the node's part of Init: it knows the home layout).
  std::function<Result<InitResult>(const InitRequest&)> initialize;
  // Called at named points of multi-step operations ("shred.after-rotate",
  // "shred.after-keyring", "compromise.after-write:N", "compromise.after-commit:N"); test builds
  // end the process there to simulate a crash (docs/node.md section 6). Null in production.
  std::function<void(std::string_view point)> crash_point;
};

class KeyService {
 public:
  static Result<std::unique_ptr<KeyService>> Create(KeyServiceDeps deps);

  Result<InitResult> Init(const request::RequestContext& ctx, const InitRequest& request);
  Result<std::vector<keys::KeyInfo>> List(const request::RequestContext& ctx);
  Result<RotateResult> Rotate(const request::RequestContext& ctx,
                              std::optional<crypto::AeadAlgorithm> algorithm = std::nullopt);
  // Rotates the key-encryption key and re-wraps every data key; returns the provider's Describe().
  Result<std::string> Rewrap(const request::RequestContext& ctx);
  Status Disable(const request::RequestContext& ctx, keys::KeyId key);
  Status Enable(const request::RequestContext& ctx, keys::KeyId key);
  Result<DestroyResult> Destroy(const request::RequestContext& ctx, const DestroyRequest& request);
  Result<keyops::CompromiseReport> Compromised(const request::RequestContext& ctx,
                                               const CompromisedRequest& request);

 private:
  explicit KeyService(KeyServiceDeps deps) : deps_(std::move(deps)) {}
  Status SetEnabled(const request::RequestContext& ctx, keys::KeyId key, bool enable);
  Result<std::size_t> Shred(keys::UnlockedKeys& k, bool& committed);
  KeyServiceDeps deps_;
};

// StoredNamespaces over a ConfigService (every call authorized and audited there, as `ctx`):
// MoveOffKey re-encrypts with a cipher over `keyring` that also accepts compromised keys.
std::unique_ptr<keyops::StoredNamespaces> NewStoredNamespaces(
    ConfigService& service, request::RequestContext ctx,
    std::shared_ptr<const keys::Keyring> keyring);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_KEY_SERVICE_H_
