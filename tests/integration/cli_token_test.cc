// `bulwark token create|list|revoke` end to end: the token is printed once and authenticates
// against the home's tokens.db through the identity module; listing never shows it; revoking
// refuses it; creation and revocation are in the audit log; bad input has the documented codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "bulwark/identity/api_token_authenticator.h"
#include "bulwark/identity/token_store.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TokenCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = dir_ / "home";
    env_ = "BULWARK_HOME=" + home_.string();
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_); }

  Result<service::Principal> Authenticate(const std::string& token) {
    auto store = identity::TokenStore::Open(home_ / "tokens.db", Runtime::System());
    if (!store) return std::unexpected(store.error());
    identity::ApiTokenAuthenticator auth(std::move(*store), NewSystemClock());
    return auth.Authenticate(identity::Credential::Bearer(token, "127.0.0.1:1"));
  }

  std::filesystem::path home_;
  std::string env_;
};

TEST_F(TokenCliTest, CreatePrintsTheTokenOnceAndItAuthenticates) {
  auto created =
      Run("token create ci-deploy --role operator-payments --namespace payments --ttl 30d");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string token = created.out;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  ASSERT_THAT(token, ::testing::MatchesRegex("bwk_[a-z2-7]{16}_[a-z2-7]{52}"));
  EXPECT_THAT(created.err, HasSubstr("only time the token is shown"));
  EXPECT_THAT(created.err, Not(HasSubstr(token)));

  auto p = Authenticate(token);
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "token:ci-deploy");
  EXPECT_EQ(p->roles, std::vector<std::string>{"operator-payments"});

  struct stat st {};
  ASSERT_EQ(::stat((home_ / "tokens.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  auto list = Run("token list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("ci-deploy"));
  EXPECT_THAT(list.out, HasSubstr("active"));
  EXPECT_THAT(list.out, HasSubstr("operator-payments / payments"));
  EXPECT_THAT(list.out, Not(HasSubstr(token.substr(21))));
  auto json = Run("token list --format json");
  ASSERT_EQ(json.exit_code, 0);
  auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["name"], "ci-deploy");
  EXPECT_FALSE(j[0]["last_used_at"].is_null()) << "the authentication above was recorded";
  EXPECT_FALSE(j[0].contains("token"));
}

TEST_F(TokenCliTest, RevokeRefusesTheTokenAndIsAudited) {
  auto created = Run("token create nightly --role viewer");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string token = created.out.substr(0, created.out.find('\n'));
  auto revoked = Run("token revoke nightly");
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_THAT(revoked.out, HasSubstr("revoked token 'nightly'"));
  auto p = Authenticate(token);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message(), "API token revoked");
  EXPECT_THAT(Run("token list").out, HasSubstr("revoked"));
  auto log = Run("audit log --json");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("token.create"));
  EXPECT_THAT(log.out, HasSubstr("token.revoke"));
  EXPECT_THAT(log.out, Not(HasSubstr(token)));
  EXPECT_EQ(Run("audit verify").exit_code, 0);
}

TEST_F(TokenCliTest, BulwarksOwnScannerFindsALeakedToken) {
  auto created = Run("token create leaky --role viewer");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string token = created.out.substr(0, created.out.find('\n'));
  const std::string file = Write("ci.env", "DEPLOY_TOKEN=" + token + "\n");
  auto scan = Run("scan " + file + " --format json");
  EXPECT_EQ(scan.exit_code, 1) << scan.err;
  EXPECT_THAT(scan.out, HasSubstr("bulwark-api-token"));
  EXPECT_THAT(scan.out, Not(HasSubstr(token))) << "reports never hold the secret";
}

TEST_F(TokenCliTest, BadInputHasTheDocumentedExitCodes) {
  ASSERT_EQ(Run("token create dup --role viewer").exit_code, 0);
  auto dup = Run("token create dup --role viewer");
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_THAT(dup.err, HasSubstr("already exists"));
  EXPECT_EQ(Run("token create x").exit_code, 2) << "--role is required";
  auto ttl = Run("token create y --role viewer --ttl 5 years");
  EXPECT_EQ(ttl.exit_code, 2);
  auto bad_ttl = Run("token create y --role viewer --ttl 5y");
  EXPECT_EQ(bad_ttl.exit_code, 2);
  EXPECT_THAT(bad_ttl.err, HasSubstr("--ttl"));
  auto name = Run("token create 'a b' --role viewer");
  EXPECT_EQ(name.exit_code, 2);
  auto missing = Run("token revoke nobody");
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_THAT(missing.err, HasSubstr("not found"));
  auto forever = Run("token create forever --role viewer --no-expiry --format json");
  ASSERT_EQ(forever.exit_code, 0) << forever.err;
  auto j = nlohmann::json::parse(forever.out);
  EXPECT_TRUE(j["expires_at"].is_null());
  EXPECT_THAT(j["token"].get<std::string>(), HasSubstr("bwk_"));
}

}  // namespace
}  // namespace bulwark::testing
