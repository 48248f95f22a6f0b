// Embedding Bulwark: open a home, read a value and reveal a secret through the service. Both
// reads are authorized and audited like the CLI's (`bulwark audit log` shows them).
//   BULWARK_HOME=... BULWARK_PASSPHRASE=... ./embed NAMESPACE PATH SECRET_PATH
#include <iostream>

#include "bulwark/config/format.h"
#include "bulwark/node/node.h"

namespace bw = bulwark;

// Reads `path` of `ns` (decrypted when `reveal`) and prints "path = value".
bw::Status Print(bw::node::Node& node, const char* ns, const char* path, bool reveal) {
  BULWARK_ASSIGN_OR_RETURN(bw::service::ConfigService * config, node.Config());
  BULWARK_ASSIGN_OR_RETURN(bw::config::Path p, bw::config::Path::Parse(path));
  BULWARK_ASSIGN_OR_RETURN(auto read,
                           config->Get(node.LocalContext(), ns, {.path = p, .reveal = reveal}));
  BULWARK_ASSIGN_OR_RETURN(
      std::string text, bw::config::EmitDocument(read.value, bw::config::Format::kJson, {.indent = 0}));
  std::cout << path << " = " << text << "\n";
  return bw::OkStatus();
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: embed NAMESPACE PATH SECRET_PATH\n";
    return 2;
  }
  bw::node::NodeOptions options;  // home from $BULWARK_HOME, passphrase from $BULWARK_PASSPHRASE
  options.client = "embed-example/1.0";
  auto node = bw::node::Node::Open(std::move(options));
  bw::Status s = node ? Print(**node, argv[1], argv[2], false) : std::unexpected(node.error());
  if (s) s = Print(**node, argv[1], argv[3], true);
  if (s) s = (*node)->Close();
  if (!s) std::cerr << "embed: " << s.error().ToString() << "\n";
  return s ? 0 : bw::ExitCodeFor(s.error().code());
}
