// Shared pieces of the store commands (also used by `bulwark exec NS`).
#ifndef BULWARK_SRC_CLI_STORE_COMMANDS_H_
#define BULWARK_SRC_CLI_STORE_COMMANDS_H_

#include <string>
#include <vector>

#include "bulwark/compliance/engine.h"
#include "bulwark/compliance/rule_pack.h"
#include "bulwark/config/value.h"
#include "bulwark/service/config_service.h"
#include "cli/home.h"

namespace bulwark::cli {

struct StoreArgs {
  KeyArgs keys;
  std::string store;
  std::string ns;
  std::string file;
  std::string path;
  std::string value;
  std::string message;
  std::vector<std::string> tags;
  std::string schema;
  std::string format;
  std::string env_prefix;
  std::string at;
  std::int64_t version = 0;
  std::int64_t expect_version = -1;
  std::int64_t from = 0;
  std::int64_t to = 0;
  bool reveal = false;
  bool secret = false;
  bool as_string = false;
  bool json = false;
};

void AddStoreOptions(CLI::App* cmd, StoreArgs& a);

class LazyCipher;

// A rule pack by built-in name (baseline, gdpr, ...) or file path.
Result<std::shared_ptr<const compliance::RulePack>> LoadRulePack(FileSystem& fs,
                                                                 const std::string& spec);

// An open home: store, audit log, lazily unlocked keys, and the service over them.
struct Session {
  // Persists key usage counters if anything was encrypted.
  Status Close();
  std::shared_ptr<LazyCipher> cipher;
  std::unique_ptr<service::ConfigService> service;
  service::RequestContext request;
};

// Opens the home's store and service. Compliance comes from <home>/config.yaml (see
// docs/compliance.md: `compliance: {packs: [...], gate: high|off}`; default: the baseline pack,
// gate off, history kept in <home>/compliance.db); `engine` overrides the packs (bulwark check).
Result<Session> OpenSession(CommandContext& ctx, const StoreArgs& a,
                            std::shared_ptr<const compliance::Engine> engine = nullptr);

// The same over keys the caller opened already (key management commands: one keyring in memory,
// one passphrase prompt). The session's cipher saves `keys` on Close if it encrypted anything.
Result<Session> OpenSessionWithKeys(CommandContext& ctx, const StoreArgs& a,
                                    std::shared_ptr<Keys> keys);

// The URL of the store a session would open: --store, $BULWARK_STORE, else the home's SQLite file
// (sqlite:<home>/store.db).
Result<std::string> StoreUrl(const StoreArgs& a);

// The decrypted (when `reveal`) document of a namespace, through the service (audited).
Result<config::Value> ExportNamespace(CommandContext& ctx, const StoreArgs& a, const std::string& ns,
                                      bool reveal);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_STORE_COMMANDS_H_
