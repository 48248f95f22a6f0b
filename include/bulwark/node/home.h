// The Bulwark home: where a node keeps its keys, store, audit log and settings, and how the
// places it uses are resolved from options and the environment.
//
// Layout (all files 0600 in a 0700 directory):
//   home.json          settings fixed at init: {"algorithm_policy": "standard"|"fips"} (absent:
//                      standard)
//   provider.json      which key provider holds the key-encryption keys (absent: the local
//                      keystore); for PKCS#11: {"provider": "pkcs11", "module", "token_label",
//                      "key_label"} (docs/formats-keys.md, "provider file")
//   keystore           the local passphrase keystore (local provider only)
//   keyring            the data keys wrapped under the provider's KEK (bulwark/keys/keyring.h)
//   keyring.lock       held by a node that opened the keys for update, until it closes
//   key-usage.json     which encrypted files use which data keys (keyops/key_usage_index.h)
//   key-usage.lock     held while that index is read, changed and written
//   compromise-<kid>.journal / .report.json   progress and record of a compromise recovery
//   config.yaml        optional user settings: compliance {packs, gate}, audit {store, sinks}
//   store.db           the default configuration store (SQLite)
//   store-mac.key      the key that authenticates every stored version (service/store_mac.h;
//                      $BULWARK_STORE_MAC_KEY names another file, shared by servers over one
//                      database)
//   compliance.db      the compliance status of every stored version
//   audit.db           the default audit log (SQLite)
//   audit-log.key, audit-hmac.key, audit-trusted-checkpoint   audit signing keys, value-hash key,
//                      and the newest checkpoint a verification accepted
//   audit-sinks.db, audit-ship.lock   SIEM shipping cursors, one shipper per home
//   monitor-state.json, monitor.lock  the monitor's cursor and cool-downs, one monitor per home
//                      (`monitor:` in config.yaml holds its rules and channels, docs/monitor.md)
//
// Environment variables (read through an Environment, so that tests and embedders can inject
// them): BULWARK_HOME, BULWARK_STORE, BULWARK_STORE_MAC_KEY, BULWARK_AUDIT_STORE,
// BULWARK_AUDIT_CHECKPOINT_EVERY, BULWARK_PASSPHRASE, BULWARK_PKCS11_PIN (see node.h for where each
// applies).
//
// Thread safety: plain values and functions.
#ifndef BULWARK_NODE_HOME_H_
#define BULWARK_NODE_HOME_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/compliance/severity.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/keys/key_id.h"

namespace bulwark::node {

inline constexpr auto kPrivateFile =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
inline constexpr auto kPrivateDir = std::filesystem::perms::owner_all;

// Reads an environment variable: nullopt when unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment (std::getenv).
Environment ProcessEnvironment();

struct Home {
  std::filesystem::path dir;

  std::filesystem::path settings_file() const { return dir / "home.json"; }
  std::filesystem::path provider_file() const { return dir / "provider.json"; }
  std::filesystem::path keystore() const { return dir / "keystore"; }
  std::filesystem::path keyring() const { return dir / "keyring"; }
  std::filesystem::path keyring_lock() const { return dir / "keyring.lock"; }
  std::filesystem::path key_usage_index() const { return dir / "key-usage.json"; }
  std::filesystem::path config_file() const { return dir / "config.yaml"; }
  std::filesystem::path store_db() const { return dir / "store.db"; }
  std::filesystem::path store_mac_key() const { return dir / "store-mac.key"; }
  std::filesystem::path compliance_db() const { return dir / "compliance.db"; }
  std::filesystem::path audit_db() const { return dir / "audit.db"; }
  std::filesystem::path audit_log_key() const { return dir / "audit-log.key"; }
  std::filesystem::path audit_hmac_key() const { return dir / "audit-hmac.key"; }
  std::filesystem::path audit_trusted_checkpoint() const {
    return dir / "audit-trusted-checkpoint";
  }
  std::filesystem::path audit_sinks_db() const { return dir / "audit-sinks.db"; }
  std::filesystem::path audit_ship_lock() const { return dir / "audit-ship.lock"; }
  std::filesystem::path monitor_state() const { return dir / "monitor-state.json"; }
  std::filesystem::path monitor_lock() const { return dir / "monitor.lock"; }
  // Drift (docs/drift.md): the approved baselines, their lock, and the fingerprint key.
  std::filesystem::path drift_baselines() const { return dir / "drift-baselines.json"; }
  std::filesystem::path drift_baselines_lock() const { return dir / "drift-baselines.lock"; }
  std::filesystem::path drift_fingerprint_key() const { return dir / "drift-fingerprint.key"; }
  std::filesystem::path drift_watch_state() const { return dir / "drift-watch-state.json"; }
  // Change requests (docs/change.md): the approval policies.
  std::filesystem::path approval_policies() const { return dir / "approval-policies.yaml"; }
  std::filesystem::path compromise_journal(keys::KeyId id) const;
  // The default store URL: "sqlite:" + store_db().
  std::string default_store_url() const { return "sqlite:" + store_db().string(); }
};

// `flag` if given, else $BULWARK_HOME, else $HOME/.bulwark; kInvalidArgument when none is set.
Result<Home> ResolveHome(const std::filesystem::path& flag, const Environment& env);

// `flag` if given, else $BULWARK_STORE, else the home's SQLite file.
std::string ResolveStoreUrl(const std::string& flag, const Environment& env, const Home& home);

// $BULWARK_STORE_MAC_KEY, else the home's store-mac.key.
std::filesystem::path ResolveStoreMacKeyPath(const Environment& env, const Home& home);

// $BULWARK_AUDIT_STORE, else `audit: {store: URL}` in config.yaml, else sqlite:<home>/audit.db.
// kInvalidArgument naming the file for a malformed audit.store.
Result<std::string> ResolveAuditStoreUrl(const Environment& env, FileSystem& fs, const Home& home);

// A URL fit to print: the password of a PostgreSQL URL replaced by "***", "sqlite:" dropped.
std::string DisplayUrl(std::string_view url);

// home.json.
struct HomeSettings {
  bool fips = false;  // the FIPS algorithm policy (docs/node.md)
};
// Defaults when the file is missing; kDataLoss naming the file when it is malformed.
// Makes the home the owner's alone (docs/node.md, "The home"): the directory and every entry
// directly in it lose their group and other permission bits. Each entry that had any is reported
// through `warn` with the mode it had ("warning: ... was readable by others (mode 0755); now
// 0700"), since a key, keystore or database that others could read may already have been copied.
// A directory that does not exist yet or holds none of a home's files (home.json, keyring,
// keystore, store.db, audit.db, audit-log.key, provider.json) is left alone: init creates or takes
// over a directory with mode 0700. kUnavailable naming the
// path if a mode cannot be changed: the caller stops (fail closed).
Status RestrictHome(FileSystem& fs, const Home& home,
                    const std::function<void(std::string_view)>& warn);

Result<HomeSettings> ReadHomeSettings(FileSystem& fs, const Home& home);
// The same from the file's text (`file` names it in errors).
Result<HomeSettings> ParseHomeSettings(std::string_view text, std::string_view file);
Status WriteHomeSettings(FileSystem& fs, const Home& home, const HomeSettings& settings);

// provider.json: where the home's key-encryption keys live.
struct ProviderConfig {
  std::string kind = "local";             // "local" | "pkcs11"
  std::string module;                     // pkcs11: the module path
  std::string token_label;                // pkcs11: the token's label
  std::string key_label = "bulwark-kek";  // pkcs11: CKA_LABEL of the KEK objects
};
// The local keystore when the file is missing; kDataLoss naming the file when it is malformed.
Result<ProviderConfig> ReadProviderConfig(FileSystem& fs, const Home& home);
Result<ProviderConfig> ParseProviderConfig(std::string_view text, std::string_view file);
Status WriteProviderConfig(FileSystem& fs, const Home& home, const ProviderConfig& config);

// The compliance section of config.yaml: `compliance: {packs: [...], gate: SEVERITY|off}`.
struct ComplianceSettings {
  std::vector<std::string> packs = {"baseline"};  // built-in names or pack files
  std::optional<compliance::Severity> gate;       // unset: off
};
// Defaults when the file or section is missing; kInvalidArgument naming the file and field.
Result<ComplianceSettings> ReadComplianceSettings(FileSystem& fs, const Home& home);

}  // namespace bulwark::node

#endif  // BULWARK_NODE_HOME_H_
