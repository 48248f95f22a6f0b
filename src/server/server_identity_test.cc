// The identity module's authentication methods in the real server (ServerApp over a home made by
// `bulwark init`, on a fake clock): server.yaml `auth: {token: {}, jwt: {...}, tokens_file}`.
// Tokens made by `bulwark token create` authenticate and their roles authorize; revoked and expired
// ones are 401 with the unknown token's message; JWTs signed by a test key (EdDSA) authenticate
// with the mapped roles; `alg: none`, expired, wrong-audience and forged ones are 401; a tokens
// file token still works; each failure is an audited auth.login.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bulwark/cli/app.h"
#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "bulwark/server/api_tokens.h"
#include "bulwark/server/serve.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"
#include "identity/jwt_test_util.h"
#include "server/server_fixture_for_test.h"

namespace bulwark::server::testing {
namespace {

namespace fs = std::filesystem;
using identity::JwsAlgorithm;
using identity::testing::TestKey;
using ::testing::HasSubstr;

class ServerIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCertificates(d_);
    ASSERT_FALSE(HasFatalFailure());
    ::setenv("BULWARK_HOME", (d_ / "home").c_str(), 1);
    ::setenv("BULWARK_PASSPHRASE", "server-identity-passphrase", 1);
    ASSERT_EQ(Cli({"init"}), 0);
    ASSERT_EQ(Cli({"set", "prod/api", "pool", "5"}), 0);
    ASSERT_EQ(Cli({"set", "staging/api", "pool", "2"}), 0);
    // The tokens file: a `bulwark serve new-token` token with role admin.
    auto token = GenerateApiToken(*Runtime::System().random, "ops", {"admin"}, std::nullopt);
    ASSERT_TRUE(token);
    auto viewer = GenerateApiToken(*Runtime::System().random, "viewer", {"reader"}, std::nullopt);
    ASSERT_TRUE(viewer);
    std::ofstream(d_ / "tokens.yaml") << "tokens:\n" << token->entry_yaml << "\n" << viewer->entry_yaml << "\n";
    file_token_ = token->token.RevealAsString();
    viewer_token_ = viewer->token.RevealAsString();
    std::ofstream(d_ / "idp.jwks.json") << "{\"keys\":[" << key_.PublicJwk() << "]}";
    WriteServerYaml(
        "authorization: {grants: [{roles: [admin], actions: [\"*\"], resources: [\"*\"]},\n"
        "  {roles: [reader], actions: [read, list], resources: [\"prod/*\"]}]}\n");
  }
  void WriteServerYaml(const std::string& authorization) {
    std::ofstream(d_ / "server.yaml") << fmt::format(
        "listen: 127.0.0.1:0\nhome: {}\n"
        "tls: {{cert: {}, key: {}}}\n"
        "auth:\n"
        "  tokens_file: tokens.yaml\n"
        "  token: {{}}\n"
        "  jwt:\n"
        "    issuers:\n"
        "      - issuer: https://idp.example.com\n"
        "        audiences: [bulwark]\n"
        "        jwks_file: idp.jwks.json\n"
        "        leeway: 30s\n"
        "        roles: {{groups: {{prod-readers: [reader]}}}}\n"
        "{}"
        "log: {{requests: false}}\n",
        (d_ / "home").string(), (d_ / "server.pem").string(), (d_ / "server.key").string(), authorization);
  }
  void TearDown() override {
    if (app_) {
      EXPECT_TRUE(app_->Close().has_value());
    }
    ::unsetenv("BULWARK_HOME");
    ::unsetenv("BULWARK_PASSPHRASE");
  }

  int Cli(const std::vector<std::string>& args) {
    std::istringstream input;
    std::ostringstream out, err;
    cli::CliOptions o;
    o.clock = clock_;
    const int code = cli::RunCli(args, {input, out, err, false}, o);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  void Start() {
    auto cfg = LoadServerConfig(*Runtime::System().fs, d_ / "server.yaml");
    ASSERT_TRUE(cfg) << cfg.error();
    ServeHooks hooks;
    hooks.runtime.clock = clock_;
    hooks.log = [](std::string_view) {};
    auto app = ServerApp::Open(std::move(*cfg), std::move(hooks));
    ASSERT_TRUE(app) << app.error();
    app_ = std::move(*app);
    ASSERT_TRUE(app_->server().Start());
  }

  HttpResult Get(const std::string& target, const std::string& token) {
    auto c = TestClient::Connect(app_->server().port(), ClientOptions{.ca = d_ / "ca.pem"});
    EXPECT_TRUE(c) << c.error();
    if (!c) return {};
    auto r = (*c)->Call("GET", target, "", {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r) << r.error();
    return r ? *r : HttpResult{};
  }

  std::int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch()).count();
  }
  std::string Jwt(const std::string& alg, const std::string& claims) const {
    return key_.Token(fmt::format("{{\"alg\":\"{}\",\"kid\":\"{}\"}}", alg, key_.kid()), claims);
  }
  std::string Claims(const std::string& aud, std::int64_t exp, const std::string& groups) const {
    return fmt::format(
        "{{\"iss\":\"https://idp.example.com\",\"aud\":\"{}\",\"sub\":\"alice\",\"exp\":{},"
        "\"groups\":[\"{}\"]}}",
        aud, exp, groups);
  }
  HttpResult Send(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = "") {
    auto c = TestClient::Connect(app_->server().port(), ClientOptions{.ca = d_ / "ca.pem"});
    EXPECT_TRUE(c) << c.error();
    if (!c) return {};
    std::vector<std::pair<std::string, std::string>> h = {{"Authorization", "Bearer " + token}};
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    auto r = (*c)->Call(method, target, body, h);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : HttpResult{};
  }
  // Empty when the response is what /v1/openapi.json documents for METHOD PATH and its status.
  std::string Documented(const std::string& method, const std::string& path, const HttpResult& r) {
    auto doc = nlohmann::json::parse(Send("GET", "/v1/openapi.json", "").body);
    std::string m = method;
    for (auto& ch : m) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!doc["paths"].contains(path) || !doc["paths"][path].contains(m)) return "undocumented " + method + " " + path;
    const auto& op = doc["paths"][path][m];
    const std::string status = std::to_string(r.status);
    if (!op["responses"].contains(status)) return "undocumented status " + status + ": " + r.body;
    const auto& resp = op["responses"][status];
    if (!resp.contains("content")) return "";
    nlohmann::json full = {{"components", doc["components"]},
                           {"allOf", nlohmann::json::array({resp["content"]["application/json"]["schema"]})}};
    auto schema_value = config::ParseDocument(full.dump(), config::Format::kJson);
    auto body_value = config::ParseDocument(r.body, config::Format::kJson);
    if (!schema_value || !body_value) return "unparsable schema or body: " + r.body;
    auto schema = config::Schema::Create(schema_value->root, "openapi");
    if (!schema) return "schema: " + schema.error().message();
    auto errors = (*schema)->Validate(body_value->root);
    return errors.empty() ? "" : errors[0].message + " in " + r.body;
  }

  std::size_t FailedLogins() {
    EXPECT_EQ(Cli({"audit", "log", "--operation", "auth.login", "--json"}), 0) << err_;
    return static_cast<std::size_t>(std::count(out_.begin(), out_.end(), '\n'));
  }

  bulwark::testing::TempDir tmp_{"bulwark-server-id"};
  const fs::path d_ = tmp_.path();
  std::shared_ptr<bulwark::testing::FakeClock> clock_ =
      std::make_shared<bulwark::testing::FakeClock>(TimePoint(std::chrono::duration_cast<TimePoint::duration>(
          std::chrono::system_clock::now().time_since_epoch())));
  TestKey key_{JwsAlgorithm::kEdDsa, "idp-2026"};
  std::string file_token_, viewer_token_, out_, err_;
  std::unique_ptr<ServerApp> app_;
};

TEST_F(ServerIdentityTest, TokenStoreTokensAuthenticateAndTheirRolesAuthorize) {
  ASSERT_EQ(Cli({"token", "create", "ci-read", "--role", "reader", "--ttl", "1h"}), 0) << err_;
  const std::string reader = out_.substr(0, out_.find('\n'));
  ASSERT_TRUE(reader.starts_with("bwk_")) << "the token is printed once on stdout";
  ASSERT_EQ(Cli({"token", "create", "ci-revoked", "--role", "admin"}), 0) << err_;
  const std::string revoked = out_.substr(0, out_.find('\n'));
  ASSERT_EQ(Cli({"token", "revoke", "ci-revoked"}), 0) << err_;
  Start();
  ASSERT_FALSE(HasFatalFailure());

  auto ok = Get("/v1/config/data/prod/api", reader);
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_THAT(ok.body, HasSubstr("pool"));
  // Its roles, not more: reader may not read staging.
  EXPECT_EQ(Get("/v1/config/data/staging/api", reader).status, 403u);

  const std::size_t before = FailedLogins();
  auto gone = Get("/v1/config/data/prod/api", revoked);
  EXPECT_EQ(gone.status, 401u);
  // The same message as an unknown token of the same shape.
  std::string unknown = reader;
  unknown[unknown.size() - 1] = unknown.back() == 'a' ? 'b' : 'a';
  auto unknown_r = Get("/v1/config/data/prod/api", unknown);
  EXPECT_EQ(unknown_r.status, 401u);
  const auto message = [](const HttpResult& r) {
    return nlohmann::json::parse(r.body)["error"]["message"].get<std::string>();
  };
  EXPECT_EQ(message(gone), message(unknown_r));
  EXPECT_EQ(message(gone), "invalid or expired token");
  EXPECT_EQ(gone.body.find(revoked), std::string::npos);

  // Expired (the server's clock moves past the hour): the same 401.
  clock_->Advance(std::chrono::hours(2));
  auto expired = Get("/v1/config/data/prod/api", reader);
  EXPECT_EQ(expired.status, 401u);
  EXPECT_EQ(message(expired), "invalid or expired token");
  EXPECT_EQ(FailedLogins(), before + 3) << "every failed authentication is an auth.login record";

  // The tokens file still authenticates, next to the token store.
  EXPECT_EQ(Get("/v1/config/data/staging/api", file_token_).status, 200u);
}

TEST_F(ServerIdentityTest, JwtBearerTokensAuthenticateWithMappedRoles) {
  Start();
  ASSERT_FALSE(HasFatalFailure());
  const std::string good = Jwt("EdDSA", Claims("bulwark", Now() + 600, "prod-readers"));
  auto ok = Get("/v1/config/data/prod/api", good);
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(Get("/v1/config/data/staging/api", good).status, 403u) << "only the mapped role";
  // An unmapped group has no role: authenticated, but nothing is allowed.
  EXPECT_EQ(Get("/v1/config/data/prod/api", Jwt("EdDSA", Claims("bulwark", Now() + 600, "x"))).status, 403u);

  const std::size_t before = FailedLogins();
  const std::string claims = Claims("bulwark", Now() + 600, "prod-readers");
  const std::string none = identity::testing::B64(std::string("{\"alg\":\"none\"}")) + "." +
                           identity::testing::B64(claims) + ".";
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"alg none", none},
      {"expired", Jwt("EdDSA", Claims("bulwark", Now() - 3600, "prod-readers"))},
      {"wrong audience", Jwt("EdDSA", Claims("someone-else", Now() + 600, "prod-readers"))},
      {"HS256 keyed with the public key",
       identity::testing::HmacToken("{\"alg\":\"HS256\"}", claims, key_.PublicJwk())},
  };
  for (const auto& [what, token] : refused) {
    auto r = Get("/v1/config/data/prod/api", token);
    EXPECT_EQ(r.status, 401u) << what;
    EXPECT_THAT(r.body, HasSubstr("invalid or expired token")) << what;
  }
  // Another key, same kid: the signature does not verify.
  TestKey forger{JwsAlgorithm::kEdDsa, "idp-2026"};
  EXPECT_EQ(Get("/v1/config/data/prod/api",
                forger.Token("{\"alg\":\"EdDSA\",\"kid\":\"idp-2026\"}", claims)).status, 401u);
  EXPECT_EQ(FailedLogins(), before + refused.size() + 1);
  EXPECT_EQ(Get("/v1/config/data/staging/api", file_token_).status, 200u);
}

TEST_F(ServerIdentityTest, TokenRoutesCreateListAndRevokeAsAdminOnly) {
  Start();
  ASSERT_FALSE(HasFatalFailure());
  // Created over HTTP by the tokens file's admin: shown once, and it authenticates at once.
  auto created = Send("POST", "/v1/tokens", file_token_,
                      R"({"name": "deploy-bot", "roles": ["reader"], "namespaces": ["prod"], "ttl": "12h"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(Documented("POST", "/v1/tokens", created), "");
  EXPECT_EQ(created.Header("cache-control"), "no-store");
  auto j = nlohmann::json::parse(created.body);
  const std::string token = j["token"].get<std::string>();
  const std::string id = j["record"]["id"].get<std::string>();
  EXPECT_EQ(j["record"]["created_by"], "token:ops");
  EXPECT_EQ(j["record"]["status"], "active");
  EXPECT_EQ(Get("/v1/config/data/prod/api", token).status, 200u);
  EXPECT_EQ(Get("/v1/config/data/staging/api", token).status, 403u);

  // Listed (never with the token), also by `bulwark token list` on the home.
  auto list = Send("GET", "/v1/tokens", file_token_);
  ASSERT_EQ(list.status, 200u) << list.body;
  EXPECT_EQ(Documented("GET", "/v1/tokens", list), "");
  EXPECT_THAT(list.body, HasSubstr("deploy-bot"));
  EXPECT_EQ(list.body.find(token), std::string::npos);
  ASSERT_EQ(Cli({"token", "list", "--format", "json"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(id));

  // Not an admin: 403, and nothing is revealed.
  auto denied = Send("GET", "/v1/tokens", token);
  EXPECT_EQ(denied.status, 403u);
  EXPECT_EQ(Documented("GET", "/v1/tokens", denied), "");
  EXPECT_EQ(Send("POST", "/v1/tokens", token, R"({"name": "escalate", "roles": ["admin"]})").status, 403u);
  EXPECT_EQ(Send("DELETE", "/v1/tokens/" + id, token).status, 403u);

  // Bad bodies name the field; a name in use is 409.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"roles": ["reader"]})", "name"},
      {R"({"name": "x", "roles": []})", "roles"},
      {R"({"name": "x", "roles": "reader"})", "roles"},
      {R"({"name": "x", "roles": ["reader"], "ttl": "soon"})", "ttl"},
      {R"({"name": "x", "roles": ["reader"], "ttl": "1h", "no_expiry": true})", "no_expiry"},
      {R"({"name": "x", "roles": ["reader"], "owner": "me"})", "owner"},
      {R"({"name": "bad name!", "roles": ["reader"]})", "name"},
  };
  for (const auto& [body, field] : bad) {
    auto r = Send("POST", "/v1/tokens", file_token_, body);
    EXPECT_EQ(r.status, 400u) << body << " " << r.body;
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], field) << body << " " << r.body;
    EXPECT_EQ(Documented("POST", "/v1/tokens", r), "") << body;
  }
  auto again = Send("POST", "/v1/tokens", file_token_, R"({"name": "deploy-bot", "roles": ["reader"]})");
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_EQ(Documented("POST", "/v1/tokens", again), "");

  // Revoked over HTTP (by name or id): refused from then on with the unknown token's 401.
  auto revoked = Send("DELETE", "/v1/tokens/deploy-bot", file_token_);
  ASSERT_EQ(revoked.status, 200u) << revoked.body;
  EXPECT_EQ(Documented("DELETE", "/v1/tokens/{id}", revoked), "");
  EXPECT_EQ(nlohmann::json::parse(revoked.body)["record"]["status"], "revoked");
  auto refused = Get("/v1/config/data/prod/api", token);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_THAT(refused.body, HasSubstr("invalid or expired token"));
  auto missing = Send("DELETE", "/v1/tokens/no-such-token", file_token_);
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(Documented("DELETE", "/v1/tokens/{id}", missing), "");

  // One audit record per operation, naming the token by id, never holding it.
  ASSERT_EQ(Cli({"audit", "log", "--operation", "token.create", "--json"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(id));
  EXPECT_EQ(out_.find(token), std::string::npos);
  ASSERT_EQ(Cli({"audit", "log", "--operation", "token.revoke", "--json"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(id));
}

// A token manager may create tokens, but only with the roles it was given power over: minting a
// role is granting it.
TEST_F(ServerIdentityTest, ATokenCarriesOnlyRolesItsCreatorMayGrant) {
  auto manager = GenerateApiToken(*Runtime::System().random, "manager", {"token-manager"}, std::nullopt);
  ASSERT_TRUE(manager);
  std::ofstream(d_ / "tokens.yaml", std::ios::app) << manager->entry_yaml << "\n";
  fs::create_directories(d_ / "policies");
  std::ofstream(d_ / "policies" / "p.yaml") << R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: p
settings: {builtin: false}
statements:
  - {id: admins, effect: allow, roles: [admin], actions: ["*"], resources: ["*"]}
  - {id: readers, effect: allow, roles: [reader], actions: [read, list], resources: ["config:prod/**"]}
  - {id: token-managers, effect: allow, roles: [token-manager], actions: [admin],
     resources: ["policy:api-tokens", "policy:roles/reader"]}
)";
  WriteServerYaml("authorization: {policies: policies}\n");
  Start();
  ASSERT_FALSE(HasFatalFailure());
  const std::string m(manager->token.RevealAsString());
  auto ok = Send("POST", "/v1/tokens", m, R"({"name": "bot", "roles": ["reader"], "ttl": "1h"})");
  ASSERT_EQ(ok.status, 201u) << ok.body;
  auto escalate = Send("POST", "/v1/tokens", m, R"({"name": "bot2", "roles": ["reader", "admin"]})");
  EXPECT_EQ(escalate.status, 403u) << escalate.body;
  EXPECT_EQ(nlohmann::json::parse(escalate.body)["error"]["field"], "roles") << escalate.body;
  EXPECT_THAT(escalate.body, HasSubstr("'admin'"));
  EXPECT_EQ(Documented("POST", "/v1/tokens", escalate), "");
  // Nothing was created by the refused call.
  auto list = Send("GET", "/v1/tokens", file_token_);
  EXPECT_EQ(list.body.find("bot2"), std::string::npos) << list.body;
  // The admin (everything on everything) still may.
  EXPECT_EQ(Send("POST", "/v1/tokens", file_token_, R"({"name": "ops2", "roles": ["admin"]})").status, 201u);
}

constexpr const char* kShopPolicy = R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: shop
settings: {builtin: false}
statements:
  - id: admins
    effect: allow
    roles: [admin]
    actions: ["*"]
    resources: ["*"]
  - id: readers
    effect: allow
    roles: [reader]
    actions: [read, list]
    resources: ["config:prod/**"]
  - id: no-passwords
    effect: deny
    principals: ["*"]
    actions: [reveal]
    resources: ["config:**:**password"]
)";

// Under the access engine the audit and key routes are decided on audit:log and key:..., as the
// CLI's commands are: a policy on config:** opens neither, audit.read on audit:* opens the log.
TEST_F(ServerIdentityTest, AuditAndKeyRoutesAreDecidedOnTheirOwnResourcesNotAsNamespaces) {
  auto auditor = GenerateApiToken(*Runtime::System().random, "auditor", {"auditor"}, std::nullopt);
  ASSERT_TRUE(auditor);
  auto admin = GenerateApiToken(*Runtime::System().random, "ops", {"admin"}, std::nullopt);
  ASSERT_TRUE(admin);
  auto viewer = GenerateApiToken(*Runtime::System().random, "viewer", {"reader"}, std::nullopt);
  ASSERT_TRUE(viewer);
  std::ofstream(d_ / "tokens.yaml") << "tokens:\n" << admin->entry_yaml << "\n" << viewer->entry_yaml
                                    << "\n" << auditor->entry_yaml << "\n";
  fs::create_directories(d_ / "policies");
  std::ofstream(d_ / "policies" / "p.yaml") << R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: p
settings: {builtin: false}
statements:
  - {id: admins, effect: allow, roles: [admin], actions: ["*"], resources: ["*"]}
  - {id: config-readers, effect: allow, roles: [reader], actions: [read, list], resources: ["config:**"]}
  - {id: auditors, effect: allow, roles: [auditor], actions: [audit.read], resources: ["audit:*"]}
)";
  WriteServerYaml("authorization: {policies: policies}\n");
  Start();
  ASSERT_FALSE(HasFatalFailure());
  const std::string reader(viewer->token.RevealAsString());
  const std::string audit(auditor->token.RevealAsString());
  const std::string ops(admin->token.RevealAsString());
  EXPECT_EQ(Get("/v1/config/data/prod/api", reader).status, 200u);
  // config:** is not the audit log nor the keys.
  EXPECT_EQ(Get("/v1/audit/events?limit=1", reader).status, 403u);
  EXPECT_EQ(Get("/v1/audit/checkpoint", reader).status, 403u);
  EXPECT_EQ(Get("/v1/keys", reader).status, 403u);
  // audit.read on audit:* is.
  auto events = Get("/v1/audit/events?limit=1", audit);
  EXPECT_EQ(events.status, 200u) << events.body;
  EXPECT_EQ(Get("/v1/keys", audit).status, 403u);
  EXPECT_EQ(Get("/v1/config/data/prod/api", audit).status, 403u);
  EXPECT_EQ(Get("/v1/keys", ops).status, 200u);
}

TEST_F(ServerIdentityTest, AccessRoutesAnswerWithThePolicySetAndItsStatements) {
  fs::create_directories(d_ / "policies");
  std::ofstream(d_ / "policies" / "shop.yaml") << kShopPolicy;
  WriteServerYaml("authorization: {policies: policies}\n");
  Start();
  ASSERT_FALSE(HasFatalFailure());
  auto json = [](const HttpResult& r) { return nlohmann::json::parse(r.body); };

  auto allowed = Send("POST", "/v1/access/check", file_token_,
                      R"({"principal": "token:ci", "roles": ["reader"], "action": "read", "resource": "config:prod/api:pool"})");
  ASSERT_EQ(allowed.status, 200u) << allowed.body;
  EXPECT_EQ(Documented("POST", "/v1/access/check", allowed), "");
  EXPECT_EQ(json(allowed)["allowed"], true);
  EXPECT_EQ(json(allowed)["statement"]["id"], "shop/readers");
  EXPECT_EQ(json(allowed)["principal"], "token:ci");

  auto denied = Send("POST", "/v1/access/check", file_token_,
                     R"({"principal": "token:ci", "roles": ["reader"], "action": "write", "resource": "config:prod/api:pool"})");
  ASSERT_EQ(denied.status, 200u) << denied.body;
  EXPECT_EQ(json(denied)["allowed"], false);
  EXPECT_EQ(json(denied)["reason"], "no-allow");

  // Without a principal: the caller (token:ops, role admin), whom the deny still stops.
  auto self = Send("POST", "/v1/access/explain", file_token_,
                   R"({"action": "reveal", "resource": "config:prod/api:db.password"})");
  ASSERT_EQ(self.status, 200u) << self.body;
  EXPECT_EQ(Documented("POST", "/v1/access/explain", self), "");
  EXPECT_EQ(json(self)["principal"], "token:ops");
  EXPECT_EQ(json(self)["allowed"], false);
  EXPECT_EQ(json(self)["reason"], "denied");
  EXPECT_EQ(json(self)["deciding"][0]["id"], "shop/no-passwords");
  EXPECT_GE(json(self)["candidates"].size(), 2u) << "the admins allow and the deny both matched";
  EXPECT_THAT(json(self)["text"].get<std::string>(), HasSubstr("shop/no-passwords"));

  auto who = Send("GET", "/v1/access/who-can?action=read&resource=config:prod/api:pool", file_token_);
  ASSERT_EQ(who.status, 200u) << who.body;
  EXPECT_EQ(Documented("GET", "/v1/access/who-can", who), "");
  EXPECT_THAT(who.body, HasSubstr("shop/readers"));
  EXPECT_THAT(who.body, HasSubstr("shop/admins"));
  auto nobody = Send("GET", "/v1/access/who-can?action=reveal&resource=config:prod/api:db.password", file_token_);
  ASSERT_EQ(nobody.status, 200u) << nobody.body;
  EXPECT_EQ(json(nobody)["subjects"].size(), 0u) << nobody.body;

  // What the policies allow is policy information: the reader may not ask.
  auto refused = Send("POST", "/v1/access/check", viewer_token_, R"({"action": "read", "resource": "config:prod/a"})");
  EXPECT_EQ(refused.status, 403u) << refused.body;
  EXPECT_EQ(Documented("POST", "/v1/access/check", refused), "");
  EXPECT_EQ(Send("GET", "/v1/access/who-can?action=read&resource=config:prod/a", viewer_token_).status, 403u);

  // Bad input names the field.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"resource": "config:prod/a"})", "action"},
      {R"({"action": "peek", "resource": "config:prod/a"})", "action"},
      {R"({"action": "read"})", "resource"},
      {R"({"action": "read", "resource": "nowhere:x"})", "resource"},
      {R"({"action": "read", "resource": "config:prod/a", "attributes": [1]})", "attributes"},
      {R"({"action": "read", "resource": "config:prod/a", "mfa": "yes"})", "mfa"},
      {R"({"action": "read", "resource": "config:prod/a", "time": "noon"})", "time"},
      {R"({"action": "read", "resource": "config:prod/a", "as": "x"})", "as"},
  };
  for (const auto& [body, field] : bad) {
    auto r = Send("POST", "/v1/access/check", file_token_, body);
    EXPECT_EQ(r.status, 400u) << body << " " << r.body;
    EXPECT_EQ(json(r)["error"]["field"], field) << body << " " << r.body;
    EXPECT_EQ(Documented("POST", "/v1/access/check", r), "") << body;
  }
  auto no_resource = Send("GET", "/v1/access/who-can?action=read", file_token_);
  EXPECT_EQ(no_resource.status, 400u);
  EXPECT_EQ(json(no_resource)["error"]["field"], "resource");
  EXPECT_EQ(Documented("GET", "/v1/access/who-can", no_resource), "");

  // Each call is one audit record.
  ASSERT_EQ(Cli({"audit", "log", "--operation", "access.check", "--json"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("token:ci read config:prod/api:pool: allow"));
}

TEST_F(ServerIdentityTest, AccessRoutesNeedThePolicyEngine) {
  Start();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Send("POST", "/v1/access/check", file_token_, R"({"action": "read", "resource": "config:prod/a"})").status,
            404u);
}

TEST_F(ServerIdentityTest, BadIdentitySectionsNameTheField) {
  std::ofstream(d_ / "bad.yaml") << fmt::format(
      "listen: 127.0.0.1:0\nhome: {}\ntls: {{cert: {}, key: {}}}\n"
      "auth: {{jwt: {{issuers: [{{issuer: x, jwks_file: idp.jwks.json}}]}}}}\n"
      "authorization: {{grants: []}}\n",
      (d_ / "home").string(), (d_ / "server.pem").string(), (d_ / "server.key").string());
  auto cfg = LoadServerConfig(*Runtime::System().fs, d_ / "bad.yaml");
  ASSERT_TRUE(cfg) << cfg.error();
  ServeHooks hooks;
  hooks.log = [](std::string_view) {};
  auto app = ServerApp::Open(std::move(*cfg), std::move(hooks));
  ASSERT_FALSE(app);
  EXPECT_THAT(app.error().message(), HasSubstr("bad.yaml: auth.jwt.issuers[0].audiences"));
  EXPECT_EQ(app.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::server::testing
