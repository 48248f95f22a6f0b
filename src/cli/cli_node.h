// How a CLI command opens the composed system (bulwark/node/node.h): the --home, --store,
// --passphrase-file and --pin-file options, and the secrets the node asks for, read from a file,
// the environment, or a prompt on the terminal (the node never touches the terminal itself).
// Notices of the node (waiting for a lock, warnings) go to stderr as "bulwark: <line>".
#ifndef BULWARK_SRC_CLI_CLI_NODE_H_
#define BULWARK_SRC_CLI_CLI_NODE_H_

#include <memory>
#include <string>

#include "bulwark/node/node.h"
#include "cli/command.h"

namespace bulwark::cli {

struct KeyArgs {
  std::string home;
  std::string passphrase_file;
  std::string pin_file;
};

void AddKeyOptions(CLI::App* cmd, KeyArgs& a);

// The passphrase: --passphrase-file, $BULWARK_PASSPHRASE, or (on a terminal) a prompt; with
// `confirm` (init) the prompt asks twice.
Result<SecretBytes> ReadPassphrase(CommandContext& ctx, const KeyArgs& a, bool confirm = false);
// The PKCS#11 user PIN: --pin-file, $BULWARK_PKCS11_PIN, or (on a terminal) a prompt.
Result<SecretBytes> ReadPin(CommandContext& ctx, const KeyArgs& a);

struct OpenFlags {
  std::string store;            // --store
  bool confirm_passphrase = false;  // init: ask twice on a terminal
  std::shared_ptr<const compliance::Engine> compliance;  // check --pack: these packs instead
};

// The node options of a command (secrets callbacks, notices, client "bulwark-cli/VERSION").
node::NodeOptions NodeOptionsFor(CommandContext& ctx, const KeyArgs& a, const OpenFlags& flags = {});
Result<std::unique_ptr<node::Node>> OpenNode(CommandContext& ctx, const KeyArgs& a,
                                             const OpenFlags& flags = {});

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_CLI_NODE_H_
