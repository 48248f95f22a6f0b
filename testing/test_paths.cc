#include "bulwark/testing/test_paths.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace bulwark::testing {
namespace {

namespace fs = std::filesystem;

struct Paths {
  std::string source, testdata, workloads, binary;
  Paths() {
    if (const char* b = std::getenv("BULWARK_BINARY_DIR")) binary = b;
    if (const char* s = std::getenv("BULWARK_SOURCE_DIR")) source = s;
    if (binary.empty() || source.empty()) {
      std::error_code ec;
      fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
      for (; !ec && !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
        std::ifstream cache(dir / "CMakeCache.txt");
        if (!cache) continue;
        if (binary.empty()) binary = dir.string();
        for (std::string line; std::getline(cache, line);) {
          const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
          if (line.starts_with(key) && source.empty()) source = line.substr(key.size());
        }
        break;
      }
    }
    if (source.empty() || binary.empty()) {
      std::fprintf(stderr, "test paths: cannot find the build tree; set BULWARK_SOURCE_DIR and "
                           "BULWARK_BINARY_DIR\n");
      std::abort();
    }
    testdata = (fs::path(source) / "testdata").string();
    workloads = (fs::path(source) / "bench" / "workloads").string();
  }
};

const Paths& P() {
  static const Paths p;
  return p;
}

}  // namespace

const char* TestSourceDir() { return P().source.c_str(); }
const char* TestDataDir() { return P().testdata.c_str(); }
const char* TestWorkloadsDir() { return P().workloads.c_str(); }
const char* TestBinaryDir() { return P().binary.c_str(); }

}  // namespace bulwark::testing
