// Helpers for CLI integration tests: run a command in-process or as the built binary, in a
// temporary working directory that is removed afterwards.
#ifndef BULWARK_TESTS_INTEGRATION_CLI_HARNESS_H_
#define BULWARK_TESTS_INTEGRATION_CLI_HARNESS_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bulwark/testing/temp_dir.h"

namespace bulwark::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `bulwark ARGS...` through the CLI library with `stdin_text` as standard input.
CliResult RunBulwark(const std::vector<std::string>& args, const std::string& stdin_text = "");

// Runs the built binary (build/bulwark, or `binary` such as the test-only bulwark-crashtest)
// through /bin/sh with `env` prepended (e.g. "APP_X=1"), capturing stdout and stderr separately.
CliResult RunBulwarkBinary(const std::string& args, const std::string& env = "",
                           const std::string& stdin_text = "",
                           const std::string& binary = "bulwark");

std::filesystem::path RepoPath(const std::string& relative);

// The whole content of a file ("" when it does not exist).
std::string ReadText(const std::filesystem::path& path);
// The non-empty lines of `text`, each parsed as JSON (JSON-lines output and spool files).
std::vector<nlohmann::json> JsonLines(const std::string& text);

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Writes a file under the temporary directory and returns its path.
  std::string Write(const std::string& name, const std::string& text);
  TempDir tmp_{"bulwark-it"};
  const std::filesystem::path dir_ = tmp_.path();
};

}  // namespace bulwark::testing

#endif  // BULWARK_TESTS_INTEGRATION_CLI_HARNESS_H_
