// The webhook sink against a local HTTP server (Boost.Beast) run by the test: the request, the
// token, retries after a 500, and a timeout.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "auditship/http_test_server.h"
#include "auditship/test_util.h"
#include "bulwark/auditship/shipper.h"

namespace bulwark::auditship {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;
using ::testing::Not;

using Request = http::request<http::string_body>;

using testing::TestHttpServer;

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(log_, testing::OpenLog(dir_.path()));
    auto s = SinkStateStore::Open(dir_.path() / "audit-sinks.db");
    ASSERT_TRUE(s.has_value());
    states_ = std::move(*s);
    testing::AppendEvents(*log_, 3);
  }
  SinkConfig Hook(std::uint16_t port) {
    SinkConfig c;
    c.name = "hook";
    c.type = SinkType::kWebhook;
    c.url = fmt::format("http://127.0.0.1:{}/hook?x=1", port);
    c.timeout = std::chrono::milliseconds(5000);
    return c;
  }
  Result<std::unique_ptr<Shipper>> Make(const SinkConfig& c) {
    return Shipper::Create(log_, states_, {c},
                           [](const SinkConfig& x) { return CreateSink(x, SinkEnvironment{}); });
  }
  std::string Leaves() {
    std::string out = "[";
    EXPECT_TRUE(log_->Scan(0, 3,
                           [&](const audit::StoredEvent& e) {
                             out += (out.size() > 1 ? "," : "") + e.leaf;
                             return OkStatus();
                           })
                    .has_value());
    return out + "]";
  }

  testing::TempDir dir_;
  std::shared_ptr<audit::AuditLog> log_;
  std::shared_ptr<SinkStateStore> states_;
};

TEST_F(WebhookTest, PostsACloudEventsBatchWithTheBearerTokenFromAFile) {
  TestHttpServer server([](const Request&) { return 204u; });
  SinkConfig c = Hook(server.port());
  c.token_file = (dir_.path() / "token").string();
  { std::ofstream(c.token_file) << "s3cret-token-value\n"; }
  ASSERT_OK_AND_ASSIGN(auto shipper, Make(c));
  auto n = shipper->Drain("hook");
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(*n, 3u);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const Request& r = reqs[0];
  EXPECT_EQ(r.method(), http::verb::post);
  EXPECT_EQ(r.target(), "/hook?x=1");
  EXPECT_EQ(r[http::field::content_type], "application/cloudevents-batch+json");
  EXPECT_EQ(r[http::field::authorization], "Bearer s3cret-token-value");
  EXPECT_EQ(r["Bulwark-Audit-Index"], "0-2");
  EXPECT_EQ(r.body(), Leaves());
  EXPECT_TRUE(nlohmann::json::parse(r.body()).is_array());
}

TEST_F(WebhookTest, A500IsRetriedAndTheBatchIsDeliveredAfterwards) {
  std::atomic<int> calls{0};
  TestHttpServer server([&](const Request&) { return calls++ == 0 ? 500u : 200u; });
  SinkConfig c = Hook(server.port());
  ::setenv("BULWARK_TEST_HOOK_TOKEN", "env-token-123", 1);
  c.token_env = "BULWARK_TEST_HOOK_TOKEN";
  ASSERT_OK_AND_ASSIGN(auto shipper, Make(c));
  auto first = shipper->Drain("hook");
  ASSERT_FALSE(first.has_value());
  EXPECT_THAT(first.error().message(), HasSubstr("answered HTTP 500"));
  EXPECT_THAT(first.error().message(), Not(HasSubstr("env-token-123")));
  EXPECT_EQ(states_->Get("hook")->cursor, 0u);
  EXPECT_EQ(states_->Get("hook")->failures, 1u);
  auto second = shipper->Drain("hook");
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(*second, 3u);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body(), reqs[1].body());  // the same batch again: at-least-once
  EXPECT_EQ(reqs[1][http::field::authorization], "Bearer env-token-123");
  EXPECT_EQ(states_->Get("hook")->cursor, 3u);
  ::unsetenv("BULWARK_TEST_HOOK_TOKEN");
}

TEST_F(WebhookTest, ASlowReceiverTimesOutAndTheCursorStays) {
  TestHttpServer server([](const Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return 200u;
  });
  SinkConfig c = Hook(server.port());
  c.timeout = std::chrono::milliseconds(150);
  ASSERT_OK_AND_ASSIGN(auto shipper, Make(c));
  auto r = shipper->Drain("hook");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(r.error().message(),
              HasSubstr("audit sink 'hook' (webhook): read response: timed out"));
  EXPECT_EQ(states_->Get("hook")->cursor, 0u);
}

TEST_F(WebhookTest, HttpsVerifiesTheServerAndDelivers) {
  ASSERT_NO_FATAL_FAILURE(testing::MakeTestCertificates(dir_.path()));
  TestHttpServer server([](const Request&) { return 200u; }, dir_.path());
  SinkConfig c = Hook(server.port());
  c.url = fmt::format("https://localhost:{}/in", server.port());
  c.tls = TlsConfig{(dir_.path() / "other-ca.pem").string(), "", "", ""};
  ASSERT_OK_AND_ASSIGN(auto untrusting, Make(c));
  auto untrusted = untrusting->Drain("hook");
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_THAT(untrusted.error().message(), HasSubstr("tls handshake"));
  EXPECT_TRUE(server.requests().empty());

  c.tls = TlsConfig{(dir_.path() / "ca.pem").string(), "", "", ""};
  ASSERT_OK_AND_ASSIGN(auto trusting, Make(c));
  auto ok = trusting->Drain("hook");
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(*ok, 3u);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target(), "/in");
  EXPECT_EQ(reqs[0].body(), Leaves());
  EXPECT_EQ(reqs[0][http::field::host], fmt::format("localhost:{}", server.port()));
}

TEST_F(WebhookTest, AMissingTokenIsAnErrorNamingTheVariable) {
  SinkConfig c = Hook(1);
  c.token_env = "BULWARK_TEST_UNSET_TOKEN_VAR";
  auto s = CreateSink(c, SinkEnvironment{});
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(),
              HasSubstr("token_env: $BULWARK_TEST_UNSET_TOKEN_VAR is not set"));
  c.token_env.clear();
  c.url = "http://user:pw@127.0.0.1/x";
  auto u = CreateSink(c, SinkEnvironment{});
  ASSERT_FALSE(u.has_value());
  EXPECT_THAT(u.error().message(), HasSubstr("credentials in the URL are refused"));
  EXPECT_THAT(u.error().message(), Not(HasSubstr("pw")));
}

}  // namespace
}  // namespace bulwark::auditship
