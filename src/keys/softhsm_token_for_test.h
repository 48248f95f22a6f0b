// Test helper: creates one throw-away SoftHSM2 token per test binary with
// scripts/softhsm-test-token.sh and points SOFTHSM2_CONF at it.
#ifndef BULWARK_SRC_KEYS_SOFTHSM_TOKEN_FOR_TEST_H_
#define BULWARK_SRC_KEYS_SOFTHSM_TOKEN_FOR_TEST_H_

#include <fmt/format.h>
#include <stdlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bulwark/core/error.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::keys::test_support {

inline constexpr char kTestToken[] = "bulwark-test";
inline constexpr char kTestPin[] = "1234";

// Idempotent: the first call creates the token, later calls return the same config path.
inline Result<std::string> EnsureSoftHsmTestToken() {
  static std::string conf;  // test-only, one token per process
  if (!conf.empty()) return conf;
  static const testing::TempDir dir("bulwark-softhsm");  // removed when the test binary exits
  const std::string cmd =
      fmt::format("{}/scripts/softhsm-test-token.sh {} {} {} 5678", BULWARK_SOURCE_DIR,
                  dir.path().string(), kTestToken, kTestPin);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return UnavailableError("softhsm test token: cannot run " + cmd);
  std::array<char, 512> buf{};
  std::string out;
  while (fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  if (pclose(p) != 0) return UnavailableError("softhsm test token: setup failed: " + cmd);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  setenv("SOFTHSM2_CONF", out.c_str(), 1);
  conf = out;
  return conf;
}

}  // namespace bulwark::keys::test_support

#endif  // BULWARK_SRC_KEYS_SOFTHSM_TOKEN_FOR_TEST_H_
