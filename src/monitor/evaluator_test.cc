#include "bulwark/monitor/evaluator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "monitor/test_util.h"

namespace bulwark::monitor {
namespace {

using testing::EventSpec;
using ::testing::HasSubstr;

std::unique_ptr<Evaluator> Builtins(RuleSettings settings = {}) {
  EvaluatorOptions o;
  o.rules = BuiltinAlertRules();
  o.settings = std::move(settings);
  auto e = Evaluator::Create(std::move(o));
  EXPECT_TRUE(e.has_value()) << e.error().message();
  return e ? std::move(*e) : nullptr;
}

std::vector<Alert> Feed(Evaluator& ev, const EventSpec& s, std::uint64_t index) {
  std::vector<Alert> out;
  ev.Process(testing::View(s, index), out);
  return out;
}

TEST(EvaluatorTest, SixFailedLoginsWithinFiveMinutesRaiseOneAlert) {
  auto ev = Builtins();
  ASSERT_NE(ev, nullptr);
  EventSpec s;
  s.operation = "auth.login";
  s.outcome = request::Outcome::kFailure;
  s.actor = "local:mallory";
  std::vector<Alert> all;
  for (int i = 0; i < 6; ++i) {
    s.time = testing::Monday10() + std::chrono::seconds(40 * i);
    for (auto& a : Feed(*ev, s, i)) all.push_back(std::move(a));
  }
  ASSERT_EQ(all.size(), 1u);
  const Alert& a = all[0];
  EXPECT_EQ(a.rule, "failed-logins");
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.group, "local:mallory");
  EXPECT_EQ(a.count, 6u);
  EXPECT_EQ(a.window_seconds, 300);
  EXPECT_EQ(a.summary, "local:mallory: more than 5 failed logins within 5 minutes");
  EXPECT_EQ(a.event_index, 5u);
  EXPECT_EQ(a.id, AlertId("failed-logins", "local:mallory", 5));
  EXPECT_EQ(a.cooldown, std::chrono::minutes(10));
}

TEST(EvaluatorTest, FailuresSpreadOverMoreThanFiveMinutesDoNotAlert) {
  auto ev = Builtins();
  EventSpec s;
  s.operation = "auth.login";
  s.outcome = request::Outcome::kFailure;
  for (int i = 0; i < 20; ++i) {
    s.time = testing::Monday10() + std::chrono::seconds(61 * i);
    EXPECT_TRUE(Feed(*ev, s, i).empty()) << i;
  }
}

TEST(EvaluatorTest, ProductionRevealAlertsOnlyOutsideWorkingHours) {
  RuleSettings settings;
  settings.timezone = "+02:00";
  auto ev = Builtins(settings);
  EventSpec s;
  s.operation = "config.reveal";
  s.action = request::Action::kReveal;
  s.ns = "production/payments";
  s.sensitive_paths = {"db.password"};
  s.revealed = true;
  s.time = testing::Monday10();  // 12:00 at +02:00, a Monday
  EXPECT_TRUE(Feed(*ev, s, 0).empty());
  s.time = testing::Monday10() + std::chrono::hours(9);  // 21:00 local
  auto night = Feed(*ev, s, 1);
  ASSERT_EQ(night.size(), 1u);
  EXPECT_EQ(night[0].rule, "prod-reveal-after-hours");
  EXPECT_THAT(night[0].summary, HasSubstr("revealed 1 secret(s) of production/payments"));
  s.ns = "dev/payments";
  EXPECT_TRUE(Feed(*ev, s, 2).empty());
  s.ns = "production/payments";
  s.time = testing::Monday10() - std::chrono::hours(48);  // Saturday noon
  EXPECT_EQ(Feed(*ev, s, 3).size(), 1u);
}

TEST(EvaluatorTest, BuiltInsCatchVerificationFailuresAdminGrantsOverdueSecretsAndBreakGlass) {
  auto ev = Builtins();
  EventSpec verify;
  verify.operation = "audit.verify";
  verify.action = request::Action::kAdmin;
  verify.outcome = request::Outcome::kFailure;
  verify.reason = "root mismatch at 1000";
  auto v = Feed(*ev, verify, 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, "audit-verification-failed");
  EXPECT_EQ(v[0].severity, Severity::kCritical);

  EventSpec grant;
  grant.operation = "config.set";
  grant.action = request::Action::kWrite;
  grant.paths = {"roles.admin.members"};
  auto g = Feed(*ev, grant, 1);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].rule, "admin-granted");
  grant.paths = {"roles.reader.members"};
  EXPECT_TRUE(Feed(*ev, grant, 2).empty());

  EventSpec overdue;
  overdue.operation = "secret.overdue";
  overdue.action = request::Action::kRotate;
  overdue.paths = {"db.password"};
  auto o = Feed(*ev, overdue, 3);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].group, "dev/app db.password");

  EventSpec failed;
  failed.operation = "secret.rotation.verification";
  failed.action = request::Action::kRotate;
  failed.outcome = request::Outcome::kFailure;
  failed.paths = {"db.password"};
  failed.reason = "rotation 0a1b: verification failed after 3 attempt(s); rolling back";
  auto f = Feed(*ev, failed, 5);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "secret-rotation-failed");
  EXPECT_THAT(f[0].summary, HasSubstr("rotation of dev/app db.password failed: rotation 0a1b"));

  EventSpec glass;
  glass.operation = "change.emergency_approve";
  glass.action = request::Action::kApprove;
  auto b = Feed(*ev, glass, 4);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].rule, "emergency-approval");

  // Drift: a check that found drift alerts; a refused baseline (no such namespace) does not.
  EventSpec drifted;
  drifted.operation = "drift.check";
  drifted.action = request::Action::kRead;
  drifted.outcome = request::Outcome::kFailure;
  drifted.reason = "2 differences";
  auto d = Feed(*ev, drifted, 6);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule, "drift-detected");
  EventSpec baseline;
  baseline.operation = "drift.baseline";
  baseline.action = request::Action::kApprove;
  baseline.outcome = request::Outcome::kFailure;
  EXPECT_TRUE(Feed(*ev, baseline, 7).empty());
}

TEST(EvaluatorTest, EvaluationErrorsAreCountedNotAlerted) {
  EvaluatorOptions o;
  AlertRule r;
  r.id = "needs-version";
  r.title = "t";
  r.condition = "event.version_after > 3";
  o.rules.push_back(r);
  auto ev = Evaluator::Create(std::move(o));
  ASSERT_TRUE(ev.has_value());
  EXPECT_TRUE(Feed(**ev, EventSpec{}, 7).empty());
  auto stats = (*ev)->Stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].errors, 1u);
  EXPECT_THAT(stats[0].last_error, HasSubstr("event 7: condition: no such key"));
}

TEST(EvaluatorTest, SkipsTheMonitorsOwnEventsAndDisabledRules) {
  EvaluatorOptions o;
  AlertRule any;
  any.id = "any";
  any.title = "Any";
  any.condition = "true";
  AlertRule off = any;
  off.id = "off";
  off.enabled = false;
  o.rules = {any, off};
  auto ev = Evaluator::Create(std::move(o));
  ASSERT_TRUE(ev.has_value());
  EventSpec alert;
  alert.operation = "monitor.alert";
  EXPECT_TRUE(Feed(**ev, alert, 0).empty());
  auto a = Feed(**ev, EventSpec{}, 1);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rule, "any");
  EXPECT_EQ(a[0].summary, "Any");
  EXPECT_EQ((*ev)->events(), 1u);
}

TEST(EvaluatorTest, AnomaliesBecomeAlertsWithTheirOwnChannelsAndCooldown) {
  EvaluatorOptions o;
  AnomalyOptions a;
  a.unusual_hour.enabled = false;
  a.rate_spike.enabled = false;
  a.mass_read.enabled = false;
  a.new_source.min_events = 3;
  o.anomalies = a;
  o.anomaly_channels = {"page"};
  o.anomaly_cooldown = std::chrono::minutes(30);
  auto ev = Evaluator::Create(std::move(o));
  ASSERT_TRUE(ev.has_value()) << ev.error().message();
  EventSpec s;
  s.source_address = "10.0.0.1";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Feed(**ev, s, i).empty());
  s.source_address = "203.0.113.9";
  auto out = Feed(**ev, s, 3);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rule, "anomaly.new_source");
  EXPECT_EQ(out[0].kind, "anomaly");
  EXPECT_EQ(out[0].group, "local:alice 203.0.113.9");
  EXPECT_EQ(out[0].channels, std::vector<std::string>{"page"});
  EXPECT_EQ(out[0].cooldown, std::chrono::minutes(30));
  EXPECT_EQ(out[0].details["address"], "203.0.113.9");
}

}  // namespace
}  // namespace bulwark::monitor
