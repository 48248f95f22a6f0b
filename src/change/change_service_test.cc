#include "bulwark/change/change_service.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <atomic>

#include "bulwark/change/guard.h"
#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/config/format.h"
#include "service/service_fixture_for_test.h"

namespace bulwark::change {
namespace {

using ::testing::HasSubstr;
using config::Value;

constexpr std::string_view kPolicies = R"(policies:
  - name: production
    namespaces: ["production/**"]
    approvals: 2
    approver_roles: [operator, security-admin]
    require_roles: {security-admin: 1}
    approval_ttl: 1h
    request_ttl: 1d
    review_approvals: 2
    review_deadline: 4h
)";

Value J(std::string_view text) {
  return config::ParseDocument(text, config::Format::kJson, {.track_locations = false}).value().root;
}

class ChangeServiceTest : public service::test_support::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    policies_ = std::make_shared<const Result<ApprovalPolicies>>(
        ApprovalPolicies::Parse(kPolicies, "approval-policies.yaml"));
    ASSERT_TRUE(*policies_) << policies_->error();
    inner_ = std::shared_ptr<const request::Authorizer>(request::NewLocalAuthorizer());
    service::ServiceDeps deps = Deps();
    deps.authorizer = NewDirectWriteGuard(inner_, policies_);
    guarded_ = service::ConfigService::Create(std::move(deps)).value();
    changes_ = Make(nullptr);
  }

  std::unique_ptr<ChangeService> Make(std::shared_ptr<const compliance::Engine> engine) {
    ChangeServiceDeps d;
    d.runtime = rt_;
    d.config = guarded_.get();
    d.store = store_;
    d.store_mac = store_mac_;
    d.cipher = MakeCipher();
    d.authorizer = inner_;
    d.audit = audit_;
    d.policies = policies_;
    d.identify = [](const request::RequestContext& c) {
      Identity who{c.principal.id, c.principal.roles};
      std::sort(who.roles.begin(), who.roles.end());
      return who;
    };
    d.compliance = std::move(engine);
    return ChangeService::Create(std::move(d)).value();
  }

  static request::RequestContext As(std::string id, std::vector<std::string> roles = {}) {
    request::RequestContext c;
    c.principal = {std::move(id), "local", std::move(roles), Value::EmptyMap()};
    return c;
  }

  static ChangeOp Set(std::string path, Value v, bool secret = false) {
    ChangeOp op;
    op.kind = ChangeOp::Kind::kSet;
    op.path = std::move(path);
    op.value = std::move(v);
    op.secret = secret;
    return op;
  }

  ProposeRequest Proposal(std::string ns, std::vector<ChangeOp> ops) {
    ProposeRequest p;
    p.ns = std::move(ns);
    p.ops = std::move(ops);
    p.justification = "raise the pool for the sale";
    p.rollback_plan = "roll back to the base";
    p.tags = {"ticket:OPS-1"};
    return p;
  }

  // The change module's own records (the service's reads and writes it makes record theirs).
  std::size_t Records() const {
    std::size_t n = 0;
    for (const auto& r : audit_->records()) n += r.operation.starts_with("change.") ? 1 : 0;
    return n;
  }
  request::AuditRecord Last() const { return audit_->records().back(); }

  request::RequestContext alice_ = As("local:alice", {"operator"});
  request::RequestContext bob_ = As("local:bob", {"operator"});
  request::RequestContext carol_ = As("local:carol", {"security-admin"});
  request::RequestContext dave_ = As("local:dave", {"viewer"});
  request::RequestContext erin_ = As("local:erin", {"emergency-responder"});

  std::shared_ptr<const Result<ApprovalPolicies>> policies_;
  std::shared_ptr<const request::Authorizer> inner_;
  std::unique_ptr<service::ConfigService> guarded_;
  std::unique_ptr<ChangeService> changes_;
};

TEST_F(ChangeServiceTest, ProposeApproveApplyRecordsTheApproversAndKeepsSecretsEncrypted) {
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"db": {"pool": 10, "password": "old-secret"}})"), {}));
  // Direct writes to a covered namespace are refused.
  auto direct = guarded_->Set(alice_, "production/api", config::Path::Parse("db.pool").value(),
                              Value(std::int64_t{20}), {});
  ASSERT_FALSE(direct);
  EXPECT_EQ(direct.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(direct.error().message(), HasSubstr("approval policy production"));

  auto v = changes_->Propose(alice_, Proposal("production/api",
                                              {Set("db.pool", Value(std::int64_t{20})),
                                               Set("db.password", Value("new-secret-value"), true)}));
  ASSERT_TRUE(v) << v.error();
  const std::string id = v->request.id;
  EXPECT_EQ(v->state, State::kOpen);
  EXPECT_EQ(v->request.base_version, 1);
  EXPECT_EQ(v->request.impact.paths, (std::vector<std::string>{"db.password", "db.pool"}));
  EXPECT_EQ(v->request.impact.sensitive_paths, std::vector<std::string>{"db.password"});
  EXPECT_EQ(v->request.impact.level, "high");  // the classifier: a secret changed
  EXPECT_EQ(Last().operation, "change.propose");
  EXPECT_EQ(Last().resource_name, id);
  // The stored record holds a token, never the value.
  auto raw = store_->Get(RecordNamespace(id), store::VersionRef::Latest()).value();
  const std::string text = config::EmitDocument(raw.content, config::Format::kJson).value();
  EXPECT_THAT(text, ::testing::Not(HasSubstr("new-secret-value")));
  EXPECT_THAT(text, HasSubstr("ENC["));

  // Not approved yet: apply is refused and nothing is written.
  auto early = changes_->Apply(bob_, id);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(early.error().message(), HasSubstr("not approved"));

  ASSERT_TRUE(changes_->Approve(bob_, id, {"looks right", {}}));
  auto one = changes_->Show(bob_, id).value();
  EXPECT_EQ(one.state, State::kOpen);
  EXPECT_THAT(one.missing, HasSubstr("security-admin"));
  auto twice = changes_->Approve(bob_, id, {});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(changes_->Approve(carol_, id, {}));
  EXPECT_EQ(changes_->Show(bob_, id).value().state, State::kApproved);

  auto diff = changes_->Diff(dave_, id);
  ASSERT_TRUE(diff) << diff.error();
  ASSERT_EQ(diff->size(), 2u);
  EXPECT_EQ((*diff)[0].path, "db.password");
  EXPECT_TRUE((*diff)[0].sensitive);
  EXPECT_FALSE((*diff)[0].new_value.has_value());
  EXPECT_EQ((*diff)[1].new_value, Value(std::int64_t{20}));

  auto applied = changes_->Apply(bob_, id);
  ASSERT_TRUE(applied) << applied.error();
  EXPECT_EQ(applied->state, State::kApplied);
  EXPECT_EQ(applied->request.applied_version, 2);
  EXPECT_EQ(Last().operation, "change.apply");
  EXPECT_EQ(Last().version_after, 2);
  auto got = svc_->Get(ctx_, "production/api", {.reveal = true}).value();
  EXPECT_EQ(*got.value.Get("db")->Get("pool"), Value(std::int64_t{20}));
  EXPECT_EQ(*got.value.Get("db")->Get("password"), Value("new-secret-value"));
  const auto tags = got.info.tags;
  EXPECT_THAT(tags, ::testing::Contains("change:" + id));
  EXPECT_THAT(tags, ::testing::Contains("approved-by:local:bob"));
  EXPECT_THAT(tags, ::testing::Contains("approved-by:local:carol"));
  auto again = changes_->Apply(bob_, id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(ChangeServiceTest, SelfApprovalMissingRolesAndStaleBasesAreRefusedAndAudited) {
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"db": {"pool": 10}})"), {}));
  const std::string id =
      changes_->Propose(alice_, Proposal("production/api", {Set("db.pool", Value(std::int64_t{20}))}))
          .value()
          .request.id;
  const std::size_t before = Records();
  auto self = changes_->Approve(As("local:alice", {"security-admin"}), id, {});
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(self.error().message(), HasSubstr("cannot approve"));
  EXPECT_EQ(Records(), before + 1);
  EXPECT_EQ(Last().operation, "change.approve");
  EXPECT_EQ(Last().outcome, request::Outcome::kDenied);
  auto viewer = changes_->Approve(dave_, id, {});
  ASSERT_FALSE(viewer);
  EXPECT_EQ(viewer.error().code(), ErrorCode::kPermissionDenied);

  ASSERT_TRUE(changes_->Approve(bob_, id, {}));
  ASSERT_TRUE(changes_->Approve(carol_, id, {}));
  // The namespace moves on: the request is stale; approving or applying it is refused.
  ASSERT_TRUE(svc_->Set(ctx_, "production/api", config::Path::Parse("db.timeout").value(),
                        Value(std::int64_t{5}), {}));
  EXPECT_EQ(changes_->Show(bob_, id).value().state, State::kStale);
  auto stale = changes_->Apply(bob_, id);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(stale.error().message(), HasSubstr("rebase"));
  auto stale_approve = changes_->Approve(As("local:frank", {"operator"}), id, {});
  ASSERT_FALSE(stale_approve);
  EXPECT_EQ(stale_approve.error().code(), ErrorCode::kFailedPrecondition);
  // Rebase: the earlier approvals no longer count.
  auto rebased = changes_->Rebase(alice_, id);
  ASSERT_TRUE(rebased) << rebased.error();
  EXPECT_EQ(rebased->request.base_version, 2);
  EXPECT_EQ(rebased->state, State::kOpen);
  EXPECT_EQ(rebased->approvals_counting, 0);
  ASSERT_TRUE(changes_->Approve(bob_, id, {}));
  ASSERT_TRUE(changes_->Approve(carol_, id, {}));
  auto applied = changes_->Apply(carol_, id);
  ASSERT_TRUE(applied) << applied.error();
  auto got = svc_->Get(ctx_, "production/api", {}).value();
  EXPECT_EQ(*got.value.Get("db")->Get("timeout"), Value(std::int64_t{5}));  // kept
  EXPECT_EQ(*got.value.Get("db")->Get("pool"), Value(std::int64_t{20}));
}

TEST_F(ChangeServiceTest, ApprovalsAndRequestsExpire) {
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"a": 1})"), {}));
  const std::string id =
      changes_->Propose(alice_, Proposal("production/api", {Set("a", Value(std::int64_t{2}))})).value().request.id;
  ASSERT_TRUE(changes_->Approve(bob_, id, {}));
  fake_.clock->Advance(std::chrono::minutes(61));  // bob's approval expired (1h)
  ASSERT_TRUE(changes_->Approve(carol_, id, {}));
  auto v = changes_->Show(bob_, id).value();
  EXPECT_EQ(v.state, State::kOpen);
  EXPECT_EQ(v.approvals_counting, 1);
  EXPECT_FALSE(changes_->Apply(bob_, id));
  ASSERT_TRUE(changes_->Approve(bob_, id, {}));  // approves again
  EXPECT_EQ(changes_->Show(bob_, id).value().state, State::kApproved);
  fake_.clock->Advance(std::chrono::hours(24));
  EXPECT_EQ(changes_->Show(bob_, id).value().state, State::kExpired);
  auto late = changes_->Apply(bob_, id);
  ASSERT_FALSE(late);
  EXPECT_THAT(late.error().message(), HasSubstr("expired"));
}

TEST_F(ChangeServiceTest, RejectEndsTheRequest) {
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"a": 1})"), {}));
  const std::string id =
      changes_->Propose(alice_, Proposal("production/api", {Set("a", Value(std::int64_t{2}))})).value().request.id;
  auto no_comment = changes_->Reject(bob_, id, "");
  ASSERT_FALSE(no_comment);
  EXPECT_THAT(no_comment.error().message(), HasSubstr("comment"));
  EXPECT_FALSE(changes_->Reject(dave_, id, "no"));  // not an approver
  ASSERT_TRUE(changes_->Reject(bob_, id, "not during the freeze"));
  EXPECT_EQ(changes_->Show(bob_, id).value().state, State::kRejected);
  EXPECT_FALSE(changes_->Approve(carol_, id, {}));
}

TEST_F(ChangeServiceTest, EmergencyAppliesAtOnceAndOpensOneReview) {
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"a": 1})"), {}));
  ProposeRequest p = Proposal("production/api", {Set("a", Value(std::int64_t{3}))});
  auto denied = changes_->Emergency(bob_, p);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
  ProposeRequest no_why = p;
  no_why.justification.clear();
  auto bad = changes_->Emergency(erin_, no_why);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("justification"));
  auto v = changes_->Emergency(erin_, p);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->state, State::kApplied);
  ASSERT_TRUE(v->request.review.has_value());
  EXPECT_EQ(v->request.review->required, 2);
  EXPECT_EQ(Last().operation, "change.emergency");
  EXPECT_EQ(Last().outcome, request::Outcome::kSuccess);
  EXPECT_EQ(*svc_->Get(ctx_, "production/api", {}).value().value.Get("a"), Value(std::int64_t{3}));
  const std::string id = v->request.id;
  EXPECT_FALSE(changes_->Review(erin_, id, "I did it"));  // not the one who broke the glass
  ASSERT_TRUE(changes_->Review(bob_, id, "ok"));
  fake_.clock->Advance(std::chrono::hours(5));
  EXPECT_TRUE(changes_->Show(bob_, id).value().review_overdue);
  auto closed = changes_->Review(carol_, id, "ok");
  ASSERT_TRUE(closed) << closed.error();
  EXPECT_TRUE(closed->request.review->closed_at.has_value());
  EXPECT_FALSE(closed->review_overdue);
  EXPECT_FALSE(changes_->Review(As("local:frank", {"operator"}), id, ""));  // closed
  // Not for namespaces no policy covers.
  auto uncovered = changes_->Emergency(erin_, Proposal("dev/api", {Set("a", Value(std::int64_t{1}))}));
  ASSERT_FALSE(uncovered);
  EXPECT_EQ(uncovered.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(ChangeServiceTest, ACriticalComplianceRuleBlocksUntilAnApprovalOverridesIt) {
  auto pack = compliance::LoadBuiltinPack("baseline").value();
  auto engine =
      compliance::Engine::Create({std::shared_ptr<const compliance::RulePack>(std::move(pack))}).value();
  auto gated = Make(std::move(engine));
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"database": {"ssl_mode": "verify-full"}})"), {}));
  auto v = gated->Propose(alice_, Proposal("production/api", {Set("database.ssl_mode", Value("disable"))}));
  ASSERT_TRUE(v) << v.error();
  EXPECT_THAT(v->request.impact.blocking_rules, ::testing::Contains("SEC_001"));
  const std::string id = v->request.id;
  auto wrong = gated->Approve(bob_, id, {"", {"NOPE_1"}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(wrong.error().message(), HasSubstr("--override NOPE_1"));
  ASSERT_TRUE(gated->Approve(bob_, id, {}));
  ASSERT_TRUE(gated->Approve(carol_, id, {}));
  auto refused = gated->Apply(bob_, id);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("SEC_001"));
  ASSERT_TRUE(gated->Approve(As("local:grace", {"security-admin"}), id,
                             {"accepted risk", v->request.impact.blocking_rules}));
  auto applied = gated->Apply(bob_, id);
  ASSERT_TRUE(applied) << applied.error();
}

TEST_F(ChangeServiceTest, BadInputNamesTheFieldAndATamperedRecordIsRefused) {
  auto empty = changes_->Propose(alice_, Proposal("production/api", {}));
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message(), HasSubstr("change-set"));
  ProposeRequest no_why = Proposal("production/api", {Set("a", Value(std::int64_t{1}))});
  no_why.justification.clear();
  auto why = changes_->Propose(alice_, no_why);
  ASSERT_FALSE(why);
  EXPECT_EQ(why.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(why.error().message(), HasSubstr("justification"));
  auto path = changes_->Propose(alice_, Proposal("production/api", {Set("a..b", Value(std::int64_t{1}))}));
  ASSERT_FALSE(path);
  EXPECT_THAT(path.error().message(), HasSubstr("ops[0].path"));
  auto token = changes_->Propose(alice_, Proposal("production/api", {Set("a", Value("ENC[AES256_GCM,x]"))}));
  ASSERT_FALSE(token);
  EXPECT_THAT(token.error().message(), HasSubstr("ENC"));
  auto unknown = changes_->Show(bob_, "cr-0000000000");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  auto malformed = changes_->Show(bob_, "42");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code(), ErrorCode::kInvalidArgument);

  const std::string id =
      changes_->Propose(alice_, Proposal("production/api", {Set("a", Value(std::int64_t{1}))})).value().request.id;
  // Someone with database access adds an approval: the record no longer verifies.
  auto snap = store_->Get(RecordNamespace(id), store::VersionRef::Latest()).value();
  ChangeRequest forged = FromValue(snap.content).value();
  Approval a;
  a.by = "local:mallory";
  a.roles = {"security-admin"};
  a.change_hash = forged.change_hash;
  forged.approvals.push_back(a);
  store::WriteOptions w;
  w.seal = [](const store::VersionInfo&, const store::VersionInfo*) -> Result<std::string> { return "c1:00"; };
  ASSERT_TRUE(store_->Put(RecordNamespace(id), ToValue(forged), w));
  auto tampered = changes_->Show(bob_, id);
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().code(), ErrorCode::kDataLoss);
}

TEST_F(ChangeServiceTest, AnApplyThatWroteButDidNotRecordIsRecognizedAndComments) {
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"a": 1})"), {}));
  const std::string id =
      changes_->Propose(alice_, Proposal("production/api", {Set("a", Value(std::int64_t{2}))})).value().request.id;
  auto empty = changes_->Comment(bob_, id, "");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message(), HasSubstr("comment: required"));
  auto commented = changes_->Comment(bob_, id, "is 2 enough?");
  ASSERT_TRUE(commented) << commented.error();
  ASSERT_EQ(commented->request.comments.size(), 1u);
  EXPECT_EQ(commented->request.comments[0].by, "local:bob");
  EXPECT_EQ(Last().operation, "change.comment");
  ASSERT_TRUE(changes_->Approve(bob_, id, {}));
  ASSERT_TRUE(changes_->Approve(carol_, id, {}));
  // The process that applied it wrote the version (tagged with the request) and died.
  service::PutRequest put;
  put.tags = {"change:" + id};
  put.expected_version = 1;
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"a": 2})"), put));
  auto v = changes_->Show(bob_, id);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->state, State::kApplied);
  EXPECT_EQ(v->request.applied_version, 2);
  auto again = changes_->Apply(bob_, id);
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().message(), HasSubstr("already applied (version 2)"));
  EXPECT_EQ(store_->History("production/api", {}).value().size(), 2u);
}

TEST_F(ChangeServiceTest, NothingIsChangedWhenTheAuditLogIsDown) {
  ASSERT_TRUE(svc_->Put(ctx_, "production/api", J(R"({"a": 1})"), {}));
  audit_->set_unavailable(true);
  auto v = changes_->Propose(alice_, Proposal("production/api", {Set("a", Value(std::int64_t{2}))}));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code(), ErrorCode::kUnavailable);
  audit_->set_unavailable(false);
  auto list = changes_->List(bob_, "", std::nullopt);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
}

// RapidCheck scales inRange and elementOf with the test's size (small sizes pick the first values);
// the histories below want every action and principal from the first run on.
template <typename Gen>
auto Full(Gen g) {
  return *rc::gen::resize(rc::kNominalSize, std::move(g));
}

// The state machine over random sequences of operations by random principals, with a fake clock:
// nothing applies without a quorum of valid approvals on the current base; a stale base is
// refused; self-approval is refused; an expired approval does not count; every operation leaves
// exactly one audit record.
TEST_F(ChangeServiceTest, PropertyRandomHistoriesKeepTheInvariants) {
  std::atomic<int> run{0};
  const auto result = rc::check("change request state machine", [&] {
    const std::string ns = fmt::format("production/p{}", run++);
    RC_ASSERT(svc_->Put(ctx_, ns, J(R"({"n": 0})"), {}).has_value());
    const std::string id =
        changes_->Propose(alice_, Proposal(ns, {Set("n", Value(std::int64_t{1}))})).value().request.id;
    const std::vector<request::RequestContext> people = {alice_, bob_, carol_, dave_,
                                                         As("local:frank", {"operator"}),
                                                         As("local:grace", {"security-admin"})};
    const ApprovalPolicy policy = *(*policies_)->Find(ns);
    const int steps = Full(rc::gen::inRange(2, 16));
    bool applied = false;
    for (int i = 0; i < steps; ++i) {
      const int what = Full(rc::gen::inRange(0, 14));
      const std::size_t records = Records();
      const ChangeRequest before = FromValue(store_->Get(RecordNamespace(id), store::VersionRef::Latest())
                                                 .value()
                                                 .content)
                                       .value();
      const std::int64_t latest = store_->History(ns, {.limit = 1}).value().front().version;
      const TimePoint now = fake_.clock->Now();
      if (what <= 6) {  // approve
        const auto& who = Full(rc::gen::elementOf(people));
        auto r = changes_->Approve(who, id, {});
        if (who.principal.id == before.requester) {
          RC_ASSERT(!r.has_value());
          RC_ASSERT(r.error().code() == ErrorCode::kPermissionDenied ||
                    r.error().code() == ErrorCode::kFailedPrecondition);
        }
        if (latest != before.base_version && before.stored == StoredState::kOpen) {
          RC_ASSERT(!r.has_value());
        }
        RC_ASSERT(Records() == records + 1);
        RC_ASSERT(Last().operation == "change.approve");
      } else if (what == 7) {
        fake_.clock->Advance(std::chrono::minutes(Full(rc::gen::inRange(1, 50))));
      } else if (what == 8) {  // someone with direct access moves the namespace on
        RC_ASSERT(svc_->Set(ctx_, ns, config::Path::Parse("other").value(), Value(std::int64_t{i}), {})
                      .has_value());
      } else if (what == 9) {
        auto r = changes_->Rebase(alice_, id);
        RC_ASSERT(r.has_value() == (before.stored == StoredState::kOpen &&
                                    latest != before.base_version && now < before.expires_at));
        RC_ASSERT(Records() == records + 1);
      } else {  // apply
        auto r = changes_->Apply(Full(rc::gen::elementOf(people)), id);
        const bool quorum = MissingQuorum(before, policy, now).empty();
        const bool may = before.stored == StoredState::kOpen && latest == before.base_version &&
                         now < before.expires_at && quorum;
        applied = applied || r.has_value();
        if (r.has_value()) {
          RC_ASSERT(may);
          RC_ASSERT(store_->History(ns, {.limit = 1}).value().front().version == latest + 1);
          // Every approval that made the quorum was valid now.
          for (const Approval* a : CountingApprovals(before, policy, now)) {
            RC_ASSERT(a->by != before.requester);
            RC_ASSERT(now < a->expires_at);
            RC_ASSERT(a->base_version == latest);
          }
        } else {
          RC_ASSERT(store_->History(ns, {.limit = 1}).value().front().version == latest);
          if (before.stored == StoredState::kOpen) RC_ASSERT(!may);
        }
        RC_ASSERT(Records() == records + 1);
        RC_ASSERT(Last().operation == "change.apply");
      }
    }
    RC_TAG(applied ? "applied" : "not applied");
  });
  EXPECT_TRUE(result);
}

// Every successful emergency leaves exactly one request with exactly one follow-up review; a
// refused one leaves none that is applied.
TEST_F(ChangeServiceTest, PropertyEveryEmergencyLeavesExactlyOneReview) {
  std::atomic<int> run{0};
  const auto result = rc::check("emergency review", [&] {
    const std::string ns = fmt::format("production/e{}", run++);
    RC_ASSERT(svc_->Put(ctx_, ns, J(R"({"n": 0})"), {}).has_value());
    const std::vector<request::RequestContext> people = {erin_, bob_,
                                                         As("local:hank", {"emergency-responder", "operator"})};
    const int n = Full(rc::gen::inRange(1, 4));
    int succeeded = 0;
    for (int i = 0; i < n; ++i) {
      ProposeRequest p = Proposal(ns, {Set("n", Value(std::int64_t{i + 1}))});
      if (Full(rc::gen::inRange(0, 4)) == 0) p.justification.clear();
      const std::size_t records = Records();
      auto r = changes_->Emergency(Full(rc::gen::elementOf(people)), p);
      RC_ASSERT(Records() == records + 1);
      RC_ASSERT(Last().operation == "change.emergency");
      if (r) {
        ++succeeded;
        RC_ASSERT(r->request.review.has_value());
        RC_ASSERT(r->state == State::kApplied);
      }
    }
    int reviews = 0;
    const std::vector<ChangeView> all = changes_->List(bob_, ns, std::nullopt).value();
    for (const ChangeView& v : all) {
      if (v.request.review && v.state == State::kApplied) ++reviews;
    }
    RC_ASSERT(reviews == succeeded);
  });
  EXPECT_TRUE(result);
}

}  // namespace
}  // namespace bulwark::change
