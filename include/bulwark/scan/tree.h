// Which files of a directory tree a scan reads (docs/scan.md section 4): every regular file,
// except `.git/` and paths excluded by `.bulwarkignore` files and (unless disabled) `.gitignore`
// files found in the tree (gitignore syntax: `*`, `**`, `?`, `[...]`, leading `/` anchors,
// trailing `/` matches directories only, `!` re-includes; the last matching line wins and a
// deeper file's lines come after its parents'). Symbolic links to directories are not followed.
//
// Thread safety: pure functions.
#ifndef BULWARK_SCAN_TREE_H_
#define BULWARK_SCAN_TREE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::scan {

struct TreeOptions {
  bool gitignore = true;  // honour .gitignore files as well as .bulwarkignore
};

struct TreeFile {
  std::filesystem::path path;  // to open
  std::string name;            // as findings name it: root as given + "/" + relative path
  std::uint64_t size = 0;
};

// The files under `root` (or `root` itself when it is a file), sorted by name. kNotFound if
// `root` does not exist, kUnavailable if a directory cannot be listed.
Result<std::vector<TreeFile>> CollectFiles(const std::filesystem::path& root,
                                           const TreeOptions& options = {});

// One gitignore file's patterns, relative to the directory holding it (`base`, "" for the root).
class IgnoreRules {
 public:
  void Add(std::string_view base, std::string_view file_text);
  // True when `rel` (a '/'-separated path relative to the scan root) is ignored; `is_dir` for
  // directories. Patterns are tested in the order they were added; the last match wins.
  bool Ignored(std::string_view rel, bool is_dir) const;

 private:
  struct Pattern;
  std::vector<std::shared_ptr<const Pattern>> patterns_;
};

// True when the first 8000 bytes of a file contain a NUL byte (git's test for binary files).
bool LooksBinary(std::string_view head);

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_TREE_H_
