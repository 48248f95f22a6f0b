// Where a data key is used: the encrypted files and stored namespaces whose values (or, for files,
// whose document MAC) it protects. This is what `bulwark keys destroy` must know before wiping a
// key, and what `bulwark keys compromised` must move.
//
// Files come from the key-usage index (key_usage_index.h) plus any files the caller names; each
// one that exists is re-read (tokens only, nothing is decrypted: secfile::ListTokens), so the
// answer is true at the time of the call, and the index is corrected as a side effect (entries of
// missing files or files no longer using the key are dropped, counts refreshed). Namespaces are
// scanned through StoredNamespaces (the key service: audited reads of ciphertext only): the latest
// version of each namespace, and optionally every older version (history keeps old tokens; a
// rollback to such a version would need the key).
//
// Errors: the store's errors pass through (kUnavailable, kPermissionDenied). Files that exist but
// cannot be read or parsed do not fail the scan: they are listed in `problems`.
#ifndef BULWARK_KEYOPS_KEY_USAGE_H_
#define BULWARK_KEYOPS_KEY_USAGE_H_

#include <string>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/keyops/key_usage_index.h"
#include "bulwark/keyops/stored_namespaces.h"
#include "bulwark/keys/key_id.h"

namespace bulwark::keyops {

struct FileUsage {
  std::string path;  // absolute
  secfile::FileFormat format = secfile::FileFormat::kYaml;
  std::vector<config::Path> values;  // values encrypted under the key, in document order
  bool mac = false;  // the document MAC is under the key (the file cannot be verified)
};

struct NamespaceUsage {
  std::string ns;
  std::int64_t version = 0;          // the latest version
  std::vector<config::Path> values;  // its values encrypted under the key
};

struct HistoryUsage {
  std::string ns;
  std::vector<std::int64_t> versions;  // older versions (not the latest) with values under the key
};

struct KeyUsage {
  keys::KeyId key = 0;
  std::vector<FileUsage> files;
  std::vector<NamespaceUsage> namespaces;
  std::vector<HistoryUsage> history;  // only when scanning history
  std::vector<std::string> problems;  // files that could not be checked, with the reason

  // True when no file and no latest namespace version depends on the key (history aside).
  bool unused() const { return files.empty() && namespaces.empty(); }
  std::size_t value_count() const;
  // A human-readable list: one line per file / namespace with the value paths, and a line about
  // older versions. Never contains values.
  std::string Describe() const;
};

struct UsageSources {
  KeyUsageIndex* index = nullptr;        // re-checked and corrected (call Save afterwards)
  std::vector<std::string> extra_files;  // also checked (and indexed when they use any key)
  StoredNamespaces* store = nullptr;     // null: no namespaces are scanned
  bool scan_history = true;
};

Result<KeyUsage> FindKeyUsage(keys::KeyId id, const UsageSources& sources, const FileSystem& fs,
                              const Clock& clock);

// Reads `path`'s tokens and returns the index entry for it; kNotFound when missing, the
// secfile::ListTokens errors otherwise.
Result<IndexedFile> InspectFile(const FileSystem& fs, const std::filesystem::path& path,
                                secfile::FileFormat format, const Clock& clock);
// The same for `text`, the content `path` is about to have (an encrypting command records it
// before the file is replaced, so that every state after a crash is indexed).
Result<IndexedFile> InspectText(std::string_view text, const std::filesystem::path& path,
                                secfile::FileFormat format, const Clock& clock);

}  // namespace bulwark::keyops

#endif  // BULWARK_KEYOPS_KEY_USAGE_H_
