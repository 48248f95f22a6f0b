// TempDir: a fresh, private temporary directory for one test, removed with everything in it when
// the object is destroyed.
//
// Created with mkdtemp(3) (mode 0700, a unique name nobody else can have claimed) under
// $TMPDIR, else /tmp, named "<prefix>-XXXXXX". Tests that need real files (SQLite databases,
// atomic writes, locks, the CLI binary) hold one as a member or local; no test writes outside it.
// If the directory cannot be created the process aborts with a message: a test cannot run
// without it, and continuing would write to an unknown place.
//
// Thread safety: not shared between threads while it is being destroyed; path() is const.
#ifndef BULWARK_TESTING_TEMP_DIR_H_
#define BULWARK_TESTING_TEMP_DIR_H_

#include <filesystem>
#include <string_view>

namespace bulwark::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "bulwark");
  ~TempDir();  // removes the directory tree; errors are ignored
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Removes everything inside the directory (not the directory): a test that starts over.
  void Clear() const;
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace bulwark::testing

#endif  // BULWARK_TESTING_TEMP_DIR_H_
