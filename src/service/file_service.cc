#include "bulwark/service/file_service.h"

#include <fmt/format.h>

#include "bulwark/config/loader.h"
#include "bulwark/config/sensitivity.h"
#include "bulwark/keyops/key_usage.h"
#include "bulwark/keyops/key_usage_index.h"
#include "bulwark/keyops/key_usage_lock.h"
#include "bulwark/secfile/encfile.h"
#include "service/audited_operation.h"
#include "service/usage_index_lock.h"

namespace bulwark::service {
namespace fs = std::filesystem;
using internal::AuditedOperation;
using internal::PathStrings;
using request::Action;
using request::ResourceKind;

namespace {

constexpr auto kPrivateFile = fs::perms::owner_read | fs::perms::owner_write;

Result<secfile::FileFormat> FormatOf(const fs::path& file,
                                     const std::optional<secfile::FileFormat>& format) {
  if (format) return *format;
  return secfile::FileFormatFromPath(file.string());
}

// The classifier of an encryption: the schema's x-sensitive marks, the patterns, and the
// key-name heuristic (config/sensitivity.h).
struct Classification {
  std::unique_ptr<config::Schema> schema;
  std::optional<config::SensitivityClassifier> classifier;
};

Result<Classification> Classify(FileSystem& files, const std::optional<fs::path>& schema,
                                const std::vector<std::string>& patterns) {
  Classification c;
  if (schema) {
    BULWARK_ASSIGN_OR_RETURN(c.schema, config::LoadSchemaFile(files, *schema));
  }
  BULWARK_ASSIGN_OR_RETURN(auto classifier,
                           config::SensitivityClassifier::Create(c.schema.get(), patterns));
  c.classifier.emplace(std::move(classifier));
  return c;
}

// A file as an operation reads it before authorization: its format, its bytes, and (when it is
// encrypted) the paths of its tokens, found without decrypting anything.
struct LoadedFile {
  secfile::FileFormat format = secfile::FileFormat::kYaml;
  std::string text;
  bool encrypted = false;
  std::vector<std::string> token_paths;
};

// `must_be_encrypted`: a plaintext file fails with secfile::ListTokens's error (it names why).
Result<LoadedFile> LoadFile(FileSystem& files, const fs::path& file,
                            const std::optional<secfile::FileFormat>& format,
                            bool must_be_encrypted) {
  LoadedFile f;
  BULWARK_ASSIGN_OR_RETURN(f.format, FormatOf(file, format));
  BULWARK_ASSIGN_OR_RETURN(f.text, files.ReadFile(file));
  f.encrypted = secfile::IsEncryptedFile(f.text, f.format);
  if (f.encrypted || must_be_encrypted) {
    BULWARK_ASSIGN_OR_RETURN(secfile::FileTokens tokens,
                             secfile::ListTokens(f.text, f.format, file.string()));
    for (const secfile::TokenRef& t : tokens.values) f.token_paths.push_back(t.path.ToString());
  }
  return f;
}

}  // namespace

std::string FileResourceName(const fs::path& file) { return keyops::KeyUsageIndex::Key(file); }

Result<std::unique_ptr<FileService>> FileService::Create(FileServiceDeps deps) {
  if (!deps.keys || !deps.authorizer || !deps.audit) {
    return InvalidArgumentError("file service: keys, authorizer and audit sink are required");
  }
  return std::unique_ptr<FileService>(new FileService(std::move(deps)));
}

void FileService::IndexFile(const fs::path& file, secfile::FileFormat format, bool encrypted) {
  auto update = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageLock lock,
                             internal::LockUsageIndex(deps_.usage_index, deps_.notice));
    FileSystem& files = *deps_.runtime.fs;
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageIndex index,
                             keyops::KeyUsageIndex::Load(files, deps_.usage_index));
    if (encrypted) {
      BULWARK_ASSIGN_OR_RETURN(keyops::IndexedFile entry,
                               keyops::InspectFile(files, file, format, *deps_.runtime.clock));
      index.Record(file, std::move(entry));
    } else {
      index.Forget(file);
    }
    return index.Save(files);
  };
  if (auto s = update(); !s && deps_.notice) {
    deps_.notice(fmt::format("warning: key-usage index not updated for {}: {}", file.string(),
                             s.error().message()));
  }
}

Status FileService::RecordIntent(const fs::path& file, secfile::FileFormat format,
                                 std::string_view text) {
  BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageLock lock,
                           internal::LockUsageIndex(deps_.usage_index, deps_.notice));
  FileSystem& files = *deps_.runtime.fs;
  BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageIndex index,
                           keyops::KeyUsageIndex::Load(files, deps_.usage_index));
  BULWARK_ASSIGN_OR_RETURN(keyops::IndexedFile entry,
                           keyops::InspectText(text, file, format, *deps_.runtime.clock));
  // Until the write is confirmed the file may still hold what it held: keep the keys of both.
  if (auto old = index.files().find(keyops::KeyUsageIndex::Key(file)); old != index.files().end()) {
    for (const auto& [key, n] : old->second.values_per_key) entry.values_per_key[key] += n;
  }
  index.Record(file, std::move(entry));
  return index.Save(files);
}

Status FileService::WriteEncrypted(const fs::path& file, secfile::FileFormat format,
                                   std::string_view text) {
  // Index first, then the file, then confirm: whatever step a crash interrupts, the index already
  // names the file with every key it may hold, so `keys destroy` re-reads it before taking a key
  // it needs.
  BULWARK_RETURN_IF_ERROR(RecordIntent(file, format, text));
  if (deps_.crash_point) deps_.crash_point("encrypt.after-intent");
  BULWARK_RETURN_IF_ERROR(deps_.runtime.fs->WriteFileAtomic(file, text, kPrivateFile));
  if (deps_.crash_point) deps_.crash_point("encrypt.after-write");
  IndexFile(file, format, /*encrypted=*/true);
  return OkStatus();
}

Result<EncryptFileResult> FileService::Encrypt(const request::RequestContext& ctx,
                                               const EncryptFileRequest& req) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "file.encrypt",
                      Action::kWrite, ResourceKind::kFile, FileResourceName(req.file));
  FileSystem& files = *deps_.runtime.fs;
  auto prepared = LoadFile(files, req.file, req.format, false);
  if (!prepared) return op.Fail(prepared.error());
  const secfile::FileFormat format = prepared->format;
  const std::string& text = prepared->text;
  auto classification = Classify(files, req.schema, req.path_patterns);
  if (!classification) return op.Fail(classification.error());
  const config::SensitivityClassifier* classifier = &*classification->classifier;
  auto paths = req.paths ? Result<std::vector<config::Path>>(*req.paths)
                         : secfile::SensitivePaths(text, format, classifier, req.file.string());
  if (!paths) return op.Fail(paths.error());
  BULWARK_RETURN_IF_ERROR(op.Begin(PathStrings(*paths), true));
  auto run = [&]() -> Result<EncryptFileResult> {
    BULWARK_ASSIGN_OR_RETURN(auto keys, deps_.keys(keys::KeyringAccess::kUpdate));
    secfile::EncryptOptions options;
    options.source_name = req.file.string();
    options.classifier = classifier;
    options.paths = req.paths;
    BULWARK_ASSIGN_OR_RETURN(
        auto enc, secfile::EncryptFile(text, format, *keys->keyring, deps_.runtime, options));
    BULWARK_RETURN_IF_ERROR(keys->Save());  // usage counts
    EncryptFileResult out;
    out.encrypted = std::move(enc.encrypted);
    if (req.output) {
      BULWARK_RETURN_IF_ERROR(WriteEncrypted(*req.output, format, enc.text));
    } else {
      out.text = std::move(enc.text);
    }
    return out;
  };
  auto r = run();
  if (r) {
    op.record().paths = PathStrings(r->encrypted);
    op.record().sensitive_paths = op.record().paths;
  }
  return op.Finish(std::move(r));
}

Result<DecryptFileResult> FileService::Decrypt(const request::RequestContext& ctx,
                                               const DecryptFileRequest& req) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx,
                      req.purpose == DecryptPurpose::kExec ? "file.exec" : "file.decrypt",
                      Action::kReveal, ResourceKind::kFile, FileResourceName(req.file));
  FileSystem& files = *deps_.runtime.fs;
  auto prepared = LoadFile(files, req.file, req.format, true);
  if (!prepared) return op.Fail(prepared.error());
  const secfile::FileFormat format = prepared->format;
  const std::string& text = prepared->text;
  const std::vector<std::string>& paths = prepared->token_paths;
  BULWARK_RETURN_IF_ERROR(op.Begin(paths, true));
  op.record().paths = paths;
  op.record().sensitive_paths = paths;
  auto run = [&]() -> Result<DecryptFileResult> {
    BULWARK_ASSIGN_OR_RETURN(auto keys, deps_.keys(keys::KeyringAccess::kRead));
    BULWARK_ASSIGN_OR_RETURN(auto dec, secfile::DecryptFile(text, format, *keys->keyring,
                                                            {.source_name = req.file.string()}));
    DecryptFileResult out;
    out.format = format;
    out.revealed = std::move(dec.encrypted);
    if (req.output) {
      BULWARK_RETURN_IF_ERROR(files.WriteFileAtomic(*req.output, dec.text, kPrivateFile));
      if (FileResourceName(*req.output) == FileResourceName(req.file)) {
        IndexFile(req.file, format, /*encrypted=*/false);
      }
    } else {
      out.text = std::move(dec.text);
    }
    return out;
  };
  auto r = run();
  if (r) op.record().revealed = !r->revealed.empty();
  return op.Finish(std::move(r));
}

Result<EditFileResult> FileService::Edit(const request::RequestContext& ctx,
                                         const EditFileRequest& req) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "file.edit",
                      Action::kWrite, ResourceKind::kFile, FileResourceName(req.file));
  FileSystem& files = *deps_.runtime.fs;
  if (!req.editor) return op.Fail(Error(ErrorCode::kInvalidArgument, "no editor"));
  auto prepared = LoadFile(files, req.file, req.format, false);
  if (!prepared) return op.Fail(prepared.error());
  const secfile::FileFormat format = prepared->format;
  const std::string& text = prepared->text;
  const std::vector<std::string>& before = prepared->token_paths;
  BULWARK_RETURN_IF_ERROR(op.Begin(before, true));
  auto run = [&]() -> Result<EditFileResult> {
    BULWARK_ASSIGN_OR_RETURN(auto keys, deps_.keys(keys::KeyringAccess::kUpdate));
    const bool encrypted = prepared->encrypted;
    secfile::DecryptedFile plain;
    if (encrypted) {
      BULWARK_ASSIGN_OR_RETURN(plain, secfile::DecryptFile(text, format, *keys->keyring,
                                                           {.source_name = req.file.string()}));
      op.record().revealed = !plain.encrypted.empty();
    } else {
      plain.text = text;
    }
    BULWARK_ASSIGN_OR_RETURN(std::string edited, req.editor(plain.text));
    EditFileResult out;
    if (encrypted && edited == plain.text) return out;
    BULWARK_ASSIGN_OR_RETURN(Classification c, Classify(files, req.schema, req.path_patterns));
    // Values encrypted before stay encrypted; new sensitive values are added.
    BULWARK_ASSIGN_OR_RETURN(
        std::vector<config::Path> paths,
        secfile::SensitivePaths(edited, format, &*c.classifier, req.file.string()));
    for (const config::Path& p : plain.encrypted) {
      if (!config::IsUnder(p, paths)) paths.push_back(p);
    }
    secfile::EncryptOptions options;
    options.source_name = req.file.string();
    options.paths = std::move(paths);
    options.document_id = plain.metadata.id;
    BULWARK_ASSIGN_OR_RETURN(
        auto enc, secfile::EncryptFile(edited, format, *keys->keyring, deps_.runtime, options));
    BULWARK_RETURN_IF_ERROR(keys->Save());
    BULWARK_RETURN_IF_ERROR(WriteEncrypted(req.file, format, enc.text));
    out.changed = true;
    out.encrypted = std::move(enc.encrypted);
    return out;
  };
  auto r = run();
  if (r) {
    op.record().paths = r->changed ? PathStrings(r->encrypted) : before;
    op.record().sensitive_paths = op.record().paths;
  }
  return op.Finish(std::move(r));
}

Result<ReencryptFileResult> FileService::Reencrypt(const request::RequestContext& ctx,
                                                   const fs::path& file,
                                                   std::optional<secfile::FileFormat> format_opt) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "file.reencrypt",
                      Action::kRotate, ResourceKind::kFile, FileResourceName(file));
  FileSystem& files = *deps_.runtime.fs;
  auto prepared = LoadFile(files, file, format_opt, true);
  if (!prepared) return op.Fail(prepared.error());
  const secfile::FileFormat format = prepared->format;
  const std::string& text = prepared->text;
  const std::vector<std::string>& paths = prepared->token_paths;
  BULWARK_RETURN_IF_ERROR(op.Begin(paths, true));
  op.record().paths = paths;
  op.record().sensitive_paths = paths;
  auto run = [&]() -> Result<ReencryptFileResult> {
    BULWARK_ASSIGN_OR_RETURN(auto keys, deps_.keys(keys::KeyringAccess::kUpdate));
    BULWARK_ASSIGN_OR_RETURN(auto re, secfile::ReencryptFile(text, format, *keys->keyring,
                                                             deps_.runtime, file.string()));
    BULWARK_RETURN_IF_ERROR(WriteEncrypted(file, format, re.file.text));
    BULWARK_RETURN_IF_ERROR(keys->Save());
    ReencryptFileResult out;
    out.primary = keys->keyring->primary_id();
    out.previous_keys = std::move(re.previous_keys);
    out.paths = std::move(re.file.encrypted);
    return out;
  };
  return op.Finish(run());
}

Result<FixResult> FileService::Fix(const request::RequestContext& ctx, const FixFileRequest& req) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "file.fix",
                      Action::kWrite, ResourceKind::kFile, FileResourceName(req.file));
  FileSystem& files = *deps_.runtime.fs;
  if (req.report == nullptr) {
    return op.Fail(Error(ErrorCode::kInvalidArgument, "no compliance report to fix from"));
  }
  auto prepared = LoadFile(files, req.file, req.format, false);
  if (!prepared) return op.Fail(prepared.error());
  const secfile::FileFormat format = prepared->format;
  const std::string& text = prepared->text;
  auto fixed = ApplyFixes(text, format, *req.report, req.file.string());
  if (!fixed) return op.Fail(fixed.error());
  std::vector<std::string> paths;
  for (const AppliedFix& a : fixed->applied) paths.push_back(a.path);
  BULWARK_RETURN_IF_ERROR(op.Begin(paths, false));
  op.record().paths = paths;
  auto run = [&]() -> Status {
    if (fixed->applied.empty()) return OkStatus();
    std::error_code ec;
    auto perms = fs::status(req.file, ec).permissions();
    if (ec) perms = kPrivateFile;
    return files.WriteFileAtomic(req.file, fixed->text, perms);
  };
  BULWARK_RETURN_IF_ERROR(op.Finish(run()));
  return std::move(*fixed);
}

}  // namespace bulwark::service
