#include "bulwark/lifecycle/metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "bulwark/config/format.h"
#include "bulwark/core/duration.h"

namespace bulwark::lifecycle {
namespace {

using ::testing::HasSubstr;

config::Document Yaml(std::string_view text) {
  config::ParseOptions o;
  o.source_name = "meta.yaml";
  auto d = config::ParseDocument(text, config::Format::kYaml, o);
  EXPECT_TRUE(d.has_value()) << d.error().message();
  return d ? std::move(*d) : config::Document{};
}

TEST(MetadataTest, TypesCarryTheProductsDefaultSchedules) {
  EXPECT_EQ(DefaultPolicy(SecretType::kPassword).interval, std::chrono::days(30));
  EXPECT_EQ(DefaultPolicy(SecretType::kPassword).grace, std::chrono::hours(24));
  EXPECT_EQ(DefaultPolicy(SecretType::kPassword).strategy.kind, StrategyKind::kPassword);
  EXPECT_EQ(DefaultPolicy(SecretType::kConnectionString).interval, std::chrono::days(30));
  EXPECT_EQ(DefaultPolicy(SecretType::kApiKey).interval, std::chrono::days(90));
  EXPECT_EQ(DefaultPolicy(SecretType::kApiKey).grace, std::chrono::days(7));
  EXPECT_EQ(DefaultPolicy(SecretType::kApiKey).strategy.kind, StrategyKind::kRandomBytes);
  EXPECT_FALSE(DefaultPolicy(SecretType::kGeneric).interval.has_value());
  EXPECT_EQ(DefaultPolicy(SecretType::kCertificate).strategy.kind, StrategyKind::kNone);
}

TEST(MetadataTest, APatchSetsEveryFieldAndHooks) {
  auto doc = Yaml(R"(type: password
owner: team-payments
description: the payments database
tags: [pci, db]
expires_at: 2027-01-01T00:00:00Z
rotation:
  interval: 14d
  grace: 2h
  max_retries: 5
  notify_before: 2d
  strategy: {kind: password, length: 40, classes: [lower, digit]}
  apply: {command: [/hooks/apply.sh, --db, pay], timeout: 20s, env: {PGHOST: db1}}
  verify: {command: [/hooks/verify.sh], attempts: 4, interval: 3s}
  revoke: {command: [/hooks/revoke.sh]}
)");
  SecretRecord r;
  ASSERT_TRUE(ApplyMetadataPatch(r, doc, {}).has_value());
  EXPECT_EQ(r.type, SecretType::kPassword);
  EXPECT_EQ(r.owner, "team-payments");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"pci", "db"}));
  ASSERT_TRUE(r.expires_at.has_value());
  EXPECT_EQ(r.rotation.interval, std::chrono::days(14));
  EXPECT_EQ(r.rotation.grace, std::chrono::hours(2));
  EXPECT_EQ(r.rotation.max_retries, 5u);
  EXPECT_EQ(r.rotation.strategy.length, 40u);
  EXPECT_EQ(r.rotation.strategy.classes, (std::vector<std::string>{"lower", "digit"}));
  ASSERT_TRUE(r.rotation.apply.has_value());
  EXPECT_EQ(r.rotation.apply->env[0].first, "PGHOST");
  ASSERT_TRUE(r.rotation.verify && r.rotation.verify->command);
  EXPECT_EQ(r.rotation.verify->attempts, 4u);
  EXPECT_TRUE(HasHooks(r.rotation));
}

TEST(MetadataTest, StoredDocumentsRoundTrip) {
  auto doc = Yaml("type: api_key\nrotation: {verify: {http: {url: 'https://app/healthz', expect: [200, 204]}}}\n");
  SecretRecord r;
  ASSERT_TRUE(ApplyMetadataPatch(r, doc, {}).has_value());
  r.created = r.updated = TimePoint(std::chrono::seconds(1'800'000'000));
  r.next_due = r.created + std::chrono::days(90);
  r.previous_version = 7;
  RotationJournal j;
  j.id = "0123456789abcdef";
  j.phase = "revoke";
  j.step = "started";
  j.started = r.created;
  j.old_version = 7;
  j.new_version = 8;
  j.grace_until = r.created + std::chrono::hours(1);
  r.in_progress = j;
  r.history.push_back({"fedcba9876543210", r.created, r.created, "rolled_back", 3, 4, true, "leak", "local:a", "verify failed"});
  LifecycleDocument d;
  d.secrets["api.key"] = r;
  auto back = ParseLifecycleDocument(LifecycleDocumentValue(d), "prod/app");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  ASSERT_EQ(back->secrets.size(), 1u);
  EXPECT_EQ(back->secrets.at("api.key"), r);
}

TEST(MetadataTest, BadPatchesNameTheFileLineAndField) {
  auto err = [](std::string_view yaml) {
    SecretRecord r;
    auto s = ApplyMetadataPatch(r, Yaml(yaml), {});
    EXPECT_FALSE(s.has_value()) << yaml;
    return s ? std::string() : s.error().message();
  };
  EXPECT_THAT(err("type: passwd\n"), HasSubstr("meta.yaml:1:7: type: secret type 'passwd'"));
  EXPECT_THAT(err("rotation: {interval: 30x}\n"), HasSubstr("rotation.interval: duration '30x'"));
  EXPECT_THAT(err("rotation:\n  strategy: {kind: rsa, bits: 1024}\n"), HasSubstr("rotation.strategy.bits"));
  EXPECT_THAT(err("rotation:\n  verify: {http: {url: 'https://u:p@h/x'}}\n"),
              HasSubstr("credentials in the URL are refused"));
  EXPECT_THAT(err("rotation:\n  apply: {timeout: 5s}\n"), HasSubstr("rotation.apply.command: required"));
  EXPECT_THAT(err("colour: red\n"), HasSubstr("colour: unknown field"));
}

TEST(MetadataTest, AMalformedStoredDocumentIsDataLossNamingTheNamespace) {
  config::ValueMap m;
  m.Set("version", config::Value(std::int64_t{1}));
  config::ValueMap secrets;
  config::ValueMap rec;
  rec.Set("type", config::Value("password"));
  secrets.Set("db.password", config::Value(std::move(rec)));
  m.Set("secrets", config::Value(std::move(secrets)));
  auto d = ParseLifecycleDocument(config::Value(std::move(m)), "prod/app");
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), ErrorCode::kDataLoss);
  EXPECT_THAT(d.error().message(), HasSubstr("lifecycle metadata of prod/app"));
}

TEST(ScheduleDurationTest, PrintsDaysNotWeeks) {
  EXPECT_EQ(FormatScheduleDuration(std::chrono::days(30)), "30d");
  EXPECT_EQ(FormatScheduleDuration(std::chrono::days(90)), "90d");
  EXPECT_EQ(FormatScheduleDuration(std::chrono::days(7)), "7d");
  EXPECT_EQ(FormatScheduleDuration(std::chrono::days(365)), "365d");
  EXPECT_EQ(FormatScheduleDuration(std::chrono::hours(36)), "1d12h");
  EXPECT_EQ(FormatScheduleDuration(std::chrono::hours(24)), "1d");
  EXPECT_EQ(FormatScheduleDuration(Seconds(90)), "1m30s");
  EXPECT_EQ(FormatScheduleDuration(Seconds(0)), "0s");
  // What a user wrote in days comes back as written, through the stored form too.
  SecretRecord r;
  ASSERT_TRUE(ApplyMetadataPatch(r, Yaml("type: password\nrotation: {interval: 30d, grace: 7d, "
                                         "notify_before: 2w}\n"), {}).has_value());
  LifecycleDocument d;
  d.secrets["password"] = r;
  const config::Value stored = LifecycleDocumentValue(d);
  auto at = [&](const char* p) {
    const config::Value* v = config::Find(stored, config::Path::Parse(p).value());
    return v != nullptr && v->is_string() ? v->AsString() : std::string("?");
  };
  EXPECT_EQ(at("secrets.password.rotation.interval"), "30d");
  EXPECT_EQ(at("secrets.password.rotation.grace"), "7d");
  EXPECT_EQ(at("secrets.password.rotation.notify_before"), "14d");
}

RC_GTEST_PROP(ScheduleDurationProperty, ParsesBackToTheSameValueWithoutWeeks, ()) {
  const auto s = *rc::gen::inRange<std::int64_t>(0, 20LL * 365 * 86400);
  const std::string text = FormatScheduleDuration(Seconds(s));
  RC_ASSERT(text.find('w') == std::string::npos);
  auto back = ParseDuration(text);
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->count() == s);
}

}  // namespace
}  // namespace bulwark::lifecycle
