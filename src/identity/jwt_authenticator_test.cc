#include "bulwark/identity/jwt_authenticator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "bulwark/config/format.h"
#include "bulwark/identity/authenticator_chain.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/recording_audit_sink.h"
#include "bulwark/testing/temp_dir.h"
#include "identity/daemon_for_test.h"
#include "identity/jwt_test_util.h"

namespace bulwark::identity {
namespace {

using identity::testing::TestKey;

void WriteText(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::trunc) << text;
}

config::Value Yaml(const std::string& text) {
  auto doc = config::ParseDocument(text, config::Format::kYaml, {.source_name = "server.yaml"});
  if (!doc) {
    ADD_FAILURE() << doc.error();
    std::abort();
  }
  return std::move(doc->root);
}

class JwtAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<bulwark::testing::FakeClock>();
    runtime_ = Runtime::System();
    runtime_.clock = clock_;
    WriteJwks({&key1_});
    auto a = JwtAuthenticator::FromConfig(Yaml(Config()), "server.yaml: authentication.jwt",
                                          runtime_, dir_.path());
    ASSERT_TRUE(a.has_value()) << a.error();
    auth_ = std::move(*a);
  }

  static std::string Config() {
    return R"(
issuers:
  - issuer: https://idp.example.com
    audiences: [bulwark]
    jwks_file: idp.jwks.json
    leeway: 30s
    jwks_min_refresh: 60s
    attributes: {tenant: tenant, team: "https://example.com/team"}
    roles:
      default: [authenticated]
      groups:
        platform-admins: [global-admin]
        payments-dev: [developer-payments]
)";
  }

  void WriteJwks(std::vector<const TestKey*> keys) {
    std::string json = "{\"keys\":[";
    for (std::size_t i = 0; i < keys.size(); ++i) json += (i ? "," : "") + keys[i]->PublicJwk();
    WriteText(dir_ / "idp.jwks.json", json + "]}");
  }

  std::string Token(const TestKey& key, const std::string& extra_claims = "") const {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch()).count();
    return key.Token(
        "{\"alg\":\"" + std::string(JwsAlgorithmName(key.alg())) + "\",\"kid\":\"" + key.kid() +
            "\"}",
        "{\"iss\":\"https://idp.example.com\",\"aud\":[\"bulwark\"],\"sub\":\"alice\",\"exp\":" +
            std::to_string(now + 600) + extra_claims + "}");
  }

  Result<service::Principal> Auth(const std::string& token) const {
    return auth_->Authenticate(Credential::Bearer(token, "192.0.2.10:5000"));
  }

  bulwark::testing::TempDir dir_{"jwt-auth"};
  std::shared_ptr<bulwark::testing::FakeClock> clock_;
  Runtime runtime_;
  TestKey key1_{JwsAlgorithm::kEs256, "2026-01"};
  std::unique_ptr<JwtAuthenticator> auth_;
};

TEST_F(JwtAuthenticatorTest, ClaimsBecomeThePrincipal) {
  auto p = Auth(Token(key1_,
                      ",\"groups\":[\"payments-dev\",\"unmapped\"],\"amr\":[\"pwd\",\"otp\"],"
                      "\"tenant\":\"acme\",\"https://example.com/team\":\"payments\""));
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "oidc:https://idp.example.com|alice");
  EXPECT_EQ(p->kind, "oidc");
  EXPECT_EQ(p->roles, (std::vector<std::string>{"authenticated", "developer-payments"}));
  const auto& a = p->attributes.AsMap();
  EXPECT_EQ(a.Find("method")->AsString(), "jwt");
  EXPECT_TRUE(a.Find("mfa")->AsBool());
  EXPECT_EQ(a.Find("tenant")->AsString(), "acme");
  EXPECT_EQ(a.Find("team")->AsString(), "payments");
  EXPECT_EQ(a.Find("groups")->AsList().size(), 2u);
  EXPECT_EQ(a.Find("subject")->AsString(), "alice");
  ASSERT_NE(a.Find("expires_at"), nullptr);
}

TEST_F(JwtAuthenticatorTest, PasswordOnlyIsNotMfaAndMissingClaimsAreAbsent) {
  auto p = Auth(Token(key1_, ",\"amr\":[\"pwd\"]"));
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_FALSE(p->attributes.AsMap().Find("mfa")->AsBool());
  EXPECT_EQ(p->attributes.AsMap().Find("tenant"), nullptr);
  EXPECT_EQ(p->roles, std::vector<std::string>{"authenticated"});
}

TEST_F(JwtAuthenticatorTest, TokensWithoutASubjectOrFromAnotherIssuerAreRefused) {
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch()).count();
  const std::string header = "{\"alg\":\"ES256\",\"kid\":\"2026-01\"}";
  for (const std::string& sub :
       {std::string(""), std::string(",\"sub\":\"\""), std::string(",\"sub\":42")}) {
    auto p = Auth(
        key1_.Token(header, "{\"iss\":\"https://idp.example.com\",\"aud\":\"bulwark\",\"exp\":" +
                                std::to_string(now + 60) + sub + "}"));
    ASSERT_FALSE(p.has_value()) << sub;
    EXPECT_NE(p.error().message().find("no subject claim"), std::string::npos);
  }
  auto other = Auth(
      key1_.Token(header, "{\"iss\":\"https://other\",\"aud\":\"bulwark\",\"sub\":\"a\",\"exp\":" +
                              std::to_string(now + 60) + "}"));
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().message(), "token issuer is not accepted");
}

TEST_F(JwtAuthenticatorTest, ARotatedKeyIsPickedUpAndUnknownKidsAreRateLimited) {
  ASSERT_TRUE(Auth(Token(key1_)).has_value());
  // The provider rotates: the new key appears in the JWKS before tokens signed by it arrive.
  TestKey key2(JwsAlgorithm::kRs256, "2026-02");
  WriteJwks({&key1_, &key2});
  clock_->Advance(std::chrono::seconds(61));
  auto p = Auth(Token(key2));
  ASSERT_TRUE(p.has_value()) << p.error();
  // A flood of tokens with made-up kids: at most one fetch per minute.
  TestKey stranger(JwsAlgorithm::kRs256, "made-up");
  for (int i = 0; i < 50; ++i) {
    auto r = Auth(Token(stranger));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message(), "unknown signing key");
    clock_->Advance(std::chrono::milliseconds(100));
  }
  // The JWT method cannot see the cache's counter; the file is rewritten to tell: a fetch
  // within the interval would pick up the stranger's key and accept it.
  WriteJwks({&key1_, &key2, &stranger});
  EXPECT_FALSE(Auth(Token(stranger)).has_value()) << "refreshed again within the interval";
  clock_->Advance(std::chrono::seconds(60));
  EXPECT_TRUE(Auth(Token(stranger)).has_value()) << "refreshed after the interval";
}

TEST_F(JwtAuthenticatorTest, AMissingJwksFailsClosedAsUnavailable) {
  std::filesystem::remove(dir_ / "idp.jwks.json");
  auto a = JwtAuthenticator::FromConfig(Yaml(Config()), "jwt", runtime_, dir_.path());
  ASSERT_TRUE(a.has_value());
  auto p = (*a)->Authenticate(Credential::Bearer(Token(key1_), "x"));
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnavailable);
}

TEST_F(JwtAuthenticatorTest, ConfigurationErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"issuers: []", "jwt.issuers: a non-empty list is required"},
      {"issuers: [{issuer: x, audiences: [a]}]", "exactly one of jwks_file and jwks_url"},
      {"issuers: [{issuer: x, jwks_file: f}]", "jwt.issuers[0].audiences: at least one"},
      {"issuers: [{issuer: x, audiences: [a], jwks_url: 'http://idp/jwks'}]", "only https://"},
      {"issuers: [{issuer: x, audiences: [a], jwks_file: f, algorithms: [HS256]}]",
       "jwt.issuers[0].algorithms: 'HS256' is not supported"},
      {"issuers: [{issuer: x, audiences: [a], jwks_file: f, leeway: 1h}]", "at most 10m"},
      {"issuers: [{issuer: x, audiences: [a], jwks_file: f, attributes: {mfa: amr}}]",
       "set by the method itself"},
      {"issuers: [{issuer: x, audiences: [a], jwks_file: f, audince: b}]",
       "unknown field 'audince'"},
      {"issuers: [{issuer: x, audiences: [a], jwks_file: f}, {issuer: x, audiences: [a], "
       "jwks_file: f}]",
       "configured twice"},
  };
  for (const auto& [yaml, want] : cases) {
    auto a = JwtAuthenticator::FromConfig(Yaml(yaml), "jwt", runtime_, dir_.path());
    ASSERT_FALSE(a.has_value()) << yaml;
    EXPECT_EQ(a.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(a.error().message().find(want), std::string::npos) << a.error() << " / " << want;
  }
}

TEST_F(JwtAuthenticatorTest, TheChainAuditsAFailedJwtWithTheClaimedSubject) {
  auto audit = std::make_shared<bulwark::testing::RecordingAuditSink>();
  std::vector<std::unique_ptr<Authenticator>> methods;
  methods.push_back(std::move(auth_));
  auto chain = AuthenticatorChain::Create(std::move(methods), audit, clock_);
  ASSERT_TRUE(chain.has_value());
  TestKey forger(JwsAlgorithm::kEs256, "2026-01");
  auto p = (*chain)->Authenticate(Credential::Bearer(Token(forger), "192.0.2.99:1234"));
  ASSERT_FALSE(p.has_value());
  auto records = audit->records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].operation, "auth.login");
  EXPECT_EQ(records[0].context.principal.id, "oidc:https://idp.example.com|alice");
  EXPECT_EQ(records[0].context.principal.kind, "jwt");
  EXPECT_EQ(records[0].context.source_address, "192.0.2.99:1234");
  EXPECT_NE(records[0].reason.find("token signature is invalid"), std::string::npos);
}

// The JWKS served over HTTPS by a real TLS server (openssl s_server) on loopback.
TEST(JwksUrlTest, FetchesOverVerifiedTlsAndRefusesAnUntrustedServer) {
  bulwark::testing::TempDir dir("jwks-url");
  const std::string d = dir.path().string();
  const std::string gen =
      "cd '" + d +
      "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 >gen.log 2>&1 && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout other-key.pem -out other.pem -days 1 -subj /CN=other >>gen.log 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0) << "openssl req failed, see " << d << "/gen.log";
  TestKey key(JwsAlgorithm::kEdDsa, "url-key");
  WriteText(dir / "jwks.json", "{\"keys\":[" + key.PublicJwk() + "]}");
  const std::uint16_t port = identity::testing::FreeLoopbackPort();
  ASSERT_NE(port, 0);
  identity::testing::Daemon server;
  ASSERT_TRUE(
      server.Start({"/usr/bin/openssl", "s_server", "-quiet", "-WWW", "-accept",
                    "127.0.0.1:" + std::to_string(port), "-cert", "cert.pem", "-key", "key.pem"},
                   port, dir / "s_server.log", dir.path()))
      << "openssl s_server did not start";
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/jwks.json";

  auto trusted = NewUrlJwksSource({.url = url, .ca_file = (dir / "cert.pem").string()});
  ASSERT_TRUE(trusted.has_value()) << trusted.error();
  auto clock = std::make_shared<bulwark::testing::FakeClock>();
  JwksCache cache(std::move(*trusted), clock, {});
  auto set = cache.Get();
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ((*set)->Candidates("url-key", JwsAlgorithm::kEdDsa).size(), 1u);

  auto untrusted = NewUrlJwksSource({.url = url, .ca_file = (dir / "other.pem").string()});
  ASSERT_TRUE(untrusted.has_value());
  auto fetched = (*untrusted)->Fetch();
  ASSERT_FALSE(fetched.has_value());
  EXPECT_EQ(fetched.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(fetched.error().message().find(url), std::string::npos) << fetched.error();

  auto missing =
      NewUrlJwksSource({.url = "https://127.0.0.1:" + std::to_string(port) + "/nothing.json",
                        .ca_file = (dir / "cert.pem").string()});
  ASSERT_TRUE(missing.has_value());
  // s_server answers a missing file with an error text (not a JWKS): nothing is loaded.
  JwksCache nothing(std::move(*missing), clock, {});
  EXPECT_FALSE(nothing.Get().has_value());
  server.Stop();
  JwksCache down(std::move(*NewUrlJwksSource({.url = url,
                                              .ca_file = (dir / "cert.pem").string(),
                                              .timeout = std::chrono::milliseconds(2000)})),
                 clock, {});
  auto none = down.Get();
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(down.Get().has_value());
  EXPECT_EQ(down.fetches(), 1) << "a down provider is not fetched again within the interval";
  EXPECT_FALSE(NewUrlJwksSource({.url = "https://user:pw@idp/jwks"}).has_value());
}

}  // namespace
}  // namespace bulwark::identity
