// bulwark init | keys list|rotate|rewrap|reencrypt|disable|enable|destroy|compromised
//
// The key lifecycle runs in the node's KeyService (service/key_service.h: policies, shredding,
// compromise recovery, authorization, one audit event per operation); `keys reencrypt` runs each
// file through the FileService. These commands parse arguments and print.
#include <fmt/format.h>

#include <filesystem>
#include <ostream>
#include <set>

#include "bulwark/keys/key_id.h"
#include "bulwark/service/key_service.h"
#include "cli/cli_node.h"
#include "cli/command.h"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;

Result<crypto::AeadAlgorithm> ParseAlgorithmFlag(const std::string& name) {
  if (name == "aes-256-gcm") return crypto::AeadAlgorithm::kAes256Gcm;
  if (name == "aes-128-gcm") return crypto::AeadAlgorithm::kAes128Gcm;
  if (name == "chacha20-poly1305") return crypto::AeadAlgorithm::kChaCha20Poly1305;
  if (name == "xchacha20-poly1305") return crypto::AeadAlgorithm::kXChaCha20Poly1305;
  return InvalidArgumentError(fmt::format(
      "unknown algorithm '{}' (aes-256-gcm, aes-128-gcm, chacha20-poly1305, xchacha20-poly1305)",
      name));
}

struct KeysArgs {
  KeyArgs keys;
  std::string kid;
  std::string algorithm;
  std::vector<std::string> files;
  std::string format;
  std::string store;
  bool force = false;
  bool resume = false;
};

// Runs `body` with the command's node and key service, and closes the node.
int WithKeys(CommandContext& ctx, const KeyArgs& keys, const OpenFlags& flags,
             const std::function<Status(node::Node&, service::KeyService&)>& body) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto n, OpenNode(ctx, keys, flags));
    BULWARK_ASSIGN_OR_RETURN(service::KeyService * svc, n->Keys());
    Status s = body(*n, *svc);
    if (auto c = n->Close(); s && !c) s = c;
    return s;
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

// ---- init ------------------------------------------------------------------------------------

struct InitArgs {
  KeyArgs keys;
  std::string provider = "local";
  std::string algorithm = "aes-256-gcm";
  std::string pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so";
  std::string token_label;
  std::string key_label = "bulwark-kek";
  bool fips = false;
};

int RunInit(CommandContext& ctx, const InitArgs& a) {
  auto alg = ParseAlgorithmFlag(a.algorithm);
  if (!alg) return ctx.Fail(alg.error());
  return WithKeys(ctx, a.keys, {.confirm_passphrase = true},
                  [&](node::Node& n, service::KeyService& svc) -> Status {
                    service::InitRequest req;
                    req.provider = a.provider;
                    req.pkcs11_module = a.pkcs11_module;
                    req.token_label = a.token_label;
                    req.key_label = a.key_label;
                    req.algorithm = *alg;
                    req.fips = a.fips;
                    BULWARK_ASSIGN_OR_RETURN(service::InitResult r,
                                             svc.Init(n.LocalContext(), req));
                    ctx.io.out << fmt::format("initialized {} (key {}, {}; {}{})\n",
                                              n.home().dir.string(), keys::FormatKeyId(r.primary),
                                              crypto::AeadAlgorithmName(*alg), r.provider,
                                              a.fips ? "; FIPS mode" : "");
                    return OkStatus();
                  });
}

// ---- keys ------------------------------------------------------------------------------------

int RunKeysList(CommandContext& ctx, const KeysArgs& a) {
  return WithKeys(ctx, a.keys, {}, [&](node::Node& n, service::KeyService& svc) -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto list, svc.List(n.LocalContext()));
    ctx.io.out << fmt::format("{:<10} {:>7}  {:<18} {:<13} {:<28} {}\n", "KID", "VERSION",
                              "ALGORITHM", "STATE", "CREATED", "USAGE");
    for (const keys::KeyInfo& info : list) {
      ctx.io.out << fmt::format("{:<10} {:>7}  {:<18} {:<13} {:<28} {}\n",
                                keys::FormatKeyId(info.id), info.version,
                                crypto::AeadAlgorithmName(info.algorithm),
                                keys::KeyStateName(info.state), FormatRfc3339(info.created),
                                info.usage);
    }
    return OkStatus();
  });
}

int RunKeysRotate(CommandContext& ctx, const KeysArgs& a) {
  std::optional<crypto::AeadAlgorithm> alg;
  if (!a.algorithm.empty()) {
    auto parsed = ParseAlgorithmFlag(a.algorithm);
    if (!parsed) return ctx.Fail(parsed.error());
    alg = *parsed;
  }
  return WithKeys(ctx, a.keys, {}, [&](node::Node& n, service::KeyService& svc) -> Status {
    BULWARK_ASSIGN_OR_RETURN(service::RotateResult r, svc.Rotate(n.LocalContext(), alg));
    ctx.io.out << fmt::format(
        "new primary key {}; {} is now decrypt-only (run 'bulwark keys reencrypt FILE...' to move "
        "files to the new key)\n",
        keys::FormatKeyId(r.primary), keys::FormatKeyId(r.previous));
    return OkStatus();
  });
}

int RunKeysReencrypt(CommandContext& ctx, const KeysArgs& a) {
  return WithKeys(ctx, a.keys, {}, [&](node::Node& n, service::KeyService&) -> Status {
    BULWARK_ASSIGN_OR_RETURN(service::FileService * files, n.Files());
    std::optional<secfile::FileFormat> format;
    if (!a.format.empty()) {
      BULWARK_ASSIGN_OR_RETURN(format, secfile::ParseFileFormatName(a.format));
    }
    for (const std::string& file : a.files) {
      BULWARK_ASSIGN_OR_RETURN(auto re, files->Reencrypt(n.LocalContext(), file, format));
      std::string moved;
      for (const auto& [kid, count] : re.previous_keys) {
        moved += fmt::format(" {} value(s) from {}", count, keys::FormatKeyId(kid));
      }
      ctx.io.out << fmt::format("{}: re-encrypted under {}:{}\n", file,
                                keys::FormatKeyId(re.primary),
                                moved.empty() ? " no values" : moved);
    }
    return OkStatus();
  });
}

int RunKeysRewrap(CommandContext& ctx, const KeysArgs& a) {
  return WithKeys(ctx, a.keys, {}, [&](node::Node& n, service::KeyService& svc) -> Status {
    BULWARK_ASSIGN_OR_RETURN(std::string provider, svc.Rewrap(n.LocalContext()));
    ctx.io.out << fmt::format(
        "new key-encryption key in {}; every data key was re-wrapped (no file changes)\n",
        provider);
    return OkStatus();
  });
}

int RunKeysDisable(CommandContext& ctx, const KeysArgs& a, bool enable) {
  auto id = keys::ParseKeyId(a.kid);
  if (!id) return ctx.Fail(id.error());
  return WithKeys(ctx, a.keys, {}, [&](node::Node& n, service::KeyService& svc) -> Status {
    if (enable) {
      BULWARK_RETURN_IF_ERROR(svc.Enable(n.LocalContext(), *id));
      ctx.io.out << fmt::format("key {} enabled: it decrypts again (decrypt-only)\n", a.kid);
    } else {
      BULWARK_RETURN_IF_ERROR(svc.Disable(n.LocalContext(), *id));
      ctx.io.out << fmt::format(
          "key {} disabled: it no longer encrypts or decrypts ('bulwark keys enable {}' undoes "
          "this)\n",
          a.kid, a.kid);
    }
    return OkStatus();
  });
}

int RunKeysDestroy(CommandContext& ctx, const KeysArgs& a) {
  auto id = keys::ParseKeyId(a.kid);
  if (!id) return ctx.Fail(id.error());
  return WithKeys(ctx, a.keys, {.store = a.store},
                  [&](node::Node& n, service::KeyService& svc) -> Status {
    service::DestroyRequest req;
    req.key = *id;
    req.force = a.force;
    req.check_files = a.files;
    BULWARK_ASSIGN_OR_RETURN(service::DestroyResult r, svc.Destroy(n.LocalContext(), req));
    ctx.io.out << fmt::format(
        "key {} {}: its material is wiped from the keyring; its id stays so that values under it "
        "report 'key {} was destroyed'\n"
        "key-encryption key rotated ({}); {} old key-encryption key(s) removed: keyring copies "
        "made before this command can no longer be unwrapped\n",
        a.kid, r.already_destroyed ? "was already destroyed and is now shredded" : "destroyed",
        a.kid, r.provider, r.retired_keks);
    if (!r.usage.unused()) {
      ctx.io.err << fmt::format(
          "bulwark: warning: --force: these values can no longer be decrypted:\n{}",
          r.usage.Describe());
    } else if (!r.usage.history.empty() || !r.usage.problems.empty()) {
      ctx.io.err << "bulwark: warning:\n" << r.usage.Describe();
    }
    return OkStatus();
  });
}

int RunKeysCompromised(CommandContext& ctx, const KeysArgs& a) {
  auto id = keys::ParseKeyId(a.kid);
  if (!id) return ctx.Fail(id.error());
  return WithKeys(ctx, a.keys, {.store = a.store},
                  [&](node::Node& n, service::KeyService& svc) -> Status {
    service::CompromisedRequest req;
    req.key = *id;
    req.files = a.files;
    req.resume_only = a.resume;
    req.marked = [&](keys::KeyId primary, bool resuming) {
      ctx.io.out << fmt::format("key {} is marked compromised; primary is {}\n", a.kid,
                                keys::FormatKeyId(primary));
      if (resuming) {
        ctx.io.err << "bulwark: resuming from "
                   << n.home().compromise_journal(*id).string() << "\n";
      }
    };
    req.progress = [&](std::size_t i, std::size_t total, const std::string& target,
                       std::size_t values) {
      ctx.io.err << fmt::format("[{}/{}] {}: {} value(s)\n", i, total, target, values)
                 << std::flush;
    };
    BULWARK_ASSIGN_OR_RETURN(keyops::CompromiseReport report,
                             svc.Compromised(n.LocalContext(), req));
    std::set<std::string> targets;
    for (const keyops::MovedValue& m : report.moved) {
      targets.insert(m.target);
      ctx.io.out << fmt::format("  {} {}: {}  {} -> {}\n", m.is_namespace ? "namespace" : "file",
                                m.target, m.path.ToString(), keys::FormatKeyId(m.from),
                                keys::FormatKeyId(m.to));
    }
    for (const std::string& s : report.skipped) ctx.io.out << "  skipped " << s << "\n";
    ctx.io.out << fmt::format(
        "{} value(s) moved off {} in {} file(s)/namespace(s){}{}\n", report.moved.size(), a.kid,
        targets.size(), report.resumed ? " (resumed)" : "",
        report.report_file.empty() ? "" : "; report kept in " + report.report_file.string());
    return OkStatus();
  });
}

}  // namespace

void RegisterKeyCommands(CLI::App& app, CommandContext& ctx) {
  auto init_args = std::make_shared<InitArgs>();
  CLI::App* init =
      app.add_subcommand("init", "Create the Bulwark home with a keystore and keyring");
  AddKeyOptions(init, init_args->keys);
  init->add_option("--provider", init_args->provider,
                   "Key provider: local (passphrase keystore, default) or pkcs11 (HSM token)");
  init->add_option("--pkcs11-module", init_args->pkcs11_module,
                   "pkcs11: the PKCS#11 module (default: /usr/lib/softhsm/libsofthsm2.so)");
  init->add_option("--token-label", init_args->token_label, "pkcs11: the token's label");
  init->add_option("--key-label", init_args->key_label,
                   "pkcs11: label of the KEK objects in the token (default: bulwark-kek)");
  init->add_option("--algorithm", init_args->algorithm,
                   "aes-256-gcm (default), aes-128-gcm, chacha20-poly1305, xchacha20-poly1305");
  init->add_flag("--fips", init_args->fips,
                 "FIPS mode for this home: only FIPS-approved algorithms (AES-GCM, PBKDF2, ...), "
                 "through OpenSSL's FIPS provider (refused where the platform lacks it)");
  init->callback(
      [&ctx, init_args] { ctx.action = [&ctx, init_args] { return RunInit(ctx, *init_args); }; });

  CLI::App* keys_cmd = app.add_subcommand(
      "keys", "Data keys: list, rotate, rewrap, reencrypt, disable, enable, destroy, compromised");
  keys_cmd->require_subcommand(1);
  auto list_args = std::make_shared<KeysArgs>();
  CLI::App* list = keys_cmd->add_subcommand("list", "List the keyring's keys");
  AddKeyOptions(list, list_args->keys);
  list->callback([&ctx, list_args] {
    ctx.action = [&ctx, list_args] { return RunKeysList(ctx, *list_args); };
  });
  auto rotate_args = std::make_shared<KeysArgs>();
  CLI::App* rotate = keys_cmd->add_subcommand("rotate", "Add a new primary key");
  AddKeyOptions(rotate, rotate_args->keys);
  rotate->add_option("--algorithm", rotate_args->algorithm, "Algorithm of the new key");
  rotate->callback([&ctx, rotate_args] {
    ctx.action = [&ctx, rotate_args] { return RunKeysRotate(ctx, *rotate_args); };
  });
  auto re_args = std::make_shared<KeysArgs>();
  CLI::App* re = keys_cmd->add_subcommand(
      "reencrypt", "Re-encrypt files under the primary key (after rotate or compromise)");
  AddKeyOptions(re, re_args->keys);
  re->add_option("files", re_args->files, "Encrypted files (rewritten atomically)")->required();
  re->add_option("--format", re_args->format, "Force the format of every file");
  re->callback([&ctx, re_args] {
    ctx.action = [&ctx, re_args] { return RunKeysReencrypt(ctx, *re_args); };
  });
  auto rewrap_args = std::make_shared<KeysArgs>();
  CLI::App* rewrap = keys_cmd->add_subcommand(
      "rewrap", "Rotate the key-encryption key and re-wrap every data key (no file changes)");
  AddKeyOptions(rewrap, rewrap_args->keys);
  rewrap->callback([&ctx, rewrap_args] {
    ctx.action = [&ctx, rewrap_args] { return RunKeysRewrap(ctx, *rewrap_args); };
  });
  for (const bool enable : {false, true}) {
    auto dis_args = std::make_shared<KeysArgs>();
    CLI::App* dis = keys_cmd->add_subcommand(
        enable ? "enable" : "disable",
        enable ? "Re-enable a disabled key (decrypt-only)"
               : "Disable a key: it no longer encrypts or decrypts (reversible)");
    AddKeyOptions(dis, dis_args->keys);
    dis->add_option("kid", dis_args->kid, "The key id")->required();
    dis->callback([&ctx, dis_args, enable] {
      ctx.action = [&ctx, dis_args, enable] { return RunKeysDisable(ctx, *dis_args, enable); };
    });
  }
  auto destroy_args = std::make_shared<KeysArgs>();
  CLI::App* destroy = keys_cmd->add_subcommand(
      "destroy",
      "Wipe a key's material and retire the key-encryption key that wrapped it (irreversible; "
      "keyring copies made before can no longer be unwrapped); refused while files or namespaces "
      "still use it");
  AddKeyOptions(destroy, destroy_args->keys);
  destroy->add_option("kid", destroy_args->kid, "The key id")->required();
  destroy->add_flag("--force", destroy_args->force,
                    "Destroy even though values would become unreadable");
  destroy->add_option("--check", destroy_args->files,
                      "Also check these encrypted files (besides the key-usage index)");
  destroy->add_option("--store", destroy_args->store,
                      "Store URL to scan (default: $BULWARK_STORE, else the home's)");
  destroy->callback([&ctx, destroy_args] {
    ctx.action = [&ctx, destroy_args] { return RunKeysDestroy(ctx, *destroy_args); };
  });
  auto comp_args = std::make_shared<KeysArgs>();
  CLI::App* comp = keys_cmd->add_subcommand(
      "compromised",
      "Mark a key compromised and move everything it protects (indexed files, FILE..., store "
      "namespaces) to the primary key; resumable");
  AddKeyOptions(comp, comp_args->keys);
  comp->add_option("kid", comp_args->kid, "The compromised key id")->required();
  comp->add_option("files", comp_args->files,
                   "More encrypted files to move (besides the key-usage index)");
  comp->add_flag("--resume", comp_args->resume,
                 "Only continue an interrupted run (an existing journal is always resumed)");
  comp->add_option("--store", comp_args->store,
                   "Store URL (default: $BULWARK_STORE, else the home's)");
  comp->callback([&ctx, comp_args] {
    ctx.action = [&ctx, comp_args] { return RunKeysCompromised(ctx, *comp_args); };
  });
}

}  // namespace bulwark::cli
