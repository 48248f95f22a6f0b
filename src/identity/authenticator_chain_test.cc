#include "bulwark/identity/authenticator_chain.h"

#include <gtest/gtest.h>

#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/recording_audit_sink.h"

namespace bulwark::identity {
namespace {

// A method that accepts bearer tokens starting with `prefix` and knows one good token.
class ScriptedAuthenticator final : public Authenticator {
 public:
  ScriptedAuthenticator(std::string name, std::string prefix, std::string good, ErrorCode fail)
      : name_(std::move(name)), prefix_(std::move(prefix)), good_(std::move(good)), fail_(fail) {}
  std::string_view method() const override { return name_; }
  bool Accepts(const Credential& c) const override {
    return c.kind == CredentialKind::kBearerToken && c.secret.RevealAsString().starts_with(prefix_);
  }
  Result<service::Principal> Authenticate(const Credential& c) const override {
    ++calls;
    if (c.secret.RevealAsString() == good_) {
      return service::Principal{.id = name_ + ":alice", .kind = name_, .roles = {"viewer"}};
    }
    return MakeError(fail_, "invalid credentials");
  }
  std::string ClaimedId(const Credential&) const override { return name_ + ":claimed"; }
  mutable int calls = 0;

 private:
  std::string name_, prefix_, good_;
  ErrorCode fail_;
};

struct Chain {
  std::shared_ptr<testing::RecordingAuditSink> audit =
      std::make_shared<testing::RecordingAuditSink>();
  std::shared_ptr<testing::FakeClock> clock = std::make_shared<testing::FakeClock>();
  ScriptedAuthenticator* a = nullptr;
  ScriptedAuthenticator* b = nullptr;
  std::unique_ptr<AuthenticatorChain> chain;

  Chain() {
    std::vector<std::unique_ptr<Authenticator>> methods;
    auto ma = std::make_unique<ScriptedAuthenticator>("token", "bwk_", "bwk_good",
                                                      ErrorCode::kUnauthenticated);
    auto mb =
        std::make_unique<ScriptedAuthenticator>("jwt", "", "ey.good", ErrorCode::kUnavailable);
    a = ma.get();
    b = mb.get();
    methods.push_back(std::move(ma));
    methods.push_back(std::move(mb));
    auto c = AuthenticatorChain::Create(std::move(methods), audit, clock);
    if (!c) std::abort();
    chain = std::move(*c);
  }
};

TEST(AuthenticatorChainTest, TheFirstAcceptingMethodDecides) {
  Chain c;
  auto p = c.chain->Authenticate(Credential::Bearer("bwk_good", "10.0.0.1:1"));
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "token:alice");
  EXPECT_EQ(c.b->calls, 0);
  auto q = c.chain->Authenticate(Credential::Bearer("ey.good", "10.0.0.1:1"));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->id, "jwt:alice");
  EXPECT_TRUE(c.audit->records().empty()) << "successes are audited by the operation, not here";
}

TEST(AuthenticatorChainTest, AFailureIsNotRetriedWithAnotherMethod) {
  Chain c;
  auto p = c.chain->Authenticate(Credential::Bearer("bwk_bad", "10.0.0.1:1"));
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(c.a->calls, 1);
  EXPECT_EQ(c.b->calls, 0);
}

TEST(AuthenticatorChainTest, EveryFailureIsOneAuditRecordWithoutTheSecret) {
  Chain c;
  ASSERT_FALSE(c.chain->Authenticate(Credential::Bearer("bwk_s3cr3t", "198.51.100.7:4431")));
  ASSERT_FALSE(c.chain->Authenticate(Credential::Bearer("ey.s3cr3t", "198.51.100.7:4432")));
  ASSERT_FALSE(c.chain->Authenticate(Credential::Password("bob", "pw", "198.51.100.7:4433")));
  auto records = c.audit->records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].operation, "auth.login");
  EXPECT_EQ(records[0].outcome, service::Outcome::kFailure);
  EXPECT_EQ(records[0].context.principal.id, "token:claimed");
  EXPECT_EQ(records[0].context.principal.kind, "token");
  EXPECT_EQ(records[0].context.source_address, "198.51.100.7:4431");
  EXPECT_EQ(records[0].time, c.clock->Now());
  EXPECT_EQ(records[1].context.principal.kind, "jwt");
  EXPECT_NE(records[1].reason.find("unavailable"), std::string::npos) << records[1].reason;
  EXPECT_EQ(records[2].context.principal.kind, "none");
  EXPECT_NE(records[2].reason.find("no authentication method accepts a password"),
            std::string::npos);
  for (const auto& r : records) {
    EXPECT_EQ(service::AuditRecordToJson(r).find("s3cr3t"), std::string::npos);
  }
}

TEST(AuthenticatorChainTest, AnAuditOutageStillFailsTheAuthentication) {
  Chain c;
  c.audit->set_unavailable(true);
  auto p = c.chain->Authenticate(Credential::Bearer("bwk_bad", "x"));
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(p.error().message().find("could not be audited"), std::string::npos);
}

TEST(AuthenticatorChainTest, CreateRefusesEmptyAndDuplicateMethods) {
  auto clock = std::make_shared<testing::FakeClock>();
  EXPECT_FALSE(AuthenticatorChain::Create({}, nullptr, clock).has_value());
  std::vector<std::unique_ptr<Authenticator>> twice;
  twice.push_back(
      std::make_unique<ScriptedAuthenticator>("jwt", "", "", ErrorCode::kUnauthenticated));
  twice.push_back(
      std::make_unique<ScriptedAuthenticator>("jwt", "", "", ErrorCode::kUnauthenticated));
  auto c = AuthenticatorChain::Create(std::move(twice), nullptr, clock);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::identity
