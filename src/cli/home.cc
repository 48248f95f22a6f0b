#include "cli/home.h"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "bulwark/keyops/key_usage.h"
#include "bulwark/keys/pkcs11_provider.h"

namespace bulwark::cli {
namespace fs = std::filesystem;

void AddKeyOptions(CLI::App* cmd, KeyArgs& a) {
  cmd->add_option("--home", a.home, "Bulwark home (default: $BULWARK_HOME, else ~/.bulwark)");
  cmd->add_option("--passphrase-file", a.passphrase_file,
                  "Read the keystore passphrase from this file (default: $BULWARK_PASSPHRASE, or a "
                  "prompt on a terminal)");
  cmd->add_option("--pin-file", a.pin_file,
                  "PKCS#11 homes: read the token's user PIN from this file (default: "
                  "$BULWARK_PKCS11_PIN, or a prompt on a terminal)");
}

Result<fs::path> ResolveHome(const std::string& flag) {
  if (!flag.empty()) return fs::path(flag);
  if (const char* h = std::getenv("BULWARK_HOME"); h != nullptr && *h != '\0') return fs::path(h);
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return fs::path(h) / ".bulwark";
  }
  return InvalidArgumentError("no home directory: pass --home or set BULWARK_HOME");
}

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

Result<SecretBytes> ReadPassphrase(CommandContext& ctx, FileSystem& files, const KeyArgs& a,
                                   bool confirm) {
  std::string text;
  if (!a.passphrase_file.empty()) {
    BULWARK_ASSIGN_OR_RETURN(text, files.ReadFile(a.passphrase_file));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  } else if (const char* p = std::getenv("BULWARK_PASSPHRASE"); p != nullptr) {
    text = p;
  } else if (ctx.io.interactive) {
    text = PromptHidden(ctx, "Keystore passphrase: ");
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
    return InvalidArgumentError(
        "no passphrase: set BULWARK_PASSPHRASE or pass --passphrase-file (stdin is not a "
        "terminal)");
  }
  SecretBytes secret = SecretBytes::FromString(text);
  SecureZero(text);
  if (secret.empty()) return InvalidArgumentError("the passphrase is empty");
  return secret;
}

Result<ProviderConfig> ReadProviderConfig(FileSystem& files, const fs::path& home) {
  ProviderConfig c;
  const fs::path file = home / "provider.json";
  BULWARK_ASSIGN_OR_RETURN(bool exists, files.Exists(file));
  if (!exists) return c;
  BULWARK_ASSIGN_OR_RETURN(std::string text, files.ReadFile(file));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto str = [&](const char* k) -> std::string {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
  };
  c.kind = str("provider");
  if (c.kind == "local") return c;
  if (c.kind != "pkcs11") {
    return DataLossError(
        fmt::format("{}: 'provider' must be \"local\" or \"pkcs11\"", file.string()));
  }
  c.module = str("module");
  c.token_label = str("token_label");
  c.key_label = str("key_label");
  if (c.module.empty() || c.token_label.empty() || c.key_label.empty()) {
    return DataLossError(
        fmt::format("{}: pkcs11 needs 'module', 'token_label' and 'key_label'", file.string()));
  }
  return c;
}

Status WriteProviderConfig(FileSystem& files, const fs::path& home, const ProviderConfig& c) {
  nlohmann::ordered_json j = {{"provider", c.kind}};
  if (c.kind == "pkcs11") {
    j["module"] = c.module;
    j["token_label"] = c.token_label;
    j["key_label"] = c.key_label;
  }
  return files.WriteFileAtomic(home / "provider.json", j.dump(2) + "\n", kPrivateFile);
}

Result<SecretBytes> ReadPin(CommandContext& ctx, FileSystem& files, const KeyArgs& a) {
  std::string text;
  if (!a.pin_file.empty()) {
    BULWARK_ASSIGN_OR_RETURN(text, files.ReadFile(a.pin_file));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  } else if (const char* p = std::getenv("BULWARK_PKCS11_PIN"); p != nullptr) {
    text = p;
  } else if (ctx.io.interactive) {
    text = PromptHidden(ctx, "Token user PIN: ");
  } else {
    return InvalidArgumentError(
        "no PKCS#11 PIN: set BULWARK_PKCS11_PIN or pass --pin-file (stdin is not a terminal)");
  }
  SecretBytes secret = SecretBytes::FromString(text);
  SecureZero(text);
  if (secret.empty()) return InvalidArgumentError("the PKCS#11 PIN is empty");
  return secret;
}

Result<keyops::KeyUsageLock> Keys::LockUsageIndex(CommandContext& ctx) const {
  const fs::path lock_file = keyops::KeyUsageLock::PathFor(usage_index_path());
  return keyops::KeyUsageLock::Acquire(lock_file, [&] {
    ctx.io.err << fmt::format(
                      "bulwark: waiting for {} (another bulwark process is updating the "
                      "key-usage index)\n",
                      lock_file.string())
               << std::flush;
  });
}

Status UpdateKeyUsageIndex(CommandContext& ctx, const Keys& k, const fs::path& file,
                           secfile::FileFormat format, bool encrypted) {
  BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageLock lock, k.LockUsageIndex(ctx));
  BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageIndex index,
                           keyops::KeyUsageIndex::Load(*k.runtime.fs, k.usage_index_path()));
  if (encrypted) {
    BULWARK_ASSIGN_OR_RETURN(keyops::IndexedFile entry,
                             keyops::InspectFile(*k.runtime.fs, file, format, *k.runtime.clock));
    index.Record(file, std::move(entry));
  } else {
    index.Forget(file);
  }
  return index.Save(*k.runtime.fs);
}

Result<FileLock> LockKeyring(CommandContext& ctx, const fs::path& home) {
  const fs::path lock_file = home / "keyring.lock";
  return FileLock::Acquire(lock_file, "keyring", [&] {
    ctx.io.err << fmt::format(
                      "bulwark: waiting for {} (another bulwark process is updating the keyring)\n",
                      lock_file.string())
               << std::flush;
  });
}

Status Keys::Save() {
  if (!keyring_lock) {
    return FailedPreconditionError(
        fmt::format("cannot save {}: the keys were opened read-only (without {})",
                    keyring_path.string(), keyring_lock_path().string()));
  }
  BULWARK_ASSIGN_OR_RETURN(std::string data, keyring->Serialize(*provider));
  return runtime.fs->WriteFileAtomic(keyring_path, data, kPrivateFile);
}

Result<Keys> OpenKeys(CommandContext& ctx, const KeyArgs& a, KeyringAccess access) {
  Keys k{Runtime::System(), {}, {}, nullptr, nullptr, std::nullopt};
  BULWARK_ASSIGN_OR_RETURN(fs::path home, ResolveHome(a.home));
  k.home = home;
  k.keyring_path = home / "keyring";
  BULWARK_ASSIGN_OR_RETURN(bool exists, k.runtime.fs->Exists(k.keyring_path));
  if (!exists) {
    return NotFoundError(
        fmt::format("no keyring at {}: run 'bulwark init' first", k.keyring_path.string()));
  }
  const auto policy = crypto::AlgorithmPolicy::Standard();
  BULWARK_ASSIGN_OR_RETURN(ProviderConfig config, ReadProviderConfig(*k.runtime.fs, home));
  // Taken after the passphrase/PIN is read (no lock held while a user types) and before the
  // provider (keystore or token KEK) and the keyring are read, so that what this command saves
  // is based on the latest of both.
  auto lock = [&]() -> Status {
    if (access != KeyringAccess::kUpdate) return OkStatus();
    BULWARK_ASSIGN_OR_RETURN(FileLock held, LockKeyring(ctx, k.home));
    k.keyring_lock.emplace(std::move(held));
    return OkStatus();
  };
  if (config.kind == "pkcs11") {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pin, ReadPin(ctx, *k.runtime.fs, a));
    BULWARK_RETURN_IF_ERROR(lock());
    keys::Pkcs11Provider::Options options;
    options.module_path = config.module;
    options.token_label = config.token_label;
    options.key_label = config.key_label;
    options.pin = std::move(pin);
    BULWARK_ASSIGN_OR_RETURN(k.provider,
                             keys::Pkcs11Provider::Open(std::move(options), k.runtime.random));
  } else {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pass, ReadPassphrase(ctx, *k.runtime.fs, a));
    BULWARK_RETURN_IF_ERROR(lock());
    BULWARK_ASSIGN_OR_RETURN(
        auto opened, keys::LocalKeystoreProvider::Open(home / "keystore", pass, k.runtime, policy));
    for (const std::string& w : opened.warnings) ctx.io.err << "bulwark: warning: " << w << "\n";
    k.provider = std::move(opened.provider);
  }
  BULWARK_ASSIGN_OR_RETURN(std::string data, k.runtime.fs->ReadFile(k.keyring_path));
  BULWARK_ASSIGN_OR_RETURN(k.keyring, keys::Keyring::Load(data, *k.provider, k.runtime, policy));
  return k;
}

}  // namespace bulwark::cli
