// The server's parts without a socket: router, errors, metrics, rate limit, API tokens, grants,
// server.yaml.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bulwark/crypto/hash.h"
#include "bulwark/core/encoding.h"
#include "bulwark/server/api_error.h"
#include "bulwark/server/api_tokens.h"
#include "bulwark/server/grant_authorizer.h"
#include "bulwark/server/metrics.h"
#include "bulwark/server/rate_limiter.h"
#include "bulwark/server/router.h"
#include "bulwark/server/server_config.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kOp = R"({"operationId": "x", "responses": {"200": {"description": "OK"}}})";

Route R(std::string method, std::string pattern, std::string tag = "") {
  return Route{.method = std::move(method), .pattern = std::move(pattern), .openapi = kOp,
               .handler = [tag](const ApiRequest&) { return JsonResponse(200, tag); }};
}

TEST(RouterTest, RestParameterTakesTheRestOfThePathWithItsSlashes) {
  Router r;
  ASSERT_TRUE(r.Add(R("GET", "/v1/config/data/{namespace+}")));
  auto m = r.Find("GET", "/v1/config/data/production/payments/api");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params["namespace"], "production/payments/api");
  EXPECT_EQ(r.Find("GET", "/v1/config/data/").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/v1/config/data").route, nullptr);
}

TEST(RouterTest, LiteralSegmentsWinOverParameters) {
  Router r;
  ASSERT_TRUE(r.Add(R("POST", "/v1/keys/{id}/disable", "param")));
  ASSERT_TRUE(r.Add(R("POST", "/v1/keys/rotate", "literal")));
  auto m = r.Find("POST", "/v1/keys/rotate");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler(ApiRequest{}).body, "literal");
  auto p = r.Find("POST", "/v1/keys/0a1b/disable");
  ASSERT_NE(p.route, nullptr);
  EXPECT_EQ(p.params["id"], "0a1b");
}

TEST(RouterTest, OtherMethodOnAKnownPathListsTheAllowedOnes) {
  Router r;
  ASSERT_TRUE(r.Add(R("GET", "/v1/config/data/{namespace+}")));
  ASSERT_TRUE(r.Add(R("PUT", "/v1/config/data/{namespace+}")));
  auto m = r.Find("DELETE", "/v1/config/data/a");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_THAT(m.allowed, ElementsAre("GET", "PUT"));
  EXPECT_TRUE(r.Find("GET", "/nothing").allowed.empty());
}

TEST(RouterTest, RefusesMalformedRoutesAndDuplicates) {
  Router r;
  EXPECT_FALSE(r.Add(R("BREW", "/v1/x")));
  EXPECT_FALSE(r.Add(R("GET", "v1/x")));
  EXPECT_FALSE(r.Add(R("GET", "/v1/{rest+}/x")));
  Route bad = R("GET", "/v1/x");
  bad.openapi = R"({"summary": "no id"})";
  EXPECT_FALSE(r.Add(bad));
  ASSERT_TRUE(r.Add(R("GET", "/v1/x")));
  EXPECT_EQ(r.Add(R("GET", "/v1/x")).error().code(), ErrorCode::kAlreadyExists);
}

TEST(RouterTest, OpenApiDocumentHasEveryRouteUnderItsPath) {
  Router r;
  ASSERT_TRUE(r.Add(R("GET", "/v1/config/data/{namespace+}")));
  Route pub = R("GET", "/v1/sys/health");
  pub.is_public = true;
  ASSERT_TRUE(r.Add(pub));
  ASSERT_TRUE(r.AddSchema("Error", R"({"type": "object"})"));
  auto doc = nlohmann::json::parse(r.OpenApiDocument("Bulwark", "1"));
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"].contains("/v1/config/data/{namespace}"));
  EXPECT_TRUE(doc["paths"]["/v1/sys/health"]["get"]["security"].empty());
  EXPECT_TRUE(doc["components"]["schemas"].contains("Error"));
}

TEST(HttpTest, PercentDecodingRefusesMalformedEscapes) {
  EXPECT_EQ(*PercentDecode("a%2Fb%20c", false), "a/b c");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_FALSE(PercentDecode("a%2", false));
  EXPECT_FALSE(PercentDecode("a%zz", false));
  auto q = ParseQuery("path=db.port&x=&reveal");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].second, "db.port");
}

TEST(ApiErrorTest, EveryErrorCodeHasAStatusAndAStableCode) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kConflict), 409u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnavailable), 503u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPermissionDenied), 403u);
  auto r = ApiErrorResponse(Error(ErrorCode::kInvalidArgument, "bad"), "rid-1", "path");
  EXPECT_EQ(r.status, 400u);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
  EXPECT_EQ(j["error"]["field"], "path");
  EXPECT_EQ(j["error"]["request_id"], "rid-1");
  auto u = ApiErrorResponse(401, "unauthenticated", "no", "r");
  ASSERT_EQ(u.headers.size(), 1u);
  EXPECT_EQ(u.headers[0].first, "WWW-Authenticate");
}

TEST(MetricsTest, RendersCountersHistogramsAndGaugesInTheTextFormat) {
  Metrics m;
  m.DefineCounter("req_total", "Requests", {"route", "status"});
  m.DefineHistogram("lat_seconds", "Latency", {"route"}, {0.1, 1});
  m.DefineGauge("up", "Up", {}, [] { return std::vector<std::pair<Metrics::Labels, double>>{{{}, 1}}; });
  m.Add("req_total", {"/v1/x", "200"});
  m.Add("req_total", {"/v1/x", "200"});
  m.Observe("lat_seconds", {"/v1/x"}, 0.05);
  m.Observe("lat_seconds", {"/v1/x"}, 0.5);
  m.Observe("lat_seconds", {"/v1/x"}, 5);
  m.Add("never_defined", {});
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE req_total counter\n"));
  EXPECT_THAT(text, HasSubstr("req_total{route=\"/v1/x\",status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{route=\"/v1/x\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{route=\"/v1/x\",le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{route=\"/v1/x\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_count{route=\"/v1/x\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("up 1\n"));
  EXPECT_EQ(m.CounterValue("req_total", {"/v1/x", "200"}), 2);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.DefineCounter("c", "C", {"l"});
  m.Add("c", {"a\"b\\c\nd"});
  EXPECT_THAT(m.Render(), HasSubstr("c{l=\"a\\\"b\\\\c\\nd\"} 1"));
}

TEST(RateLimiterTest, AllowsTheBurstThenRefillsAtTheRate) {
  RateLimiter r(10, 3);
  const auto t0 = RateLimiter::Clock::time_point() + std::chrono::hours(1);
  EXPECT_TRUE(r.Allow("p", t0).allowed);
  EXPECT_TRUE(r.Allow("p", t0).allowed);
  EXPECT_TRUE(r.Allow("p", t0).allowed);
  auto v = r.Allow("p", t0);
  EXPECT_FALSE(v.allowed);
  EXPECT_NEAR(v.retry_after_seconds, 0.1, 1e-9);
  EXPECT_TRUE(r.Allow("other", t0).allowed);  // per principal
  EXPECT_TRUE(r.Allow("p", t0 + std::chrono::milliseconds(100)).allowed);
  EXPECT_FALSE(r.Allow("p", t0 + std::chrono::milliseconds(100)).allowed);
}

TEST(RateLimiterTest, ZeroRateMeansNoLimit) {
  RateLimiter r(0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(r.Allow("p").allowed);
}

class TokensTest : public ::testing::Test {
 protected:
  std::filesystem::path Write(const std::string& text) {
    auto p = tmp_.path() / "tokens.yaml";
    std::ofstream(p) << text;
    return p;
  }
  bulwark::testing::TempDir tmp_{"bulwark-tokens"};
};

TEST_F(TokensTest, AGeneratedTokenAuthenticatesAsItsEntry) {
  auto rt = Runtime::System();
  auto t = GenerateApiToken(*rt.random, "ci", {"deployer"}, std::nullopt);
  ASSERT_TRUE(t);
  auto bytes = t->token.Reveal();
  const std::string token(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  EXPECT_TRUE(token.starts_with("bwk_"));
  EXPECT_EQ(token.size(), 47u);
  EXPECT_THAT(t->entry_yaml, ::testing::Not(HasSubstr(token)));
  auto a = TokenFileAuthenticator::Create(rt, Write("tokens:\n" + t->entry_yaml + "\n"));
  ASSERT_TRUE(a) << a.error();
  Credentials c;
  c.bearer_token = SecretBytes::FromString(token);
  auto p = (*a)->Authenticate(c);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->id, "token:ci");
  EXPECT_EQ(p->kind, "token");
  EXPECT_THAT(p->roles, ElementsAre("deployer"));
}

TEST_F(TokensTest, UnknownMalformedAndExpiredTokensGetTheSameAnswer) {
  auto rt = Runtime::System();
  auto t = GenerateApiToken(*rt.random, "old", {}, std::nullopt);
  ASSERT_TRUE(t);
  std::string entry = t->entry_yaml;
  entry.insert(entry.size() - 1, ", expires: 2020-01-01T00:00:00Z");
  auto a = TokenFileAuthenticator::Create(rt, Write("tokens:\n" + entry + "\n"));
  ASSERT_TRUE(a) << a.error();
  auto bytes = t->token.Reveal();
  const std::string expired(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string unknown = expired;
  unknown[10] = unknown[10] == 'A' ? 'B' : 'A';
  for (const std::string& token : {expired, unknown, std::string("bwk_short")}) {
    Credentials c;
    c.bearer_token = SecretBytes::FromString(token);
    auto p = (*a)->Authenticate(c);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code(), ErrorCode::kUnauthenticated);
    EXPECT_EQ(p.error().message(), "invalid or expired token");
  }
  Credentials jwt;
  jwt.bearer_token = SecretBytes::FromString("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.");
  EXPECT_EQ((*a)->Authenticate(jwt).error().code(), ErrorCode::kNotFound);  // not an API token
}

TEST_F(TokensTest, BadFilesNameTheEntryAndField) {
  auto rt = Runtime::System();
  auto bad = TokenFileAuthenticator::Create(rt, Write("tokens:\n  - {id: a, sha256: xyz}\n"));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("tokens[0].sha256"));
  auto unknown = TokenFileAuthenticator::Create(rt, Write("tokens:\n  - {id: a, secret: x}\n"));
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message(), HasSubstr("unknown field 'secret'"));
}

TEST_F(TokensTest, ReloadPicksUpANewFileAndKeepsTheOldOneOnError) {
  auto rt = Runtime::System();
  auto t1 = GenerateApiToken(*rt.random, "one", {}, std::nullopt);
  auto t2 = GenerateApiToken(*rt.random, "two", {}, std::nullopt);
  ASSERT_TRUE(t1 && t2);
  auto path = Write("tokens:\n" + t1->entry_yaml + "\n");
  auto a = TokenFileAuthenticator::Create(rt, path);
  ASSERT_TRUE(a);
  auto call = [&](const NewApiToken& t) {
    Credentials c;
    c.bearer_token = t.token.Clone();
    return (*a)->Authenticate(c).has_value();
  };
  EXPECT_TRUE(call(*t1));
  EXPECT_FALSE(call(*t2));
  Write("tokens:\n" + t2->entry_yaml + "\n");
  ASSERT_TRUE((*a)->Reload());
  EXPECT_FALSE(call(*t1));
  EXPECT_TRUE(call(*t2));
  Write("tokens: 3\n");
  EXPECT_FALSE((*a)->Reload());
  EXPECT_TRUE(call(*t2));
}

service::RequestContext As(std::string id, std::vector<std::string> roles) {
  service::RequestContext c;
  c.principal.id = std::move(id);
  c.principal.kind = "token";
  c.principal.roles = std::move(roles);
  return c;
}

TEST(GrantAuthorizerTest, DeniesByDefaultAndAllowsOnlyWhatAGrantNames) {
  auto a = NewGrantAuthorizer({{.roles = {"reader"}, .actions = {"read", "list"}, .resources = {"production/*"}},
                               {.principals = {"token:ops"}, .actions = {"*"}, .resources = {"audit"}}});
  ASSERT_TRUE(a) << a.error();
  using service::Action;
  EXPECT_TRUE((*a)->Authorize(As("token:r", {"reader"}), Action::kRead, {"production/api", {}, false}).allowed);
  EXPECT_FALSE((*a)->Authorize(As("token:r", {"reader"}), Action::kReveal, {"production/api", {}, false}).allowed);
  EXPECT_FALSE((*a)->Authorize(As("token:r", {"reader"}), Action::kRead, {"staging/api", {}, false}).allowed);
  EXPECT_FALSE((*a)->Authorize(As("token:r", {}), Action::kRead, {"production/api", {}, false}).allowed);
  EXPECT_TRUE((*a)->Authorize(As("token:ops", {}), Action::kAdmin, {"audit", {}, false}).allowed);
  EXPECT_FALSE((*a)->Authorize(As("token:ops", {}), Action::kAdmin, {"audit2", {}, false}).allowed);
  auto d = (*a)->Authorize(As("token:x", {}), Action::kWrite, {"production/api", {}, false});
  EXPECT_THAT(d.reason, HasSubstr("no grant allows write on 'production/api'"));
}

TEST(GrantAuthorizerTest, RefusesUnknownActionsAndEmptyGrants) {
  EXPECT_FALSE(NewGrantAuthorizer({{.roles = {"r"}, .actions = {"raed"}, .resources = {"*"}}}));
  EXPECT_FALSE(NewGrantAuthorizer({{.actions = {"read"}, .resources = {"*"}}}));
  EXPECT_FALSE(NewGrantAuthorizer({{.roles = {"r"}, .actions = {"read"}}}));
  EXPECT_TRUE(NewGrantAuthorizer({}));
}

class ServerConfigTest : public ::testing::Test {
 protected:
  Result<ServerConfig> Load(const std::string& text) {
    auto p = tmp_.path() / "server.yaml";
    std::ofstream(p) << text;
    auto fs = NewLocalFileSystem();
    return LoadServerConfig(*fs, p);
  }
  bulwark::testing::TempDir tmp_{"bulwark-server-config"};
};

TEST_F(ServerConfigTest, ReadsAFullConfigurationWithPathsRelativeToTheFile) {
  auto c = Load(R"(
listen: "[::1]:9443"
home: home
store: postgresql://db/bulwark
tls: {cert: s.pem, key: s.key, min_version: "1.2", client_ca: ca.pem, client_auth: optional}
auth: {tokens_file: tokens.yaml, mtls: {principal: san-dns, roles_from: none}}
authorization:
  grants:
    - {roles: [reader], actions: [read], resources: ["production/*"]}
limits: {max_body_bytes: 1000, header_timeout_ms: 500, rate_limit: {per_second: 5}}
threads: {io: 1, workers: 4}
cache: {max_entries: 0}
)");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->server.host, "::1");
  EXPECT_EQ(c->server.port, 9443);
  EXPECT_EQ(c->home, tmp_.path() / "home");
  EXPECT_EQ(c->server.tls.cert, tmp_.path() / "s.pem");
  EXPECT_TRUE(c->server.tls.allow_tls12);
  EXPECT_EQ(c->server.tls.client_auth, TlsOptions::ClientAuth::kOptional);
  ASSERT_TRUE(c->mtls);
  EXPECT_EQ(c->mtls->name, MtlsMapping::Name::kSanDns);
  EXPECT_FALSE(c->mtls->roles_from_ou);
  EXPECT_EQ(c->server.limits.max_body_bytes, 1000u);
  EXPECT_EQ(c->server.limits.rate_burst, 5);  // defaults to the rate
  EXPECT_EQ(c->grants.size(), 1u);
  EXPECT_EQ(c->cache_entries, 0u);
}

TEST_F(ServerConfigTest, ErrorsNameTheFileAndTheField) {
  const std::string base = "home: h\ntls: {cert: a, key: b}\n";
  struct Case {
    std::string text, field;
  };
  for (const Case& c : std::vector<Case>{
           {base + "limits: {max_body_bytes: -1}\n", "limits.max_body_bytes"},
           {base + "limits: {max_bdy_bytes: 5}\n", "limits.max_bdy_bytes: unknown field"},
           {"tls: {cert: a, key: b}\n", "home: required"},
           {"home: h\n", "tls.cert and tls.key"},
           {"home: h\ntls: {cert: a, key: b, min_version: \"1.1\"}\n", "tls.min_version"},
           {"home: h\ntls: {cert: a, key: b, client_auth: required}\n", "tls.client_ca"},
           {base + "auth: {mtls: {principal: cn}}\n", "auth.mtls"},
           {base + "listen: nowhere\n", "listen"},
           {base + "authorization: {grants: [{roles: 3}]}\n", "authorization.grants[0].roles"},
       }) {
    auto r = Load(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_THAT(r.error().message(), HasSubstr("server.yaml")) << c.text;
    EXPECT_THAT(r.error().message(), HasSubstr(c.field)) << c.text;
  }
}

}  // namespace
}  // namespace bulwark::server
