// FIPS mode is a setting of the home (`bulwark init --fips`, <home>/home.json), used by every
// command on that home. Debian's OpenSSL ships no FIPS provider, so here init --fips must refuse
// clearly and create no keyring, and a home marked FIPS must refuse every command rather than run
// without the provider; where the provider is installed, init --fips makes a working FIPS home.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <filesystem>
#include <fstream>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;

bool FipsProviderInstalled() {
  return std::filesystem::exists(std::filesystem::path(OpenSSL_version(OPENSSL_MODULES_DIR)) /
                                 "fips.so");
}

class FipsCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = dir_ / "home";
    env_ = "BULWARK_HOME=" + home_.string() + " BULWARK_PASSPHRASE=fips-test-passphrase";
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_); }
  std::filesystem::path home_;
  std::string env_;
};

TEST_F(FipsCliTest, InitFipsMakesAFipsHomeOrRefusesClearlyWithoutTheProvider) {
  auto r = Run("init --fips");
  if (FipsProviderInstalled()) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("FIPS mode"));
    EXPECT_EQ(Run("keys rotate --algorithm chacha20-poly1305").exit_code, 2);
    const std::string f = Write("a.yaml", "password: p1\n");
    EXPECT_EQ(Run("encrypt -i " + f).exit_code, 0);
    EXPECT_EQ(Run("decrypt " + f).out, "password: p1\n");
    return;
  }
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;  // failed precondition
  EXPECT_THAT(r.err, HasSubstr("FIPS"));
  EXPECT_THAT(r.err, HasSubstr("no keyring was created"));
  EXPECT_FALSE(std::filesystem::exists(home_ / "keyring"));
  EXPECT_FALSE(std::filesystem::exists(home_ / "home.json"));
  // The refusal itself is audited.
  auto log = Run("audit log --operation key.init --json");
  EXPECT_THAT(log.out, HasSubstr("\"outcome\":\"failure\""));
}

TEST_F(FipsCliTest, AHomeMarkedFipsRefusesEveryCommandWithoutTheProvider) {
  if (FipsProviderInstalled()) GTEST_SKIP() << "this platform has the FIPS provider";
  ASSERT_EQ(Run("init").exit_code, 0);
  std::ofstream(home_ / "home.json") << "{\"algorithm_policy\": \"fips\"}\n";
  for (const std::string cmd : {"keys list", "get dev/app", "audit status"}) {
    auto r = Run(cmd);
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("is a FIPS home")) << cmd;
  }
  std::ofstream(home_ / "home.json") << "{\"algorithm_policy\": \"sometimes\"}\n";
  auto bad = Run("keys list");
  EXPECT_EQ(bad.exit_code, 1) << bad.err;  // data loss: a damaged settings file
  EXPECT_THAT(bad.err, HasSubstr("home.json"));
}

}  // namespace
}  // namespace bulwark::testing
