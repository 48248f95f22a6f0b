// `verify: {http: {...}}` end to end (docs/rotation.md section 4): `bulwark rotate` checks a
// service's health endpoint on a local HTTP(S) server started by the test on loopback. A check
// that answers 2xx (or a listed code) verifies the rotation; one that fails first and then
// succeeds is retried `attempts` times; one that keeps failing (an error status, or a certificate
// that is not trusted) rolls the rotation back to the old value. The check's requests carry no
// value (the URL is fixed, a GET has no body).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <sstream>

#include "auditship/http_test_server.h"
#include "auditship/test_util.h"
#include "bulwark/cli/app.h"
#include "bulwark/testing/fake_runtime.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Server = auditship::testing::TestHttpServer;
using Req = auditship::testing::TestHttpRequest;

constexpr const char* kInitial = "Initial-Api-Key-0815-http";

class RotationHttpTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ::setenv("BULWARK_HOME", (dir_ / "home").c_str(), 1);
    ::setenv("BULWARK_PASSPHRASE", "it-passphrase-123", 1);
    ASSERT_EQ(Run({"init"}).exit_code, 0);
    ASSERT_EQ(Run({"set", "prod/api", "key", "-", "--secret"}, kInitial).exit_code, 0);
  }
  void TearDown() override {
    ::unsetenv("BULWARK_HOME");
    ::unsetenv("BULWARK_PASSPHRASE");
    ::unsetenv("SSL_CERT_FILE");
  }

  CliResult Run(const std::vector<std::string>& args, const std::string& in = "") {
    std::istringstream input(in);
    std::ostringstream out, err;
    cli::CliOptions options;
    options.clock = clock_;
    CliResult r;
    r.exit_code = cli::RunCli(args, {input, out, err, false}, options);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  std::string Reveal() {
    auto r = Run({"secret", "get", "prod/api", "key", "--reveal"});
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
  }

  // Metadata whose verification is an HTTP check of `url` (`attempts` tries, no pause between).
  void Meta(const std::string& url, int attempts, const std::string& expect = "") {
    const std::string file = Write(
        "meta.yaml", "type: api_key\n"
                     "rotation:\n"
                     "  grace: 0s\n"
                     "  strategy: {kind: random_bytes, bytes: 32}\n"
                     "  verify:\n"
                     "    http: {url: \"" + url + "\"" + (expect.empty() ? "" : ", expect: " + expect) +
                     ", timeout: 5s}\n"
                     "    attempts: " + std::to_string(attempts) + "\n"
                     "    interval: 0s\n");
    auto r = Run({"secret", "meta", "prod/api", "key", "--from", file});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string Url(const Server& s, const std::string& scheme = "http") {
    return scheme + "://127.0.0.1:" + std::to_string(s.port()) + "/healthz";
  }

  std::shared_ptr<FakeClock> clock_ =
      std::make_shared<FakeClock>(TimePoint(std::chrono::duration_cast<TimePoint::duration>(
          std::chrono::system_clock::now().time_since_epoch())));
};

TEST_F(RotationHttpTest, A2xxAnswerVerifiesTheRotation) {
  Server server([](const Req&) { return 204u; });
  Meta(Url(server), 3);
  auto rot = Run({"rotate", "prod/api", "key"});
  ASSERT_EQ(rot.exit_code, 0) << rot.out << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("done"));
  const std::string fresh = Reveal();
  EXPECT_NE(fresh, kInitial);
  EXPECT_FALSE(fresh.empty());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method(), boost::beast::http::verb::get);
  EXPECT_EQ(std::string(reqs[0].target()), "/healthz");
  EXPECT_EQ(std::string(reqs[0][boost::beast::http::field::user_agent]), "bulwark-rotation");
  EXPECT_TRUE(reqs[0].body().empty());
  EXPECT_THAT(rot.out + rot.err, Not(HasSubstr(fresh)));
}

TEST_F(RotationHttpTest, FailedAttemptsAreRetriedUntilOneSucceeds) {
  std::atomic<int> calls{0};
  Server server([&](const Req&) { return ++calls <= 2 ? 503u : 200u; });
  Meta(Url(server), 3);
  auto rot = Run({"rotate", "prod/api", "key"});
  ASSERT_EQ(rot.exit_code, 0) << rot.out << rot.err;
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_NE(Reveal(), kInitial);
}

TEST_F(RotationHttpTest, ACheckThatKeepsFailingRollsBack) {
  Server server([](const Req&) { return 503u; });
  Meta(Url(server), 2);
  auto rot = Run({"rotate", "prod/api", "key"});
  EXPECT_EQ(rot.exit_code, 1) << rot.out << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("ROLLED BACK"));
  EXPECT_THAT(rot.out, HasSubstr("verification failed after 2 attempt(s)"));
  EXPECT_THAT(rot.out, HasSubstr("answered HTTP 503"));
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(Reveal(), kInitial);
  auto show = Run({"secret", "show", "prod/api", "key"});
  EXPECT_THAT(show.out, HasSubstr("rolled_back"));
}

TEST_F(RotationHttpTest, OnlyTheListedCodesCount) {
  Server server([](const Req&) { return 200u; });
  Meta(Url(server), 1, "[204]");
  auto rot = Run({"rotate", "prod/api", "key"});
  EXPECT_EQ(rot.exit_code, 1) << rot.out << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("answered HTTP 200"));
  EXPECT_EQ(Reveal(), kInitial);
}

TEST_F(RotationHttpTest, HttpsIsVerifiedAgainstTheCaStore) {
  const auto tls = dir_ / "tls";
  std::filesystem::create_directories(tls);
  auditship::testing::MakeTestCertificates(tls);
  Server server([](const Req&) { return 200u; }, tls);
  Meta(Url(server, "https"), 1);
  // The test CA is not trusted: the handshake fails, the rotation rolls back.
  auto untrusted = Run({"rotate", "prod/api", "key"});
  EXPECT_EQ(untrusted.exit_code, 1) << untrusted.out << untrusted.err;
  EXPECT_THAT(untrusted.out, HasSubstr("ROLLED BACK"));
  EXPECT_EQ(Reveal(), kInitial);
  EXPECT_TRUE(server.requests().empty());
  // With the CA in the store OpenSSL reads (SSL_CERT_FILE), the same check verifies.
  ::setenv("SSL_CERT_FILE", (tls / "ca.pem").c_str(), 1);
  auto trusted = Run({"rotate", "prod/api", "key", "--force"});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.out << trusted.err;
  EXPECT_NE(Reveal(), kInitial);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(RotationHttpTest, CredentialsInTheUrlAreRefused) {
  const std::string file = Write("meta.yaml",
                                 "rotation:\n  verify: {http: {url: \"https://u:p@127.0.0.1/x\"}}\n");
  auto r = Run({"secret", "meta", "prod/api", "key", "--type", "api_key", "--from", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("rotation.verify.http.url"));
  EXPECT_THAT(r.err, HasSubstr("credentials in the URL are refused"));
}

}  // namespace
}  // namespace bulwark::testing
