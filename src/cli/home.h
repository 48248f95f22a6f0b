// The Bulwark home and what lives in it, shared by every CLI command group.
//
// The home directory ($BULWARK_HOME, else ~/.bulwark, or --home) holds, all 0600 in a 0700 dir:
//   provider.json  which key provider holds the key-encryption keys (absent: the local keystore);
//                for PKCS#11: {"provider": "pkcs11", "module": ..., "token_label": ...,
//                "key_label": ...} (docs/formats-keys.md, "provider file")
//   keystore     the local passphrase keystore (key-encryption keys), bulwark/keys/local_keystore.h
//                (local provider only)
//   keyring      the data keys wrapped under the provider's KEK, bulwark/keys/keyring.h
//   keyring.lock  the lock held by a command that may save the keyring (or rotate the KEK), from
//                before it opens the keys until it is done (OpenKeys, KeyringAccess::kUpdate)
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
#include <optional>
#include <string>

#include "bulwark/core/file_lock.h"
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

// How a command uses the keyring. Every command that may save the keyring (usage counts of
// `encrypt`/`edit`/`reencrypt`/the store's cipher, rotate, rewrap, disable/enable/destroy,
// compromised) opens it with kUpdate: it then holds an exclusive lock on <home>/keyring.lock
// (bulwark/core/file_lock.h) from before it opens the provider and reads the keyring until its
// Keys is destroyed, so its save starts from the latest keyring (and keystore, for rewrap) and
// no rotation or usage count of a concurrent command is lost. Read-only commands (kRead) take no
// lock: the atomic writes already guarantee they read whole files.
//
// Lock order: keyring.lock first, then key-usage.lock (LockUsageIndex); never open keys while
// holding the key-usage lock. One process opens kUpdate keys at most once at a time (a second
// OpenKeys(kUpdate) in the same process would wait for itself): pass the Keys around instead.
// A long command (`keys compromised` re-encrypting many files) holds the lock for its whole run;
// other updating commands wait for it (saying so on stderr), which is intended.
enum class KeyringAccess { kRead, kUpdate };

// Takes the keyring lock of `home` (<home>/keyring.lock; the directory must exist), printing one
// line on stderr if it has to wait for another process. kUnavailable naming the file on failure.
Result<FileLock> LockKeyring(CommandContext& ctx, const std::filesystem::path& home);

// The unlocked keys of a home.
struct Keys {
  Runtime runtime;
  std::filesystem::path home;
  std::filesystem::path keyring_path;
  std::unique_ptr<keys::KeyProvider> provider;
  std::shared_ptr<keys::Keyring> keyring;
  // Held (kUpdate) until the Keys is destroyed.
  std::optional<FileLock> keyring_lock;

  // Writes the keyring back (usage counts, rotations). kFailedPrecondition when the keys were
  // opened with kRead (saving without the lock could overwrite a concurrent update).
  Status Save();
  std::filesystem::path keyring_lock_path() const { return home / "keyring.lock"; }
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
// cannot be reached (fail closed: nothing falls back to a local key) or the keyring lock cannot be
// taken. With kUpdate, a command that waits for the keyring lock says so on stderr; the
// passphrase or PIN is read before waiting.
Result<Keys> OpenKeys(CommandContext& ctx, const KeyArgs& a, KeyringAccess access);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_HOME_H_
