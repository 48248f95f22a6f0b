// The Bulwark home and what lives in it, shared by every CLI command group.
//
// The home directory ($BULWARK_HOME, else ~/.bulwark, or --home) holds, all 0600 in a 0700 dir:
//   keystore     the local passphrase keystore (key-encryption keys), bulwark/keys/local_keystore.h
//   keyring      the data keys wrapped under the keystore, bulwark/keys/keyring.h
//   store.db     the default configuration store (SQLite), unless --store / BULWARK_STORE
//   audit.db     the tamper-evident audit log of every store operation (cli/audit_home.h)
//   audit-log.key, audit-hmac.key, audit-trusted-checkpoint  its keys and verifier state
// The passphrase comes from --passphrase-file, BULWARK_PASSPHRASE, or (on a terminal) a prompt.
#ifndef BULWARK_SRC_CLI_HOME_H_
#define BULWARK_SRC_CLI_HOME_H_

#include <filesystem>
#include <memory>
#include <string>

#include "bulwark/core/runtime.h"
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
};

void AddKeyOptions(CLI::App* cmd, KeyArgs& a);

Result<std::filesystem::path> ResolveHome(const std::string& flag);

// With `confirm` (init), a terminal prompt asks twice.
Result<SecretBytes> ReadPassphrase(CommandContext& ctx, FileSystem& files, const KeyArgs& a,
                                   bool confirm = false);

// The unlocked keys of a home.
struct Keys {
  Runtime runtime;
  std::filesystem::path keyring_path;
  std::unique_ptr<keys::LocalKeystoreProvider> provider;
  std::shared_ptr<keys::Keyring> keyring;

  // Writes the keyring back (usage counts, rotations).
  Status Save();
};

// kNotFound naming the file when the home has no keyring ("run 'bulwark init' first");
// kUnauthenticated for a wrong passphrase.
Result<Keys> OpenKeys(CommandContext& ctx, const KeyArgs& a);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_HOME_H_
