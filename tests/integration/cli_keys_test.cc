// bulwark keys disable|enable|destroy|compromised and init --provider pkcs11, end to end through
// the built binary (files on disk, the home's SQLite store, a real SoftHSM2 token).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "bulwark/core/file_lock.h"
#include "cli_harness.h"
#include "keys/softhsm_token_for_test.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FirstKid(const std::string& text) {
  const auto pos = text.find("kid:");
  return pos == std::string::npos ? "" : text.substr(pos + 4, 8);
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

class KeysCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = (dir_ / "home").string();
    env_ = "BULWARK_HOME=" + home_ + " BULWARK_PASSPHRASE=correct-horse";
    auto r = Run("init");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Crash points (BULWARK_TEST_CRASH_*) exist only in the test-only bulwark-crashtest binary.
  CliResult Run(const std::string& args, const std::string& extra_env = "") {
    const bool crash = extra_env.find("BULWARK_TEST_CRASH_") != std::string::npos;
    return RunBulwarkBinary(args, env_ + " " + extra_env, "",
                            crash ? "bulwark-crashtest" : "bulwark");
  }
  // The key id of the primary, from `keys list`.
  std::string Primary() {
    auto list = Run("keys list");
    std::smatch m;
    static const std::regex kRow("([0-9a-f]{8}) +[0-9]+ +[A-Z0-9_]+ +primary");
    EXPECT_TRUE(std::regex_search(list.out, m, kRow)) << list.out;
    return m.size() > 1 ? m[1].str() : "";
  }
  // Stores a namespace document given as JSON.
  void Put(const std::string& ns, const std::string& json) {
    const std::string f = Write("doc-" + std::to_string(++docs_) + ".json", json);
    auto r = Run("put " + ns + " " + f);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string home_;
  std::string env_;
  int docs_ = 0;
};

TEST_F(KeysCliTest, DisabledKeysNeitherDecryptNorEncryptUntilEnabledAndThePrimaryIsRefused) {
  const std::string a = Write("a.yaml", "password: p1\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  const std::string kid = FirstKid(Slurp(a));
  auto primary = Run("keys disable " + kid);
  EXPECT_EQ(primary.exit_code, 2);
  EXPECT_THAT(primary.err, HasSubstr("is the primary key; rotate"));

  ASSERT_EQ(Run("keys rotate").exit_code, 0);
  auto dis = Run("keys disable " + kid);
  ASSERT_EQ(dis.exit_code, 0) << dis.err;
  EXPECT_THAT(Run("keys list").out, HasSubstr("disabled"));
  auto dec = Run("decrypt " + a);
  EXPECT_EQ(dec.exit_code, 2);
  EXPECT_THAT(dec.err, HasSubstr("key " + kid + " is disabled"));
  // Moving the file off a disabled key needs it too: nothing decrypts with it.
  EXPECT_NE(Run("keys reencrypt " + a).exit_code, 0);

  auto en = Run("keys enable " + kid);
  ASSERT_EQ(en.exit_code, 0) << en.err;
  EXPECT_EQ(Run("decrypt " + a).out, "password: p1\n");
  EXPECT_EQ(Run("keys enable ffffffff").exit_code, 4);
}

TEST_F(KeysCliTest, DestroyIsRefusedWhileFilesOrNamespacesUseTheKeyAndNamesThem) {
  const std::string a = Write("a.yaml", "db:\n  password: pw-a-41d9\n  host: h\n");
  const std::string b = Write("b.json", "{\"token\": \"t\"}\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  ASSERT_EQ(Run("encrypt " + b + " -o " + b + ".enc").exit_code, 0);
  // A file encrypted to standard output is not indexed: named with --check.
  auto out = Run("encrypt " + Write("c.toml", "password = \"pc\"\n"));
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const std::string c = Write("c-enc.toml", out.out);
  Put("prod/api", R"({"api_key": "k1", "port": 1})");
  const std::string old_kid = FirstKid(Slurp(a));
  ASSERT_EQ(Run("keys rotate").exit_code, 0);

  auto refused = Run("keys destroy " + old_kid + " --check " + c);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("failed precondition: key.destroy " + old_kid +
                                     ": refused: key " + old_kid +
                                     " still protects 4 value(s)"));
  EXPECT_THAT(refused.err, HasSubstr("file " + a + ": 1 value(s): db.password"));
  EXPECT_THAT(refused.err, HasSubstr("file " + b + ".enc: 1 value(s): token"));
  EXPECT_THAT(refused.err, HasSubstr("file " + c + ": 1 value(s): password"));
  EXPECT_THAT(refused.err, HasSubstr("namespace prod/api (version 1): 1 value(s): api_key"));
  EXPECT_THAT(refused.err, Not(HasSubstr("pw-a-41d9")));
  EXPECT_THAT(Run("keys list").out, Not(HasSubstr("destroyed")));

  // A named file that cannot be checked refuses too (it might depend on the key).
  auto unchecked = Run("keys destroy " + old_kid + " --check " + (dir_ / "missing.yaml").string());
  EXPECT_EQ(unchecked.exit_code, 2);
  EXPECT_THAT(unchecked.err, HasSubstr("missing.yaml: no such file"));

  // Move everything: delete one file, re-encrypt the others, rewrite the secret.
  std::filesystem::remove(b + ".enc");
  ASSERT_EQ(Run("keys reencrypt " + a + " " + c).exit_code, 0);
  auto set = Run("set prod/api api_key k2");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto destroyed = Run("keys destroy " + old_kid);
  ASSERT_EQ(destroyed.exit_code, 0) << destroyed.err;
  EXPECT_THAT(destroyed.out, HasSubstr("key " + old_kid + " destroyed"));
  EXPECT_THAT(destroyed.out, HasSubstr("key-encryption key rotated"));
  EXPECT_THAT(destroyed.err,
              HasSubstr("older versions of namespace prod/api also use it (version 1)"));
  EXPECT_THAT(Slurp(home_ + "/key-usage.json"), Not(HasSubstr("b.json.enc")));
  EXPECT_EQ(Run("decrypt " + a).out, "db:\n  password: pw-a-41d9\n  host: h\n");
  auto old = Run("get prod/api --version 1 --reveal");
  EXPECT_NE(old.exit_code, 0);
  EXPECT_THAT(old.err, HasSubstr("key " + old_kid + " was destroyed"));
  EXPECT_THAT(Run("keys list").out, HasSubstr("destroyed"));
  EXPECT_THAT(Run("keys destroy " + Primary()).err, HasSubstr("is the primary key; rotate first"));
}

// Crypto-shredding: a copy of the keyring made before `keys destroy` (a backup put back, a
// snapshot) can no longer be opened with the home's keystore -- nor with keystore.prev -- and the
// passphrase, while the current keyring still decrypts everything under the remaining keys.
TEST_F(KeysCliTest, DestroyShredsSoAKeyringCopyFromBeforeCannotBeOpenedAnyMore) {
  const std::string a = Write("a.yaml", "password: p1\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  const std::string k1 = FirstKid(Slurp(a));
  ASSERT_EQ(Run("keys rotate").exit_code, 0);
  ASSERT_EQ(Run("keys reencrypt " + a).exit_code, 0);
  const std::string b = Write("b.yaml", "token: t2\n");
  ASSERT_EQ(Run("encrypt -i " + b).exit_code, 0);
  const std::string keyring = home_ + "/keyring", keystore = home_ + "/keystore";
  const std::string before = Slurp(keyring);
  // Before the destroy, the copy opens like the keyring itself (it is the same keyring).
  EXPECT_EQ(Run("keys list").exit_code, 0);

  auto destroyed = Run("keys destroy " + k1);
  ASSERT_EQ(destroyed.exit_code, 0) << destroyed.err;
  EXPECT_THAT(destroyed.out, HasSubstr("key " + k1 + " destroyed"));
  EXPECT_THAT(destroyed.out, HasSubstr("key-encryption key rotated (local keystore " + keystore));
  EXPECT_THAT(destroyed.out, HasSubstr("1 old key-encryption key(s) removed"));
  EXPECT_THAT(destroyed.out + destroyed.err, Not(HasSubstr("correct-horse")));
  const std::string after = Slurp(keyring);

  // The old copy put back: it does not open (its MAC key and DEKs name the retired KEK).
  std::ofstream(keyring, std::ios::binary | std::ios::trunc) << before;
  auto old = Run("keys list");
  EXPECT_NE(old.exit_code, 0);
  EXPECT_THAT(old.err, HasSubstr("is not in the keystore"));
  EXPECT_NE(Run("decrypt " + a).exit_code, 0);
  // Nor with keystore.prev in place of the keystore.
  const std::string keystore_now = Slurp(keystore);
  std::ofstream(keystore, std::ios::binary | std::ios::trunc) << Slurp(keystore + ".prev");
  auto old_prev = Run("keys list");
  EXPECT_NE(old_prev.exit_code, 0);
  EXPECT_THAT(old_prev.err, HasSubstr("is not in the keystore"));
  // The current keyring opens with either file and decrypts every remaining value.
  std::ofstream(keyring, std::ios::binary | std::ios::trunc) << after;
  EXPECT_EQ(Run("decrypt " + a).out, "password: p1\n");
  std::ofstream(keystore, std::ios::binary | std::ios::trunc) << keystore_now;
  EXPECT_EQ(Run("decrypt " + a).out, "password: p1\n");
  EXPECT_EQ(Run("decrypt " + b).out, "token: t2\n");
  EXPECT_THAT(Run("keys list").out, HasSubstr("destroyed"));
}

// `keys destroy` killed between its steps (BULWARK_TEST_CRASH_SHRED): after the KEK rotation the
// key is not destroyed yet; after the keyring write it is destroyed but the old KEK lingers (an old
// keyring copy still opens). Either way the home works, and running the destroy again shreds.
TEST_F(KeysCliTest, AnInterruptedDestroyLeavesAWorkingHomeAndRunningItAgainShreds) {
  const std::string a = Write("a.yaml", "password: p1\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  const std::string keyring = home_ + "/keyring";
  auto copy_opens = [&](const std::string& copy) {
    const std::string now = Slurp(keyring);
    std::ofstream(keyring, std::ios::binary | std::ios::trunc) << copy;
    const bool opens = Run("keys list").exit_code == 0;
    std::ofstream(keyring, std::ios::binary | std::ios::trunc) << now;
    return opens;
  };
  for (const std::string crash : {"after-rotate", "after-keyring"}) {
    SCOPED_TRACE(crash);
    const std::string old_primary = Primary();
    ASSERT_EQ(Run("keys rotate").exit_code, 0);
    ASSERT_EQ(Run("keys reencrypt " + a).exit_code, 0);
    const std::string before = Slurp(keyring);

    auto killed = Run("keys destroy " + old_primary, "BULWARK_TEST_CRASH_SHRED=" + crash);
    EXPECT_EQ(killed.exit_code, 86) << killed.err;
    const bool committed = crash == "after-keyring";
    const std::string list = Run("keys list").out;
    EXPECT_EQ(list.find(old_primary) != std::string::npos &&
                  std::regex_search(list, std::regex(old_primary + " .*destroyed")),
              committed)
        << list;
    EXPECT_EQ(Run("decrypt " + a).out, "password: p1\n");
    EXPECT_TRUE(copy_opens(before));  // not shredded yet

    auto again = Run("keys destroy " + old_primary);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_THAT(again.out, HasSubstr(committed ? "was already destroyed and is now shredded"
                                               : "key " + old_primary + " destroyed"));
    EXPECT_THAT(again.out, HasSubstr("key-encryption key rotated"));
    EXPECT_FALSE(copy_opens(before));
    EXPECT_EQ(Run("decrypt " + a).out, "password: p1\n");
  }
}

// Concurrent `bulwark encrypt -i` processes on one home: each records its files in the
// key-usage index under <home>/key-usage.lock, so no process drops another's entries (keys
// destroy relies on them).
TEST_F(KeysCliTest, ConcurrentEncryptsRecordEveryFileInTheKeyUsageIndex) {
  constexpr int kProcesses = 4;
  constexpr int kFilesEach = 3;
  std::string script;
  std::vector<std::string> files;
  for (int p = 0; p < kProcesses; ++p) {
    script += "(";
    for (int i = 0; i < kFilesEach; ++i) {
      files.push_back(Write(fmt::format("p{}-{}.yaml", p, i), "password: secret\n"));
      script += fmt::format("{} {}/bulwark encrypt -i {} >/dev/null 2>&1 || exit 1; ", env_,
                            BULWARK_BINARY_DIR, files.back());
    }
    script += ") & ";
  }
  script += "fail=0; for j in $(jobs -p); do wait $j || fail=1; done; exit $fail";
  const std::string cmd = "bash -c '" + script + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string index = Slurp(home_ + "/key-usage.json");
  for (const std::string& f : files) EXPECT_THAT(index, HasSubstr(f)) << index;
  EXPECT_EQ(std::filesystem::status(home_ + "/key-usage.lock").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// `keys rotate` racing several `bulwark encrypt -i` processes on one home. Every one of them
// saves the keyring (encrypt: its usage count); without <home>/keyring.lock an encrypt that
// loaded the keyring before a rotation saved its stale copy over it, the new primary was lost and
// files encrypted under it could never be decrypted again.
TEST_F(KeysCliTest, ConcurrentRotateAndEncryptsLoseNoKeyAndNoUsageCount) {
  constexpr int kRotations = 6;
  constexpr int kProcesses = 3;
  constexpr int kFilesEach = 4;
  const std::string bin = std::string(BULWARK_BINARY_DIR) + "/bulwark";
  static const std::regex kRow("([0-9a-f]{8}) +[0-9]+ +[A-Z0-9_]+ +[a-z_-]+ +\\S+ +([0-9]+)");
  // The kids in `keys list` and the sum of their usage counts.
  auto list_keys = [&](std::set<std::string>& kids) {
    const std::string list = Run("keys list").out;
    std::uint64_t usage = 0;
    for (std::sregex_iterator it(list.begin(), list.end(), kRow), end; it != end; ++it) {
      kids.insert((*it)[1].str());
      usage += std::stoull((*it)[2].str());
    }
    return usage;
  };
  // What one file costs in usage counts, measured alone first.
  ASSERT_EQ(Run("encrypt -i " + Write("ref.yaml", "password: secret\n")).exit_code, 0);
  std::set<std::string> before;
  const std::uint64_t per_file = list_keys(before);
  ASSERT_GT(per_file, 0u);
  std::string script = "(";
  for (int r = 0; r < kRotations; ++r) {
    script += fmt::format("{} {} keys rotate >/dev/null 2>&1 || exit 1; ", env_, bin);
  }
  script += ") & ";
  std::vector<std::string> files;
  for (int p = 0; p < kProcesses; ++p) {
    script += "(";
    for (int i = 0; i < kFilesEach; ++i) {
      files.push_back(Write(fmt::format("r{}-{}.yaml", p, i), "password: secret\n"));
      script +=
          fmt::format("{} {} encrypt -i {} >/dev/null 2>&1 || exit 1; ", env_, bin, files.back());
    }
    script += ") & ";
  }
  script += "fail=0; for j in $(jobs -p); do wait $j || fail=1; done; exit $fail";
  const std::string cmd = "bash -c '" + script + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (const std::string& f : files) {
    auto dec = Run("decrypt " + f);
    EXPECT_EQ(dec.exit_code, 0) << f << ": " << dec.err;
    EXPECT_THAT(dec.out, HasSubstr("secret")) << f;
  }
  // Every rotation kept its key, and the usage counts add up to one encryption per file.
  std::set<std::string> kids;
  const std::uint64_t usage = list_keys(kids);
  const std::string list = Run("keys list").out;
  EXPECT_EQ(kids.size(), static_cast<std::size_t>(1 + kRotations)) << list;
  for (const std::string& kid : before) EXPECT_TRUE(kids.contains(kid)) << kid;
  EXPECT_EQ(usage, per_file * (files.size() + 1)) << list;
  EXPECT_EQ(Count(list, "primary"), 1u) << list;
}

// While another process holds <home>/keyring.lock, a command that saves the keyring says on stderr
// that it waits and goes on once the lock is released; a read-only command does not wait.
TEST_F(KeysCliTest, AnUpdatingCommandWaitsForTheKeyringLockAndSaysSoReadersDoNot) {
  std::optional<FileLock> held;  // close-on-exec: the commands below do not inherit it
  {
    auto lock = FileLock::Acquire(home_ + "/keyring.lock", "keyring");
    ASSERT_TRUE(lock) << lock.error();
    held.emplace(std::move(*lock));
  }
  const std::filesystem::path err = dir_ / "rotate.err", rc = dir_ / "rotate.rc";
  const std::string cmd = fmt::format(
      "({} {}/bulwark keys rotate >/dev/null 2>{}; echo $? >{}.tmp; "
      "mv {}.tmp {}) &",
      env_, BULWARK_BINARY_DIR, err.string(), rc.string(), rc.string(), rc.string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  // Bounded polling (no timing assertion): the rotate reports that it waits.
  bool waiting = false;
  for (int i = 0; i < 1200 && !waiting; ++i) {
    waiting = Slurp(err).find("waiting for " + home_ + "/keyring.lock") != std::string::npos;
    if (!waiting) ::usleep(50'000);
  }
  ASSERT_TRUE(waiting) << Slurp(err);
  EXPECT_FALSE(std::filesystem::exists(rc));  // still blocked
  auto list = Run("keys list");               // a reader takes no lock
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(Count(list.out, "primary"), 1u);
  held.reset();  // releases the lock
  for (int i = 0; i < 1200 && !std::filesystem::exists(rc); ++i) ::usleep(50'000);
  ASSERT_TRUE(std::filesystem::exists(rc));
  EXPECT_EQ(Slurp(rc), "0\n") << Slurp(err);
  EXPECT_EQ(Count(Run("keys list").out, "decrypt-only"), 1u);
}

TEST_F(KeysCliTest, ForceDestroysAKeyInUseAndTokensThenNameIt) {
  const std::string a = Write("a.yaml", "password: p1\n");
  // decrypt -i takes a file out of the key-usage index, encrypt -i puts it back.
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  EXPECT_THAT(Slurp(home_ + "/key-usage.json"), HasSubstr(a));
  ASSERT_EQ(Run("decrypt -i " + a).exit_code, 0);
  EXPECT_THAT(Slurp(home_ + "/key-usage.json"), Not(HasSubstr(a)));
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  const std::string kid = FirstKid(Slurp(a));
  ASSERT_EQ(Run("keys rotate").exit_code, 0);
  auto forced = Run("keys destroy --force " + kid);
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_THAT(forced.err, HasSubstr("can no longer be decrypted"));
  EXPECT_THAT(forced.err, HasSubstr(a));
  auto dec = Run("decrypt " + a);
  EXPECT_NE(dec.exit_code, 0);
  EXPECT_THAT(dec.err, HasSubstr("key " + kid + " was destroyed"));
  // The key material is gone from the keyring file, the id is kept.
  EXPECT_THAT(Run("keys list").out, HasSubstr(kid));
}

// Kills the process in the middle of `keys compromised` (after the 2nd item was rewritten, before
// the journal recorded it), then resumes: every value moves exactly once and decrypts.
TEST_F(KeysCliTest, CompromisedShowsProgressResumesAfterACrashAndMovesEachValueOnce) {
  const std::string a =
      Write("a.yaml", "db:\n  password: pa-secret\n  host: h\napi_key: ka-secret\n");
  const std::string b = Write("b.json", "{\"token\": \"tb\"}\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  ASSERT_EQ(Run("encrypt -i " + b).exit_code, 0);
  Put("prod/api", R"({"db": {"password": "p1"}, "api_key": "k1", "port": 1})");
  Put("prod/web", R"({"secret_key": "s2"})");
  const std::string kid = FirstKid(Slurp(a));
  const std::string journal = home_ + "/compromise-" + kid + ".journal";

  auto crashed = Run("keys compromised " + kid, "BULWARK_TEST_CRASH_COMPROMISE=after-write:2");
  EXPECT_EQ(crashed.exit_code, 86) << crashed.err;
  EXPECT_THAT(crashed.err, HasSubstr("[1/4] " + a + ": 2 value(s)"));
  ASSERT_TRUE(std::filesystem::exists(journal));
  EXPECT_THAT(Run("keys list").out, HasSubstr("compromised"));
  // Item 2 (b.json) was rewritten but the journal still says "started".
  EXPECT_NE(FirstKid(Slurp(b)), kid);
  EXPECT_THAT(Slurp(journal), HasSubstr("\"started\""));

  auto resumed = Run("keys compromised " + kid + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.err, HasSubstr("resuming from " + journal));
  EXPECT_THAT(resumed.err, HasSubstr("[2/4] " + b + ": 1 value(s)"));
  EXPECT_THAT(resumed.err, HasSubstr("[4/4] prod/web: 1 value(s)"));
  EXPECT_THAT(resumed.err, Not(HasSubstr("[1/4]")));
  const std::string primary = Primary();
  for (const std::string& line : {"file " + a + ": db.password  " + kid + " -> " + primary,
                                  "file " + a + ": api_key  " + kid + " -> " + primary,
                                  "file " + b + ": token  " + kid + " -> " + primary,
                                  "namespace prod/api: db.password  " + kid + " -> " + primary,
                                  "namespace prod/api: api_key  " + kid + " -> " + primary,
                                  "namespace prod/web: secret_key  " + kid + " -> " + primary}) {
    EXPECT_EQ(Count(resumed.out, line + "\n"), 1u) << line << "\n" << resumed.out;
  }
  EXPECT_THAT(resumed.out,
              HasSubstr("6 value(s) moved off " + kid + " in 4 file(s)/namespace(s) (resumed)"));
  EXPECT_THAT(resumed.out, Not(HasSubstr("-secret")));
  EXPECT_FALSE(std::filesystem::exists(journal));
  EXPECT_TRUE(std::filesystem::exists(home_ + "/compromise-" + kid + ".report.json"));

  // Everything decrypts under the new key; one new version per namespace.
  EXPECT_EQ(Run("decrypt " + a).out, "db:\n  password: pa-secret\n  host: h\napi_key: ka-secret\n");
  EXPECT_EQ(Run("decrypt " + b).out, "{\"token\": \"tb\"}\n");
  EXPECT_THAT(Slurp(a), Not(HasSubstr("kid:" + kid)));
  auto api = Run("get prod/api --reveal --format json");
  ASSERT_EQ(api.exit_code, 0) << api.err;
  EXPECT_THAT(api.out, HasSubstr("p1"));
  auto history = Run("history prod/api");
  EXPECT_EQ(Count(history.out, "key compromised: re-encrypted"), 1u) << history.out;
  EXPECT_THAT(Run("get prod/web --reveal").out, HasSubstr("s2"));

  // Nothing left: a new run moves nothing and the key can be destroyed without --force.
  auto again = Run("keys compromised " + kid);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 value(s) moved off " + kid));
  EXPECT_EQ(Run("keys compromised " + kid + " --resume").exit_code, 4);
  auto destroy = Run("keys destroy " + kid);
  EXPECT_EQ(destroy.exit_code, 0) << destroy.err;
}

class Pkcs11CliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    auto conf = keys::test_support::EnsureSoftHsmTestToken();
    ASSERT_TRUE(conf.has_value()) << conf.error();
    home_ = (dir_ / "home").string();
    // A label of its own per test: the token is shared by the whole test binary.
    label_ = "kek-" + dir_.filename().string();
    env_ = "env -u BULWARK_PASSPHRASE BULWARK_HOME=" + home_ + " SOFTHSM2_CONF=" + *conf;
  }
  CliResult Run(const std::string& args, const std::string& pin = "1234") {
    return RunBulwarkBinary(args, env_ + (pin.empty() ? "" : " BULWARK_PKCS11_PIN=" + pin));
  }
  std::string Init() {
    return "init --provider pkcs11 --token-label " + std::string(keys::test_support::kTestToken) +
           " --key-label " + label_;
  }
  std::string home_, label_, env_;
};

TEST_F(Pkcs11CliTest, InitKeepsTheKekInTheTokenAndLaterCommandsUseIt) {
  auto init = Run(Init());
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr("PKCS#11 token 'bulwark-test'"));
  EXPECT_FALSE(std::filesystem::exists(home_ + "/keystore"));
  EXPECT_THAT(Slurp(home_ + "/provider.json"), HasSubstr("\"pkcs11\""));
  EXPECT_THAT(Slurp(home_ + "/provider.json"), Not(HasSubstr("1234")));

  const std::string a = Write("a.yaml", "password: p1\nhost: h\n");
  auto enc = Run("encrypt -i " + a);
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  EXPECT_EQ(Run("decrypt " + a).out, "password: p1\nhost: h\n");
  // The PIN from a file works too.
  const std::string pin = Write("pin.txt", "1234\n");
  auto from_file = Run("decrypt --pin-file " + pin + " " + a, "");
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  ASSERT_EQ(Run("keys rotate").exit_code, 0);
  auto rewrap = Run("keys rewrap");
  ASSERT_EQ(rewrap.exit_code, 0) << rewrap.err;
  EXPECT_THAT(rewrap.out, HasSubstr("PKCS#11"));
  EXPECT_EQ(Run("decrypt " + a).out, "password: p1\nhost: h\n");
  EXPECT_THAT(Run("keys list").out, HasSubstr("decrypt-only"));
}

// On a PKCS#11 home, destroy destroys the old KEK objects on the token: a keyring copy from before
// no longer opens, the current one does.
TEST_F(Pkcs11CliTest, DestroyRemovesTheOldKekFromTheTokenSoOldKeyringCopiesDoNotOpen) {
  ASSERT_EQ(Run(Init()).exit_code, 0);
  const std::string a = Write("a.yaml", "password: p1\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  const std::string k1 = FirstKid(Slurp(a));
  ASSERT_EQ(Run("keys rotate").exit_code, 0);
  ASSERT_EQ(Run("keys reencrypt " + a).exit_code, 0);
  const std::string keyring = home_ + "/keyring";
  const std::string before = Slurp(keyring);
  auto destroyed = Run("keys destroy " + k1);
  ASSERT_EQ(destroyed.exit_code, 0) << destroyed.err;
  EXPECT_THAT(destroyed.out, HasSubstr("key-encryption key rotated (PKCS#11 token"));
  EXPECT_THAT(destroyed.out, HasSubstr("1 old key-encryption key(s) removed"));
  EXPECT_THAT(destroyed.out + destroyed.err, Not(HasSubstr("1234")));
  const std::string after = Slurp(keyring);
  std::ofstream(keyring, std::ios::binary | std::ios::trunc) << before;
  auto old = Run("keys list");
  EXPECT_NE(old.exit_code, 0);
  EXPECT_THAT(old.err, HasSubstr("is not in token"));
  std::ofstream(keyring, std::ios::binary | std::ios::trunc) << after;
  EXPECT_EQ(Run("decrypt " + a).out, "password: p1\n");
}

TEST_F(Pkcs11CliTest, WrongPinMissingPinOrModuleFailClosed) {
  ASSERT_EQ(Run(Init()).exit_code, 0);
  const std::string a = Write("a.yaml", "password: p1\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  auto wrong = Run("decrypt " + a, "9999");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_THAT(wrong.err, Not(HasSubstr("p1")));
  auto none = Run("decrypt " + a, "");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("BULWARK_PKCS11_PIN"));
  // The home names the module; when it is gone every command fails, nothing falls back.
  const std::string provider = Slurp(home_ + "/provider.json");
  std::string broken = provider;
  broken.replace(broken.find("/usr/lib/softhsm/libsofthsm2.so"), 31, "/nonexistent/libsofthsm2.so");
  std::ofstream(home_ + "/provider.json") << broken;
  auto gone = Run("decrypt " + a);
  EXPECT_EQ(gone.exit_code, 5) << gone.err;
  EXPECT_THAT(gone.err, HasSubstr("cannot be loaded"));

  auto bad_module = Run("init --home " + (dir_ / "h2").string() +
                        " --provider pkcs11 --pkcs11-module /nonexistent/lib.so --token-label x");
  EXPECT_EQ(bad_module.exit_code, 5);
  EXPECT_THAT(bad_module.err, HasSubstr("cannot be loaded"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "h2" / "keyring"));
  auto no_label = Run("init --home " + (dir_ / "h3").string() + " --provider pkcs11");
  EXPECT_EQ(no_label.exit_code, 2);
  EXPECT_THAT(no_label.err, HasSubstr("--token-label"));
  auto bad_pin = Run("init --home " + (dir_ / "h4").string() + " --provider pkcs11 --token-label " +
                         keys::test_support::kTestToken,
                     "0000");
  EXPECT_EQ(bad_pin.exit_code, 3) << bad_pin.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "h4" / "keyring"));
}

// A kill during `encrypt -i` between the rename of the encrypted file and the index update left the
// file encrypted but unindexed (4 of 12 late kills), and a later `keys rotate` + `keys destroy OLD`
// then took the only key that could decrypt it. Now the index names the file before it is
// replaced: whichever step a kill interrupts, destroy either refuses (the file holds values under
// the key) or the file is still the plaintext it was.
TEST_F(KeysCliTest, AKillAtEveryStepOfEncryptInPlaceNeverLetsDestroyTakeTheFilesKey) {
  for (const std::string point : {"after-intent", "after-write"}) {
    SCOPED_TRACE(point);
    const std::string plain = "db:\n  password: pw-" + point + "-7f3c\n  host: h\n";
    const std::string f = Write("crash-" + point + ".yaml", plain);
    const std::string kid = Primary();
    auto killed = Run("encrypt -i " + f, "BULWARK_TEST_CRASH_ENCRYPT=" + point);
    ASSERT_EQ(killed.exit_code, 86) << killed.err;
    EXPECT_THAT(Slurp(home_ + "/key-usage.json"), HasSubstr("crash-" + point + ".yaml"));
    ASSERT_EQ(Run("keys rotate").exit_code, 0);
    auto destroy = Run("keys destroy " + kid);
    if (point == "after-write") {
      EXPECT_EQ(destroy.exit_code, 2) << destroy.err;
      EXPECT_THAT(destroy.err, HasSubstr("file " + f + ": 1 value(s): db.password"));
      EXPECT_THAT(destroy.err, Not(HasSubstr("7f3c")));
      EXPECT_EQ(Run("decrypt " + f).out, plain);
    } else {
      // Killed before the file was replaced: still plain, so the key protects nothing of it.
      EXPECT_EQ(Slurp(f), plain);
      EXPECT_EQ(destroy.exit_code, 0) << destroy.err;
      ASSERT_EQ(Run("encrypt -i " + f).exit_code, 0);
      EXPECT_EQ(Run("decrypt " + f).out, plain);
    }
  }
}

}  // namespace
}  // namespace bulwark::testing
