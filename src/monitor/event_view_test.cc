#include "bulwark/monitor/event_view.h"

#include <gtest/gtest.h>

#include "monitor/test_util.h"

namespace bulwark::monitor {
namespace {

using testing::EventSpec;

TEST(EventViewTest, LiftsDataMembersAndCloudEventsAttributes) {
  EventSpec s;
  s.operation = "config.reveal";
  s.action = request::Action::kReveal;
  s.sensitive_paths = {"db.password"};
  s.paths = {"db.password"};
  s.revealed = true;
  s.source_address = "10.0.0.7";
  auto stored = testing::Stored(s, 42);
  auto v = ParseEventView(stored);
  ASSERT_TRUE(v.has_value()) << v.error().message();
  EXPECT_EQ(v->index, 42u);
  EXPECT_EQ(v->time_us, stored.time_us);
  EXPECT_EQ(v->type, "dev.bulwark.config.reveal");
  EXPECT_EQ(v->id, "ev42");
  EXPECT_EQ(v->actor, "local:alice");
  EXPECT_EQ(v->operation, "config.reveal");
  EXPECT_EQ(v->action, "reveal");
  EXPECT_EQ(v->outcome, "success");
  EXPECT_EQ(v->namespace_name, "dev/app");
  EXPECT_EQ(v->source_address, "10.0.0.7");
  EXPECT_TRUE(v->revealed);
  ASSERT_EQ(v->sensitive_paths->size(), 1u);
  EXPECT_EQ((*v->sensitive_paths)[0].AsString(), "db.password");
  EXPECT_EQ(v->event.Get("impact")->Get("level")->AsString(), "medium");
  EXPECT_EQ(v->event.Get("data"), nullptr);
}

TEST(EventViewTest, FillsFieldsAnEventMayLackAndViewsSurviveAMove) {
  audit::StoredEvent e;
  e.index = 3;
  e.leaf =
      R"({"data":{"action":"list","actor":{"id":"a"},"operation":"namespace.list","outcome":"success"},"id":"x","type":"dev.bulwark.namespace.list","time":"2026-01-01T00:00:00Z"})";
  auto v = ParseEventView(e);
  ASSERT_TRUE(v.has_value());
  EventView moved = std::move(*v);
  EXPECT_EQ(moved.namespace_name, "");
  EXPECT_EQ(moved.event.Get("reason")->AsString(), "");
  EXPECT_TRUE(moved.event.Get("paths")->AsList().empty());
  EXPECT_FALSE(moved.revealed);
  EXPECT_EQ(moved.operation, "namespace.list");
  EXPECT_EQ(moved.actor, "a");
}

TEST(EventViewTest, RejectsLeavesThatAreNotEvents) {
  for (const char* leaf : {"", "[1]", "{\"data\":1}", "{\"id\":\"x\"}", "{\"data\":{}"}) {
    audit::StoredEvent e;
    e.index = 9;
    e.leaf = leaf;
    auto v = ParseEventView(e);
    ASSERT_FALSE(v.has_value()) << leaf;
    EXPECT_EQ(v.error().code(), ErrorCode::kDataLoss);
    EXPECT_NE(v.error().message().find("audit event 9"), std::string::npos);
  }
}

TEST(EventViewTest, RecognizesTheMonitorsOwnEvents) {
  EventSpec s;
  s.operation = "monitor.alert";
  EXPECT_TRUE(IsMonitorEvent(testing::View(s)));
  s.operation = "config.get";
  EXPECT_FALSE(IsMonitorEvent(testing::View(s)));
}

}  // namespace
}  // namespace bulwark::monitor
