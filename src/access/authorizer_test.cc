#include "bulwark/access/authorizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::access {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr char kPolicy[] = R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: shop
settings: {builtin: false}
statements:
  - id: operators-write
    effect: allow
    roles: [operator]
    actions: [read, reveal, write, list]
    resources: ["config:shop/**"]
  - id: no-card-numbers
    effect: deny
    principals: ["*"]
    actions: [reveal]
    resources: ["config:shop/**:payment.card"]
  - id: office-only
    effect: allow
    roles: [auditor]
    actions: [audit.read]
    resources: [audit]
    when: has(request.source) && cidr('10.0.0.0/8').containsIP(request.source)
  - id: mfa-for-keys
    effect: allow
    roles: [operator]
    actions: [rotate]
    resources: [key]
    when: has(request.mfa) && request.mfa
  - id: admins-list-everything
    effect: allow
    roles: [admin]
    actions: [list]
    resources: [config]
)";

class PolicyAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rt_ = bulwark::testing::FakeRuntime().runtime();
    rt_.fs = NewLocalFileSystem();
  }
  void Write(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::shared_ptr<const request::Authorizer> Load() {
    return LoadHomeAuthorizer(rt_, home_.path());
  }
  static request::RequestContext Ctx(std::string id, std::string kind,
                                     std::vector<std::string> roles = {}) {
    request::RequestContext c;
    c.principal.id = std::move(id);
    c.principal.kind = std::move(kind);
    c.principal.roles = std::move(roles);
    c.source_address = "local";
    return c;
  }
  static request::Resource Ns(std::string ns, std::vector<std::string> paths = {}) {
    request::Resource r;
    r.namespace_name = std::move(ns);
    r.paths = std::move(paths);
    return r;
  }

  Runtime rt_;
  bulwark::testing::TempDir home_{"bulwark-authz"};
};

TEST_F(PolicyAuthorizerTest, AHomeWithoutPoliciesKeepsTheLocalAuthorizer) {
  EXPECT_EQ(Load(), nullptr);
  Write(home_ / "config.yaml", "compliance: {packs: [baseline]}\n");
  EXPECT_EQ(Load(), nullptr);
}

TEST_F(PolicyAuthorizerTest, LocalUsersGetTheRolesTheHomeMapsThemTo) {
  Write(home_ / "policies" / "shop.yaml", kPolicy);
  Write(home_ / "config.yaml",
        "access:\n  local_users:\n    alice: {roles: [operator]}\n    \"*\": {roles: []}\n");
  auto authz = Load();
  ASSERT_NE(authz, nullptr);
  const auto alice = Ctx("local:alice", "local");
  const auto bob = Ctx("local:bob", "local");
  auto d = authz->Authorize(alice, request::Action::kWrite, Ns("shop/prod"));
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_THAT(d.reason, HasSubstr("operators-write"));
  d = authz->Authorize(bob, request::Action::kRead, Ns("shop/prod"));
  EXPECT_FALSE(d.allowed);
  EXPECT_THAT(d.reason, HasSubstr("no statement allows"));
  // Default deny outside the statements' resources.
  EXPECT_FALSE(authz->Authorize(alice, request::Action::kWrite, Ns("other/prod")).allowed);
}

TEST_F(PolicyAuthorizerTest, EveryPathMustBeAllowedAndTheDenyingStatementIsNamed) {
  Write(home_ / "policies" / "shop.yaml", kPolicy);
  auto authz = Load();
  ASSERT_NE(authz, nullptr);
  const auto op = Ctx("token:ci", "token", {"operator"});
  EXPECT_TRUE(authz->Authorize(op, request::Action::kReveal, Ns("shop/prod", {"db.password"}))
                  .allowed);
  auto d = authz->Authorize(op, request::Action::kReveal,
                            Ns("shop/prod", {"db.password", "payment.card"}));
  EXPECT_FALSE(d.allowed);
  EXPECT_THAT(d.reason, HasSubstr("no-card-numbers"));
  EXPECT_THAT(d.reason, HasSubstr("shop.yaml"));
  // The redacted read of the same paths is a different action, and allowed.
  EXPECT_TRUE(authz->Authorize(op, request::Action::kRead,
                               Ns("shop/prod", {"db.password", "payment.card"}))
                  .allowed);
}

TEST_F(PolicyAuthorizerTest, SourceAddressAndMfaReachTheConditions) {
  Write(home_ / "policies" / "shop.yaml", kPolicy);
  auto authz = Load();
  ASSERT_NE(authz, nullptr);
  request::Resource audit{.kind = request::ResourceKind::kAudit, .name = "bulwark.local/audit/1"};
  auto auditor = Ctx("oidc:x", "oidc", {"auditor"});
  EXPECT_FALSE(authz->Authorize(auditor, request::Action::kAuditRead, audit).allowed)
      << "a local request has no source address";
  auditor.source_address = "10.2.3.4";
  EXPECT_TRUE(authz->Authorize(auditor, request::Action::kAuditRead, audit).allowed);
  auditor.source_address = "192.168.1.1";
  EXPECT_FALSE(authz->Authorize(auditor, request::Action::kAuditRead, audit).allowed);

  request::Resource key{.kind = request::ResourceKind::kKey, .name = "0a1b2c3d"};
  auto op = Ctx("oidc:y", "oidc", {"operator"});
  EXPECT_FALSE(authz->Authorize(op, request::Action::kRotate, key).allowed);
  op.principal.attributes.AsMap().Set("mfa", config::Value(true));
  EXPECT_TRUE(authz->Authorize(op, request::Action::kRotate, key).allowed);
}

TEST_F(PolicyAuthorizerTest, ListingTheWholeStoreNeedsAGrantOnEveryNamespace) {
  Write(home_ / "policies" / "shop.yaml", kPolicy);
  auto authz = Load();
  ASSERT_NE(authz, nullptr);
  EXPECT_FALSE(
      authz->Authorize(Ctx("t:o", "token", {"operator"}), request::Action::kList, Ns("")).allowed);
  EXPECT_TRUE(
      authz->Authorize(Ctx("t:a", "token", {"admin"}), request::Action::kList, Ns("")).allowed);
}

TEST_F(PolicyAuthorizerTest, ABrokenPolicyDeniesEverythingAndSaysWhy) {
  Write(home_ / "policies" / "shop.yaml", "apiVersion: bulwark/v1\nkind: AccessPolicy\nname: x\n"
                                          "statements:\n  - id: s\n    effect: maybe\n");
  auto authz = Load();
  ASSERT_NE(authz, nullptr);
  auto d = authz->Authorize(Ctx("local:root", "local", {"global-admin"}), request::Action::kRead,
                            Ns("shop/prod"));
  EXPECT_FALSE(d.allowed);
  EXPECT_THAT(d.reason, HasSubstr("access policies unavailable"));
  EXPECT_THAT(d.reason, HasSubstr("shop.yaml"));
}

TEST_F(PolicyAuthorizerTest, APolicyDirectoryNamedButMissingDeniesEverything) {
  Write(home_ / "config.yaml", "access:\n  policies: nowhere\n");
  auto authz = Load();
  ASSERT_NE(authz, nullptr);
  auto d = authz->Authorize(Ctx("local:root", "local"), request::Action::kRead, Ns("a"));
  EXPECT_FALSE(d.allowed);
  EXPECT_THAT(d.reason, HasSubstr("nowhere"));
}

}  // namespace
}  // namespace bulwark::access
