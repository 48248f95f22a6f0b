#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulwark/store/open.h"
#include "lifecycle/test_fixture.h"

namespace bulwark::lifecycle {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RotationTest : public testing::LifecycleFixture {
 protected:
  // A `rotation:` block with `extra` fields and hooks that log "<phase> <value>" lines to
  // hooks.log (values: this is a test); verification exits `verify_exit`.
  std::string HookYaml(const std::string& verify_exit = "0", const std::string& extra = "") {
    const std::string log = (dir_ / "hooks.log").string();
    const std::string hook = fmt::format(
        "{{command: [/bin/sh, -c, 'printf \"%s %s\\n\" \"$BULWARK_PHASE\" \"$(cat)\" >> {}']}}", log);
    return fmt::format(
        "rotation:\n{}  apply: {}\n  revoke: {}\n  verify: {{command: [/bin/sh, -c, 'cat >/dev/null; exit "
        "{}'], attempts: 2, interval: 3s}}\n",
        extra, hook, hook, verify_exit);
  }
  std::vector<std::string> HookLog() {
    std::vector<std::string> out;
    std::stringstream ss(Slurp(dir_ / "hooks.log"));
    for (std::string l; std::getline(ss, l);) out.push_back(l);
    return out;
  }
};

TEST_F(RotationTest, SixPhasesWithGraceServingCurrentAndPrevious) {
  ASSERT_TRUE(Meta("type: password\n" + HookYaml()));
  const std::string old = Value();
  auto out = lc_->Rotate(ctx_, "prod/db", P("password"), {});
  ASSERT_TRUE(out.has_value()) << out.error().message();
  EXPECT_EQ(out->state, "in_grace");
  ASSERT_TRUE(out->grace_until.has_value());
  EXPECT_EQ(*out->grace_until, fake_.clock->Now() + std::chrono::hours(24));
  const std::string fresh = Value();
  EXPECT_NE(fresh, old);
  EXPECT_EQ(fresh.size(), 32u);
  EXPECT_EQ(Value(/*previous=*/true), old);  // both readable during grace
  EXPECT_THAT(Ops("secret.rotation."),
              ElementsAre("secret.rotation.pre_rotation:success", "secret.rotation.generate:success",
                          "secret.rotation.grace:success", "secret.rotation.verification:success"));
  // Before the grace ends nothing more happens.
  auto early = lc_->Rotate(ctx_, "prod/db", P("password"), {});
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->state, "in_grace");
  EXPECT_TRUE(early->resumed);
  fake_.clock->Advance(std::chrono::hours(25));
  auto due = lc_->RunDue(ctx_, false);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->items.size(), 1u);
  EXPECT_EQ(due->items[0].action, "resumed");
  EXPECT_EQ(due->items[0].outcome, "done");
  EXPECT_EQ(Value(true), "");  // previous retired
  EXPECT_THAT(HookLog(), ElementsAre("apply " + fresh, "revoke " + old));
  auto rec = lc_->Show(ctx_, "prod/db", P("password"));
  ASSERT_TRUE(rec.has_value());
  ASSERT_EQ(rec->history.size(), 1u);
  EXPECT_EQ(rec->history[0].outcome, "rotated");
  EXPECT_FALSE(rec->in_progress.has_value());
  EXPECT_EQ(rec->next_due, fake_.clock->Now() + std::chrono::days(30));
  // No audit record or error holds a value.
  for (const auto& r : audit_->records()) {
    const std::string json = service::AuditRecordToJson(r);
    EXPECT_EQ(json.find(fresh), std::string::npos) << json;
    EXPECT_EQ(json.find(old), std::string::npos) << json;
  }
}

TEST_F(RotationTest, AFailedVerificationRollsBackAndIsAudited) {
  ASSERT_TRUE(Meta("type: password\n" + HookYaml("1")));
  const std::string old = Value();
  auto out = lc_->Rotate(ctx_, "prod/db", P("password"), {});
  ASSERT_TRUE(out.has_value()) << out.error().message();
  EXPECT_EQ(out->state, "rolled_back");
  EXPECT_THAT(out->error, HasSubstr("verification failed after 2 attempt(s)"));
  EXPECT_EQ(Value(), old);
  EXPECT_EQ(Value(true), "");
  EXPECT_THAT(slept_, ElementsAre(std::chrono::seconds(3)));
  const auto log = HookLog();
  ASSERT_EQ(log.size(), 2u);  // installed, then the old value reinstalled
  EXPECT_THAT(log[0], ::testing::StartsWith("apply "));
  EXPECT_EQ(log[1], "rollback " + old);
  EXPECT_THAT(Ops("secret.rotation."),
              ElementsAre("secret.rotation.pre_rotation:success", "secret.rotation.generate:success",
                          "secret.rotation.grace:success", "secret.rotation.verification:failure",
                          "secret.rotation.rollback:success"));
  auto rec = lc_->Show(ctx_, "prod/db", P("password"));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->failures, 1u);
  EXPECT_EQ(rec->history.back().outcome, "rolled_back");
}

TEST_F(RotationTest, RetriesStopAtMaxRetriesUnlessForced) {
  ASSERT_TRUE(Meta("type: password\n" + HookYaml("1", "  max_retries: 2\n")));
  for (int i = 0; i < 2; ++i) {
    auto out = lc_->Rotate(ctx_, "prod/db", P("password"), {});
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->state, "rolled_back");
  }
  auto refused = lc_->Rotate(ctx_, "prod/db", P("password"), {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(refused.error().message(), HasSubstr("--force"));
  RotateOptions force;
  force.force = true;
  EXPECT_TRUE(lc_->Rotate(ctx_, "prod/db", P("password"), force).has_value());
}

TEST_F(RotationTest, EmergencyRotationNeedsAReasonAndRevokesAtOnce) {
  ASSERT_TRUE(Meta("type: password\n" + HookYaml()));
  RotateOptions e;
  e.emergency = true;
  auto no_reason = lc_->Rotate(ctx_, "prod/db", P("password"), e);
  ASSERT_FALSE(no_reason.has_value());
  EXPECT_EQ(no_reason.error().code(), ErrorCode::kInvalidArgument);
  e.reason = "leaked in a CI log";
  const std::string old = Value();
  auto out = lc_->Rotate(ctx_, "prod/db", P("password"), e);
  ASSERT_TRUE(out.has_value()) << out.error().message();
  EXPECT_EQ(out->state, "done");
  EXPECT_EQ(Value(true), "");
  EXPECT_NE(Value(), old);
  EXPECT_EQ(HookLog().back(), "revoke " + old);
  bool marked = false;
  for (const auto& r : audit_->records()) {
    marked = marked || (r.operation == "secret.rotation.revoke" &&
                        r.reason.find("emergency: leaked in a CI log") != std::string::npos);
  }
  EXPECT_TRUE(marked);
}

TEST_F(RotationTest, KeyPairsWriteTheirPublicKeyAlongside) {
  ASSERT_TRUE(Meta("type: encryption_key\nrotation: {grace: 0s, strategy: {kind: ed25519, public_path: signing.public_key}}\n",
                   "signing.private_key"));
  auto out = lc_->Rotate(ctx_, "prod/db", P("signing.private_key"), {});
  ASSERT_TRUE(out.has_value()) << out.error().message();
  service::ReadRequest read;
  read.reveal = true;
  auto doc = config_->Get(ctx_, "prod/db", read);
  ASSERT_TRUE(doc.has_value());
  EXPECT_THAT(config::Find(doc->value, P("signing.private_key"))->AsString(),
              HasSubstr("BEGIN PRIVATE KEY"));
  EXPECT_THAT(config::Find(doc->value, P("signing.public_key"))->AsString(), HasSubstr("BEGIN PUBLIC KEY"));
  // The public key is not a secret.
  bool public_sensitive = false;
  for (const auto& s : doc->sensitive) public_sensitive = public_sensitive || s.ToString() == "signing.public_key";
  EXPECT_FALSE(public_sensitive);
}

TEST_F(RotationTest, ARotationWithoutStrategyIsRefusedNamingTheWayOut) {
  ASSERT_TRUE(Meta("type: certificate\n"));
  auto out = lc_->Rotate(ctx_, "prod/db", P("password"), {});
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(out.error().message(), HasSubstr("no rotation strategy"));
}

// Crash at every step: the run stops right after the k-th journal write (as a crash would), a
// fresh lifecycle resumes it, and the end state is the same as an uninterrupted rotation's, with
// one value written (one version tagged with the rotation) and a value readable at every point.
class RotationCrashTest : public RotationTest, public ::testing::WithParamInterface<std::tuple<int, bool>> {};

TEST_P(RotationCrashTest, ResumesFromEveryStep) {
  const auto [crash_at, verify_ok] = GetParam();
  ASSERT_TRUE(Meta("type: password\n" + HookYaml(verify_ok ? "0" : "1", "  grace: 0s\n")));
  const std::string old = Value();
  int steps = 0;
  auto crashing = MakeLifecycle(config_, store_, [&](std::string_view, std::string_view) -> Status {
    if (++steps == crash_at) return UnavailableError("injected crash");
    return OkStatus();
  });
  auto first = crashing->Rotate(ctx_, "prod/db", P("password"), {});
  if (steps < crash_at) GTEST_SKIP() << "the rotation has fewer steps";
  ASSERT_FALSE(first.has_value());
  const std::string during = Value();
  EXPECT_FALSE(during.empty());  // never neither value
  auto stopped = lc_->Show(ctx_, "prod/db", P("password"));
  ASSERT_TRUE(stopped.has_value());
  if (!stopped->in_progress) {
    // Stopped after the journal write that finished the rotation: nothing to resume.
    ASSERT_FALSE(stopped->history.empty());
    EXPECT_EQ(stopped->history.back().outcome, verify_ok ? "rotated" : "rolled_back");
    EXPECT_EQ(Value() == old, !verify_ok);
    return;
  }
  auto resumed = lc_->Rotate(ctx_, "prod/db", P("password"), {});
  ASSERT_TRUE(resumed.has_value()) << resumed.error().message();
  EXPECT_TRUE(resumed->resumed);
  auto rec = lc_->Show(ctx_, "prod/db", P("password"));
  ASSERT_TRUE(rec.has_value());
  EXPECT_FALSE(rec->in_progress.has_value());
  ASSERT_FALSE(rec->history.empty());
  const std::string id = rec->history.back().id;
  auto hist = store_->History("prod/db");
  ASSERT_TRUE(hist.has_value());
  int tagged = 0;
  for (const auto& v : *hist) {
    tagged += std::count(v.tags.begin(), v.tags.end(), "rotation:" + id);
  }
  EXPECT_EQ(tagged, 1);
  if (verify_ok) {
    EXPECT_EQ(resumed->state, "done");
    EXPECT_NE(Value(), old);
    EXPECT_EQ(rec->history.back().outcome, "rotated");
  } else {
    EXPECT_EQ(resumed->state, "rolled_back");
    EXPECT_EQ(Value(), old);
    EXPECT_EQ(rec->history.back().outcome, "rolled_back");
  }
}

INSTANTIATE_TEST_SUITE_P(EveryStep, RotationCrashTest,
                         ::testing::Combine(::testing::Range(1, 13), ::testing::Bool()));

// The same with a real process death: a child process runs the rotation and _exits (no cleanup,
// no destructors) at the k-th step (journal writes, and the points between a value write or a
// hook and the journal write recording it); the parent resumes from what is on disk. For a
// verification that passes and one that fails, k runs until the child finishes uncrashed.
TEST_F(RotationTest, SurvivesAProcessKilledAtEveryStep) {
  for (const bool verify_ok : {true, false}) {
    auto meta = Meta("type: password\n" + HookYaml(verify_ok ? "0" : "1", "  grace: 0s\n  max_retries: 100\n"));
    ASSERT_TRUE(meta.has_value()) << meta.error().message();
    int crashes = 0;
    for (int crash_at = 1;; ++crash_at) {
      SCOPED_TRACE(fmt::format("verify_ok {} crash point {}", verify_ok, crash_at));
      const std::string before = Value();
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        // The child opens its own store connection (SQLite connections do not cross fork).
        auto st = store::OpenStore("sqlite:" + (dir_ / "store.db").string(), rt_);
        if (!st) ::_exit(2);
        std::shared_ptr<store::ConfigStore> store = std::move(*st);
        auto deps = Deps();
        deps.store = store;
        auto svc = service::ConfigService::Create(deps);
        if (!svc) ::_exit(3);
        int steps = 0;
        auto lc = MakeLifecycle(std::shared_ptr<service::ConfigService>(std::move(*svc)), store,
                                [&](std::string_view, std::string_view) -> Status {
                                  if (++steps == crash_at) ::_exit(86);
                                  return OkStatus();
                                });
        auto r = lc->Rotate(ctx_, "prod/db", P("password"), {});
        ::_exit(r ? 0 : 4);
      }
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      const bool crashed = WEXITSTATUS(status) == 86;
      ASSERT_TRUE(crashed || WEXITSTATUS(status) == 0) << "exit " << WEXITSTATUS(status);
      EXPECT_FALSE(Value().empty());  // never neither value
      auto journal = lc_->Show(ctx_, "prod/db", P("password"));
      ASSERT_TRUE(journal.has_value());
      // Killed after the last journal write (it cleared the journal): nothing to resume.
      if (crashed && journal->in_progress) {
        ++crashes;
        auto resumed = lc_->Rotate(ctx_, "prod/db", P("password"), {});
        ASSERT_TRUE(resumed.has_value()) << resumed.error().message();
        EXPECT_TRUE(resumed->resumed);
        EXPECT_EQ(resumed->state, verify_ok ? "done" : "rolled_back");
      }
      auto rec = lc_->Show(ctx_, "prod/db", P("password"));
      ASSERT_TRUE(rec.has_value());
      EXPECT_FALSE(rec->in_progress.has_value());  // the journal is cleared
      EXPECT_FALSE(rec->previous_version.has_value());
      ASSERT_FALSE(rec->history.empty());
      EXPECT_EQ(rec->history.back().outcome, verify_ok ? "rotated" : "rolled_back");
      if (verify_ok) {
        EXPECT_NE(Value(), before);
      } else {
        EXPECT_EQ(Value(), before);
      }
      // One value written per rotation (and one rollback write when it rolled back).
      const std::string id = rec->history.back().id;
      auto hist = store_->History("prod/db");
      ASSERT_TRUE(hist.has_value());
      int rotation_writes = 0, rollback_writes = 0;
      for (const auto& v : *hist) {
        rotation_writes += std::count(v.tags.begin(), v.tags.end(), "rotation:" + id);
        rollback_writes += std::count(v.tags.begin(), v.tags.end(), "rollback:" + id);
      }
      EXPECT_EQ(rotation_writes, 1);
      EXPECT_EQ(rollback_writes, verify_ok ? 0 : 1);
      if (!crashed) break;
    }
    // pre_rotation, generate (value written, journal, applied, journal), grace, verification,
    // revoke or rollback (value written, finish), post_rotation.
    EXPECT_GE(crashes, verify_ok ? 7 : 6);
  }
}

}  // namespace
}  // namespace bulwark::lifecycle
