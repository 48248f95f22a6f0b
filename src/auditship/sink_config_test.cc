#include "bulwark/auditship/sink_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/config/format.h"

namespace bulwark::auditship {
namespace {

using ::testing::HasSubstr;

Result<std::vector<SinkConfig>> Parse(const std::string& yaml) {
  config::ParseOptions o;
  o.source_name = "config.yaml";
  auto doc = config::ParseDocument(yaml, config::Format::kYaml, o);
  // Not kInvalidArgument: a test's own YAML that does not parse is no expected rejection.
  if (!doc) return InternalError("the test's YAML does not parse: " + doc.error().ToString());
  return ParseSinkConfigs(*doc, "/home/u/.bulwark");
}

std::string ErrorOf(const std::string& yaml) {
  auto r = Parse(yaml);
  EXPECT_FALSE(r.has_value());
  if (r) return "";
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  return r.error().message();
}

TEST(SinkConfigTest, ParsesEveryTypeWithDefaultsAndResolvesRelativePaths) {
  auto r = Parse(R"(audit:
  sinks:
    - name: archive
      type: file
      path: audit.jsonl
    - name: siem
      type: syslog
      host: siem.example
      port: 6514
      payload: cef
      transport: relp
      tls: {ca: ca.pem, cert: /etc/c.pem, key: /etc/c.key, server_name: siem}
      batch_size: 50
    - name: arcsight
      type: cef
      host: 10.0.0.1
      port: 514
    - name: hook
      type: webhook
      url: https://hooks.example/x
      token_env: HOOK_TOKEN
      timeout_ms: 2000
      retry_initial_ms: 100
      retry_max_ms: 1000
)");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->size(), 4u);
  const auto& f = (*r)[0];
  EXPECT_EQ(f.type, SinkType::kFile);
  EXPECT_EQ(f.path, "/home/u/.bulwark/audit.jsonl");
  EXPECT_EQ(f.format, EventFormat::kJsonl);
  EXPECT_EQ(f.batch_size, 500u);
  const auto& s = (*r)[1];
  EXPECT_EQ(s.type, SinkType::kSyslog);
  EXPECT_EQ(s.port, 6514);
  EXPECT_EQ(s.payload, SyslogPayload::kCef);
  EXPECT_EQ(s.transport, SyslogTransport::kRelp);
  EXPECT_EQ((*r)[2].transport, SyslogTransport::kTcp);
  ASSERT_TRUE(s.tls.has_value());
  EXPECT_EQ(s.tls->ca, "/home/u/.bulwark/ca.pem");
  EXPECT_EQ(s.tls->cert, "/etc/c.pem");
  EXPECT_EQ(s.tls->server_name, "siem");
  EXPECT_EQ(s.batch_size, 50u);
  EXPECT_EQ((*r)[2].type, SinkType::kCef);
  EXPECT_EQ((*r)[2].payload, SyslogPayload::kCef);
  EXPECT_FALSE((*r)[2].tls.has_value());
  const auto& h = (*r)[3];
  EXPECT_EQ(h.token_env, "HOOK_TOKEN");
  EXPECT_EQ(h.timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(h.retry_max, std::chrono::milliseconds(1000));
}

TEST(SinkConfigTest, NoAuditSectionMeansNoSinks) {
  auto r = Parse("compliance:\n  packs: [baseline]\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
}

TEST(SinkConfigTest, ErrorsNameTheFileLineAndField) {
  EXPECT_THAT(
      ErrorOf("audit:\n  sinks:\n    - name: a\n      type: syslog\n      host: h\n"
              "      port: 70000\n"),
      HasSubstr("config.yaml:6:13: audit.sinks[0].port: expected an integer in [1, 65535]"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - name: a\n      type: syslog\n      port: 1\n"),
              HasSubstr("audit.sinks[0].host: required"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - name: a\n      type: kafka\n"),
              HasSubstr("audit.sinks[0].type: 'kafka': expected file, syslog, cef or webhook"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: file, path: x, colour: red}\n"),
              HasSubstr("audit.sinks[0].colour: unknown field"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: file, path: x, host: h}\n"),
              HasSubstr("audit.sinks[0].host: not a field of a file sink"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: file, path: x}\n"
                      "    - {name: a, type: file, path: y}\n"),
              HasSubstr("audit.sinks[1].name: duplicate sink name 'a'"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: syslog, host: h, port: 1, "
                      "tls: {cert: c.pem}}\n"),
              HasSubstr("audit.sinks[0].tls.key: cert and key go together"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: webhook, url: ftp://x}\n"),
              HasSubstr("audit.sinks[0].url: expected an http:// or https:// URL"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: 'a b', type: file, path: x}\n"),
              HasSubstr("audit.sinks[0].name: expected [A-Za-z0-9_.-]{1,64}"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: webhook, url: 'http://x', "
                      "token_env: T, token_file: f}\n"),
              HasSubstr("token_env or token_file, not both"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks: {name: a}\n"), HasSubstr("audit.sinks: expected a list"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: syslog, host: h, port: 1, "
                      "transport: udp}\n"),
              HasSubstr("audit.sinks[0].transport: 'udp': expected tcp or relp"));
  EXPECT_THAT(ErrorOf("audit:\n  sinks:\n    - {name: a, type: cef, host: h, port: 1, "
                      "payload: json}\n"),
              HasSubstr("a cef sink always carries CEF"));
}

}  // namespace
}  // namespace bulwark::auditship
