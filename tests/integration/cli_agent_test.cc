// bulwark agent start|status|lock|stop end to end through the built binary (docs/agent.md):
// commands run without a passphrase while the agent is unlocked, fall back to it when the agent is
// locked, stopped, killed or serving a replaced keystore, and the agent's lifecycle is audited.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AgentCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = (dir_ / "home").string();
    auto r = WithPassphrase("init");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunBulwarkBinary("set app/prod db.password - --secret", Env() + " BULWARK_PASSPHRASE=pw-1",
                         "s3cr3t-v4lue");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override { (void)NoPassphrase("agent stop"); }

  std::string Env() const { return "BULWARK_HOME=" + home_; }
  // BULWARK_PASSPHRASE unset (env -u: the test process may have it), stdin not a terminal: a
  // command that needs the keystore fails unless the agent serves it.
  CliResult NoPassphrase(const std::string& args) {
    return RunBulwarkBinary(args, "env -u BULWARK_PASSPHRASE " + Env());
  }
  CliResult WithPassphrase(const std::string& args) {
    return RunBulwarkBinary(args, Env() + " BULWARK_PASSPHRASE=pw-1");
  }
  // --allow-swap: the test may run without CAP_IPC_LOCK and with a small ulimit -l.
  CliResult Start(const std::string& extra = "") {
    return WithPassphrase("agent start --allow-swap" + extra);
  }
  // Runs `script` with sh (no single quotes in it), stdout and stderr captured.
  CliResult Shell(const std::string& script) {
    const auto out = dir_ / "sh.out";
    const auto err = dir_ / "sh.err";
    const std::string cmd =
        "sh -c '" + script + "' </dev/null >" + out.string() + " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadText(out);
    r.err = ReadText(err);
    return r;
  }
  int AgentPid() {
    auto s = NoPassphrase("agent status");
    auto at = s.out.find("(pid ");
    if (at == std::string::npos) return -1;
    return std::stoi(s.out.substr(at + 5));
  }

  std::string home_;
};

TEST_F(AgentCliTest, CommandsRunWithoutThePassphraseWhileTheAgentIsUnlocked) {
  // Without an agent, a reveal needs the passphrase.
  auto before = NoPassphrase("get app/prod db.password --reveal");
  EXPECT_NE(before.exit_code, 0);
  EXPECT_THAT(before.err, HasSubstr("passphrase"));

  auto start = Start();
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_THAT(start.out, HasSubstr("agent started for " + home_));
  EXPECT_THAT(start.out + start.err, Not(HasSubstr("pw-1")));

  auto status = NoPassphrase("agent status");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("state: unlocked"));
  EXPECT_THAT(status.out, HasSubstr("for " + home_));

  auto get = NoPassphrase("get app/prod db.password --reveal");
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("s3cr3t-v4lue"));

  // Encrypt and decrypt a file, and write a secret (the keyring's usage counts are saved through
  // the agent's wrap).
  const std::string file = Write("app.yaml", "db:\n  password: file-secret-1\n  port: 5432\n");
  auto enc = NoPassphrase("encrypt -i " + file);
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  EXPECT_THAT(ReadText(file), Not(HasSubstr("file-secret-1")));
  auto dec = NoPassphrase("decrypt " + file);
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  EXPECT_THAT(dec.out, HasSubstr("file-secret-1"));
  auto set = RunBulwarkBinary("set app/prod api_key - --secret", "env -u BULWARK_PASSPHRASE " + Env(),
                              "k-2");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  // What the agent-era keyring holds still opens with the passphrase alone.
  ASSERT_EQ(NoPassphrase("agent stop").exit_code, 0);
  auto after = WithPassphrase("get app/prod api_key --reveal");
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_THAT(after.out, HasSubstr("k-2"));

  // Every reveal is audited by the command that made it; the agent's lifecycle too.
  auto log = WithPassphrase("audit log --json");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("key.agent.start"));
  EXPECT_THAT(log.out, HasSubstr("key.agent.stop"));
  EXPECT_THAT(log.out, HasSubstr("file.decrypt"));
  EXPECT_THAT(log.out, HasSubstr("config.get"));
  EXPECT_THAT(log.out, Not(HasSubstr("s3cr3t-v4lue")));
}

TEST_F(AgentCliTest, LockFallsBackToThePassphraseAndStopEndsTheAgent) {
  ASSERT_EQ(Start().exit_code, 0);
  auto lock = NoPassphrase("agent lock");
  ASSERT_EQ(lock.exit_code, 0) << lock.err;
  auto status = NoPassphrase("agent status");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("state: locked (locked by 'bulwark agent lock')"));

  auto without = NoPassphrase("get app/prod db.password --reveal");
  EXPECT_EQ(without.exit_code, 2) << without.out << without.err;
  EXPECT_THAT(without.err, HasSubstr("no passphrase"));
  auto with = WithPassphrase("get app/prod db.password --reveal");
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_THAT(with.out, HasSubstr("s3cr3t-v4lue"));

  // A locked agent is replaced by the next start.
  auto again = Start();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("replaced the locked agent"));
  // An unlocked one is not.
  auto twice = Start();
  EXPECT_EQ(twice.exit_code, 2) << twice.err;
  EXPECT_THAT(twice.err, HasSubstr("already serves"));

  ASSERT_EQ(NoPassphrase("agent stop").exit_code, 0);
  auto gone = NoPassphrase("agent status");
  EXPECT_EQ(gone.exit_code, 4);
  EXPECT_THAT(gone.err, HasSubstr("no key agent runs for " + home_));
  EXPECT_FALSE(std::filesystem::exists(home_ + "/agent.sock"));
  EXPECT_EQ(NoPassphrase("agent stop").exit_code, 4);

  auto log = WithPassphrase("audit log --json");
  EXPECT_THAT(log.out, HasSubstr("key.agent.lock"));
}

TEST_F(AgentCliTest, AKilledAgentLeavesAStaleSocketThatCommandsIgnoreAndStartReplaces) {
  ASSERT_EQ(Start().exit_code, 0);
  const int pid = AgentPid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(std::filesystem::exists(home_ + "/agent.sock"));

  auto status = NoPassphrase("agent status");
  EXPECT_EQ(status.exit_code, 4);
  EXPECT_THAT(status.err, HasSubstr("stale socket"));
  auto without = NoPassphrase("get app/prod db.password --reveal");
  EXPECT_EQ(without.exit_code, 2) << without.err;
  auto with = WithPassphrase("get app/prod db.password --reveal");
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_THAT(with.out, HasSubstr("s3cr3t-v4lue"));

  auto start = Start();
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_THAT(start.err, HasSubstr("removed the stale socket"));
  auto get = NoPassphrase("get app/prod db.password --reveal");
  ASSERT_EQ(get.exit_code, 0) << get.err;
}

TEST_F(AgentCliTest, AReplacedKeystoreLocksTheAgentAndCommandsAskThePassphrase) {
  ASSERT_EQ(Start().exit_code, 0);
  // keys rewrap rotates the KEK: done locally with the passphrase even while the agent runs.
  auto rewrap = WithPassphrase("keys rewrap");
  ASSERT_EQ(rewrap.exit_code, 0) << rewrap.err;
  auto without = NoPassphrase("get app/prod db.password --reveal");
  EXPECT_EQ(without.exit_code, 2) << without.err;
  auto status = NoPassphrase("agent status");
  EXPECT_THAT(status.out, HasSubstr("the keystore changed"));
  auto with = WithPassphrase("get app/prod db.password --reveal");
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_THAT(with.out, HasSubstr("s3cr3t-v4lue"));
}

TEST_F(AgentCliTest, AHungAgentIsGivenUpAndTheIdleTimeoutLocks) {
  ASSERT_EQ(Start(" --idle-timeout 2s").exit_code, 0);
  const int pid = AgentPid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  // The client times out (2 s) and asks for the passphrase instead of hanging.
  auto with = WithPassphrase("get app/prod db.password --reveal");
  ::kill(pid, SIGCONT);
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_THAT(with.out, HasSubstr("s3cr3t-v4lue"));
  EXPECT_THAT(with.err, HasSubstr("not using the key agent"));
  // Idle for 2 s: locked, with the reason (polled; no timing assertion beyond "eventually").
  bool locked = false;
  for (int i = 0; i < 100 && !locked; ++i) {
    locked = NoPassphrase("agent status").out.find("state: locked (idle for 2 s)") !=
             std::string::npos;
    if (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(locked);
  EXPECT_EQ(NoPassphrase("get app/prod db.password --reveal").exit_code, 2);
}

TEST_F(AgentCliTest, ARelativeHomeIsServedAfterTheAgentDetaches) {
  // The agent runs in "/" once detached; a relative BULWARK_HOME must still name the home.
  const std::string rel = "cd " + dir_.string() + " && env -u BULWARK_PASSPHRASE BULWARK_HOME=home";
  auto start = RunBulwarkBinary("agent start --allow-swap", rel + " BULWARK_PASSPHRASE=pw-1");
  ASSERT_EQ(start.exit_code, 0) << start.err;
  auto get = RunBulwarkBinary("get app/prod db.password --reveal", rel);
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("s3cr3t-v4lue"));
}

TEST_F(AgentCliTest, WithoutCapIpcLockTheHeapIsLockedAndWithNoLimitStartRefuses) {
  if (::geteuid() != 0 || std::system("command -v setpriv >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs root and setpriv to drop CAP_IPC_LOCK";
  }
  // An ordinary user's limit (8 MiB): mlockall is refused, the heap and stacks are locked.
  const std::string drop = "ulimit -l 8192 && setpriv --bounding-set -ipc_lock --inh-caps -ipc_lock";
  const std::string none = "ulimit -l 0 && setpriv --bounding-set -ipc_lock --inh-caps -ipc_lock";
  // Some sandboxes grant every mlockall whatever the limit and capabilities (the CI of stop 22
  // did): there the refusal cannot happen and this test has nothing to check.
  // (A limit of 0 with CAP_IPC_LOCK dropped must refuse any mlockall.)
  const auto probe0 = Shell(none + " " + BULWARK_BINARY_DIR + "/bulwark-mlock-probe");
  if (probe0.exit_code == 0) {
    GTEST_SKIP() << "this environment does not enforce the memory-lock limit (ulimit -l 0, "
                    "no CAP_IPC_LOCK: "
                 << probe0.out << ")";
  }
  ASSERT_EQ(probe0.exit_code, 1) << probe0.out << probe0.err;
  auto start = Shell(drop + " env " + Env() + " BULWARK_PASSPHRASE=pw-1 " + BULWARK_BINARY_DIR +
                     "/bulwark agent start");
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_THAT(start.err, HasSubstr("locked in memory: the agent's heap and stacks"));
  EXPECT_THAT(NoPassphrase("agent status").out, HasSubstr("memory locked: yes"));
  ASSERT_EQ(NoPassphrase("agent stop").exit_code, 0);
  // No memory may be locked at all: refused unless --allow-swap.
  auto refused = Shell(none + " env " + Env() + " BULWARK_PASSPHRASE=pw-1 " +
                       BULWARK_BINARY_DIR + "/bulwark agent start");
  EXPECT_EQ(refused.exit_code, 5) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("--allow-swap"));
  EXPECT_NE(NoPassphrase("agent status").exit_code, 0);
}

TEST_F(AgentCliTest, ForegroundServesUntilStopped) {
  const auto out = dir_ / "fg.out";
  const std::string cmd = "env " + Env() + " BULWARK_PASSPHRASE=pw-1 " + BULWARK_BINARY_DIR +
                          "/bulwark agent start --foreground --allow-swap </dev/null >" +
                          out.string() + " 2>&1 & echo $!";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  int pid = -1;
  ASSERT_EQ(std::fscanf(p, "%d", &pid), 1);
  ::pclose(p);
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = NoPassphrase("agent status").exit_code == 0;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << ReadText(out);
  EXPECT_EQ(AgentPid(), pid);  // served by the process that was started, not a detached child
  auto get = NoPassphrase("get app/prod db.password --reveal");
  ASSERT_EQ(get.exit_code, 0) << get.err;
  ASSERT_EQ(NoPassphrase("agent stop").exit_code, 0);
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string text = ReadText(out);
  EXPECT_THAT(text, HasSubstr("in the foreground"));
  EXPECT_THAT(text, HasSubstr("agent stopped"));
}

TEST_F(AgentCliTest, StartNeedsTheRightPassphraseAndAValidIdleTimeout) {
  auto wrong = RunBulwarkBinary("agent start --allow-swap", Env() + " BULWARK_PASSPHRASE=nope");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_FALSE(std::filesystem::exists(home_ + "/agent.sock"));
  auto bad = WithPassphrase("agent start --allow-swap --idle-timeout soon");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("--idle-timeout"));
  auto none = NoPassphrase("agent start --allow-swap");
  EXPECT_EQ(none.exit_code, 2) << none.err;
}

}  // namespace
}  // namespace bulwark::testing
