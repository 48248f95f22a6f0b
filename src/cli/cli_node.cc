#include "cli/cli_node.h"

#include <fmt/format.h>

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <istream>
#include <ostream>

#include "bulwark/core/secret_bytes.h"

namespace bulwark::cli {

void AddKeyOptions(CLI::App* cmd, KeyArgs& a) {
  cmd->add_option("--home", a.home, "Bulwark home (default: $BULWARK_HOME, else ~/.bulwark)");
  cmd->add_option("--passphrase-file", a.passphrase_file,
                  "Read the keystore passphrase from this file (default: $BULWARK_PASSPHRASE, or a "
                  "prompt on a terminal)");
  cmd->add_option("--pin-file", a.pin_file,
                  "PKCS#11 homes: read the token's user PIN from this file (default: "
                  "$BULWARK_PKCS11_PIN, or a prompt on a terminal)");
}

namespace {

// Reads one line from the terminal without echoing it (when standard input is a terminal).
std::string PromptHidden(CommandContext& ctx, std::string_view prompt) {
  ctx.io.err << prompt << std::flush;
  termios old{};
  const bool tty = ::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(ctx.io.in, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    ctx.io.err << "\n";
  }
  return line;
}

// A secret from a file (trailing line breaks dropped), an environment variable, or a prompt.
Result<SecretBytes> ReadSecret(CommandContext& ctx, const std::string& file, const char* env,
                               std::string_view prompt, bool confirm, std::string_view what,
                               std::string_view missing) {
  std::string text;
  if (!file.empty()) {
    auto files = NewLocalFileSystem();
    BULWARK_ASSIGN_OR_RETURN(text, files->ReadFile(file));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  } else if (const char* p = std::getenv(env); p != nullptr) {
    text = p;
  } else if (ctx.io.interactive) {
    text = PromptHidden(ctx, prompt);
    if (confirm) {
      std::string again = PromptHidden(ctx, "Repeat the passphrase: ");
      const bool same = ConstantTimeEquals(again, text);
      SecureZero(again);
      if (!same) {
        SecureZero(text);
        return InvalidArgumentError("the passphrases do not match");
      }
    }
  } else {
    return InvalidArgumentError(std::string(missing));
  }
  SecretBytes secret = SecretBytes::FromString(text);
  SecureZero(text);
  if (secret.empty()) return InvalidArgumentError(fmt::format("the {} is empty", what));
  return secret;
}

}  // namespace

Result<SecretBytes> ReadPassphrase(CommandContext& ctx, const KeyArgs& a, bool confirm) {
  return ReadSecret(ctx, a.passphrase_file, "BULWARK_PASSPHRASE", "Keystore passphrase: ", confirm,
                    "passphrase",
                    "no passphrase: set BULWARK_PASSPHRASE or pass --passphrase-file (stdin is "
                    "not a terminal)");
}

Result<SecretBytes> ReadPin(CommandContext& ctx, const KeyArgs& a) {
  return ReadSecret(ctx, a.pin_file, "BULWARK_PKCS11_PIN", "Token user PIN: ", false,
                    "PKCS#11 PIN",
                    "no PKCS#11 PIN: set BULWARK_PKCS11_PIN or pass --pin-file (stdin is not a "
                    "terminal)");
}

node::NodeOptions NodeOptionsFor(CommandContext& ctx, const KeyArgs& a, const OpenFlags& flags) {
  node::NodeOptions o;
  o.home = a.home;
  o.store_url = flags.store;
  o.client = fmt::format("bulwark-cli/{}", BULWARK_VERSION);
  o.compliance = flags.compliance;
  o.crash_point = ctx.options.crash_point;
  if (ctx.options.clock) o.runtime.clock = ctx.options.clock;
  const bool confirm = flags.confirm_passphrase;
  o.passphrase = [&ctx, a, confirm] { return ReadPassphrase(ctx, a, confirm); };
  o.pin = [&ctx, a] { return ReadPin(ctx, a); };
  o.notice = [&ctx](std::string_view line) {
    ctx.io.err << "bulwark: " << line << "\n" << std::flush;
  };
  return o;
}

Result<std::unique_ptr<node::Node>> OpenNode(CommandContext& ctx, const KeyArgs& a,
                                             const OpenFlags& flags) {
  return node::Node::Open(NodeOptionsFor(ctx, a, flags));
}

}  // namespace bulwark::cli
