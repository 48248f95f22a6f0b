// Shared pieces of the store commands (also used by `bulwark exec NS`).
#ifndef BULWARK_SRC_CLI_STORE_COMMANDS_H_
#define BULWARK_SRC_CLI_STORE_COMMANDS_H_

#include <string>
#include <vector>

#include "bulwark/config/value.h"
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

// The decrypted (when `reveal`) document of a namespace, through the service (audited).
Result<config::Value> ExportNamespace(CommandContext& ctx, const StoreArgs& a, const std::string& ns,
                                      bool reveal);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_STORE_COMMANDS_H_
