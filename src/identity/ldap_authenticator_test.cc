// LDAP against a real slapd (Debian's `slapd`) started on loopback for this test suite: a
// throwaway slapd.conf (mdb backend) in a temporary directory, a generated LDIF loaded with
// slapadd, plain, StartTLS and LDAPS listeners with a certificate made here; stopped at the end.
#include "bulwark/identity/ldap_authenticator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "bulwark/config/format.h"
#include "bulwark/testing/temp_dir.h"
#include "identity/daemon_for_test.h"

namespace bulwark::identity {
namespace {

std::string Hash(const std::string& password) {
  std::string cmd = "/usr/sbin/slappasswd -s '" + password + "'";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  char buf[256] = "";
  std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct Slapd {
  bulwark::testing::TempDir dir{"slapd"};
  identity::testing::Daemon daemon;
  std::uint16_t port = 0;
  std::uint16_t tls_port = 0;
  std::string error;

  bool Start() {
    const std::string d = dir.path().string();
    port = identity::testing::FreeLoopbackPort();
    tls_port = identity::testing::FreeLoopbackPort();
    if (port == 0 || tls_port == 0 || port == tls_port) return Fail("no free port");
    const std::string gen =
        "cd '" + d +
        "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem "
        "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >gen.log 2>&1 && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-key.pem -out other.pem -days 1 "
        "-subj /CN=other >>gen.log 2>&1";
    if (std::system(gen.c_str()) != 0) return Fail("openssl req failed");
    std::filesystem::create_directories(dir / "db");
    std::ofstream(dir / "slapd.conf") << fmt::format(R"(include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {0}/slapd.pid
argsfile {0}/slapd.args
TLSCertificateFile {0}/cert.pem
TLSCertificateKeyFile {0}/key.pem
database mdb
maxsize 10485760
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
directory {0}/db
access to attrs=userPassword by anonymous auth by self read by * none
access to * by * read
)",
                                                     d);
    const std::string ldif = fmt::format(R"(dn: dc=example,dc=org
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

dn: ou=services,dc=example,dc=org
objectClass: organizationalUnit
ou: services

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Liddell
departmentNumber: payments
o: acme
userPassword: {0}

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
userPassword: {1}

dn: uid=a\,b,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: a,b
cn: Comma
sn: Comma
userPassword: {1}

dn: cn=bulwark,ou=services,dc=example,dc=org
objectClass: inetOrgPerson
cn: bulwark
sn: service
userPassword: {2}

dn: cn=platform-admins,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: platform-admins
member: uid=alice,ou=people,dc=example,dc=org

dn: cn=payments-dev,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: payments-dev
member: uid=alice,ou=people,dc=example,dc=org
member: uid=bob,ou=people,dc=example,dc=org
)",
                                         Hash("alice-pw-1"), Hash("bob-pw-2"), Hash("svc-pw-3"));
    std::ofstream(dir / "data.ldif") << ldif;
    const std::string add = "/usr/sbin/slapadd -f '" + d + "/slapd.conf' -l '" + d +
                            "/data.ldif' >'" + d + "/slapadd.log' 2>&1";
    if (std::system(add.c_str()) != 0) return Fail("slapadd failed, see slapadd.log");
    const std::string urls =
        fmt::format("ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/", port, tls_port);
    if (!daemon.Start({"/usr/sbin/slapd", "-d", "0", "-f", d + "/slapd.conf", "-h", urls}, port,
                      dir / "slapd.log", dir.path())) {
      return Fail("slapd did not start, see slapd.log");
    }
    for (int i = 0; i < 100 && !identity::testing::CanConnect(tls_port); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
  bool Fail(std::string why) {
    error = why + " (in " + dir.path().string() + ")";
    return false;
  }
};

Slapd* server = nullptr;

class LdapTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server = new Slapd();
    if (!server->Start()) {
      std::string keep = server->error;
      std::ifstream log(server->dir / "slapd.log");
      std::stringstream s;
      s << log.rdbuf();
      setup_error_ = keep + "\n" + s.str();
    }
  }
  static void TearDownTestSuite() {
    delete server;
    server = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  LdapConfig Direct() const {
    LdapConfig c;
    c.url = "ldap://127.0.0.1:" + std::to_string(server->port);
    c.allow_plaintext = true;
    c.timeout = std::chrono::milliseconds(3000);
    c.user_dn = "uid={user},ou=people,dc=example,dc=org";
    c.group_base = "ou=groups,dc=example,dc=org";
    c.group_filter = "(&(objectClass=groupOfNames)(member={dn}))";
    c.attributes = {{"team", "departmentNumber"}, {"tenant", "o"}};
    c.roles.groups = {{"platform-admins", {"global-admin"}},
                      {"payments-dev", {"developer-payments"}}};
    return c;
  }
  LdapConfig Search() const {
    LdapConfig c = Direct();
    c.user_dn.clear();
    c.user_base = "ou=people,dc=example,dc=org";
    c.user_filter = "(&(objectClass=inetOrgPerson)(uid={user}))";
    c.bind_dn = "cn=bulwark,ou=services,dc=example,dc=org";
    c.bind_password = std::make_shared<const SecretBytes>(SecretBytes::FromString("svc-pw-3"));
    return c;
  }
  static Result<service::Principal> Login(const LdapConfig& c, const std::string& user,
                                          const std::string& password) {
    BULWARK_ASSIGN_OR_RETURN(auto a, LdapAuthenticator::Create(c));
    return a->Authenticate(Credential::Password(user, password, "198.51.100.2:999"));
  }
  static void ExpectInvalid(const Result<service::Principal>& r, const std::string& label) {
    ASSERT_FALSE(r.has_value()) << label << ": accepted";
    EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated) << label << ": " << r.error();
    EXPECT_EQ(r.error().message(), "invalid credentials") << label;
  }

  static inline std::string setup_error_;
};

TEST_F(LdapTest, DirectBindGivesThePrincipalWithGroupsAndAttributes) {
  auto p = Login(Direct(), "alice", "alice-pw-1");
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "ldap:alice");
  EXPECT_EQ(p->kind, "ldap");
  EXPECT_EQ(p->roles, (std::vector<std::string>{"developer-payments", "global-admin"}));
  const auto& a = p->attributes.AsMap();
  EXPECT_EQ(a.Find("dn")->AsString(), "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(a.Find("team")->AsString(), "payments");
  EXPECT_EQ(a.Find("tenant")->AsString(), "acme");
  EXPECT_EQ(a.Find("groups")->AsList().size(), 2u);
  EXPECT_FALSE(a.Find("mfa")->AsBool());
  auto bob = Login(Direct(), "bob", "bob-pw-2");
  ASSERT_TRUE(bob.has_value()) << bob.error();
  EXPECT_EQ(bob->roles, std::vector<std::string>{"developer-payments"});
}

TEST_F(LdapTest, SearchThenBindFindsTheUserThroughTheServiceAccount) {
  auto p = Login(Search(), "alice", "alice-pw-1");
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->attributes.AsMap().Find("dn")->AsString(), "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(p->roles.size(), 2u);
  auto comma = Login(Search(), "a,b", "bob-pw-2");
  ASSERT_TRUE(comma.has_value()) << comma.error();
  auto comma_direct = Login(Direct(), "a,b", "bob-pw-2");
  ASSERT_TRUE(comma_direct.has_value()) << "the DN value is escaped: " << comma_direct.error();
}

TEST_F(LdapTest, WrongPasswordUnknownUserAndEmptyPasswordAreRefusedAlike) {
  for (const LdapConfig& c : {Direct(), Search()}) {
    ExpectInvalid(Login(c, "alice", "wrong"), "wrong password");
    ExpectInvalid(Login(c, "mallory", "alice-pw-1"), "unknown user");
    ExpectInvalid(Login(c, "alice", ""), "empty password (anonymous bind)");
    ExpectInvalid(Login(c, "", "x"), "empty user");
    ExpectInvalid(Login(c, "alice\n", "alice-pw-1"), "control character");
  }
}

TEST_F(LdapTest, InjectionInTheUserNameFindsNobody) {
  for (const std::string& user :
       {std::string("*"), std::string("al*"), std::string("*)(uid=*"),
        std::string("alice)(|(uid=*"), std::string("alice)(objectClass=*"),
        std::string("alice,ou=people"), std::string("alice,ou=people,dc=example,dc=org"),
        std::string("alice\\"), std::string("uid=alice"), std::string("#alice")}) {
    ExpectInvalid(Login(Search(), user, "alice-pw-1"), "search: " + user);
    ExpectInvalid(Login(Direct(), user, "alice-pw-1"), "direct: " + user);
  }
  // A filter that an attacker could widen would match the service account or every user.
  ExpectInvalid(Login(Search(), "*", "svc-pw-3"), "wildcard with the service password");
}

TEST_F(LdapTest, TheIdIsTheDirectorysSpellingNotTheNameAsTyped) {
  // The directory matches uid case- and space-insensitively; a policy on ldap:alice must see the
  // same principal whichever spelling logged in.
  for (const std::string& typed :
       {std::string("ALICE"), std::string(" alice"), std::string("Alice ")}) {
    for (const LdapConfig& c : {Direct(), Search()}) {
      auto p = Login(c, typed, "alice-pw-1");
      ASSERT_TRUE(p.has_value()) << "'" << typed << "': " << p.error();
      EXPECT_EQ(p->id, "ldap:alice") << "'" << typed << "'";
    }
  }
  LdapConfig by_cn = Direct();
  by_cn.id_attribute = "cn";
  auto p = Login(by_cn, "alice", "alice-pw-1");
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "ldap:Alice");
}

TEST_F(LdapTest, StartTlsAndLdapsVerifyTheServer) {
  LdapConfig starttls = Direct();
  starttls.allow_plaintext = false;
  starttls.start_tls = true;
  starttls.ca_file = (server->dir / "cert.pem").string();
  auto p = Login(starttls, "alice", "alice-pw-1");
  ASSERT_TRUE(p.has_value()) << p.error();

  LdapConfig ldaps = Direct();
  ldaps.allow_plaintext = false;
  ldaps.url = "ldaps://127.0.0.1:" + std::to_string(server->tls_port);
  ldaps.ca_file = (server->dir / "cert.pem").string();
  auto q = Login(ldaps, "alice", "alice-pw-1");
  ASSERT_TRUE(q.has_value()) << q.error();

  for (LdapConfig c : {starttls, ldaps}) {
    c.ca_file = (server->dir / "other.pem").string();
    auto r = Login(c, "alice", "alice-pw-1");
    ASSERT_FALSE(r.has_value()) << c.url;
    EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error();
  }
}

TEST_F(LdapTest, ADirectoryThatIsDownFailsClosed) {
  LdapConfig c = Direct();
  const std::uint16_t nothing = identity::testing::FreeLoopbackPort();
  c.url = "ldap://127.0.0.1:" + std::to_string(nothing);
  auto r = Login(c, "alice", "alice-pw-1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error();
  LdapConfig s = Search();
  s.bind_password = std::make_shared<const SecretBytes>(SecretBytes::FromString("not-it"));
  auto svc = Login(s, "alice", "alice-pw-1");
  ASSERT_FALSE(svc.has_value());
  EXPECT_EQ(svc.error().code(), ErrorCode::kUnavailable) << "a broken service account is an outage";
  EXPECT_EQ(svc.error().message().find("not-it"), std::string::npos);
}

TEST(LdapConfigTest, PlaintextAndIncompleteConfigurationsAreRefused) {
  auto yaml = [](const std::string& text) {
    return config::ParseDocument(text, config::Format::kYaml, {.source_name = "s.yaml"})->root;
  };
  const Runtime rt = Runtime::System();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"url: ldap://h\nuser_dn: 'uid={user},dc=x'", "sends passwords in clear"},
      {"url: http://h\nuser_dn: 'uid={user}'", "expected ldap://"},
      {"url: ldaps://h", "exactly one of user_dn"},
      {"url: ldaps://h\nuser_dn: 'uid=x'", "must contain {user}"},
      {"url: ldaps://h\nuser_base: 'dc=x'", "needs bind_dn"},
      {"url: ldaps://h\nuser_dn: 'uid={user}'\nbind_password_file: /nonexistent/pw",
       "bind_password_file"},
      {"url: ldaps://h\nuser_dn: 'uid={user}'\ntimeout: 2h", "from 1s to 1m"},
      {"url: ldaps://h\nuser_dn: 'uid={user}'\ngroup_filtr: x", "unknown field 'group_filtr'"},
  };
  for (const auto& [text, want] : cases) {
    auto a = LdapAuthenticator::FromConfig(yaml(text), "s.yaml: authentication.ldap", rt, "/");
    ASSERT_FALSE(a.has_value()) << text;
    EXPECT_NE(a.error().message().find(want), std::string::npos) << a.error() << " / " << want;
  }
  EXPECT_TRUE(LdapAuthenticator::FromConfig(yaml("url: ldaps://h\nuser_dn: 'uid={user},dc=x'"),
                                            "ldap", rt, "/"));
}

TEST(LdapEscapeTest, FilterAndDnEscapingFollowTheRfcs) {
  EXPECT_EQ(EscapeLdapFilterValue("a*b(c)d\\e"), "a\\2ab\\28c\\29d\\5ce");
  EXPECT_EQ(EscapeLdapFilterValue(std::string("x\0y", 3)), "x\\00y");
  EXPECT_EQ(EscapeLdapDnValue("a,b+c\"d\\e<f>g;h=i"), "a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\=i");
  EXPECT_EQ(EscapeLdapDnValue("#x "), "\\#x\\ ");
  EXPECT_EQ(EscapeLdapDnValue(" x"), "\\ x");
}

RC_GTEST_PROP(LdapEscapeProperty, EscapedFilterValuesHoldNoFilterMetacharacters, (std::string s)) {
  const std::string e = EscapeLdapFilterValue(s);
  RC_ASSERT(e.find_first_of(std::string("*()\0", 4)) == std::string::npos);
  // Every backslash starts a two-hex-digit escape.
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e[i] == '\\') {
      RC_ASSERT(i + 2 < e.size());
      RC_ASSERT(std::isxdigit(static_cast<unsigned char>(e[i + 1])) &&
                std::isxdigit(static_cast<unsigned char>(e[i + 2])));
      i += 2;
    }
  }
}

}  // namespace
}  // namespace bulwark::identity
