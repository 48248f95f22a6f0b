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

}  // namespace
}  // namespace bulwark::lifecycle
