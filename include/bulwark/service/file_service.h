// FileService: encrypted configuration files (bulwark/secfile/encfile.h) through the same pipeline
// as the store: authorize -> (fail closed if the audit sink cannot record) -> act -> exactly one
// audit record per operation, also when it is denied or fails (docs/node.md section 4).
//
//   operation       action   what the record names
//   file.encrypt    write    the file; paths = the values encrypted (all sensitive)
//   file.decrypt    reveal   the file; paths = the values revealed; revealed = true
//   file.exec       reveal   as file.decrypt (the values go into a child's environment)
//   file.edit       write    the file; paths = the values encrypted after the edit; revealed
//   file.reencrypt  rotate   the file; paths = the values moved to the primary key
//   file.fix        write    a plaintext file; paths = the values a compliance fix replaced
// Records name files by absolute path (the resource kind `file`); never a value.
//
// Authorization comes before any key is opened: the paths are known without decrypting
// (secfile::SensitivePaths for plaintext, secfile::ListTokens for encrypted files), so a denied
// caller never causes a passphrase prompt. Keys are opened through `keys` (the node): read-only for
// decrypt/exec, for update (the keyring lock, usage counts saved) for the others.
//
// Every file an operation writes encrypted is recorded in the home's key-usage index
// (keyops/key_usage_index.h), and a file decrypted in place is forgotten, so that key destruction
// and compromise recovery find it; the file is already written when the index is updated, so an
// index failure is a warning (notice), not an error.
//
// Errors: those of secfile (kInvalidArgument: not parseable or already encrypted; kDataLoss:
// tampered; kNotFound / kFailedPrecondition: a key missing or unusable), of the file system
// (kNotFound: no such file), of the keys (kUnauthenticated: wrong passphrase), kPermissionDenied
// from the authorizer, kUnavailable when the audit sink cannot record. Every error names the
// operation and the file.
//
// Thread safety: the methods may be called concurrently (the keys are shared; file writes are
// atomic replacements).
#ifndef BULWARK_SERVICE_FILE_SERVICE_H_
#define BULWARK_SERVICE_FILE_SERVICE_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/compliance/report.h"
#include "bulwark/config/path.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/keys/unlocked_keys.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"
#include "bulwark/secfile/spans.h"
#include "bulwark/service/compliance_fix.h"

namespace bulwark::service {

// The home's keys, opened on demand by the node (passphrase prompt, keyring lock).
using KeysSource =
    std::function<Result<std::shared_ptr<keys::UnlockedKeys>>(keys::KeyringAccess access)>;

struct FileServiceDeps {
  Runtime runtime;
  KeysSource keys;
  std::shared_ptr<const request::Authorizer> authorizer;
  std::shared_ptr<request::AuditSink> audit;
  std::filesystem::path usage_index;  // <home>/key-usage.json
  // One line for a human (waiting for the index lock, an index that could not be updated).
  std::function<void(std::string_view)> notice;
  // Test builds only: called at each step of writing an encrypted file ("encrypt.after-intent",
  // "encrypt.after-write"), where the crash-recovery tests end the process.
  std::function<void(std::string_view point)> crash_point;
};

struct FileRequest {
  std::filesystem::path file;
  std::optional<secfile::FileFormat> format;  // unset: from the file's extension
  // Where to write the result (atomically, 0600; `file` itself for in place). Unset: returned.
  std::optional<std::filesystem::path> output;
};

struct EncryptFileRequest : FileRequest {
  std::optional<std::filesystem::path> schema;  // a JSON Schema whose x-sensitive marks values
  std::vector<std::string> path_patterns;       // RE2 over dotted paths: also encrypted
  // Exactly these values (and everything under them), instead of the schema, the patterns and
  // the key-name heuristic (scan --fix: the values that hold a found secret).
  std::optional<std::vector<config::Path>> paths;
};

struct EncryptFileResult {
  std::string text;  // the encrypted file, when not written
  std::vector<config::Path> encrypted;
};

enum class DecryptPurpose { kDecrypt, kExec };

struct DecryptFileRequest : FileRequest {
  DecryptPurpose purpose = DecryptPurpose::kDecrypt;  // file.decrypt or file.exec
};

struct DecryptFileResult {
  std::string text;  // the original bytes, when not written (plaintext: handle with care)
  secfile::FileFormat format = secfile::FileFormat::kYaml;
  std::vector<config::Path> revealed;
};

struct EditFileRequest {
  std::filesystem::path file;  // rewritten in place
  std::optional<secfile::FileFormat> format;
  std::optional<std::filesystem::path> schema;
  std::vector<std::string> path_patterns;
  // Shown the plaintext, returns the edited text (the CLI runs $EDITOR on a private temporary
  // copy here). An error abandons the edit: nothing is written.
  std::function<Result<std::string>(std::string_view plaintext)> editor;
};

struct EditFileResult {
  bool changed = false;  // false: the edited text equals the decrypted one, nothing written
  std::vector<config::Path> encrypted;
};

struct ReencryptFileResult {
  keys::KeyId primary = 0;                           // the key everything is under now
  std::map<keys::KeyId, std::size_t> previous_keys;  // values per key they were under
  std::vector<config::Path> paths;                   // every value re-encrypted
};

struct FixFileRequest {
  std::filesystem::path file;
  std::optional<secfile::FileFormat> format;
  const compliance::Report* report = nullptr;  // evaluated from this file's current content
};

class FileService {
 public:
  static Result<std::unique_ptr<FileService>> Create(FileServiceDeps deps);

  Result<EncryptFileResult> Encrypt(const request::RequestContext& ctx,
                                    const EncryptFileRequest& request);
  Result<DecryptFileResult> Decrypt(const request::RequestContext& ctx,
                                    const DecryptFileRequest& request);
  Result<EditFileResult> Edit(const request::RequestContext& ctx, const EditFileRequest& request);
  // Decrypts every value and encrypts it again under the primary key, in place.
  Result<ReencryptFileResult> Reencrypt(const request::RequestContext& ctx,
                                        const std::filesystem::path& file,
                                        std::optional<secfile::FileFormat> format = std::nullopt);

  // Applies the replace fixes of `report` (service/compliance_fix.h) to a configuration file in
  // place, atomically, keeping its permissions; nothing is written when no fix applies. Needs no
  // key (the file is plaintext).
  Result<FixResult> Fix(const request::RequestContext& ctx, const FixFileRequest& request);

  // Records what `file` holds now in the key-usage index (`encrypted` false forgets it); a
  // failure goes to notice. Used by the key service after it rewrote files.
  void IndexFile(const std::filesystem::path& file, secfile::FileFormat format, bool encrypted);

 private:
  explicit FileService(FileServiceDeps deps) : deps_(std::move(deps)) {}
  // Before `file` is replaced by `text`: records in the index the keys of `text` together with
  // those the index already has for `file` (under the index lock). A failure stops the write.
  Status RecordIntent(const std::filesystem::path& file, secfile::FileFormat format,
                      std::string_view text);
  // Replaces `file` by the encrypted `text` (0600): RecordIntent, the write, then IndexFile.
  Status WriteEncrypted(const std::filesystem::path& file, secfile::FileFormat format,
                        std::string_view text);
  FileServiceDeps deps_;
};

// The absolute, lexically normal form by which records and the index name a file.
std::string FileResourceName(const std::filesystem::path& file);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_FILE_SERVICE_H_
