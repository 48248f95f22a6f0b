// bulwark encrypt | decrypt | edit | exec: encrypted configuration files through the node's
// FileService (authorized and audited; service/file_service.h). These commands parse arguments,
// run the editor or the child process, and print.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <ostream>

#include "bulwark/config/format.h"
#include "bulwark/secfile/spans.h"
#include "bulwark/service/file_service.h"
#include "cli/cli_node.h"
#include "cli/command.h"
#include "cli/process.h"
#include "cli/store_commands.h"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;

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

Result<std::optional<secfile::FileFormat>> FormatFlag(const std::string& format) {
  if (format.empty()) return std::optional<secfile::FileFormat>();
  BULWARK_ASSIGN_OR_RETURN(secfile::FileFormat f, secfile::ParseFileFormatName(format));
  return std::optional<secfile::FileFormat>(f);
}

// Fills the file, format and output of a request from the arguments.
Status FillRequest(const FileArgs& a, service::FileRequest& r) {
  r.file = a.file;
  BULWARK_ASSIGN_OR_RETURN(r.format, FormatFlag(a.format));
  if (a.in_place) r.output = a.file;
  if (!a.output.empty()) r.output = a.output;
  return OkStatus();
}

// Runs `body` with the command's node and file service, and closes the node.
int WithFiles(CommandContext& ctx, const KeyArgs& keys,
              const std::function<Status(node::Node&, service::FileService&)>& body) {
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto n, OpenNode(ctx, keys));
    BULWARK_ASSIGN_OR_RETURN(service::FileService * files, n->Files());
    Status s = body(*n, *files);
    if (auto c = n->Close(); s && !c) s = c;
    return s;
  };
  auto r = run();
  return r ? exit_code::kOk : ctx.Fail(r.error());
}

int RunEncrypt(CommandContext& ctx, const FileArgs& a) {
  return WithFiles(ctx, a.keys, [&](node::Node& n, service::FileService& files) -> Status {
    service::EncryptFileRequest req;
    BULWARK_RETURN_IF_ERROR(FillRequest(a, req));
    if (!a.schema.empty()) req.schema = a.schema;
    req.path_patterns = a.paths;
    BULWARK_ASSIGN_OR_RETURN(auto enc, files.Encrypt(n.LocalContext(), req));
    if (!req.output) ctx.io.out << enc.text;
    ctx.io.err << fmt::format("bulwark: encrypted {} value(s) of {}\n", enc.encrypted.size(),
                              a.file);
    return OkStatus();
  });
}

int RunDecrypt(CommandContext& ctx, const FileArgs& a) {
  return WithFiles(ctx, a.keys, [&](node::Node& n, service::FileService& files) -> Status {
    service::DecryptFileRequest req;
    BULWARK_RETURN_IF_ERROR(FillRequest(a, req));
    BULWARK_ASSIGN_OR_RETURN(auto dec, files.Decrypt(n.LocalContext(), req));
    if (!req.output) ctx.io.out << dec.text;
    SecureZero(dec.text);
    return OkStatus();
  });
}

// Runs $EDITOR (else $VISUAL) on a private temporary copy of `plaintext` and returns the edited
// text; the copy is wiped and removed on every path out.
Result<std::string> RunEditor(const std::string& file, std::string_view plaintext) {
  const char* editor = std::getenv("EDITOR");
  if (editor == nullptr || *editor == '\0') editor = std::getenv("VISUAL");
  if (editor == nullptr || *editor == '\0') {
    return InvalidArgumentError("set EDITOR (or VISUAL) to the editor to run");
  }
  BULWARK_ASSIGN_OR_RETURN(auto temp, PrivateTempFile::Create(fs::path(file).extension().string()));
  BULWARK_RETURN_IF_ERROR(temp->Write(plaintext));
  BULWARK_ASSIGN_OR_RETURN(
      int status, RunChild({"/bin/sh", "-c", std::string(editor) + " \"$1\"", "sh",
                            temp->path().string()},
                           ProcessEnvironmentBlock()));
  if (status != 0) {
    return FailedPreconditionError(
        fmt::format("the editor exited with status {}; {} was left unchanged", status, file));
  }
  return NewLocalFileSystem()->ReadFile(temp->path());
}

int RunEdit(CommandContext& ctx, const FileArgs& a) {
  return WithFiles(ctx, a.keys, [&](node::Node& n, service::FileService& files) -> Status {
    service::EditFileRequest req;
    req.file = a.file;
    BULWARK_ASSIGN_OR_RETURN(req.format, FormatFlag(a.format));
    if (!a.schema.empty()) req.schema = a.schema;
    req.path_patterns = a.paths;
    req.editor = [&](std::string_view plaintext) { return RunEditor(a.file, plaintext); };
    BULWARK_ASSIGN_OR_RETURN(auto r, files.Edit(n.LocalContext(), req));
    if (!r.changed) {
      ctx.io.err << "bulwark: no changes\n";
    } else {
      ctx.io.err << fmt::format("bulwark: saved {} ({} encrypted value(s))\n", a.file,
                                r.encrypted.size());
    }
    return OkStatus();
  });
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
// encrypted (or plain) file, decrypted through the file service (file.exec); anything else is a
// stored namespace, read through the configuration service (config.get, revealed).
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
  BULWARK_ASSIGN_OR_RETURN(auto n, OpenNode(ctx, a.file.keys));
  BULWARK_ASSIGN_OR_RETURN(service::FileService * files, n->Files());
  service::DecryptFileRequest req;
  req.file = a.file.file;
  BULWARK_ASSIGN_OR_RETURN(req.format, FormatFlag(a.file.format));
  req.purpose = service::DecryptPurpose::kExec;
  BULWARK_ASSIGN_OR_RETURN(auto dec, files->Decrypt(n->LocalContext(), req));
  auto spans = secfile::ScanValues(dec.text, dec.format, {.source_name = a.file.file});
  SecureZero(dec.text);
  if (!spans) return std::unexpected(spans.error());
  for (const secfile::ValueSpan& s : *spans) {
    if (s.type == secfile::ScalarType::kNull) continue;
    out[EnvName(a.env_prefix, s.path)] = s.text;
  }
  BULWARK_RETURN_IF_ERROR(n->Close());
  return out;
}

int RunExec(CommandContext& ctx, const ExecArgs& a) {
  auto run = [&]() -> Result<int> {
    if (a.command.empty()) return InvalidArgumentError("no command given after --");
    BULWARK_ASSIGN_OR_RETURN(auto values, ExecValues(ctx, a));
    std::map<std::string, std::string> vars;
    for (char** e = ProcessEnvironmentBlock(); e != nullptr && *e != nullptr; ++e) {
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

}  // namespace

void RegisterFileCommands(CLI::App& app, CommandContext& ctx) {
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
  CLI::App* dec = app.add_subcommand("decrypt", "Verify and decrypt a file to its original bytes (audited)");
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
}

}  // namespace bulwark::cli
