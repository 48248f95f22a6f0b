// Terminal and process interaction of the CLI (not the node's business): running a child with a
// given environment, and a private temporary file for an editor to work on.
#ifndef BULWARK_SRC_CLI_PROCESS_H_
#define BULWARK_SRC_CLI_PROCESS_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::cli {

// A private directory (0700) with one private file (0600) for plaintext, preferably on a memory
// file system ($XDG_RUNTIME_DIR, /dev/shm). The destructor overwrites the file with zeros and
// removes the directory (editors leave backup and swap files beside it), on every path out.
class PrivateTempFile {
 public:
  static Result<std::unique_ptr<PrivateTempFile>> Create(const std::string& extension);
  ~PrivateTempFile();
  const std::filesystem::path& path() const { return file_; }
  // Replaces the file's content.
  Status Write(std::string_view data) const;

 private:
  PrivateTempFile() = default;
  std::filesystem::path dir_;
  std::filesystem::path file_;
};

// Runs argv (PATH lookup) with environment `envp` and returns its exit status (128 + signal when
// killed; 127 when it cannot be run).
Result<int> RunChild(const std::vector<std::string>& argv, char** envp);

// The process environment.
char** ProcessEnvironmentBlock();

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_PROCESS_H_
