// Alert delivery end to end: the webhook channel against a local HTTP server (HMAC signature
// recomputed by the receiver), the command and file channels, and the syslog channel against a
// real rsyslogd (the audit shipper's harness: plain TCP and RELP).
#include "bulwark/monitor/channel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "auditship/http_test_server.h"
#include "auditship/rsyslog_harness.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/monitor/dispatcher.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::monitor {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

Alert SampleAlert(Severity sev = Severity::kHigh) {
  Alert a;
  a.rule = "failed-logins";
  a.kind = "rule";
  a.title = "Repeated failed authentications";
  a.severity = sev;
  a.group = "local:mallory";
  a.summary = "local:mallory: more than 5 failed logins within 5 minutes";
  a.event_index = 41;
  a.event_time_us = 1'767'607'200'000'000;
  a.count = 6;
  a.window_seconds = 300;
  a.id = AlertId(a.rule, a.group, a.event_index);
  return a;
}

std::string Json(const Alert& a) {
  return AlertDocument(a, TimePoint(std::chrono::seconds(1'800'000'000)), "testhost").dump();
}

TEST(WebhookChannelTest, PostsTheAlertSignedWithHmac) {
  auditship::testing::TestHttpServer server([](const auto&) { return 200u; });
  ::setenv("BULWARK_TEST_ALERT_HMAC", "alert-signing-key", 1);
  ChannelConfig c;
  c.name = "oncall";
  c.type = ChannelType::kWebhook;
  c.url = fmt::format("http://127.0.0.1:{}/hooks/bulwark", server.port());
  c.secret_env = "BULWARK_TEST_ALERT_HMAC";
  auto clock = std::make_shared<bulwark::testing::FakeClock>();
  ChannelEnvironment env;
  env.runtime.clock = clock;
  auto ch = CreateChannel(c, env);
  ASSERT_TRUE(ch.has_value()) << ch.error().message();
  const Alert a = SampleAlert();
  const std::string body = Json(a);
  ASSERT_TRUE((*ch)->Deliver({a, body, clock->Now()}).has_value());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.target(), "/hooks/bulwark");
  EXPECT_EQ(req[boost::beast::http::field::content_type], "application/json");
  EXPECT_EQ(req["Bulwark-Alert-Id"], a.id);
  EXPECT_EQ(req.body(), body);
  // The receiver's check: recompute HMAC-SHA256(key, "<t>.<body>") over the raw body.
  const std::string sig(req["Bulwark-Signature"]);
  ASSERT_THAT(sig, StartsWith("t=1800000000,v1="));
  const std::string signed_text = "1800000000." + std::string(req.body());
  auto mac = crypto::HmacSha256(SecretBytes::FromString("alert-signing-key"),
                                crypto::AsBytes(signed_text));
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(sig.substr(sig.find("v1=") + 3), HexEncode(*mac));
  ::unsetenv("BULWARK_TEST_ALERT_HMAC");
}

TEST(WebhookChannelTest, ANon2xxAnswerIsAFailureNamingTheChannel) {
  auditship::testing::TestHttpServer server([](const auto&) { return 503u; });
  ChannelConfig c;
  c.name = "oncall";
  c.type = ChannelType::kWebhook;
  c.url = fmt::format("http://127.0.0.1:{}/x", server.port());
  auto ch = CreateChannel(c, {});
  ASSERT_TRUE(ch.has_value());
  const Alert a = SampleAlert();
  auto s = (*ch)->Deliver({a, Json(a), TimePoint()});
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("alert channel 'oncall' (webhook)"));
  EXPECT_THAT(s.error().message(), HasSubstr("HTTP 503"));
  EXPECT_TRUE(server.requests()[0]["Bulwark-Signature"].empty());
}

TEST(WebhookChannelTest, AMissingKeyIsRefusedAtCreationWithoutTheValue) {
  ChannelConfig c;
  c.name = "oncall";
  c.type = ChannelType::kWebhook;
  c.url = "http://127.0.0.1:9/x";
  c.secret_env = "BULWARK_TEST_UNSET_HMAC_VAR";
  auto ch = CreateChannel(c, {});
  ASSERT_FALSE(ch.has_value());
  EXPECT_THAT(ch.error().message(),
              HasSubstr("secret_env: $BULWARK_TEST_UNSET_HMAC_VAR is not set"));
}

TEST(CommandChannelTest, RunsTheHookWithTheAlertOnStdin) {
  bulwark::testing::TempDir dir;
  const fs::path out = dir.path() / "got.txt";
  ChannelConfig c;
  c.name = "page";
  c.type = ChannelType::kCommand;
  c.command = {"/bin/sh", "-c",
               "{ echo \"$BULWARK_ALERT_RULE $BULWARK_ALERT_SEVERITY\"; cat; } > " + out.string()};
  auto ch = CreateChannel(c, {});
  ASSERT_TRUE(ch.has_value());
  const Alert a = SampleAlert(Severity::kCritical);
  const std::string body = Json(a);
  ASSERT_TRUE((*ch)->Deliver({a, body, TimePoint()}).has_value());
  std::ifstream in(out);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_EQ(first, "failed-logins critical");
  EXPECT_EQ(second, body);

  c.command = {"/bin/sh", "-c", "echo pager is down >&2; exit 4"};
  auto failing = CreateChannel(c, {});
  ASSERT_TRUE(failing.has_value());
  auto s = (*failing)->Deliver({a, body, TimePoint()});
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(),
              HasSubstr("alert channel 'page' (command): exit status 4: pager is down"));
}

TEST(FileChannelTest, AppendsOneLinePerAlert) {
  bulwark::testing::TempDir dir;
  ChannelConfig c;
  c.name = "spool";
  c.type = ChannelType::kFile;
  c.path = dir.path() / "alerts.jsonl";
  auto ch = CreateChannel(c, {});
  ASSERT_TRUE(ch.has_value());
  const Alert a = SampleAlert();
  ASSERT_TRUE((*ch)->Deliver({a, "{\"a\":1}", TimePoint()}).has_value());
  ASSERT_TRUE((*ch)->Deliver({a, "{\"a\":2}", TimePoint()}).has_value());
  std::ifstream in(c.path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ(fs::status(c.path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(SyslogChannelTest, DeliversToARealRsyslogOverTcpAndRelp) {
  bulwark::testing::TempDir dir;
  auditship::testing::Rsyslog rsyslog(dir.path());
  ASSERT_NO_FATAL_FAILURE(rsyslog.MakeCertificates());
  ASSERT_NO_FATAL_FAILURE(rsyslog.Start());
  ChannelEnvironment env;
  env.hostname = "bulwark-monitor-host";
  DispatcherOptions d;
  for (auto [name, port, transport] :
       {std::tuple{"tcp", rsyslog.tcp_port, auditship::SyslogTransport::kTcp},
        std::tuple{"relp", rsyslog.relp_port, auditship::SyslogTransport::kRelp}}) {
    ChannelConfig c;
    c.name = name;
    c.type = ChannelType::kSyslog;
    c.host = "127.0.0.1";
    c.port = port;
    c.transport = transport;
    c.timeout = std::chrono::milliseconds(30000);
    auto ch = CreateChannel(c, env);
    ASSERT_TRUE(ch.has_value());
    d.channels.push_back(std::move(*ch));
  }
  d.hostname = "bulwark-monitor-host";
  auto dispatcher = Dispatcher::Create(std::move(d));
  ASSERT_TRUE(dispatcher.has_value());
  auto report = (*dispatcher)->Dispatch(SampleAlert(Severity::kCritical));
  ASSERT_TRUE(report.failed.empty()) << report.failed[0].second.message();
  const auto raw = rsyslog.WaitLines("raw.log", 2);
  const auto fields = rsyslog.WaitLines("fields.log", 2);
  ASSERT_EQ(raw.size(), 2u);
  ASSERT_EQ(fields.size(), 2u);
  for (const auto& line : raw) {
    const auto space = line.find(' ');
    const std::string input = line.substr(0, space);
    EXPECT_TRUE(input == "tcp" || input == "relp") << line;
    const std::string msg = line.substr(space + 1);
    EXPECT_THAT(msg, StartsWith("<114>1 "));  // facility 14 (log alert) * 8 + severity 2
    EXPECT_THAT(msg, HasSubstr(" bulwark-monitor-host bulwark - alert [bulwark-alert@32473 "
                               "rule=\"failed-logins\" severity=\"critical\""));
    const std::string json = msg.substr(msg.find("] ") + 2);
    EXPECT_EQ(json, report.json);
  }
  for (const auto& f : fields) {
    EXPECT_THAT(f, HasSubstr("|14|2|bulwark-monitor-host|bulwark|alert|[bulwark-alert@32473"));
  }
}

}  // namespace
}  // namespace bulwark::monitor
