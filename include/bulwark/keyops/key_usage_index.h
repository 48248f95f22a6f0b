// KeyUsageIndex: which encrypted files use which data keys, so that destroying or recovering a key
// can name (and reach) every file it protects. Files live anywhere on disk, so Bulwark cannot find
// them by scanning; every command that writes an encrypted file (`encrypt`, `edit`,
// `keys reencrypt`, `keys compromised`) records it here, and `decrypt -i` forgets it.
//
// Stored as JSON in <home>/key-usage.json (docs/formats-keys.md, "key-usage index"), written with
// FileSystem::WriteFileAtomic, mode 0600. Keys are absolute, lexically normal paths. The index is
// a hint, never trusted on its own: users move, edit and delete files behind Bulwark's back, so
// FindKeyUsage re-reads every indexed file that still exists (keyops/key_usage.h) and drops
// entries of files that are gone or no longer reference the key. The file itself is never torn;
// to not lose updates when several processes write it, hold the index's KeyUsageLock
// (key_usage_lock.h) from Load to Save.
//
// Errors: Load: kDataLoss when the file is not a valid index (never silently reset); I/O errors
// pass through. A missing file is an empty index.
#ifndef BULWARK_KEYOPS_KEY_USAGE_INDEX_H_
#define BULWARK_KEYOPS_KEY_USAGE_INDEX_H_

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/keys/key_id.h"
#include "bulwark/secfile/spans.h"

namespace bulwark::keyops {

struct IndexedFile {
  secfile::FileFormat format = secfile::FileFormat::kYaml;
  std::map<keys::KeyId, std::size_t> values_per_key;  // value tokens per key id
  keys::KeyId mac_key = 0;                            // the key of the document MAC
  std::string updated;                                // RFC 3339 UTC, when last recorded
};

class KeyUsageIndex {
 public:
  static Result<KeyUsageIndex> Load(const FileSystem& fs, std::filesystem::path file);

  // Records (replaces) what `path` holds now; `path` is made absolute and normal.
  void Record(const std::filesystem::path& path, IndexedFile entry);
  void Forget(const std::filesystem::path& path);

  // Indexed files whose values or MAC use `id`, sorted.
  std::vector<std::string> FilesUsing(keys::KeyId id) const;
  const std::map<std::string, IndexedFile>& files() const { return files_; }
  const std::filesystem::path& file() const { return file_; }
  bool dirty() const { return dirty_; }

  // Writes the index atomically (0600) if it changed since Load.
  Status Save(FileSystem& fs);

  // The absolute, lexically normal form used as the index key.
  static std::string Key(const std::filesystem::path& path);

 private:
  std::filesystem::path file_;
  std::map<std::string, IndexedFile> files_;
  bool dirty_ = false;
};

}  // namespace bulwark::keyops

#endif  // BULWARK_KEYOPS_KEY_USAGE_INDEX_H_
