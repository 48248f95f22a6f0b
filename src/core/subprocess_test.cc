#include "bulwark/core/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bulwark {
namespace {

using ::testing::HasSubstr;

SubprocessOptions Sh(std::string script) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", std::move(script)};
  o.timeout = std::chrono::milliseconds(20000);
  return o;
}

TEST(SubprocessTest, PassesStdinAndEnvironmentAndCapturesStdout) {
  SubprocessOptions o = Sh("read line; printf '%s:%s' \"$line\" \"$HOOK_PHASE\"");
  o.stdin_data = SecretBytes::FromString("s3cret\n");
  o.env = {{"HOOK_PHASE", "verify"}};
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->stdout_data.RevealAsString(), "s3cret:verify");
}

TEST(SubprocessTest, ReportsExitStatusAndStderr) {
  auto r = RunSubprocess(Sh("echo oops >&2; exit 3"));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stderr_tail, "oops\n");
  EXPECT_EQ(r->Describe({}), "exit status 3");
}

TEST(SubprocessTest, KillsTheProcessGroupAtTheDeadline) {
  SubprocessOptions o = Sh("sleep 30 & sleep 30; echo never");
  o.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->stdout_data.size(), 0u);
  // Not a timing assertion on the child: only that we did not wait for its 30 s sleep.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(25));
}

TEST(SubprocessTest, AChildThatIgnoresStdinDoesNotKillTheCaller) {
  SubprocessOptions o = Sh("exit 0");
  o.stdin_data = SecretBytes::FromString(std::string(1 << 20, 'x'));  // more than a pipe holds
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0);
}

TEST(SubprocessTest, StopsAtTooMuchOutput) {
  SubprocessOptions o = Sh("head -c 100000 /dev/zero");
  o.max_stdout = 1000;
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->output_truncated);
  EXPECT_FALSE(r->ok());
}

TEST(SubprocessTest, AMissingProgramIsUnavailableNamingIt) {
  SubprocessOptions o;
  o.argv = {"/nonexistent/bulwark-hook"};
  auto r = RunSubprocess(o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(r.error().message(), HasSubstr("/nonexistent/bulwark-hook"));
  EXPECT_FALSE(RunSubprocess(SubprocessOptions{}).has_value());
}

}  // namespace
}  // namespace bulwark
