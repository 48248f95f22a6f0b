// bulwark init | encrypt | decrypt | edit | exec |
//         keys list|rotate|rewrap|reencrypt|disable|enable|destroy|compromised
//
// The home's files are listed in cli/home.h. The logic lives in the libraries (keys, secfile,
// keyops, service); these commands parse arguments, open the home and print.
#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <istream>
#include <optional>
#include <ostream>
#include <set>

#include "bulwark/config/loader.h"
#include "bulwark/config/sensitivity.h"
#include "bulwark/keyops/compromise.h"
#include "bulwark/keyops/key_usage.h"
#include "bulwark/keys/kek_shred.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/keys/local_keystore.h"
#include "bulwark/keys/pkcs11_provider.h"
#include "bulwark/secfile/encfile.h"
#include "cli/command.h"
#include "cli/home.h"
#include "cli/store_commands.h"

extern char** environ;

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

// ---- init ------------------------------------------------------------------------------------

struct InitArgs {
  KeyArgs keys;
  std::string provider = "local";
  std::string algorithm = "aes-256-gcm";
  std::string pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so";
  std::string token_label;
  std::string key_label = "bulwark-kek";
};

// The KEK holder of a new home: a new local keystore, or a PKCS#11 token in which the KEK is
// generated (non-extractable) unless one with the label exists already. Everything is checked
// before the home gets a keyring, so a failure leaves no half-initialized home behind.
Result<std::unique_ptr<keys::KeyProvider>> CreateProvider(CommandContext& ctx, const InitArgs& a,
                                                          const Runtime& runtime,
                                                          const fs::path& home,
                                                          ProviderConfig& config) {
  const auto policy = crypto::AlgorithmPolicy::Standard();
  if (a.provider == "local") {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pass,
                             ReadPassphrase(ctx, *runtime.fs, a.keys, /*confirm=*/true));
    BULWARK_RETURN_IF_ERROR(runtime.fs->CreateDirectories(home, kPrivateDir));
    BULWARK_ASSIGN_OR_RETURN(auto provider, keys::LocalKeystoreProvider::Create(
                                                home / "keystore", pass, runtime, policy));
    return std::unique_ptr<keys::KeyProvider>(std::move(provider));
  }
  if (a.provider != "pkcs11") {
    return InvalidArgumentError(
        fmt::format("unknown provider '{}' (valid: local, pkcs11)", a.provider));
  }
  if (a.token_label.empty()) {
    return InvalidArgumentError("--provider pkcs11 needs --token-label (the token's label)");
  }
  config.kind = "pkcs11";
  config.module = fs::absolute(a.pkcs11_module).lexically_normal().string();
  config.token_label = a.token_label;
  config.key_label = a.key_label;
  BULWARK_ASSIGN_OR_RETURN(SecretBytes pin, ReadPin(ctx, *runtime.fs, a.keys));
  keys::Pkcs11Provider::Options options;
  options.module_path = config.module;
  options.token_label = config.token_label;
  options.key_label = config.key_label;
  options.pin = std::move(pin);
  options.create_if_missing = true;
  BULWARK_ASSIGN_OR_RETURN(auto provider,
                           keys::Pkcs11Provider::Open(std::move(options), runtime.random));
  BULWARK_RETURN_IF_ERROR(provider->CheckKekIsNonExtractable());
  BULWARK_RETURN_IF_ERROR(provider->HealthCheck());
  BULWARK_RETURN_IF_ERROR(runtime.fs->CreateDirectories(home, kPrivateDir));
  return std::unique_ptr<keys::KeyProvider>(std::move(provider));
}

int RunInit(CommandContext& ctx, const InitArgs& a) {
  auto run = [&]() -> Result<fs::path> {
    BULWARK_ASSIGN_OR_RETURN(crypto::AeadAlgorithm alg, ParseAlgorithmFlag(a.algorithm));
    Runtime runtime = Runtime::System();
    BULWARK_ASSIGN_OR_RETURN(fs::path home, ResolveHome(a.keys.home));
    // Two concurrent inits of one home must not both create a keystore and a keyring (the later
    // would replace the earlier's keystore under its keyring): the keyring lock (cli/home.h) is
    // held from the existence check to the keyring write. It needs the directory; a failed init
    // leaves at most the empty home with its lock file, which a new init accepts.
    BULWARK_RETURN_IF_ERROR(runtime.fs->CreateDirectories(home, kPrivateDir));
    BULWARK_ASSIGN_OR_RETURN(FileLock lock, LockKeyring(ctx, home));
    BULWARK_ASSIGN_OR_RETURN(bool exists, runtime.fs->Exists(home / "keyring"));
    if (exists) {
      return AlreadyExistsError(fmt::format("{} already has a keyring", home.string()));
    }
    ProviderConfig config;
    BULWARK_ASSIGN_OR_RETURN(auto provider, CreateProvider(ctx, a, runtime, home, config));
    const auto policy = crypto::AlgorithmPolicy::Standard();
    BULWARK_ASSIGN_OR_RETURN(auto keyring,
                             keys::Keyring::Create(runtime, policy, {.algorithm = alg}));
    BULWARK_ASSIGN_OR_RETURN(std::string data, keyring->Serialize(*provider));
    // The provider file first: a keyring without it would be read as a local one.
    BULWARK_RETURN_IF_ERROR(WriteProviderConfig(*runtime.fs, home, config));
    BULWARK_RETURN_IF_ERROR(runtime.fs->WriteFileAtomic(home / "keyring", data, kPrivateFile));
    ctx.io.out << fmt::format("initialized {} (key {}, {}; {})\n", home.string(),
                              keys::FormatKeyId(keyring->primary_id()),
                              crypto::AeadAlgorithmName(alg), provider->Describe());
    return home;
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

// ---- encrypt / decrypt -----------------------------------------------------------------------

struct FileArgs {
  KeyArgs keys;
  std::string file;
  bool in_place = false;
  std::string output;
  std::string format;
  std::string schema;
  std::vector<std::string> paths;
};

void AddFileOptions(CLI::App* cmd, FileArgs& a, bool output_options) {
  AddKeyOptions(cmd, a.keys);
  cmd->add_option("file", a.file, "The configuration file")->required();
  cmd->add_option("--format", a.format, "yaml|json|toml|dotenv|ini (default: from the extension)");
  if (output_options) {
    auto* i = cmd->add_flag("-i,--in-place", a.in_place, "Rewrite FILE (atomically)");
    auto* o = cmd->add_option("-o,--output", a.output, "Write to OUT instead of standard output");
    i->excludes(o);
  }
}

Result<secfile::FileFormat> FormatOf(const FileArgs& a) {
  if (!a.format.empty()) return secfile::ParseFileFormatName(a.format);
  return secfile::FileFormatFromPath(a.file);
}

Status WriteResult(CommandContext& ctx, FileSystem& files, const FileArgs& a,
                   std::string_view text) {
  if (a.in_place) {
    return files.WriteFileAtomic(a.file, text, kPrivateFile);
  }
  if (!a.output.empty()) return files.WriteFileAtomic(a.output, text, kPrivateFile);
  ctx.io.out << text;
  return {};
}

// Keeps the home's key-usage index in step with a file a command wrote. The file is already
// written, so a failure is a warning (keys destroy re-checks files it is told about).
void IndexWrittenFile(CommandContext& ctx, const Keys& k, const std::string& file,
                      secfile::FileFormat format, bool encrypted) {
  if (auto s = UpdateKeyUsageIndex(ctx, k, file, format, encrypted); !s) {
    ctx.io.err << fmt::format("bulwark: warning: key-usage index not updated for {}: {}\n", file,
                              s.error().message());
  }
}

// The file a command wrote with -i / -o, if any.
std::string WrittenFile(const FileArgs& a) {
  if (a.in_place) return a.file;
  return a.output;
}

Result<std::unique_ptr<config::Schema>> LoadSchema(FileSystem& files, const std::string& path) {
  if (path.empty()) return std::unique_ptr<config::Schema>();
  return config::LoadSchemaFile(files, path);
}

int RunEncrypt(CommandContext& ctx, const FileArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(secfile::FileFormat format, FormatOf(a));
    BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    BULWARK_ASSIGN_OR_RETURN(std::string text, k.runtime.fs->ReadFile(a.file));
    BULWARK_ASSIGN_OR_RETURN(auto schema, LoadSchema(*k.runtime.fs, a.schema));
    BULWARK_ASSIGN_OR_RETURN(auto classifier,
                             config::SensitivityClassifier::Create(schema.get(), a.paths));
    secfile::EncryptOptions options;
    options.source_name = a.file;
    options.classifier = &classifier;
    BULWARK_ASSIGN_OR_RETURN(auto enc,
                             secfile::EncryptFile(text, format, *k.keyring, k.runtime, options));
    BULWARK_RETURN_IF_ERROR(k.Save());  // usage counts
    BULWARK_RETURN_IF_ERROR(WriteResult(ctx, *k.runtime.fs, a, enc.text));
    if (const std::string out = WrittenFile(a); !out.empty()) {
      IndexWrittenFile(ctx, k, out, format, /*encrypted=*/true);
    }
    ctx.io.err << fmt::format("bulwark: encrypted {} value(s) of {}\n", enc.encrypted.size(),
                              a.file);
    return {};
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

int RunDecrypt(CommandContext& ctx, const FileArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(secfile::FileFormat format, FormatOf(a));
    BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.keys, KeyringAccess::kRead));
    BULWARK_ASSIGN_OR_RETURN(std::string text, k.runtime.fs->ReadFile(a.file));
    BULWARK_ASSIGN_OR_RETURN(
        auto dec, secfile::DecryptFile(text, format, *k.keyring, {.source_name = a.file}));
    BULWARK_RETURN_IF_ERROR(WriteResult(ctx, *k.runtime.fs, a, dec.text));
    if (a.in_place) IndexWrittenFile(ctx, k, a.file, format, /*encrypted=*/false);
    return OkStatus();
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

// ---- edit ------------------------------------------------------------------------------------

// A private directory (0700) with one private file (0600) for the plaintext, preferably on a
// memory file system. The destructor overwrites the file with zeros and removes both, on every
// path out of the command (errors included).
class PrivateTempFile {
 public:
  static Result<std::unique_ptr<PrivateTempFile>> Create(const std::string& extension) {
    std::string base;
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x != nullptr && fs::is_directory(x)) {
      base = x;
    } else if (fs::is_directory("/dev/shm")) {
      base = "/dev/shm";
    } else {
      base = fs::temp_directory_path().string();
    }
    std::string dir_template = base + "/bulwark-edit-XXXXXX";
    if (::mkdtemp(dir_template.data()) == nullptr) {
      return UnavailableError(fmt::format("create a private temporary directory in {}: {}", base,
                                          std::strerror(errno)));
    }
    auto t = std::unique_ptr<PrivateTempFile>(new PrivateTempFile());
    t->dir_ = dir_template;
    t->file_ = t->dir_ / ("plaintext" + extension);
    const int fd = ::open(t->file_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return UnavailableError("create the private temporary file");
    ::close(fd);
    return t;
  }
  ~PrivateTempFile() {
    std::error_code ec;
    const auto size = fs::file_size(file_, ec);
    if (!ec) {
      const int fd = ::open(file_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        std::vector<char> zeros(std::min<std::uintmax_t>(size, 1 << 20), '\0');
        std::uintmax_t left = size;
        while (left > 0) {
          const auto n = ::write(fd, zeros.data(), std::min<std::uintmax_t>(left, zeros.size()));
          if (n <= 0) break;
          left -= static_cast<std::uintmax_t>(n);
        }
        ::fsync(fd);
        ::close(fd);
      }
    }
    // Editors may leave backup or swap files beside it: remove the whole directory.
    fs::remove_all(dir_, ec);
  }
  const fs::path& path() const { return file_; }

 private:
  PrivateTempFile() = default;
  fs::path dir_;
  fs::path file_;
};

Status WritePrivate(const fs::path& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return UnavailableError("open the private temporary file");
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      return UnavailableError("write the private temporary file");
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

// Runs argv and returns its exit status (128 + signal when killed).
Result<int> RunChild(const std::vector<std::string>& argv, char** envp) {
  std::vector<char*> args;
  for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return UnavailableError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::execvpe(args[0], args.data(), envp);
    const std::string msg =
        fmt::format("bulwark: cannot run '{}': {}\n", argv[0], std::strerror(errno));
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return UnavailableError(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int RunEdit(CommandContext& ctx, const FileArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(secfile::FileFormat format, FormatOf(a));
    BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    BULWARK_ASSIGN_OR_RETURN(std::string text, k.runtime.fs->ReadFile(a.file));
    const bool encrypted = secfile::IsEncryptedFile(text, format);
    secfile::DecryptedFile plain;
    if (encrypted) {
      BULWARK_ASSIGN_OR_RETURN(
          plain, secfile::DecryptFile(text, format, *k.keyring, {.source_name = a.file}));
    } else {
      plain.text = text;
    }
    const char* editor = std::getenv("EDITOR");
    if (editor == nullptr || *editor == '\0') editor = std::getenv("VISUAL");
    if (editor == nullptr || *editor == '\0') {
      return InvalidArgumentError("set EDITOR (or VISUAL) to the editor to run");
    }
    std::string edited;
    {
      BULWARK_ASSIGN_OR_RETURN(auto temp,
                               PrivateTempFile::Create(fs::path(a.file).extension().string()));
      BULWARK_RETURN_IF_ERROR(WritePrivate(temp->path(), plain.text));
      BULWARK_ASSIGN_OR_RETURN(
          int status,
          RunChild({"/bin/sh", "-c", std::string(editor) + " \"$1\"", "sh", temp->path().string()},
                   environ));
      if (status != 0) {
        return FailedPreconditionError(
            fmt::format("the editor exited with status {}; {} was left unchanged", status, a.file));
      }
      BULWARK_ASSIGN_OR_RETURN(edited, k.runtime.fs->ReadFile(temp->path()));
    }  // the plaintext copy is wiped and removed here (and on every early return above)
    if (encrypted && edited == plain.text) {
      ctx.io.err << "bulwark: no changes\n";
      return {};
    }
    BULWARK_ASSIGN_OR_RETURN(auto schema, LoadSchema(*k.runtime.fs, a.schema));
    BULWARK_ASSIGN_OR_RETURN(auto classifier,
                             config::SensitivityClassifier::Create(schema.get(), a.paths));
    // Values encrypted before stay encrypted; new sensitive values are added.
    BULWARK_ASSIGN_OR_RETURN(std::vector<config::Path> paths,
                             secfile::SensitivePaths(edited, format, &classifier, a.file));
    for (const config::Path& p : plain.encrypted) {
      if (!config::IsUnder(p, paths)) paths.push_back(p);
    }
    secfile::EncryptOptions options;
    options.source_name = a.file;
    options.paths = std::move(paths);
    options.document_id = plain.metadata.id;
    BULWARK_ASSIGN_OR_RETURN(auto enc,
                             secfile::EncryptFile(edited, format, *k.keyring, k.runtime, options));
    BULWARK_RETURN_IF_ERROR(k.Save());
    BULWARK_RETURN_IF_ERROR(k.runtime.fs->WriteFileAtomic(a.file, enc.text, kPrivateFile));
    IndexWrittenFile(ctx, k, a.file, format, /*encrypted=*/true);
    ctx.io.err << fmt::format("bulwark: saved {} ({} encrypted value(s))\n", a.file,
                              enc.encrypted.size());
    return {};
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

// ---- exec ------------------------------------------------------------------------------------

struct ExecArgs {
  FileArgs file;  // file.file: a file path, or a namespace when no such file exists
  StoreArgs store;
  std::string env_prefix;
  std::vector<std::string> command;
};

std::string EnvName(std::string_view prefix, const config::Path& path) {
  std::string name(prefix);
  bool first = true;
  for (const config::PathSegment& s : path.segments()) {
    if (!first) name.append("__");
    first = false;
    if (s.is_index()) {
      name.append(std::to_string(s.index()));
      continue;
    }
    for (char c : s.key()) {
      const unsigned char u = static_cast<unsigned char>(c);
      name.push_back(std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_');
    }
  }
  return name;
}

// The configuration's values as NAME -> text (scalars; nulls skipped). An existing file is an
// encrypted (or plain) file; anything else is a stored namespace, read through the service.
Result<std::map<std::string, std::string>> ExecValues(CommandContext& ctx, const ExecArgs& a) {
  std::map<std::string, std::string> out;
  auto local = NewLocalFileSystem();
  BULWARK_ASSIGN_OR_RETURN(bool is_file, local->Exists(a.file.file));
  if (!is_file) {
    StoreArgs store = a.store;
    store.keys = a.file.keys;
    BULWARK_ASSIGN_OR_RETURN(config::Value doc,
                             ExportNamespace(ctx, store, a.file.file, /*reveal=*/true));
    config::WalkLeaves(doc, [&](const config::Path& p, const config::Value& v) {
      if (v.is_null() || v.is_container()) return;
      if (v.is_string()) {
        out[EnvName(a.env_prefix, p)] = v.AsString();
      } else if (auto text = config::EmitDocument(v, config::Format::kJson, {.indent = 0})) {
        out[EnvName(a.env_prefix, p)] = *text;
      }
    });
    return out;
  }
  BULWARK_ASSIGN_OR_RETURN(secfile::FileFormat format, FormatOf(a.file));
  BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.file.keys, KeyringAccess::kRead));
  BULWARK_ASSIGN_OR_RETURN(std::string text, k.runtime.fs->ReadFile(a.file.file));
  BULWARK_ASSIGN_OR_RETURN(
      auto dec, secfile::DecryptFile(text, format, *k.keyring, {.source_name = a.file.file}));
  BULWARK_ASSIGN_OR_RETURN(auto spans,
                           secfile::ScanValues(dec.text, format, {.source_name = a.file.file}));
  for (const secfile::ValueSpan& s : spans) {
    if (s.type == secfile::ScalarType::kNull) continue;
    out[EnvName(a.env_prefix, s.path)] = s.text;
  }
  return out;
}

int RunExec(CommandContext& ctx, const ExecArgs& a) {
  auto run = [&]() -> Result<int> {
    if (a.command.empty()) return InvalidArgumentError("no command given after --");
    BULWARK_ASSIGN_OR_RETURN(auto values, ExecValues(ctx, a));
    std::map<std::string, std::string> vars;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view kv(*e);
      const std::size_t eq = kv.find('=');
      if (eq != std::string_view::npos) vars[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
    }
    vars.erase("BULWARK_PASSPHRASE");
    for (auto& [name, value] : values) vars[name] = std::move(value);
    std::vector<std::string> storage;
    storage.reserve(vars.size());
    for (auto& [key, value] : vars) storage.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (std::string& s : storage) envp.push_back(s.data());
    envp.push_back(nullptr);
    ctx.io.out.flush();
    ctx.io.err.flush();
    auto status = RunChild(a.command, envp.data());
    for (std::string& s : storage) std::fill(s.begin(), s.end(), '\0');
    return status;
  };
  auto r = run();
  return r ? *r : ctx.Fail(r.error());
}

// ---- keys ------------------------------------------------------------------------------------

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

int RunKeysList(CommandContext& ctx, const KeysArgs& a) {
  auto k = OpenKeys(ctx, a.keys, KeyringAccess::kRead);
  if (!k) return ctx.Fail(k.error());
  ctx.io.out << fmt::format("{:<10} {:>7}  {:<18} {:<13} {:<28} {}\n", "KID", "VERSION",
                            "ALGORITHM", "STATE", "CREATED", "USAGE");
  for (const keys::KeyInfo& info : k->keyring->List()) {
    ctx.io.out << fmt::format("{:<10} {:>7}  {:<18} {:<13} {:<28} {}\n", keys::FormatKeyId(info.id),
                              info.version, crypto::AeadAlgorithmName(info.algorithm),
                              keys::KeyStateName(info.state), FormatRfc3339(info.created),
                              info.usage);
  }
  return exit_code::kOk;
}

int RunKeysRotate(CommandContext& ctx, const KeysArgs& a) {
  auto run = [&]() -> Status {
    std::optional<crypto::AeadAlgorithm> alg;
    if (!a.algorithm.empty()) {
      BULWARK_ASSIGN_OR_RETURN(alg, ParseAlgorithmFlag(a.algorithm));
    }
    BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    const keys::KeyId old = k.keyring->primary_id();
    BULWARK_ASSIGN_OR_RETURN(keys::KeyId id, k.keyring->Rotate(alg));
    BULWARK_RETURN_IF_ERROR(k.Save());
    ctx.io.out << fmt::format(
        "new primary key {}; {} is now decrypt-only (run 'bulwark keys reencrypt FILE...' to move "
        "files to the new key)\n",
        keys::FormatKeyId(id), keys::FormatKeyId(old));
    return {};
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

int RunKeysReencrypt(CommandContext& ctx, const KeysArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    for (const std::string& file : a.files) {
      BULWARK_ASSIGN_OR_RETURN(secfile::FileFormat format,
                               a.format.empty() ? secfile::FileFormatFromPath(file)
                                                : secfile::ParseFileFormatName(a.format));
      BULWARK_ASSIGN_OR_RETURN(std::string text, k.runtime.fs->ReadFile(file));
      BULWARK_ASSIGN_OR_RETURN(auto re,
                               secfile::ReencryptFile(text, format, *k.keyring, k.runtime, file));
      BULWARK_RETURN_IF_ERROR(k.runtime.fs->WriteFileAtomic(file, re.file.text, kPrivateFile));
      IndexWrittenFile(ctx, k, file, format, /*encrypted=*/true);
      std::string moved;
      for (const auto& [kid, n] : re.previous_keys) {
        moved += fmt::format(" {} value(s) from {}", n, keys::FormatKeyId(kid));
      }
      ctx.io.out << fmt::format("{}: re-encrypted under {}:{}\n", file,
                                keys::FormatKeyId(k.keyring->primary_id()),
                                moved.empty() ? " no values" : moved);
    }
    return k.Save();
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

int RunKeysRewrap(CommandContext& ctx, const KeysArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    BULWARK_RETURN_IF_ERROR(k.provider->RotateKek());
    BULWARK_RETURN_IF_ERROR(k.Save());
    ctx.io.out << fmt::format(
        "new key-encryption key in {}; every data key was re-wrapped (no file changes)\n",
        k.provider->Describe());
    return {};
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

int RunKeysDisable(CommandContext& ctx, const KeysArgs& a, bool enable) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(keys::KeyId id, keys::ParseKeyId(a.kid));
    BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    if (enable) {
      BULWARK_RETURN_IF_ERROR(k.keyring->Enable(id));
    } else {
      BULWARK_RETURN_IF_ERROR(k.keyring->Disable(id));
    }
    BULWARK_RETURN_IF_ERROR(k.Save());
    if (enable) {
      ctx.io.out << fmt::format("key {} enabled: it decrypts again (decrypt-only)\n", a.kid);
    } else {
      ctx.io.out << fmt::format(
          "key {} disabled: it no longer encrypts or decrypts ('bulwark keys enable {}' undoes "
          "this)\n",
          a.kid, a.kid);
    }
    return {};
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

// The home's store session for key management, or nothing when the home has no store yet (the
// default SQLite file does not exist and no other store is named): then no namespace can use a key.
Result<std::optional<Session>> OpenKeysSession(CommandContext& ctx, const KeysArgs& a,
                                               std::shared_ptr<Keys> keys) {
  StoreArgs store;
  store.keys = a.keys;
  store.store = a.store;
  BULWARK_ASSIGN_OR_RETURN(std::string url, StoreUrl(store));
  const std::string default_url = "sqlite:" + (keys->home / "store.db").string();
  if (url == default_url) {
    BULWARK_ASSIGN_OR_RETURN(bool exists, keys->runtime.fs->Exists(keys->home / "store.db"));
    if (!exists) return std::optional<Session>();
  }
  BULWARK_ASSIGN_OR_RETURN(Session s, OpenSessionWithKeys(ctx, store, std::move(keys)));
  return std::optional<Session>(std::move(s));
}

// Test hook for crash safety: BULWARK_TEST_CRASH_SHRED=after-rotate or after-keyring ends the
// process abruptly (as a kill would) after that step of the crypto-shredding.
std::optional<keys::ShredStep> ShredCrashPointFromEnv() {
  const char* spec = std::getenv("BULWARK_TEST_CRASH_SHRED");
  if (spec == nullptr) return std::nullopt;
  const std::string_view s(spec);
  if (s == "after-rotate") return keys::ShredStep::kKekRotated;
  if (s == "after-keyring") return keys::ShredStep::kKeyringWritten;
  return std::nullopt;
}

// Crypto-shreds after a key was destroyed in `k`'s keyring (in memory, not yet saved): rotates
// the KEK, writes the keyring re-wrapped under it (the commit point of the destroy), removes the
// old KEKs (keys/kek_shred.h, docs/formats-keys.md section 9). Prints the outcome; `committed`
// tells the caller whether the keyring was written.
Status ShredAfterDestroy(CommandContext& ctx, Keys& k, const std::string& kid, bool again,
                         bool& committed) {
  keys::ShredOptions options;
  const std::optional<keys::ShredStep> crash = ShredCrashPointFromEnv();
  options.hook = [&](keys::ShredStep step) -> Status {
    if (step == keys::ShredStep::kKeyringWritten) committed = true;
    if (crash == step) std::_Exit(86);
    return OkStatus();
  };
  auto report = keys::ShredKeks(*k.keyring, *k.provider, *k.runtime.fs, k.keyring_path, options);
  if (!report.has_value()) {
    if (!committed) {
      return std::unexpected(report.error().WithContext(
          fmt::format("key {} was not destroyed (the keyring is unchanged; a new key-encryption "
                      "key may be left unused until the next destroy removes it); run the "
                      "command again",
                      kid)));
    }
    ctx.io.out << fmt::format(
        "key {} destroyed: its material is wiped from the keyring and the key-encryption key was "
        "rotated ({})\n",
        kid, k.provider->Describe());
    return std::unexpected(report.error().WithContext(fmt::format(
        "key {} is destroyed, but the old key-encryption key(s) are still held, so keyring "
        "copies made before this command still contain it; run 'bulwark keys destroy {}' again "
        "to finish",
        kid, kid)));
  }
  ctx.io.out << fmt::format(
      "key {} {}: its material is wiped from the keyring; its id stays so that values under it "
      "report 'key {} was destroyed'\n"
      "key-encryption key rotated ({}); {} old key-encryption key(s) removed: keyring copies made "
      "before this command can no longer be unwrapped\n",
      kid, again ? "was already destroyed and is now shredded" : "destroyed", kid,
      k.provider->Describe(), report->retired_keks);
  return OkStatus();
}

// Refuses to destroy a key that still protects data (files from the key-usage index and --check,
// namespaces of the store) unless --force; then wipes its material and keeps its id, so tokens
// under it fail with "key X was destroyed", and crypto-shreds: the KEK that wrapped it in every
// earlier copy of the keyring is removed (ShredAfterDestroy). A key already destroyed is shredded
// again (completing an interrupted run, or a destroy by an older version that kept the KEK).
int RunKeysDestroy(CommandContext& ctx, const KeysArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(keys::KeyId id, keys::ParseKeyId(a.kid));
    BULWARK_ASSIGN_OR_RETURN(Keys opened, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    auto k = std::make_shared<Keys>(std::move(opened));
    BULWARK_ASSIGN_OR_RETURN(keys::KeyInfo info, k->keyring->Get(id));
    if (info.state == keys::KeyState::kDestroyed) {
      bool committed = false;
      return ShredAfterDestroy(ctx, *k, a.kid, /*again=*/true, committed);
    }
    if (info.state == keys::KeyState::kPrimary) {
      return FailedPreconditionError(fmt::format(
          "key {} is the primary key; rotate first ('bulwark keys rotate'), move its data "
          "('bulwark keys reencrypt FILE...'), then destroy it",
          a.kid));
    }
    // Held until the command ends: no other process updates the index meanwhile.
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageLock usage_lock, k->LockUsageIndex(ctx));
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageIndex index,
                             keyops::KeyUsageIndex::Load(*k->runtime.fs, k->usage_index_path()));
    BULWARK_ASSIGN_OR_RETURN(std::optional<Session> session, OpenKeysSession(ctx, a, k));
    keyops::UsageSources sources{&index, a.files, session ? session->service.get() : nullptr,
                                 session ? &session->request : nullptr, /*scan_history=*/true};
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsage usage,
                             keyops::FindKeyUsage(id, sources, *k->runtime.fs, *k->runtime.clock));
    BULWARK_RETURN_IF_ERROR(index.Save(*k->runtime.fs));
    if (!usage.unused() && !a.force) {
      return FailedPreconditionError(fmt::format(
          "refused: key {} still protects {} value(s); destroying it would make these "
          "unreadable:\n{}Move them to the primary key first ('bulwark keys reencrypt FILE...'; "
          "'bulwark keys compromised {}' moves every file and namespace), or pass --force",
          a.kid, usage.value_count(), usage.Describe(), a.kid));
    }
    if (!usage.problems.empty() && !a.force) {
      // Fail safe: a file that could not be read may well depend on the key.
      return FailedPreconditionError(fmt::format(
          "refused: some files could not be checked for key {}:\n{}Make them readable (or "
          "remove them), or pass --force",
          a.kid, usage.Describe()));
    }
    BULWARK_RETURN_IF_ERROR(k->keyring->Destroy(id));
    bool committed = false;
    Status shredded = ShredAfterDestroy(ctx, *k, a.kid, /*again=*/false, committed);
    if (!committed) return shredded;
    if (session) BULWARK_RETURN_IF_ERROR(session->Close());
    if (!usage.unused()) {
      ctx.io.err << fmt::format(
          "bulwark: warning: --force: these values can no longer be decrypted:\n{}",
          usage.Describe());
    } else if (!usage.history.empty() || !usage.problems.empty()) {
      ctx.io.err << "bulwark: warning:\n" << usage.Describe();
    }
    return shredded;
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

// Test hook for crash recovery: BULWARK_TEST_CRASH_COMPROMISE=after-write:N or after-commit:N
// ends the process abruptly (as a kill would) at that point of item N.
std::function<Status(keyops::StepPoint, std::size_t)> CrashHookFromEnv() {
  const char* spec = std::getenv("BULWARK_TEST_CRASH_COMPROMISE");
  if (spec == nullptr) return nullptr;
  const std::string_view s(spec);
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos) return nullptr;
  const std::string_view where = s.substr(0, colon);
  const std::size_t n = std::strtoul(std::string(s.substr(colon + 1)).c_str(), nullptr, 10);
  const keyops::StepPoint point =
      where == "after-write" ? keyops::StepPoint::kAfterWrite : keyops::StepPoint::kAfterCommit;
  return [point, n](keyops::StepPoint p, std::size_t i) -> Status {
    if (p == point && i == n) std::_Exit(86);
    return OkStatus();
  };
}

// Marks a key compromised (rotating first if it is the primary) and moves everything it protects
// to the primary key: the files of the key-usage index plus FILE..., and every namespace of the
// store. Resumable through a journal in the home (keyops/compromise.h).
int RunKeysCompromised(CommandContext& ctx, const KeysArgs& a) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(keys::KeyId id, keys::ParseKeyId(a.kid));
    BULWARK_ASSIGN_OR_RETURN(Keys opened, OpenKeys(ctx, a.keys, KeyringAccess::kUpdate));
    auto k = std::make_shared<Keys>(std::move(opened));
    const fs::path journal = keyops::CompromiseJournalPath(k->home, id);
    BULWARK_ASSIGN_OR_RETURN(bool pending, k->runtime.fs->Exists(journal));
    if (a.resume && !pending) {
      return NotFoundError(fmt::format("nothing to resume: no journal at {}", journal.string()));
    }
    BULWARK_ASSIGN_OR_RETURN(keys::KeyInfo info, k->keyring->Get(id));
    if (info.state != keys::KeyState::kCompromised) {
      BULWARK_RETURN_IF_ERROR(k->keyring->MarkCompromised(id));
      BULWARK_RETURN_IF_ERROR(k->Save());
    }
    ctx.io.out << fmt::format("key {} is marked compromised; primary is {}\n", a.kid,
                              keys::FormatKeyId(k->keyring->primary_id()));
    if (pending) ctx.io.err << "bulwark: resuming from " << journal.string() << "\n";
    // Held until the command ends: no other process updates the index meanwhile.
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageLock usage_lock, k->LockUsageIndex(ctx));
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageIndex index,
                             keyops::KeyUsageIndex::Load(*k->runtime.fs, k->usage_index_path()));
    BULWARK_ASSIGN_OR_RETURN(std::optional<Session> session, OpenKeysSession(ctx, a, k));
    keyops::CompromiseOptions options;
    options.journal = journal;
    options.files = a.files;
    options.index = &index;
    if (session) {
      options.service = session->service.get();
      options.context = &session->request;
    }
    options.progress = [&](std::size_t i, std::size_t n, const std::string& target,
                           std::size_t values) {
      ctx.io.err << fmt::format("[{}/{}] {}: {} value(s)\n", i, n, target, values) << std::flush;
    };
    options.hook = CrashHookFromEnv();
    auto report = keyops::RecoverCompromisedKey(id, k->keyring, k->runtime, options);
    // Usage counters of the new key, whatever happened.
    Status saved = k->Save();
    if (session) {
      if (auto c = session->Close(); saved && !c) saved = c;
    }
    if (!report) {
      return std::unexpected(report.error().WithContext(fmt::format(
          "keys compromised {} stopped (progress is kept in {}; run the command again to resume)",
          a.kid, journal.string())));
    }
    BULWARK_RETURN_IF_ERROR(saved);
    std::set<std::string> targets;
    for (const keyops::MovedValue& m : report->moved) {
      targets.insert(m.target);
      ctx.io.out << fmt::format("  {} {}: {}  {} -> {}\n", m.is_namespace ? "namespace" : "file",
                                m.target, m.path.ToString(), keys::FormatKeyId(m.from),
                                keys::FormatKeyId(m.to));
    }
    for (const std::string& s : report->skipped) ctx.io.out << "  skipped " << s << "\n";
    ctx.io.out << fmt::format(
        "{} value(s) moved off {} in {} file(s)/namespace(s){}{}\n", report->moved.size(), a.kid,
        targets.size(), report->resumed ? " (resumed)" : "",
        report->report_file.empty() ? "" : "; report kept in " + report->report_file.string());
    return {};
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

}  // namespace

void RegisterSecfileCommands(CLI::App& app, CommandContext& ctx) {
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
  init->callback(
      [&ctx, init_args] { ctx.action = [&ctx, init_args] { return RunInit(ctx, *init_args); }; });

  auto enc_args = std::make_shared<FileArgs>();
  CLI::App* enc = app.add_subcommand(
      "encrypt", "Encrypt the sensitive values of a file in place of their text (ENC[...] tokens)");
  AddFileOptions(enc, *enc_args, true);
  enc->add_option("--schema", enc_args->schema, "JSON Schema whose x-sensitive marks values");
  enc->add_option("--paths", enc_args->paths,
                  "Also encrypt values whose dotted path matches this RE2 (repeatable)");
  enc->callback(
      [&ctx, enc_args] { ctx.action = [&ctx, enc_args] { return RunEncrypt(ctx, *enc_args); }; });

  auto dec_args = std::make_shared<FileArgs>();
  CLI::App* dec = app.add_subcommand("decrypt", "Verify and decrypt a file to its original bytes");
  AddFileOptions(dec, *dec_args, true);
  dec->callback(
      [&ctx, dec_args] { ctx.action = [&ctx, dec_args] { return RunDecrypt(ctx, *dec_args); }; });

  auto edit_args = std::make_shared<FileArgs>();
  CLI::App* edit = app.add_subcommand(
      "edit", "Edit the decrypted file in $EDITOR (private temporary copy) and re-encrypt it");
  AddFileOptions(edit, *edit_args, false);
  edit->add_option("--schema", edit_args->schema, "JSON Schema whose x-sensitive marks values");
  edit->add_option("--paths", edit_args->paths, "Also encrypt values matching this RE2");
  edit->callback(
      [&ctx, edit_args] { ctx.action = [&ctx, edit_args] { return RunEdit(ctx, *edit_args); }; });

  auto exec_args = std::make_shared<ExecArgs>();
  CLI::App* exec = app.add_subcommand(
      "exec", "Run a command with the decrypted configuration in its environment");
  AddFileOptions(exec, exec_args->file, false);
  exec->add_option("--env-prefix", exec_args->env_prefix,
                   "Prefix of every variable (APP_ gives APP_DATABASE__PASSWORD)");
  exec->add_option("--store", exec_args->store.store,
                   "For a namespace: the store URL (default: $BULWARK_STORE, else the home's)");
  exec->add_option("command", exec_args->command, "-- CMD ARGS...")->required();
  exec->callback(
      [&ctx, exec_args] { ctx.action = [&ctx, exec_args] { return RunExec(ctx, *exec_args); }; });

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
  re->callback([&ctx, re_args] {
    ctx.action = [&ctx, re_args] { return RunKeysReencrypt(ctx, *re_args); };
  });
}

}  // namespace bulwark::cli
