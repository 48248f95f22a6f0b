// Hostile but realistic inputs and conditions (issue #14): each test failed before its fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class IntegrityCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = (dir_ / "home").string();
    env_ = "BULWARK_HOME=" + home_ + " BULWARK_PASSPHRASE=it-passphrase-123";
  }
  CliResult Run(const std::string& args, const std::string& stdin_text = "") {
    return RunBulwarkBinary(args, env_, stdin_text);
  }
  std::string home_;
  std::string env_;
};

// A schema that refers to itself crashed config validate, config load --schema and put --schema
// with SIGSEGV (unbounded recursion); now each refuses it with exit 2 naming the reference.
TEST_F(IntegrityCliTest, SelfReferentialSchemasAreRefusedWithExitTwo) {
  const std::string cfg = Write("app.yaml", "database: {host: db}\n");
  const std::string self = Write("self.json", R"({"$ref": "#"})");
  const std::string cycle = Write("cycle.yaml",
                                  "definitions:\n  a: {$ref: '#/definitions/b'}\n"
                                  "  b: {allOf: [{$ref: '#/definitions/a'}]}\n"
                                  "properties:\n  database: {$ref: '#/definitions/a'}\n");
  for (const std::string& schema : {self, cycle}) {
    for (const std::string& cmd : {"config validate " + cfg + " --schema " + schema,
                                   "config load " + cfg + " --schema " + schema}) {
      auto r = Run(cmd);
      EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
      EXPECT_THAT(r.err, HasSubstr("reference cycle")) << cmd;
    }
  }
  ASSERT_EQ(Run("init").exit_code, 0);
  auto put = Run("put prod/app " + cfg + " --schema " + cycle);
  EXPECT_EQ(put.exit_code, 2) << put.err;
  EXPECT_THAT(put.err, HasSubstr("definitions.a.$ref -> '#/definitions/b'"));
  EXPECT_EQ(Run("get prod/app").exit_code, 4);  // nothing was stored
}

// 8 writers x 25 sets on one namespace with readers beside them: 49 of 200 sets and 40 of 190 reads
// failed with "database is locked" (exit 5), without an audit event. Now every SQLite handle waits
// (bounded) and opening a home writes nothing on a read path: every command succeeds, every set
// is a version, and the audit log holds an event for each.
TEST_F(IntegrityCliTest, ParallelWritersAndReadersNeverFailForLocking) {
  ASSERT_EQ(Run("init").exit_code, 0);
  ASSERT_EQ(Run("set prod/app seed 0").exit_code, 0);
  constexpr int kWriters = 8, kSets = 25, kReaders = 2, kReads = 25;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::string> failures;
  auto record = [&](const std::string& what, const CliResult& r) {
    if (r.exit_code == 0) return;
    std::lock_guard lock(mu);
    failures.push_back(what + ": exit " + std::to_string(r.exit_code) + ": " + r.err);
  };
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kSets; ++i) {
        const std::string cmd = fmt::format("set prod/app w{}.n{} {}", w, i, i);
        record(cmd, Run(cmd));
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      for (int i = 0; i < kReads; ++i) record("get prod/app", Run("get prod/app --format json"));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " commands failed, the first: "
                                << (failures.empty() ? "" : failures.front());
  auto history = Run("history prod/app --json");
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_THAT(history.out, HasSubstr("\"version\": " + std::to_string(1 + kWriters * kSets)));
  auto got = Run("get prod/app w7.n24");
  EXPECT_EQ(got.out, "24\n");
  EXPECT_EQ(Run("verify-store").exit_code, 0);
  auto audit = Run("audit verify");
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
}

// A rule template naming a secret printed it for `bulwark check FILE` (a namespace said
// [redacted]); both paths redact now, in every report format.
TEST_F(IntegrityCliTest, CheckNeverPrintsASecretThroughAMessageTemplate) {
  const std::string cfg =
      Write("app.yaml", "database:\n  host: db.internal\n  password: Sup3r-Secret-Pw!\n");
  const std::string pack = Write("leak.yaml", R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: leak
rules:
  - id: LEAK_001
    title: Leaky message
    severity: high
    check: "false"
    message: "db {{ config.database.host }} password {{ config.database.password }}"
)yaml");
  for (const char* format : {"text", "json", "sarif", "junit", "html"}) {
    auto r = Run("check " + cfg + " --pack " + pack + " --format " + format);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.out, Not(HasSubstr("Sup3r-Secret-Pw!"))) << format;
    EXPECT_THAT(r.out, HasSubstr("[redacted]")) << format;
    EXPECT_THAT(r.out, HasSubstr("db.internal")) << format;
  }
  ASSERT_EQ(Run("init").exit_code, 0);
  ASSERT_EQ(Run("put prod/app " + cfg).exit_code, 0);
  auto stored = Run("check prod/app --pack " + pack);
  EXPECT_THAT(stored.out, Not(HasSubstr("Sup3r-Secret-Pw!")));
  EXPECT_THAT(stored.out, HasSubstr("password [redacted]"));
}

// With audit-log.key gone, the next write made a new key and origin and the old checkpoints no
// longer verified. Now writing is refused (exit 5 naming the file) until the key is restored or
// rotated on purpose; the rotation is an event in the log.
TEST_F(IntegrityCliTest, AMissingAuditKeyStopsWritesUntilRestoredOrRotated) {
  ASSERT_EQ(Run("init").exit_code, 0);
  ASSERT_EQ(Run("set prod/app a 1").exit_code, 0);
  ASSERT_EQ(Run("audit checkpoint").exit_code, 0);
  const auto key = std::filesystem::path(home_) / "audit-log.key";
  const std::string vkey = Run("audit verifier-key").out;
  ASSERT_FALSE(vkey.empty());
  std::filesystem::rename(key, std::filesystem::path(home_) / "backup.key");
  auto refused = Run("set prod/app a 2");
  EXPECT_EQ(refused.exit_code, 5) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr(key.string() + " is missing"));
  EXPECT_THAT(refused.err, HasSubstr("audit rotate-key"));
  EXPECT_FALSE(std::filesystem::exists(key));
  // Reads are audited too, so they wait for the key as well.
  EXPECT_EQ(Run("get prod/app a").exit_code, 5);
  // Restored: everything as before, and nothing was written meanwhile.
  std::filesystem::rename(std::filesystem::path(home_) / "backup.key", key);
  EXPECT_EQ(Run("get prod/app a").out, "1\n");
  ASSERT_EQ(Run("set prod/app a 2").exit_code, 0);
  // Lost again, then rotated on purpose with the old verifier key.
  std::filesystem::remove(key);
  auto rotated = Run("audit rotate-key --previous-verifier '" +
                     vkey.substr(0, vkey.find('\n')) + "'");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  ASSERT_EQ(Run("set prod/app a 3").exit_code, 0);
  auto log = Run("audit log --json");
  EXPECT_THAT(log.out, HasSubstr("audit.rotate_key"));
  auto verify = Run("audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// init left an existing home at 0755, and store.db, compliance.db and their journals were created
// 0644 under a umask of 022. Now the home is 0700 and its files 0600 whatever the umask, and a
// home that others could read is made private with a warning naming what was open.
TEST_F(IntegrityCliTest, TheHomeIsTheOwnersAloneWhateverTheUmaskOrItsPastMode) {
  namespace fs = std::filesystem;
  ASSERT_TRUE(fs::create_directories(home_));
  fs::permissions(home_, static_cast<fs::perms>(0755));
  auto init = Run("init");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_THAT(init.err, HasSubstr(home_ + " was readable or writable by others (mode 0755); now 0700"));
  ASSERT_EQ(RunBulwarkBinary("set prod/app a 1", "umask 022; " + env_).exit_code, 0);
  auto mode = [](const fs::path& p) { return static_cast<unsigned>(fs::status(p).permissions()); };
  EXPECT_EQ(mode(home_), 0700u);
  for (const auto& e : fs::directory_iterator(home_)) {
    if (e.is_regular_file()) {
      EXPECT_EQ(mode(e.path()), 0600u) << e.path();
    }
  }
  fs::permissions(home_, static_cast<fs::perms>(0711));
  fs::permissions(fs::path(home_) / "store.db", static_cast<fs::perms>(0644));
  auto get = Run("get prod/app a");
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.err, HasSubstr("(mode 0711); now 0700"));
  EXPECT_THAT(get.err, HasSubstr("store.db was readable or writable by others (mode 0644); now 0600"));
  EXPECT_EQ(mode(home_), 0700u);
  EXPECT_EQ(mode(fs::path(home_) / "store.db"), 0600u);
  // Private again: no more warnings.
  EXPECT_THAT(Run("get prod/app a").err, Not(HasSubstr("readable or writable by others")));
}

}  // namespace
}  // namespace bulwark::testing
