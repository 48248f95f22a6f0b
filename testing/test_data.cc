#include "bulwark/testing/test_data.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bulwark/testing/test_paths.h"

namespace bulwark::testing {

std::string TestDataPath(std::string_view relative) {
  return (std::filesystem::path(TestDataDir()) / relative).string();
}

std::string WorkloadPath(std::string_view relative) {
  return (std::filesystem::path(TestWorkloadsDir()) / relative).string();
}

Result<std::string> ReadDataFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError("test data file " + path +
                         " does not exist (it is part of the repository: see testdata/README.md "
                         "and bench/workloads/README.md)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return UnavailableError("cannot open test data file " + path + ": " + std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return UnavailableError("cannot read test data file " + path);
  return out.str();
}

}  // namespace bulwark::testing
