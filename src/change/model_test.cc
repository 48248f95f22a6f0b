#include "bulwark/change/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "bulwark/change/guard.h"

namespace bulwark::change {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPolicies = R"(policies:
  - name: production
    namespaces: ["production/**"]
    approvals: 2
    approver_roles: [operator, security-admin]
    require_roles: {security-admin: 1}
    approval_ttl: 1h
  - name: staging
    environments: [staging]
)";

TEST(ApprovalPoliciesTest, ParsesAndFindsTheFirstMatch) {
  auto ps = ApprovalPolicies::Parse(kPolicies, "approval-policies.yaml");
  ASSERT_TRUE(ps) << ps.error();
  ASSERT_EQ(ps->policies().size(), 2u);
  const ApprovalPolicy* p = ps->Find("production/api");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "production");
  EXPECT_EQ(p->approvals, 2);
  EXPECT_EQ(p->require_roles.at("security-admin"), 1);
  EXPECT_EQ(p->approval_ttl, std::chrono::hours(1));
  EXPECT_EQ(p->review_approvals, 2);  // defaults to approvals
  EXPECT_EQ(p->emergency_roles, std::vector<std::string>{"emergency-responder"});
  EXPECT_EQ(ps->Find("production")->name, "production");  // `/**` also matches nothing
  EXPECT_EQ(ps->Find("staging/web")->name, "staging");
  EXPECT_EQ(ps->Find("dev/api"), nullptr);
  EXPECT_EQ(ps->Find("productionx/api"), nullptr);
}

TEST(ApprovalPoliciesTest, ErrorsNameFileLineAndField) {
  struct Case {
    std::string text;
    std::string want;
  } cases[] = {
      {"policies:\n  - name: p\n    namespaces: [a]\n    approvals: 0\n", "policies[0].approvals"},
      {"policies:\n  - name: p\n    namespaces: [a]\n    aprovals: 2\n", "aprovals"},
      {"policies:\n  - name: p\n    namespaces: [a]\n    approvals: 1\n    require_roles: {x: 2}\n",
       "policies[0].require_roles"},
      {"policies:\n  - name: p\n", "policies[0]: a policy needs namespaces or environments"},
      {"policies:\n  - name: p\n    namespaces: [a]\n  - name: p\n    namespaces: [b]\n",
       "duplicate policy name 'p'"},
      {"policies:\n  - name: p\n    namespaces: [a]\n    approval_ttl: soon\n", "policies[0].approval_ttl"},
      {"policies: 3\n", "policies"},
      {"other: 1\n", "other"},
  };
  for (const Case& c : cases) {
    auto ps = ApprovalPolicies::Parse(c.text, "ap.yaml");
    ASSERT_FALSE(ps) << c.text;
    EXPECT_EQ(ps.error().code(), ErrorCode::kInvalidArgument) << c.text;
    EXPECT_THAT(ps.error().message(), HasSubstr("ap.yaml:")) << c.text;
    EXPECT_THAT(ps.error().message(), HasSubstr(c.want)) << c.text;
  }
  EXPECT_TRUE(ApprovalPolicies::Parse("", "empty.yaml"));  // no policies at all
}

ChangeRequest Sample() {
  ChangeRequest r;
  r.id = "cr-0123456789";
  r.ns = "production/api";
  r.requester = "local:alice";
  r.justification = "raise the pool";
  r.base_version = 3;
  r.created_at = TimePoint(std::chrono::seconds(1'800'000'000));
  r.expires_at = r.created_at + std::chrono::hours(24);
  ChangeOp set;
  set.kind = ChangeOp::Kind::kSet;
  set.path = "db.pool";
  set.value = config::Value(std::int64_t{20});
  ChangeOp unset;
  unset.kind = ChangeOp::Kind::kUnset;
  unset.path = "feature.beta";
  r.ops = {set, unset};
  r.change_hash = ChangeHash(r).value();
  return r;
}

Approval By(const ChangeRequest& r, std::string who, std::vector<std::string> roles,
            TimePoint at, std::chrono::seconds ttl = std::chrono::hours(1)) {
  Approval a;
  a.by = std::move(who);
  a.roles = std::move(roles);
  a.at = at;
  a.expires_at = at + ttl;
  a.change_hash = r.change_hash;
  a.base_version = r.base_version;
  return a;
}

TEST(ChangeRequestTest, RoundTripsThroughItsRecord) {
  ChangeRequest r = Sample();
  r.approvals.push_back(By(r, "local:bob", {"operator"}, r.created_at));
  r.approvals.back().overrides = {"SEC_001"};
  r.rejections.push_back(Note{"local:carol", r.created_at, "no"});
  r.review = Review{2, r.created_at + std::chrono::hours(24), {Note{"local:dan", r.created_at, ""}}, {}};
  r.impact.blocking_rules = {"SEC_001"};
  auto back = FromValue(ToValue(r));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->ops.size(), 2u);
  EXPECT_EQ(back->ops[0].value, config::Value(std::int64_t{20}));
  EXPECT_EQ(back->approvals.size(), 1u);
  EXPECT_EQ(back->approvals[0].overrides, std::vector<std::string>{"SEC_001"});
  EXPECT_EQ(back->review->reviews.size(), 1u);
  EXPECT_EQ(ChangeHash(*back).value(), r.change_hash);
  // A malformed record names the field.
  config::Value bad = ToValue(r);
  bad.AsMap().Set("state", config::Value("limbo"));
  auto refused = FromValue(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kDataLoss);
  EXPECT_THAT(refused.error().message(), HasSubstr("state"));
}

TEST(ChangeRequestTest, TheHashBindsOpsAndBase) {
  ChangeRequest r = Sample();
  ChangeRequest other = r;
  other.base_version = 4;
  EXPECT_NE(ChangeHash(other).value(), r.change_hash);
  other = r;
  other.ops[0].value = config::Value(std::int64_t{21});
  EXPECT_NE(ChangeHash(other).value(), r.change_hash);
}

TEST(StateMachineTest, QuorumNeedsTheRequiredRoleAndIgnoresTheRequester) {
  const ApprovalPolicies ps = ApprovalPolicies::Parse(kPolicies, "p.yaml").value();
  const ApprovalPolicy& p = *ps.Find("production/api");
  ChangeRequest r = Sample();
  const TimePoint t = r.created_at;
  EXPECT_EQ(StateOf(r, p, t, 3), State::kOpen);
  r.approvals.push_back(By(r, "local:alice", {"security-admin"}, t));  // the requester's own
  r.approvals.push_back(By(r, "local:bob", {"operator"}, t));
  r.approvals.push_back(By(r, "local:bob", {"operator"}, t));  // twice counts once
  EXPECT_EQ(StateOf(r, p, t, 3), State::kOpen);
  EXPECT_THAT(MissingQuorum(r, p, t), HasSubstr("security-admin"));
  r.approvals.push_back(By(r, "local:dave", {"viewer"}, t));  // not an approver role
  EXPECT_EQ(StateOf(r, p, t, 3), State::kOpen);
  r.approvals.push_back(By(r, "local:carol", {"security-admin"}, t));
  EXPECT_EQ(StateOf(r, p, t, 3), State::kApproved);
  EXPECT_EQ(StateOf(r, p, t, 4), State::kStale);
  EXPECT_EQ(StateOf(r, p, t + std::chrono::hours(25), 3), State::kExpired);
  // Approvals expire after the policy's ttl.
  EXPECT_EQ(StateOf(r, p, t + std::chrono::hours(2), 3), State::kOpen);
  EXPECT_FALSE(CheckApprover(r, p, Identity{"local:alice", {"security-admin"}}));
  EXPECT_FALSE(CheckApprover(r, p, Identity{"local:dave", {"viewer"}}));
  EXPECT_TRUE(CheckApprover(r, p, Identity{"local:erin", {"operator"}}));
}

TEST(DirectWriteGuardTest, RefusesWritesToCoveredNamespacesOutsideTheApply) {
  auto policies = std::make_shared<const Result<ApprovalPolicies>>(
      ApprovalPolicies::Parse(kPolicies, "p.yaml"));
  auto guard = NewDirectWriteGuard(
      std::shared_ptr<const request::Authorizer>(request::NewLocalAuthorizer()), policies);
  request::RequestContext ctx;
  ctx.principal = {"local:alice", "local", {}, config::Value::EmptyMap()};
  auto write = [&](const char* ns, request::Action a = request::Action::kWrite) {
    return guard->Authorize(ctx, a, request::Resource{ns, {}, false});
  };
  EXPECT_FALSE(write("production/api").allowed);
  EXPECT_THAT(write("production/api").reason, HasSubstr("approval policy production"));
  EXPECT_FALSE(write("production/api", request::Action::kDelete).allowed);
  EXPECT_FALSE(write("production/api", request::Action::kAdmin).allowed);  // a move
  EXPECT_TRUE(write("production/api", request::Action::kRead).allowed);
  EXPECT_TRUE(write("production/api", request::Action::kRotate).allowed);
  EXPECT_TRUE(write("dev/api").allowed);
  EXPECT_FALSE(ApplyScope::Allows("production/api"));
  // A broken policy file refuses every write.
  auto broken = NewDirectWriteGuard(
      std::shared_ptr<const request::Authorizer>(request::NewLocalAuthorizer()),
      std::make_shared<const Result<ApprovalPolicies>>(ApprovalPolicies::Parse("policies: 3", "p.yaml")));
  EXPECT_FALSE(broken->Authorize(ctx, request::Action::kWrite, request::Resource{"dev/api", {}, false}).allowed);
  EXPECT_TRUE(broken->Authorize(ctx, request::Action::kRead, request::Resource{"dev/api", {}, false}).allowed);
}

// Over random approval histories: the state is kApproved exactly when the counting approvals
// (current hash and base, unexpired, not the requester's, an approver role, one per principal)
// meet the count and the required roles.
RC_GTEST_PROP(StateMachineProperty, ApprovedExactlyWithAQuorumOfValidApprovals, ()) {
  const ApprovalPolicies ps = ApprovalPolicies::Parse(kPolicies, "p.yaml").value();
  const ApprovalPolicy& p = *ps.Find("production/api");
  ChangeRequest r = Sample();
  const std::vector<std::string> people = {"local:alice", "local:bob", "local:carol", "local:dave"};
  const std::vector<std::vector<std::string>> role_sets = {
      {}, {"operator"}, {"security-admin"}, {"operator", "security-admin"}, {"viewer"}};
  const int n = *rc::gen::inRange(0, 7);
  for (int i = 0; i < n; ++i) {
    Approval a = By(r, *rc::gen::elementOf(people), *rc::gen::elementOf(role_sets),
                    r.created_at + std::chrono::minutes(*rc::gen::inRange(0, 120)));
    if (*rc::gen::inRange(0, 5) == 0) a.base_version = r.base_version - 1;  // an earlier base
    if (*rc::gen::inRange(0, 5) == 0) a.change_hash = "0000";             // another change-set
    r.approvals.push_back(std::move(a));
  }
  const TimePoint now = r.created_at + std::chrono::minutes(*rc::gen::inRange(0, 200));
  // The oracle, written independently of CountingApprovals.
  std::set<std::string> valid, admins;
  for (const Approval& a : r.approvals) {
    const bool approver = std::find(a.roles.begin(), a.roles.end(), "operator") != a.roles.end() ||
                          std::find(a.roles.begin(), a.roles.end(), "security-admin") != a.roles.end();
    if (a.by == r.requester || !approver || now >= a.expires_at ||
        a.base_version != r.base_version || a.change_hash != r.change_hash) {
      continue;
    }
    if (valid.insert(a.by).second &&
        std::find(a.roles.begin(), a.roles.end(), "security-admin") != a.roles.end()) {
      admins.insert(a.by);
    }
  }
  const bool quorum = valid.size() >= 2 && !admins.empty();
  RC_ASSERT((StateOf(r, p, now, r.base_version) == State::kApproved) == quorum);
  RC_ASSERT(MissingQuorum(r, p, now).empty() == quorum);
  // Whatever the approvals, a moved base is stale, never approved.
  RC_ASSERT(StateOf(r, p, now, r.base_version + 1) == State::kStale);
}

}  // namespace
}  // namespace bulwark::change
