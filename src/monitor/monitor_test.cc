#include "bulwark/monitor/monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bulwark/audit/log_audit.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"
#include "monitor/test_util.h"

namespace bulwark::monitor {
namespace {

using testing::EventSpec;
using ::testing::HasSubstr;

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit::AuditLogOptions o;
    o.path = dir_.path() / "audit.db";
    o.origin = "bulwark.test/audit";
    auto log = audit::AuditLog::Open(std::move(o));
    ASSERT_TRUE(log.has_value()) << log.error().message();
    log_ = std::shared_ptr<audit::AuditLog>(std::move(*log));
    rt_ = Runtime::System();
    rt_.clock = clock_;
    sink_ = std::make_shared<audit::LogAuditSink>(log_, audit::ImpactClassifier::Default(),
                                                  "bulwark://test/config", rt_);
  }

  // Appends events through the service's audit sink, as the CLI does.
  void Append(const EventSpec& s, int n = 1) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(sink_->Append(testing::Record(s)).has_value());
  }

  EventSpec FailedLogin(int second) {
    EventSpec s;
    s.operation = "auth.login";
    s.outcome = request::Outcome::kFailure;
    s.actor = "local:mallory";
    s.time = testing::Monday10() + std::chrono::seconds(second);
    return s;
  }

  std::unique_ptr<Monitor> Open(bool from_start = false, bool dry_run = false) {
    EvaluatorOptions eo;
    eo.rules = BuiltinAlertRules();
    auto ev = Evaluator::Create(std::move(eo));
    EXPECT_TRUE(ev.has_value());
    DispatcherOptions d;
    ChannelConfig file;
    file.name = "spool";
    file.type = ChannelType::kFile;
    file.path = dir_.path() / "alerts.jsonl";
    auto ch = CreateChannel(file, {});
    EXPECT_TRUE(ch.has_value());
    d.channels.push_back(std::move(*ch));
    d.audit = sink_;
    d.context.principal.id = "local:monitor";
    d.runtime = rt_;
    auto disp = Dispatcher::Create(std::move(d));
    EXPECT_TRUE(disp.has_value());
    MonitorOptions mo;
    mo.log = log_;
    mo.state_file = dir_.path() / "monitor-state.json";
    mo.from_start = from_start;
    mo.dry_run = dry_run;
    mo.runtime = rt_;
    mo.batch = 3;  // several batches per pass
    auto m = Monitor::Create(std::move(mo), std::move(*ev), std::move(*disp));
    EXPECT_TRUE(m.has_value()) << m.error().message();
    return m ? std::move(*m) : nullptr;
  }

  std::vector<nlohmann::json> Delivered() {
    std::ifstream in(dir_.path() / "alerts.jsonl");
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  bulwark::testing::TempDir dir_;
  std::shared_ptr<bulwark::testing::FakeClock> clock_ =
      std::make_shared<bulwark::testing::FakeClock>();
  Runtime rt_;
  std::shared_ptr<audit::AuditLog> log_;
  std::shared_ptr<audit::LogAuditSink> sink_;
};

TEST_F(MonitorTest, AlertsOnNewEventsDeliversAndAuditsThem) {
  Append(EventSpec{}, 4);  // history before the first start: not alerted
  auto m = Open();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Stats().cursor, 4u);
  for (int i = 0; i < 6; ++i) Append(FailedLogin(i));
  std::vector<DeliveryReport> reports;
  auto n = m->RunOnce([&](const DeliveryReport& r) { reports.push_back(r); });
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(*n, 6u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].delivered, std::vector<std::string>{"spool"});
  auto delivered = Delivered();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0]["data"]["rule"], "failed-logins");
  EXPECT_EQ(delivered[0]["data"]["event"]["index"], 9);
  // The alert is an audit event itself, and the monitor skips it.
  std::vector<std::string> ops;
  ASSERT_TRUE(log_->Scan(0, 100,
                         [&](const audit::StoredEvent& e) -> Status {
                           ops.push_back(nlohmann::json::parse(e.leaf)["data"]["operation"]);
                           return OkStatus();
                         })
                  .has_value());
  ASSERT_EQ(ops.size(), 11u);
  EXPECT_EQ(ops.back(), "monitor.alert");
  auto again = m->RunOnce();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 0u);  // only its own event was new
  EXPECT_EQ(m->Stats().cursor, 11u);
}

TEST_F(MonitorTest, ARestartContinuesFromTheCursorWithWindowsRebuiltFromHistory) {
  {
    auto m = Open();
    ASSERT_NE(m, nullptr);
    for (int i = 0; i < 4; ++i) Append(FailedLogin(i));
    ASSERT_TRUE(m->RunOnce().has_value());
    EXPECT_TRUE(Delivered().empty());
  }
  auto state = ReadMonitorState(*rt_.fs, dir_.path() / "monitor-state.json");
  ASSERT_TRUE(state.has_value());
  ASSERT_TRUE(state->has_value());
  EXPECT_EQ((*state)->cursor, 4u);
  // Two more failures while the monitor is down: with the four it learned again at start, the
  // window holds six.
  Append(FailedLogin(10));
  Append(FailedLogin(11));
  auto m = Open();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Stats().learned, 4u);
  ASSERT_TRUE(m->RunOnce().has_value());
  ASSERT_EQ(Delivered().size(), 1u);
}

TEST_F(MonitorTest, TheCooldownSurvivesARestart) {
  {
    auto m = Open();
    for (int i = 0; i < 6; ++i) Append(FailedLogin(i));
    ASSERT_TRUE(m->RunOnce().has_value());
    ASSERT_EQ(Delivered().size(), 1u);
  }
  auto m = Open();
  for (int i = 0; i < 6; ++i) Append(FailedLogin(20 + i));
  std::vector<DeliveryReport> reports;
  ASSERT_TRUE(m->RunOnce([&](const DeliveryReport& r) { reports.push_back(r); }).has_value());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(reports[0].suppressed);
  EXPECT_EQ(Delivered().size(), 1u);
}

TEST_F(MonitorTest, FromStartEvaluatesTheWholeLogAndDryRunsLeaveNoState) {
  for (int i = 0; i < 6; ++i) Append(FailedLogin(i));
  auto dry = Open(/*from_start=*/true, /*dry_run=*/true);
  ASSERT_NE(dry, nullptr);
  std::vector<DeliveryReport> reports;
  ASSERT_TRUE(dry->RunOnce([&](const DeliveryReport& r) { reports.push_back(r); }).has_value());
  EXPECT_EQ(reports.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "monitor-state.json"));
}

TEST_F(MonitorTest, ACorruptStateFileIsRefused) {
  std::ofstream(dir_.path() / "monitor-state.json") << "{\"version\": 7}";
  EvaluatorOptions eo;
  auto ev = Evaluator::Create(std::move(eo));
  auto disp = Dispatcher::Create({});
  ASSERT_TRUE(ev.has_value() && disp.has_value());
  MonitorOptions mo;
  mo.log = log_;
  mo.state_file = dir_.path() / "monitor-state.json";
  auto m = Monitor::Create(std::move(mo), std::move(*ev), std::move(*disp));
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), ErrorCode::kDataLoss);
  EXPECT_THAT(m.error().message(), HasSubstr("monitor-state.json"));
}

}  // namespace
}  // namespace bulwark::monitor
