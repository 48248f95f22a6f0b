// The Bulwark home and what lives in it, shared by every CLI command group.
//
// The home directory ($BULWARK_HOME, else ~/.bulwark, or --home) holds, all 0600 in a 0700 dir:
//   provider.json  which key provider holds the key-encryption keys (absent: the local keystore);
//                for PKCS#11: {"provider": "pkcs11", "module": ..., "token_label": ...,
//                "key_label": ...} (docs/formats-keys.md, "provider file")
//   keystore     the local passphrase keystore (key-encryption keys), bulwark/keys/local_keystore.h
//                (local provider only)
//   keyring      the data keys wrapped under the provider's KEK, bulwark/keys/keyring.h
//   key-usage.json  which encrypted files use which data keys (bulwark/keyops/key_usage_index.h)
//   key-usage.lock  the lock held while the index is updated (bulwark/keyops/key_usage_lock.h)
//   compromise-<kid>.journal / .report.json  progress and record of `keys compromised`
//   store.db     the default configuration store (SQLite), unless --store / BULWARK_STORE
//   audit.db     the tamper-evident audit log of every store operation (cli/audit_home.h)
//   audit-log.key, audit-hmac.key, audit-trusted-checkpoint  its keys and verifier state
// The passphrase comes from --passphrase-file, BULWARK_PASSPHRASE, or (on a terminal) a prompt;
// the PKCS#11 user PIN from --pin-file, BULWARK_PKCS11_PIN, or (on a terminal) a prompt.
#ifndef BULWARK_SRC_CLI_HOME_H_
#define BULWARK_SRC_CLI_HOME_H_

#include <filesystem>
#include <memory>
#include <string>

#include "bulwark/core/runtime.h"
#include "bulwark/keyops/key_usage_index.h"
#include "bulwark/keyops/key_usage_lock.h"
#include "bulwark/keys/key_provider.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/keys/local_keystore.h"
#include "cli/command.h"

namespace bulwark::cli {

inline constexpr auto kPrivateFile =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
inline constexpr auto kPrivateDir = std::filesystem::perms::owner_all;

struct KeyArgs {
  std::string home;
  std::string passphrase_file;
  std::string pin_file;
};

// Where the home's key-encryption keys live (<home>/provider.json).
struct ProviderConfig {
  std::string kind = "local";             // "local" | "pkcs11"
  std::string module;                     // pkcs11: the module path
  std::string token_label;                // pkcs11: the token's label
  std::string key_label = "bulwark-kek";  // pkcs11: CKA_LABEL of the KEK objects
};
// A missing file means the local keystore; kDataLoss when the file is malformed.
Result<ProviderConfig> ReadProviderConfig(FileSystem& files, const std::filesystem::path& home);
Status WriteProviderConfig(FileSystem& files, const std::filesystem::path& home,
                           const ProviderConfig& config);

// The PKCS#11 user PIN: --pin-file, BULWARK_PKCS11_PIN, or a prompt on a terminal.
Result<SecretBytes> ReadPin(CommandContext& ctx, FileSystem& files, const KeyArgs& a);

void AddKeyOptions(CLI::App* cmd, KeyArgs& a);

Result<std::filesystem::path> ResolveHome(const std::string& flag);

// With `confirm` (init), a terminal prompt asks twice.
Result<SecretBytes> ReadPassphrase(CommandContext& ctx, FileSystem& files, const KeyArgs& a,
                                   bool confirm = false);

// The unlocked keys of a home.
struct Keys {
  Runtime runtime;
  std::filesystem::path home;
  std::filesystem::path keyring_path;
  std::unique_ptr<keys::KeyProvider> provider;
  std::shared_ptr<keys::Keyring> keyring;

  // Writes the keyring back (usage counts, rotations).
  Status Save();
  std::filesystem::path usage_index_path() const { return home / "key-usage.json"; }
  // Serializes read-modify-write of the index between processes (keyops/key_usage_lock.h); a
  // command waiting for it says so on stderr.
  Result<keyops::KeyUsageLock> LockUsageIndex(CommandContext& ctx) const;
};

// Records what an encrypted file written by a command holds in the home's key-usage index (so
// `keys destroy` and `keys compromised` find it); `encrypted` false forgets the file.
Status UpdateKeyUsageIndex(CommandContext& ctx, const Keys& k, const std::filesystem::path& file,
                           secfile::FileFormat format, bool encrypted);

// kNotFound naming the file when the home has no keyring ("run 'bulwark init' first");
// kUnauthenticated for a wrong passphrase or PIN; kUnavailable when the PKCS#11 module or token
// cannot be reached (fail closed: nothing falls back to a local key).
Result<Keys> OpenKeys(CommandContext& ctx, const KeyArgs& a);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_HOME_H_
