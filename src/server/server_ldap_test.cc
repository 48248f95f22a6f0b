// POST /v1/auth/ldap/login on a real server (ServerApp over a `bulwark init` home, fake clock)
// against a real slapd started on loopback with a generated directory (as the identity module's
// LDAP tests do): the password is checked by a bind, the groups map to the token's roles, the
// token authorizes by them and expires; wrong password and unknown user answer alike; bad bodies
// name the field; attempts are rate limited; every attempt is audited, never with the password.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bulwark/cli/app.h"
#include "bulwark/server/api_tokens.h"
#include "bulwark/server/serve.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"
#include "identity/daemon_for_test.h"
#include "server/server_fixture_for_test.h"

namespace bulwark::server::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Hash(const std::string& password) {
  std::FILE* p = ::popen(("/usr/sbin/slappasswd -s '" + password + "'").c_str(), "r");
  if (p == nullptr) return "";
  char buf[256] = "";
  std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// slapd on 127.0.0.1 (plain LDAP: loopback only) with alice (groups payments-dev, auditors) and
// bob (no mapped group).
struct Slapd {
  bulwark::testing::TempDir dir{"srv-slapd"};
  identity::testing::Daemon daemon;
  std::uint16_t port = 0;
  std::string error;

  bool Start() {
    const std::string d = dir.path().string();
    port = identity::testing::FreeLoopbackPort();
    if (port == 0) return Fail("no free port");
    fs::create_directories(dir / "db");
    std::ofstream(dir / "slapd.conf") << fmt::format(R"(include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {0}/slapd.pid
argsfile {0}/slapd.args
database mdb
maxsize 10485760
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
directory {0}/db
access to attrs=userPassword by anonymous auth by self read by * none
access to * by * read
)",
                                                     d);
    std::ofstream(dir / "data.ldif") << fmt::format(R"(dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Liddell
userPassword: {0}

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
userPassword: {1}

dn: cn=payments-dev,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: payments-dev
member: uid=alice,ou=people,dc=example,dc=org
)",
                                                    Hash("alice-pw-1"), Hash("bob-pw-2"));
    if (std::system(("/usr/sbin/slapadd -f '" + d + "/slapd.conf' -l '" + d + "/data.ldif' >'" + d +
                     "/slapadd.log' 2>&1")
                        .c_str()) != 0) {
      return Fail("slapadd failed, see slapadd.log");
    }
    if (!daemon.Start({"/usr/sbin/slapd", "-d", "0", "-f", d + "/slapd.conf", "-h",
                       fmt::format("ldap://127.0.0.1:{}/", port)},
                      port, dir / "slapd.log", dir.path())) {
      return Fail("slapd did not start, see slapd.log");
    }
    return true;
  }
  bool Fail(std::string why) {
    error = why + " (in " + dir.path().string() + ")";
    return false;
  }
};

class ServerLdapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(slapd_.Start()) << slapd_.error;
    MakeCertificates(d_);
    ASSERT_FALSE(HasFatalFailure());
    ::setenv("BULWARK_HOME", (d_ / "home").c_str(), 1);
    ::setenv("BULWARK_PASSPHRASE", "server-ldap-passphrase", 1);
    ASSERT_EQ(Cli({"init"}), 0);
    ASSERT_EQ(Cli({"set", "prod/api", "pool", "5"}), 0);
    ASSERT_EQ(Cli({"set", "staging/api", "pool", "2"}), 0);
    std::ofstream(d_ / "server.yaml") << fmt::format(
        "listen: 127.0.0.1:0\nhome: {}\n"
        "tls: {{cert: {}, key: {}}}\n"
        "auth:\n"
        "  token: {{}}\n"
        "  ldap:\n"
        "    url: ldap://127.0.0.1:{}\n"
        "    allow_plaintext: true\n"
        "    user_dn: \"uid={{user}},ou=people,dc=example,dc=org\"\n"
        "    group_base: \"ou=groups,dc=example,dc=org\"\n"
        "    group_filter: \"(&(objectClass=groupOfNames)(member={{dn}}))\"\n"
        "    roles: {{groups: {{payments-dev: [reader]}}}}\n"
        "  login: {{token_ttl: 30m, attempts_per_minute: 8}}\n"
        "authorization: {{grants: [{{roles: [reader], actions: [read, list], resources: [\"prod/*\"]}}]}}\n"
        "log: {{requests: false}}\n",
        (d_ / "home").string(), (d_ / "server.pem").string(), (d_ / "server.key").string(), slapd_.port);
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
  HttpResult Send(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = "") {
    auto c = TestClient::Connect(app_->server().port(), ClientOptions{.ca = d_ / "ca.pem"});
    EXPECT_TRUE(c) << c.error();
    if (!c) return {};
    std::vector<std::pair<std::string, std::string>> h;
    if (!token.empty()) h.push_back({"Authorization", "Bearer " + token});
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    auto r = (*c)->Call(method, target, body, h);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : HttpResult{};
  }
  HttpResult Login(const std::string& user, const std::string& password) {
    return Send("POST", "/v1/auth/ldap/login", "",
                nlohmann::json({{"username", user}, {"password", password}}).dump());
  }

  Slapd slapd_;
  bulwark::testing::TempDir tmp_{"bulwark-server-ldap"};
  const fs::path d_ = tmp_.path();
  std::shared_ptr<bulwark::testing::FakeClock> clock_ =
      std::make_shared<bulwark::testing::FakeClock>(TimePoint(std::chrono::duration_cast<TimePoint::duration>(
          std::chrono::system_clock::now().time_since_epoch())));
  std::string out_, err_;
  std::unique_ptr<ServerApp> app_;
};

TEST_F(ServerLdapTest, LoginGivesAShortLivedTokenWithTheMappedRoles) {
  auto ok = Login("alice", "alice-pw-1");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(ok.Header("cache-control"), "no-store");
  auto j = nlohmann::json::parse(ok.body);
  const std::string token = j["token"].get<std::string>();
  EXPECT_TRUE(token.starts_with("bwk_"));
  EXPECT_EQ(j["principal"], "ldap:alice");
  EXPECT_EQ(j["roles"], nlohmann::json::array({"reader"}));
  EXPECT_EQ(Send("GET", "/v1/config/data/prod/api", token).status, 200u);
  EXPECT_EQ(Send("GET", "/v1/config/data/staging/api", token).status, 403u);
  // The token is in the home's store, created by the directory user.
  ASSERT_EQ(Cli({"token", "list", "--format", "json"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("ldap-alice-"));
  EXPECT_THAT(out_, HasSubstr("\"created_by\": \"ldap:alice\""));

  // Wrong password and unknown user: one answer.
  auto wrong = Login("alice", "guess");
  auto unknown = Login("mallory", "guess");
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(unknown.status, 401u);
  EXPECT_EQ(nlohmann::json::parse(wrong.body)["error"]["message"],
            nlohmann::json::parse(unknown.body)["error"]["message"]);
  EXPECT_EQ(Login("alice", "").status, 401u) << "an empty password is not an anonymous bind";
  // A user whose groups map to no role gets no token.
  EXPECT_EQ(Login("bob", "bob-pw-2").status, 403u);

  // Bad bodies name the field (and are not attempts).
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"username": "alice"})", "password"},
      {R"({"username": "alice", "password": 12})", "password"},
      {R"({"password": "x"})", "username"},
      {R"({"username": "alice", "password": "x", "otp": 1})", "otp"},
  };
  for (const auto& [body, field] : bad) {
    auto r = Send("POST", "/v1/auth/ldap/login", "", body);
    EXPECT_EQ(r.status, 400u) << body;
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], field) << body;
  }

  // Every attempt is audited; the password never is.
  ASSERT_EQ(Cli({"audit", "log", "--operation", "auth.login", "--json"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("ldap login: token 'ldap-alice-"));
  EXPECT_THAT(out_, HasSubstr("ldap:mallory"));
  EXPECT_EQ(out_.find("alice-pw-1"), std::string::npos);
  EXPECT_EQ(out_.find("guess"), std::string::npos);
  EXPECT_EQ(out_.find(token), std::string::npos);

  // Short-lived: refused after token_ttl.
  clock_->Advance(std::chrono::minutes(31));
  EXPECT_EQ(Send("GET", "/v1/config/data/prod/api", token).status, 401u);

  // Guessing is rate limited (every attempt counts): a 429 with Retry-After comes.
  bool limited = false;
  for (int i = 0; i < 20 && !limited; ++i) {
    auto r = Login("alice", "guess-" + std::to_string(i));
    if (r.status == 429u) {
      limited = true;
      EXPECT_FALSE(r.Header("retry-after").empty());
    } else {
      EXPECT_EQ(r.status, 401u) << r.body;
    }
  }
  EXPECT_TRUE(limited);
}

TEST(ServerLdapConfigTest, LdapNeedsTheTokenStore) {
  bulwark::testing::TempDir dir("srv-ldap-cfg");
  std::ofstream(dir / "server.yaml") << "listen: 127.0.0.1:0\nhome: h\ntls: {cert: c, key: k}\n"
                                        "auth: {ldap: {url: 'ldap://127.0.0.1:1'}}\n"
                                        "authorization: {grants: []}\n";
  auto cfg = LoadServerConfig(*Runtime::System().fs, dir / "server.yaml");
  ASSERT_FALSE(cfg);
  EXPECT_THAT(cfg.error().message(), HasSubstr("auth.ldap: needs auth.token"));
  std::ofstream(dir / "server.yaml") << "listen: 127.0.0.1:0\nhome: h\ntls: {cert: c, key: k}\n"
                                        "auth: {token: {}, login: {token_ttl: 3d}}\n"
                                        "authorization: {grants: []}\n";
  cfg = LoadServerConfig(*Runtime::System().fs, dir / "server.yaml");
  ASSERT_FALSE(cfg);
  EXPECT_THAT(cfg.error().message(), HasSubstr("auth.login.token_ttl: between 1m and 24h"));
}

}  // namespace
}  // namespace bulwark::server::testing
