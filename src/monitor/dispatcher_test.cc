#include "bulwark/monitor/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/recording_audit_sink.h"

namespace bulwark::monitor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A channel that records what it got and fails the first `fail` attempts.
class FakeChannel final : public Channel {
 public:
  FakeChannel(std::string name, Severity min, int fail = 0) : fail_(fail) {
    config_.name = std::move(name);
    config_.min_severity = min;
  }
  Status Deliver(const AlertMessage& m) override {
    ++attempts;
    if (fail_ > 0) {
      --fail_;
      return UnavailableError(config_.name + ": down");
    }
    bodies.emplace_back(m.json);
    return OkStatus();
  }
  const ChannelConfig& config() const override { return config_; }
  int attempts = 0;
  std::vector<std::string> bodies;

 private:
  ChannelConfig config_;
  int fail_;
};

struct Fixture {
  FakeChannel* oncall = nullptr;
  FakeChannel* siem = nullptr;
  std::shared_ptr<testing::RecordingAuditSink> audit =
      std::make_shared<testing::RecordingAuditSink>();
  std::shared_ptr<testing::FakeClock> clock = std::make_shared<testing::FakeClock>();
  std::vector<std::chrono::milliseconds> sleeps;
  std::unique_ptr<Dispatcher> dispatcher;

  explicit Fixture(int oncall_failures = 0) {
    DispatcherOptions o;
    auto a = std::make_unique<FakeChannel>("oncall", Severity::kHigh, oncall_failures);
    auto b = std::make_unique<FakeChannel>("siem", Severity::kInfo);
    oncall = a.get();
    siem = b.get();
    o.channels.push_back(std::move(a));
    o.channels.push_back(std::move(b));
    o.audit = audit;
    o.context.principal.id = "local:monitor";
    o.hostname = "testhost";
    o.runtime.clock = clock;
    o.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    auto d = Dispatcher::Create(std::move(o));
    EXPECT_TRUE(d.has_value());
    dispatcher = std::move(*d);
  }
};

Alert MakeAlert(Severity sev, std::int64_t time_s, std::string group = "local:mallory") {
  Alert a;
  a.rule = "failed-logins";
  a.kind = "rule";
  a.title = "Repeated failed authentications";
  a.severity = sev;
  a.group = std::move(group);
  a.summary = "too many failures";
  a.event_index = static_cast<std::uint64_t>(time_s);
  a.event_time_us = time_s * 1'000'000;
  a.cooldown = std::chrono::minutes(10);
  a.id = AlertId(a.rule, a.group, a.event_index);
  return a;
}

TEST(DispatcherTest, RoutesBySeverityAndAuditsEachAlert) {
  Fixture f;
  auto low = f.dispatcher->Dispatch(MakeAlert(Severity::kMedium, 0, "a"));
  EXPECT_THAT(low.delivered, ElementsAre("siem"));
  auto high = f.dispatcher->Dispatch(MakeAlert(Severity::kHigh, 0, "b"));
  EXPECT_THAT(high.delivered, ElementsAre("oncall", "siem"));
  EXPECT_EQ(f.oncall->bodies.size(), 1u);
  auto doc = nlohmann::json::parse(f.oncall->bodies[0]);
  EXPECT_EQ(doc["type"], "dev.bulwark.alert");
  EXPECT_EQ(doc["source"], "bulwark://testhost/monitor");
  EXPECT_EQ(doc["data"]["rule"], "failed-logins");
  EXPECT_EQ(doc["data"]["group"], "b");
  const auto records = f.audit->records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].operation, "monitor.alert");
  EXPECT_EQ(records[1].action, request::Action::kAdmin);
  EXPECT_EQ(records[1].outcome, request::Outcome::kSuccess);
  EXPECT_EQ(records[1].context.principal.id, "local:monitor");
  EXPECT_THAT(records[1].reason,
              HasSubstr("failed-logins (high) b: too many failures; delivered: oncall, siem"));
}

TEST(DispatcherTest, CooldownSuppressesRepeatsAndCountsThem) {
  Fixture f;
  EXPECT_FALSE(f.dispatcher->Dispatch(MakeAlert(Severity::kLow, 0)).suppressed);
  EXPECT_TRUE(f.dispatcher->Dispatch(MakeAlert(Severity::kLow, 60)).suppressed);
  EXPECT_TRUE(f.dispatcher->Dispatch(MakeAlert(Severity::kLow, 599)).suppressed);
  EXPECT_FALSE(f.dispatcher->Dispatch(MakeAlert(Severity::kLow, 0, "other")).suppressed);
  auto after = f.dispatcher->Dispatch(MakeAlert(Severity::kLow, 600));
  EXPECT_FALSE(after.suppressed);
  EXPECT_EQ(after.alert.suppressed, 2u);
  EXPECT_EQ(nlohmann::json::parse(after.json)["data"]["suppressed"], 2);
  EXPECT_EQ(f.audit->records().size(), 3u);  // suppressed alerts are not delivered or audited
}

TEST(DispatcherTest, RetriesAFailingChannelAndReportsWhatFailed) {
  Fixture flaky(1);
  auto r = flaky.dispatcher->Dispatch(MakeAlert(Severity::kCritical, 0));
  EXPECT_THAT(r.delivered, ElementsAre("oncall", "siem"));
  EXPECT_EQ(flaky.oncall->attempts, 2);
  EXPECT_THAT(flaky.sleeps, ElementsAre(std::chrono::milliseconds(200)));

  Fixture down(100);
  auto d = down.dispatcher->Dispatch(MakeAlert(Severity::kCritical, 0));
  EXPECT_EQ(down.oncall->attempts, 3);  // 1 + retries (2)
  ASSERT_EQ(d.failed.size(), 1u);
  EXPECT_EQ(d.failed[0].first, "oncall");
  const auto rec = down.audit->records().back();
  EXPECT_EQ(rec.outcome, request::Outcome::kFailure);
  EXPECT_THAT(rec.reason, HasSubstr("delivered: siem; failed: oncall"));
}

TEST(DispatcherTest, TheCooldownStartsOnlyWhenSomethingWasDelivered) {
  Fixture f(1000);
  Alert only_oncall = MakeAlert(Severity::kCritical, 0);
  only_oncall.channels = {"oncall"};
  EXPECT_FALSE(f.dispatcher->Dispatch(only_oncall).suppressed);
  Alert again = MakeAlert(Severity::kCritical, 10);
  again.channels = {"oncall"};
  EXPECT_FALSE(f.dispatcher->Dispatch(again).suppressed);
}

TEST(DispatcherTest, AnAuditOutageDoesNotStopDelivery) {
  Fixture f;
  f.audit->set_unavailable(true);
  auto r = f.dispatcher->Dispatch(MakeAlert(Severity::kHigh, 0));
  EXPECT_EQ(r.delivered.size(), 2u);
  ASSERT_TRUE(r.audit_error.has_value());
  EXPECT_THAT(r.audit_error->message(), HasSubstr("injected outage"));
}

TEST(DispatcherTest, CooldownsRoundTripForTheStateFile) {
  Fixture f;
  f.dispatcher->Dispatch(MakeAlert(Severity::kLow, 0));
  f.dispatcher->Dispatch(MakeAlert(Severity::kLow, 1));
  auto saved = f.dispatcher->Cooldowns();
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].suppressed, 1u);
  Fixture g;
  g.dispatcher->RestoreCooldowns(saved);
  EXPECT_TRUE(g.dispatcher->Dispatch(MakeAlert(Severity::kLow, 2)).suppressed);
}

TEST(DispatcherTest, RefusesTwoChannelsOfOneName) {
  DispatcherOptions o;
  o.channels.push_back(std::make_unique<FakeChannel>("x", Severity::kInfo));
  o.channels.push_back(std::make_unique<FakeChannel>("x", Severity::kInfo));
  EXPECT_FALSE(Dispatcher::Create(std::move(o)).has_value());
}

}  // namespace
}  // namespace bulwark::monitor
