#include "bulwark/service/config_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/service/keyring_value_cipher.h"
#include <fmt/format.h>
#include "config/internal/json_bridge.h"
#include "service/service_fixture_for_test.h"

namespace bulwark::service {
namespace {

using config::Path;
using config::Value;
using ::testing::HasSubstr;

Value J(const char* text) { return config::internal::FromJson(nlohmann::json::parse(text)); }
Path P(const char* p) { return Path::Parse(p).value(); }

class ConfigServiceTest : public test_support::ServiceFixture {};

TEST_F(ConfigServiceTest, PutEncryptsSensitiveValuesBeforeTheStoreSeesThem) {
  auto v = svc_->Put(ctx_, "production/api", J(R"({"db": {"host": "h", "password": "hunter2hunter2"}})"), {});
  ASSERT_TRUE(v) << v.error();
  auto raw = store_->Get("production/api", store::VersionRef::Latest()).value();
  const std::string stored = config::Find(raw.content, P("db.password"))->AsString();
  EXPECT_TRUE(stored.starts_with("ENC[")) << stored;
  EXPECT_EQ(config::Find(raw.content, P("db.host"))->AsString(), "h");

  auto redacted = svc_->Get(ctx_, "production/api", {}).value();
  EXPECT_EQ(config::Find(redacted.value, P("db.password"))->AsString(), "[redacted]");
  ReadRequest reveal;
  reveal.reveal = true;
  auto clear = svc_->Get(ctx_, "production/api", reveal).value();
  EXPECT_EQ(config::Find(clear.value, P("db.password"))->AsString(), "hunter2hunter2");
}

TEST_F(ConfigServiceTest, EveryOperationIsAuditedWithoutSecrets) {
  ASSERT_TRUE(svc_->Put(ctx_, "a", J(R"({"api_key": "k-123456789", "port": 1})"), {}));
  ReadRequest reveal;
  reveal.reveal = true;
  ASSERT_TRUE(svc_->Get(ctx_, "a", reveal));
  EXPECT_FALSE(svc_->Get(ctx_, "missing", {}));
  auto records = audit_->records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].operation, "config.put");
  EXPECT_EQ(records[0].sensitive_paths, std::vector<std::string>{"api_key"});
  EXPECT_TRUE(records[1].revealed);
  EXPECT_EQ(records[2].outcome, Outcome::kFailure);
  for (const auto& r : records) EXPECT_THAT(AuditRecordToJson(r), ::testing::Not(HasSubstr("k-123456789")));
}

TEST_F(ConfigServiceTest, SetKeepsOtherValuesAndSecretsStayEncrypted) {
  ASSERT_TRUE(svc_->Put(ctx_, "a", J(R"({"db": {"password": "p1p1p1p1p1p1", "port": 1}})"), {}));
  SetRequest secret;
  secret.secret = true;
  ASSERT_TRUE(svc_->Set(ctx_, "a", P("license"), Value("LIC-42"), secret));
  // Sensitive by name and by flag at once: encrypted exactly once.
  ASSERT_TRUE(svc_->Set(ctx_, "a", P("api_token"), Value("tok-1234567890"), secret));
  ReadRequest one;
  one.reveal = true;
  one.path = P("api_token");
  EXPECT_EQ(svc_->Get(ctx_, "a", one).value().value, Value("tok-1234567890"));
  ASSERT_TRUE(svc_->Set(ctx_, "a", P("db.port"), Value(2), {}));
  auto raw = store_->Get("a", store::VersionRef::Latest()).value();
  EXPECT_TRUE(config::Find(raw.content, P("license"))->AsString().starts_with("ENC["));
  // A later put of the same plaintext keeps "license" encrypted (once sensitive, always sensitive)
  // and reuses the unchanged password token.
  const std::string pw_token = config::Find(raw.content, P("db.password"))->AsString();
  ASSERT_TRUE(svc_->Put(ctx_, "a", J(R"({"db": {"password": "p1p1p1p1p1p1", "port": 3}, "license": "LIC-43",
                                         "api_token": "tok-1234567890"})"), {}));
  auto raw2 = store_->Get("a", store::VersionRef::Latest()).value();
  EXPECT_TRUE(config::Find(raw2.content, P("license"))->AsString().starts_with("ENC["));
  EXPECT_EQ(config::Find(raw2.content, P("db.password"))->AsString(), pw_token);
  auto diff = svc_->Diff(ctx_, "a", raw.info.version, raw2.info.version).value();
  std::vector<std::string> changed;
  for (const auto& d : diff) changed.push_back(d.path);
  EXPECT_EQ(changed, (std::vector<std::string>{"db.port", "license"}));
}

TEST_F(ConfigServiceTest, SchemaRefusesInvalidWritesListingEveryError) {
  PutRequest with_schema;
  with_schema.schema = J(R"({"type": "object", "required": ["port"],
                             "properties": {"port": {"type": "integer", "maximum": 65535},
                                            "host": {"type": "string"}}})");
  ASSERT_TRUE(svc_->Put(ctx_, "s", J(R"({"port": 80})"), with_schema));
  auto bad = svc_->Put(ctx_, "s", J(R"({"port": 70000, "host": 5})"), {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message(), HasSubstr("port"));
  EXPECT_THAT(bad.error().message(), HasSubstr("host"));
  auto bad_set = svc_->Set(ctx_, "s", P("port"), Value("eighty"), {});
  ASSERT_FALSE(bad_set);
  auto unset_required = svc_->Unset(ctx_, "s", P("port"), {});
  ASSERT_FALSE(unset_required);
  EXPECT_EQ(svc_->History(ctx_, "s").value().size(), 1u);
}

TEST_F(ConfigServiceTest, CompareAndSetConflictsAreClean) {
  auto v1 = svc_->Put(ctx_, "c", J(R"({"x": 1})"), {}).value();
  PutRequest based;
  based.expected_version = v1.version;
  ASSERT_TRUE(svc_->Put(ctx_, "c", J(R"({"x": 2})"), based));
  auto lost = svc_->Put(ctx_, "c", J(R"({"x": 3})"), based);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::kConflict);
}

TEST_F(ConfigServiceTest, TokensAreBoundToTheirNamespaceAndPath) {
  ASSERT_TRUE(svc_->Put(ctx_, "one", J(R"({"password": "aaaaaaaaaaaa", "token": "bbbbbbbbbbbb"})"), {}));
  ASSERT_TRUE(svc_->Put(ctx_, "two", J(R"({"password": "cccccccccccc"})"), {}));
  auto one = store_->Get("one", store::VersionRef::Latest()).value();
  // Swap the two tokens inside "one" behind the service's back.
  Value swapped = one.content;
  *config::Find(swapped, P("password")) = *config::Find(one.content, P("token"));
  ASSERT_TRUE(store_->Put("one", swapped, {.author = "attacker"}));
  ReadRequest reveal;
  reveal.reveal = true;
  auto r = svc_->Get(ctx_, "one", reveal);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
  // Copy a token from "one" into "two".
  Value copied = store_->Get("two", store::VersionRef::Latest()).value().content;
  *config::Find(copied, P("password")) = *config::Find(one.content, P("password"));
  ASSERT_TRUE(store_->Put("two", copied, {.author = "attacker"}));
  auto r2 = svc_->Get(ctx_, "two", reveal);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code(), ErrorCode::kDataLoss);
}

TEST_F(ConfigServiceTest, MoveKeepsSecretsReadableAndHidesMetadata) {
  ASSERT_TRUE(svc_->Put(ctx_, "staging/app", J(R"({"password": "aaaaaaaaaaaa"})"), {}));
  ASSERT_TRUE(svc_->Move(ctx_, "staging/app", "production/app"));
  ReadRequest reveal;
  reveal.reveal = true;
  auto r = svc_->Get(ctx_, "production/app", reveal);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(config::Find(r->value, P("password"))->AsString(), "aaaaaaaaaaaa");
  auto all = svc_->List(ctx_, "").value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "production/app");
  EXPECT_FALSE(svc_->Put(ctx_, ".bulwark/meta/x", J(R"({"id": "forged"})"), {}));
}

TEST_F(ConfigServiceTest, RollbackRestoresAnOldVersionAsANewOne) {
  ASSERT_TRUE(svc_->Put(ctx_, "r", J(R"({"password": "old-password!", "n": 1})"), {}));
  ASSERT_TRUE(svc_->Put(ctx_, "r", J(R"({"password": "new-password!", "n": 2})"), {}));
  auto v3 = svc_->Rollback(ctx_, "r", 1, "bad deploy").value();
  EXPECT_EQ(v3.version, 3);
  ReadRequest reveal;
  reveal.reveal = true;
  auto r = svc_->Get(ctx_, "r", reveal).value();
  EXPECT_EQ(config::Find(r.value, P("password"))->AsString(), "old-password!");
  EXPECT_EQ(svc_->History(ctx_, "r").value().front().message, "bad deploy");
}

TEST_F(ConfigServiceTest, FailsClosedWhenTheAuditLogIsDown) {
  ASSERT_TRUE(svc_->Put(ctx_, "f", J(R"({"password": "aaaaaaaaaaaa"})"), {}));
  audit_->set_unavailable(true);
  auto w = svc_->Put(ctx_, "f", J(R"({"password": "bbbbbbbbbbbb"})"), {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), ErrorCode::kUnavailable);
  ReadRequest reveal;
  reveal.reveal = true;
  EXPECT_FALSE(svc_->Get(ctx_, "f", reveal));
  EXPECT_EQ(svc_->History(ctx_, "f").error().code(), ErrorCode::kUnavailable);  // cannot be audited
  audit_->set_unavailable(false);
  EXPECT_EQ(svc_->History(ctx_, "f").value().size(), 1u);
}

TEST_F(ConfigServiceTest, NonLocalPrincipalsAreDeniedAndTheDenialIsAudited) {
  RequestContext remote = ctx_;
  remote.principal.kind = "token";
  auto denied = svc_->Put(remote, "x", J(R"({"a": 1})"), {});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(audit_->records().back().outcome, Outcome::kDenied);
}

}  // namespace
}  // namespace bulwark::service

namespace bulwark::service {
namespace {

// A put the compare-and-set refuses changes nothing: its schema is not attached (it used to be
// written before the check, after which `set` on the unchanged content failed validation).
TEST_F(ConfigServiceTest, APutRefusedByCompareAndSetAttachesNoSchema) {
  ASSERT_TRUE(svc_->Put(ctx_, "dev/app", J(R"({"port": 1})"), {}));
  PutRequest stale;
  stale.expected_version = 7;
  stale.schema = J(R"({"type": "object", "required": ["name"]})");
  auto refused = svc_->Put(ctx_, "dev/app", J(R"({"port": 2, "name": "x"})"), stale);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_FALSE(svc_->SchemaOf(ctx_, "dev/app").value().has_value());
  EXPECT_EQ(store_->Get(MetaNamespace("dev/app"), store::VersionRef::Latest()).value().info.version,
            1);
  auto set = svc_->Set(ctx_, "dev/app", P("port"), Value(std::int64_t{3}), {});
  EXPECT_TRUE(set) << set.error();
}

TEST_F(ConfigServiceTest, ANewNamespaceRefusedByCompareAndSetIsNotCreated) {
  PutRequest stale;
  stale.expected_version = 4;
  stale.schema = J(R"({"type": "object"})");
  auto refused = svc_->Put(ctx_, "dev/new", J(R"({"port": 2})"), stale);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(store_->Get(MetaNamespace("dev/new"), store::VersionRef::Latest()).error().code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(svc_->List(ctx_, "").value().empty());
}

class ComplianceServiceTest : public ConfigServiceTest {
 protected:
  void SetUp() override {
    ConfigServiceTest::SetUp();
    auto pack = compliance::LoadBuiltinPack("baseline").value();
    engine_ = compliance::Engine::Create({std::shared_ptr<const compliance::RulePack>(std::move(pack))}).value();
    history_ = compliance::NewInMemoryComplianceHistory();
    ServiceDeps deps = Deps();
    deps.compliance = engine_;
    deps.gate = compliance::GateOptions{.threshold = compliance::Severity::kHigh};
    deps.history = history_;
    gated_ = ConfigService::Create(std::move(deps)).value();
  }
  static Value Service(const char* ssl_mode, const char* password) {
    return J(fmt::format(R"({{"services": [{{"name": "api", "environment": "production",
      "region": "eu-west-1", "database": {{"ssl_mode": "{}", "password": "{}"}},
      "redis": {{"ssl": true}}, "auth": {{"jwt_algorithm": "RS256", "jwt_expiration_minutes": 15,
      "jwt_secret_key": "0123456789abcdef0123456789abcdef"}},
      "security": {{"cors_allowed_origins": ["https://a.example.eu"]}}, "logging": {{"level": "info"}}}}]}})",
                         ssl_mode, password).c_str());
  }
  std::shared_ptr<const compliance::Engine> engine_;
  std::shared_ptr<compliance::ComplianceHistory> history_;
  std::unique_ptr<ConfigService> gated_;
};

TEST_F(ComplianceServiceTest, GateRefusesWritesThatIntroduceHighFindings) {
  ASSERT_TRUE(gated_->Put(ctx_, "production/api", Service("verify-full", "long-enough-password"), {}));
  auto bad = gated_->Put(ctx_, "production/api", Service("disable", "long-enough-password"), {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(bad.error().message(), HasSubstr("SEC_001"));
  EXPECT_THAT(bad.error().message(), HasSubstr("services[0].database.ssl_mode"));
  auto bad_set = gated_->Set(ctx_, "production/api", P("services[0].database.ssl_mode"), Value("disable"), {});
  ASSERT_FALSE(bad_set);
  EXPECT_EQ(gated_->History(ctx_, "production/api").value().size(), 1u);
}

TEST_F(ComplianceServiceTest, APutTheGateRefusesAttachesNoSchema) {
  ASSERT_TRUE(gated_->Put(ctx_, "production/api", Service("verify-full", "long-enough-password"), {}));
  PutRequest with_schema;
  with_schema.schema = J(R"({"type": "object", "required": ["owner"]})");
  Value bad = Service("disable", "long-enough-password");
  bad.AsMap().Set("owner", Value("team-a"));
  auto refused = gated_->Put(ctx_, "production/api", bad, with_schema);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(gated_->SchemaOf(ctx_, "production/api").value().has_value());
  // The unchanged content can still be changed (it would violate the refused schema).
  auto set = gated_->Set(ctx_, "production/api", P("services[0].logging.level"), Value("warn"), {});
  EXPECT_TRUE(set) << set.error();
}

TEST_F(ComplianceServiceTest, FindingMessagesNeverCarrySecrets) {
  // DB_001 (password too short) is high; the secret must not appear in the refusal.
  auto bad = gated_->Put(ctx_, "production/api", Service("verify-full", "short-pw"), {});
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("DB_001"));
  EXPECT_THAT(bad.error().message(), ::testing::Not(HasSubstr("short-pw")));
}

TEST_F(ComplianceServiceTest, HistoryKeepsTheStatusOfEveryVersion) {
  ASSERT_TRUE(gated_->Put(ctx_, "production/web", Service("verify-full", "long-enough-password"), {}));
  // Medium findings pass the gate (OPS_001: debug logging in production is medium).
  ASSERT_TRUE(gated_->Set(ctx_, "production/web", P("services[0].logging.level"), Value("debug"), {}));
  ASSERT_TRUE(gated_->Set(ctx_, "production/web", P("services[0].logging.level"), Value("info"), {}));
  auto history = gated_->ComplianceHistory(ctx_, "production/web").value();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_TRUE(history[0].findings.empty());
  ASSERT_EQ(history[1].findings.size(), 1u);
  EXPECT_EQ(history[1].findings[0].rule_id, "OPS_001");
  EXPECT_TRUE(history[2].findings.empty());
  auto report = gated_->Check(ctx_, "production/web", store::VersionRef::Number(2)).value();
  EXPECT_EQ(report.findings.size(), 1u);
}

}  // namespace
}  // namespace bulwark::service
