#include "bulwark/request/action.h"

#include <gtest/gtest.h>

#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"

namespace bulwark::request {
namespace {

TEST(Action, EveryActionNameParsesBackToItsAction) {
  for (int i = 0; i < kActionCount; ++i) {
    const auto a = static_cast<Action>(i);
    ASSERT_NE(ActionName(a), "unknown") << i;
    EXPECT_EQ(ParseAction(ActionName(a)), a);
  }
  EXPECT_EQ(ActionName(Action::kAuditRead), "audit.read");
  EXPECT_EQ(ParseAction("destroy"), std::nullopt);
}

TEST(Action, EveryResourceKindNameParsesBackToItsKind) {
  for (int i = 0; i <= static_cast<int>(ResourceKind::kChangeRequest); ++i) {
    const auto k = static_cast<ResourceKind>(i);
    EXPECT_EQ(ParseResourceKind(ResourceKindName(k)), k);
  }
  EXPECT_EQ(ParseResourceKind("bucket"), std::nullopt);
}

TEST(Action, ResourceAggregatesOfTheFirstMembersStillInitialize) {
  const Resource r{"prod/app", {"db.password"}, true};
  EXPECT_EQ(r.kind, ResourceKind::kNamespace);
  EXPECT_TRUE(r.name.empty());
}

TEST(LocalAuthorizer, AllowsLocalPrincipalsAndDeniesOthers) {
  auto authz = NewLocalAuthorizer();
  RequestContext local = LocalUserContext("test");
  EXPECT_EQ(local.principal.kind, "local");
  EXPECT_TRUE(local.principal.id.starts_with("local:"));
  EXPECT_TRUE(authz->Authorize(local, Action::kReveal, {}).allowed);
  RequestContext remote = local;
  remote.principal.kind = "oidc";
  const Decision d = authz->Authorize(remote, Action::kRead, {});
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("oidc"), std::string::npos);
}

TEST(Outcome, NamesAreTheAuditVocabulary) {
  EXPECT_EQ(OutcomeName(Outcome::kSuccess), "success");
  EXPECT_EQ(OutcomeName(Outcome::kDenied), "denied");
  EXPECT_EQ(OutcomeName(Outcome::kFailure), "failure");
}

}  // namespace
}  // namespace bulwark::request
