#include "bulwark/lifecycle/lifecycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lifecycle/test_fixture.h"

namespace bulwark::lifecycle {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class LifecycleTest : public testing::LifecycleFixture {};

TEST_F(LifecycleTest, MetadataGoesOnSensitivePathsWithTheTypesSchedule) {
  auto r = Meta("type: password\nowner: payments\ntags: [pci]\n");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->owner, "payments");
  EXPECT_EQ(r->rotation.interval, std::chrono::days(30));
  ASSERT_TRUE(r->next_due.has_value());
  EXPECT_EQ(*r->next_due, fake_.clock->Now() + std::chrono::days(30));
  auto shown = lc_->Show(ctx_, "prod/db", P("password"));
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(*shown, *r);
  // Not a secret: refused. Not there yet: allowed (the first rotation creates it).
  auto host = Meta("type: password\n", "host");
  ASSERT_FALSE(host.has_value());
  EXPECT_THAT(host.error().message(), HasSubstr("prod/db host: not a sensitive value"));
  EXPECT_TRUE(Meta("type: api_key\n", "api.key").has_value());
  EXPECT_THAT(Ops(), ElementsAre("secret.meta:success", "secret.show:success", "secret.meta:failure",
                                 "secret.meta:success"));
  // Nothing about it lives in the namespace itself, and the metadata holds no value.
  auto raw = store_->Get(LifecycleNamespace("prod/db"), store::VersionRef::Latest());
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(config::Find(raw->content, P("secrets.password.owner"))->AsString(), "payments");
}

TEST_F(LifecycleTest, ShowOfAnUntrackedSecretIsNotFound) {
  auto r = lc_->Show(ctx_, "prod/db", P("password"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("bulwark secret meta prod/db password"));
}

TEST_F(LifecycleTest, SecretsListsStatusesSoonestFirst) {
  ASSERT_TRUE(Meta("type: password\n"));
  ASSERT_TRUE(Meta("type: api_key\nexpires_at: 2028-02-01T00:00:00Z\n", "api.key"));
  ASSERT_TRUE(Meta("type: certificate\n", "tls.key"));
  // 29 days later: the password (30 d) is upcoming (notify_before 7 d); the others are fine.
  fake_.clock->Advance(std::chrono::days(29));
  auto within = lc_->Secrets(ctx_, std::nullopt);
  ASSERT_TRUE(within.has_value());
  ASSERT_EQ(within->size(), 3u);
  EXPECT_EQ((*within)[0].path, "password");
  EXPECT_EQ((*within)[0].status, "upcoming");
  // Two more days: due; the certificate (no strategy) shows up once due a year later.
  fake_.clock->Advance(std::chrono::days(2));
  auto due = lc_->Secrets(ctx_, std::chrono::days(1));
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].status, "due");
  fake_.clock->Advance(std::chrono::days(400));
  auto late = lc_->Secrets(ctx_, std::chrono::days(1));
  ASSERT_TRUE(late.has_value());
  std::map<std::string, std::string> status;
  for (const auto& s : *late) status[s.path] = s.status;
  EXPECT_EQ(status["password"], "due");
  EXPECT_EQ(status["tls.key"], "overdue");
  EXPECT_EQ(status["api.key"], "expired");
}

TEST_F(LifecycleTest, RunDueRotatesWhatIsDueAndRecordsNoticesAndOverdueSecretsOnce) {
  ASSERT_TRUE(Meta("type: password\nrotation: {grace: 0s}\n"));
  ASSERT_TRUE(Meta("type: certificate\nrotation: {interval: 10d, notify_before: 2d}\n", "tls.key"));
  fake_.clock->Advance(std::chrono::days(9));
  auto first = lc_->RunDue(ctx_, false);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].path, "tls.key");
  EXPECT_EQ(first->items[0].action, "noticed");
  EXPECT_FALSE(first->problems());
  auto again = lc_->RunDue(ctx_, false);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->items.empty());  // the notice is recorded once per due date

  fake_.clock->Advance(std::chrono::days(22));  // day 31
  const std::string before = Value();
  auto due = lc_->RunDue(ctx_, false);
  ASSERT_TRUE(due.has_value());
  std::map<std::string, DueItem> items;
  for (const auto& i : due->items) items[i.path] = i;
  EXPECT_EQ(items["password"].action, "rotated");
  EXPECT_EQ(items["password"].outcome, "done");
  EXPECT_NE(Value(), before);
  EXPECT_EQ(items["tls.key"].action, "overdue");
  EXPECT_EQ(items["tls.key"].outcome, "recorded");
  EXPECT_TRUE(due->problems());
  // The overdue record is not repeated within a day.
  auto later = lc_->RunDue(ctx_, false);
  ASSERT_TRUE(later.has_value());
  ASSERT_EQ(later->items.size(), 1u);
  EXPECT_EQ(later->items[0].outcome, "noted earlier");
  std::size_t overdue = 0;
  for (const auto& r : audit_->records()) overdue += r.operation == "secret.overdue";
  EXPECT_EQ(overdue, 1u);
  // A dry run changes nothing.
  fake_.clock->Advance(std::chrono::days(31));
  const std::string now_value = Value();
  auto dry = lc_->RunDue(ctx_, true);
  ASSERT_TRUE(dry.has_value());
  EXPECT_EQ(Value(), now_value);
  for (const auto& i : dry->items) EXPECT_EQ(i.outcome, "would") << i.path;
}

// The lifecycle document names commands the rotating process runs: it is sealed under the store's
// MAC key, and one written without it (straight to the store, as someone with access to the
// database but not to the home could) is refused before any hook runs.
TEST_F(LifecycleTest, ADocumentNotSealedWithTheStoreKeyIsRefusedAndNothingRuns) {
  const std::string marker = (dir_ / "hook-ran").string();
  ASSERT_TRUE(Meta("type: password\nrotation:\n  grace: 0s\n"
                   "  verify: {command: [/bin/true], attempts: 1}\n"));
  auto raw = store_->Get(LifecycleNamespace("prod/db"), store::VersionRef::Latest());
  ASSERT_TRUE(raw.has_value());
  EXPECT_TRUE(raw->info.mac.starts_with("c1:"));
  // The same document with an apply hook added, written without the key.
  config::Value altered = raw->content;
  auto hook = config::ParseDocument("{command: [/bin/sh, -c, 'touch " + marker + "']}",
                                    config::Format::kYaml, {});
  ASSERT_TRUE(hook.has_value());
  ASSERT_TRUE(config::Set(altered, P("secrets.password.rotation.apply"), hook->root).has_value());
  store::WriteOptions w;
  w.expected_version = raw->info.version;
  ASSERT_TRUE(store_->Put(LifecycleNamespace("prod/db"), altered, w).has_value());

  auto rot = lc_->Rotate(ctx_, "prod/db", P("password"), {});
  ASSERT_FALSE(rot.has_value());
  EXPECT_EQ(rot.error().code(), ErrorCode::kDataLoss);
  EXPECT_THAT(rot.error().message(), HasSubstr("lifecycle metadata of prod/db"));
  EXPECT_THAT(rot.error().message(), HasSubstr("does not verify"));
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_EQ(Value(), "initial-Password-1");
  EXPECT_EQ(lc_->Show(ctx_, "prod/db", P("password")).error().code(), ErrorCode::kDataLoss);
  // The schedule refuses that namespace (reported, exit 1 in the CLI) and runs nothing of it.
  fake_.clock->Advance(std::chrono::days(40));
  auto due = lc_->RunDue(ctx_, false);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->items.size(), 1u);
  EXPECT_EQ(due->items[0].action, "refused");
  EXPECT_TRUE(due->problems());
  EXPECT_FALSE(std::filesystem::exists(marker));
}

}  // namespace
}  // namespace bulwark::lifecycle
