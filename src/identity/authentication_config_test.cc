#include "bulwark/identity/authentication_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "bulwark/config/format.h"
#include "bulwark/identity/token_store.h"
#include "bulwark/testing/recording_audit_sink.h"
#include "bulwark/testing/temp_dir.h"
#include "identity/jwt_test_util.h"

namespace bulwark::identity {
namespace {

class AuthenticationConfigTest : public ::testing::Test {
 protected:
  AuthenticationEnvironment Env() {
    return {.runtime = Runtime::System(), .base_dir = dir_.path(), .home = dir_.path(),
            .audit = audit_};
  }
  Result<std::unique_ptr<AuthenticatorChain>> Build(const std::string& yaml) {
    auto doc = config::ParseDocument(yaml, config::Format::kYaml, {.source_name = "server.yaml"});
    if (!doc) return std::unexpected(doc.error());
    return BuildAuthenticators(doc->root, "server.yaml: authentication", Env());
  }
  bulwark::testing::TempDir dir_{"authcfg"};
  std::shared_ptr<bulwark::testing::RecordingAuditSink> audit_ =
      std::make_shared<bulwark::testing::RecordingAuditSink>();
};

TEST_F(AuthenticationConfigTest, ConfiguredMethodsServeTheirCredentialsInOrder) {
  identity::testing::TestKey key(JwsAlgorithm::kEdDsa, "k1");
  std::ofstream(dir_ / "idp.jwks.json") << "{\"keys\":[" << key.PublicJwk() << "]}";
  auto chain = Build(R"(
methods: [token, jwt, mtls]
token: {}
jwt:
  issuers: [{issuer: "https://idp", audiences: [bulwark], jwks_file: idp.jwks.json}]
mtls: {id_from: cn}
)");
  ASSERT_TRUE(chain.has_value()) << chain.error();
  EXPECT_EQ((*chain)->Methods(), (std::vector<std::string>{"token", "jwt", "mtls"}));

  auto store = TokenStore::Open(dir_ / "tokens.db", Runtime::System());
  ASSERT_TRUE(store.has_value());
  auto created = (*store)->Create({.name = "ci", .roles = {"viewer"}});
  ASSERT_TRUE(created.has_value());
  auto p = (*chain)->Authenticate(Credential::Bearer(created->token.RevealAsString(), "x"));
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "token:ci");

  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   300;
  auto jwt = (*chain)->Authenticate(Credential::Bearer(
      key.Token(R"({"alg":"EdDSA","kid":"k1"})",
                R"({"iss":"https://idp","aud":"bulwark","sub":"bob","exp":)" +
                    std::to_string(exp) + "}"),
      "x"));
  ASSERT_TRUE(jwt.has_value()) << jwt.error();
  EXPECT_EQ(jwt->id, "oidc:https://idp|bob");

  auto password = (*chain)->Authenticate(Credential::Password("bob", "pw", "203.0.113.1:1"));
  ASSERT_FALSE(password.has_value()) << "no ldap method configured";
  ASSERT_EQ(audit_->records().size(), 1u);
  EXPECT_EQ(audit_->records()[0].context.principal.kind, "none");
}

TEST_F(AuthenticationConfigTest, MistakesNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{}", "no authentication method configured"},
      {"methods: [token, saml]\ntoken: {}", "unknown method 'saml'"},
      {"methods: [jwt]", "method 'jwt' is listed but has no section"},
      {"methods: [token]\ntoken: {}\nmtls: {}", "section 'mtls' is not listed"},
      {"token: {db: x}", "server.yaml: authentication.token: unknown field 'db'"},
      {"jwt: {issuers: [{audiences: [a], jwks_file: f}]}",
       "server.yaml: authentication.jwt.issuers[0].issuer: required"},
      {"mtls: {id_from: ip}", "authentication.mtls.id_from"},
      {"ldap: {url: 'ldap://h', user_dn: 'uid={user}'}", "sends passwords in clear"},
      {"methds: [token]", "unknown field 'methds'"},
  };
  for (const auto& [yaml, want] : cases) {
    auto chain = Build(yaml);
    ASSERT_FALSE(chain.has_value()) << yaml;
    EXPECT_EQ(chain.error().code(), ErrorCode::kInvalidArgument) << chain.error();
    EXPECT_NE(chain.error().message().find(want), std::string::npos)
        << chain.error() << " / " << want;
  }
}

}  // namespace
}  // namespace bulwark::identity
