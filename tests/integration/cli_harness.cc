#include "cli_harness.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bulwark/cli/app.h"

namespace bulwark::testing {

CliResult RunBulwark(const std::vector<std::string>& args, const std::string& stdin_text) {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  CliResult r;
  r.exit_code = cli::RunCli(args, {in, out, err, false});
  r.out = out.str();
  r.err = err.str();
  return r;
}

namespace {
std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

CliResult RunBulwarkBinary(const std::string& args, const std::string& env,
                           const std::string& stdin_text, const std::string& binary) {
  const TempDir tmp("bulwark-cli");
  const std::filesystem::path& dir = tmp.path();
  std::ofstream(dir / "stdin") << stdin_text;
  const std::string cmd = env + " " + BULWARK_BINARY_DIR + "/" + binary + " " + args + " <" +
                          (dir / "stdin").string() + " >" + (dir / "out").string() + " 2>" +
                          (dir / "err").string();
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(dir / "out");
  r.err = ReadAll(dir / "err");
  return r;
}

std::filesystem::path RepoPath(const std::string& relative) {
  return std::filesystem::path(BULWARK_SOURCE_DIR) / relative;
}

void CliTest::SetUp() {
  // Every command runs against a home inside the test's directory: a test must never read or
  // write the user's ~/.bulwark (a stale home there once turned exit codes into 5s).
  std::filesystem::create_directories(dir_ / "user");
  ::setenv("HOME", (dir_ / "user").c_str(), 1);
  ::unsetenv("BULWARK_HOME");
  ::unsetenv("BULWARK_STORE");
  ::unsetenv("BULWARK_AUDIT_STORE");
}

std::string CliTest::Write(const std::string& name, const std::string& text) {
  const auto p = dir_ / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p.string();
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

}  // namespace bulwark::testing
