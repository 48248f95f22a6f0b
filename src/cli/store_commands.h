// Shared pieces of the store commands (also used by `bulwark exec NS`).
#ifndef BULWARK_SRC_CLI_STORE_COMMANDS_H_
#define BULWARK_SRC_CLI_STORE_COMMANDS_H_

#include <string>
#include <vector>

#include "bulwark/compliance/engine.h"
#include "bulwark/compliance/rule_pack.h"
#include "bulwark/config/value.h"
#include "bulwark/service/config_service.h"
#include "cli/cli_node.h"

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

// All of standard input without one trailing newline: a value given as `-` or by --set-secret
// (never an argument, which the process list shows).
std::string ReadStandardInput(CommandContext& ctx);

// An open node for a store command, and its configuration service.
struct Session {
  // Saves key usage counts if anything was encrypted, releases the keyring lock.
  Status Close() { return node->Close(); }
  std::unique_ptr<node::Node> node;
  service::ConfigService* service = nullptr;
  service::RequestContext request;
};

// Opens the home's node and its configuration service (bulwark/node/node.h: store URL, audit log,
// compliance from <home>/config.yaml); `engine` overrides the packs (bulwark check --pack).
Result<Session> OpenSession(CommandContext& ctx, const StoreArgs& a,
                            std::shared_ptr<const compliance::Engine> engine = nullptr);

// The decrypted (when `reveal`) document of a namespace, through the service (audited).
Result<config::Value> ExportNamespace(CommandContext& ctx, const StoreArgs& a, const std::string& ns,
                                      bool reveal);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_STORE_COMMANDS_H_
