#include "bulwark/auditship/shipper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "auditship/test_util.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::auditship {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records what it received; fails the next `fail` calls; can block until released.
struct FakeSinkState {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<std::uint64_t>> batches;
  int fail = 0;
  bool block = false, blocked = false;

  std::vector<std::uint64_t> All() {
    std::lock_guard l(mu);
    std::vector<std::uint64_t> out;
    for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
    return out;
  }
};

class FakeSink final : public Sink {
 public:
  explicit FakeSink(std::shared_ptr<FakeSinkState> s) : s_(std::move(s)) {}
  Status Send(std::span<const audit::StoredEvent> batch) override {
    std::unique_lock l(s_->mu);
    if (s_->block) {
      s_->blocked = true;
      s_->cv.notify_all();
      s_->cv.wait(l, [&] { return !s_->block; });
      s_->blocked = false;
    }
    if (s_->fail > 0) {
      --s_->fail;
      return UnavailableError("fake sink: connection refused");
    }
    std::vector<std::uint64_t> idx;
    for (const auto& e : batch) idx.push_back(e.index);
    s_->batches.push_back(std::move(idx));
    return OkStatus();
  }

 private:
  std::shared_ptr<FakeSinkState> s_;
};

SinkConfig Config(const std::string& name, std::size_t batch = 500) {
  SinkConfig c;
  c.name = name;
  c.type = SinkType::kSyslog;
  c.batch_size = batch;
  c.retry_initial = std::chrono::milliseconds(100);
  c.retry_max = std::chrono::milliseconds(1000);
  return c;
}

class ShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(log_, testing::OpenLog(dir_.path()));
    ASSERT_OK_AND_ASSIGN(states_, OpenStates());
  }
  Result<std::shared_ptr<SinkStateStore>> OpenStates() {
    BULWARK_ASSIGN_OR_RETURN(auto s, SinkStateStore::Open(dir_.path() / "audit-sinks.db"));
    return std::shared_ptr<SinkStateStore>(std::move(s));
  }
  Result<std::unique_ptr<Shipper>> Make(
      std::vector<SinkConfig> sinks, std::map<std::string, std::shared_ptr<FakeSinkState>> fakes,
      std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
    ShipperOptions o;
    o.runtime = fake_.runtime();
    o.poll = poll;
    return Shipper::Create(
        log_, states_, std::move(sinks),
        [fakes](const SinkConfig& c) -> Result<std::unique_ptr<Sink>> {
          return std::unique_ptr<Sink>(std::make_unique<FakeSink>(fakes.at(c.name)));
        },
        o);
  }

  testing::TempDir dir_;
  bulwark::testing::FakeRuntime fake_;
  std::shared_ptr<audit::AuditLog> log_;
  std::shared_ptr<SinkStateStore> states_;
};

TEST_F(ShipperTest, DrainShipsEveryEventOnceInIndexOrderInBatches) {
  testing::AppendEvents(*log_, 7);
  auto fake = std::make_shared<FakeSinkState>();
  ASSERT_OK_AND_ASSIGN(auto shipper, Make({Config("a", 3)}, {{"a", fake}}));
  auto n = shipper->Drain("a");
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(*n, 7u);
  ASSERT_EQ(fake->batches.size(), 3u);
  EXPECT_THAT(fake->batches[0], ElementsAre(0, 1, 2));
  EXPECT_THAT(fake->batches[2], ElementsAre(6));
  auto st = states_->Get("a");
  EXPECT_EQ(st->cursor, 7u);
  EXPECT_EQ(st->shipped, 7u);
  EXPECT_EQ(st->batches, 3u);
  EXPECT_EQ(*shipper->ShipBatch("a"), 0u);  // caught up
}

TEST_F(ShipperTest, AFailedBatchIsRecordedAndRetriedWithoutLossOrDuplicates) {
  testing::AppendEvents(*log_, 4);
  auto fake = std::make_shared<FakeSinkState>();
  fake->fail = 2;
  ASSERT_OK_AND_ASSIGN(auto shipper, Make({Config("a", 2)}, {{"a", fake}}));
  for (int i = 0; i < 2; ++i) {
    auto r = shipper->ShipBatch("a");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message(), HasSubstr("connection refused"));
  }
  auto statuses = shipper->Statuses();
  ASSERT_TRUE(statuses.has_value());
  const SinkStatus& s = (*statuses)[0];
  EXPECT_EQ(s.lag, 4u);
  EXPECT_EQ(s.state.cursor, 0u);
  EXPECT_EQ(s.state.failures, 2u);
  EXPECT_EQ(s.state.consecutive_failures, 2u);
  EXPECT_THAT(s.state.last_error, HasSubstr("connection refused"));
  ASSERT_TRUE(s.oldest_unshipped_us.has_value());
  EXPECT_GT(s.state.next_attempt_us, s.state.last_error_us);

  ASSERT_TRUE(shipper->Drain("a").has_value());
  EXPECT_THAT(fake->All(), ElementsAre(0, 1, 2, 3));
  auto after = states_->Get("a");
  EXPECT_EQ(after->consecutive_failures, 0u);
  EXPECT_EQ(after->failures, 2u);
  EXPECT_EQ(after->last_error, "");
  EXPECT_EQ(after->next_attempt_us, 0);
}

TEST_F(ShipperTest, BackoffGrowsExponentiallyWithJitterUpToTheMaximum) {
  testing::AppendEvents(*log_, 1);
  auto fake = std::make_shared<FakeSinkState>();
  fake->fail = 100;
  ASSERT_OK_AND_ASSIGN(auto shipper, Make({Config("a")}, {{"a", fake}}));
  std::int64_t max_seen = 0;
  for (int k = 1; k <= 8; ++k) {
    ASSERT_FALSE(shipper->ShipBatch("a").has_value());
    auto st = states_->Get("a");
    const std::int64_t delay_ms = (st->next_attempt_us - st->last_error_us) / 1000;
    const std::int64_t d = std::min<std::int64_t>(1000, 100LL << (k - 1));
    EXPECT_GE(delay_ms, d / 2) << "attempt " << k;
    EXPECT_LE(delay_ms, d) << "attempt " << k;
    max_seen = std::max(max_seen, delay_ms);
  }
  EXPECT_GE(max_seen, 500);
}

TEST_F(ShipperTest, TheCursorSurvivesARestart) {
  testing::AppendEvents(*log_, 3);
  auto fake = std::make_shared<FakeSinkState>();
  {
    ASSERT_OK_AND_ASSIGN(auto first, Make({Config("a")}, {{"a", fake}}));
    ASSERT_TRUE(first->Drain("a").has_value());
  }
  ASSERT_OK_AND_ASSIGN(states_, OpenStates());  // a new process
  testing::AppendEvents(*log_, 2);
  auto fake2 = std::make_shared<FakeSinkState>();
  ASSERT_OK_AND_ASSIGN(auto second, Make({Config("a")}, {{"a", fake2}}));
  ASSERT_TRUE(second->Drain("a").has_value());
  EXPECT_THAT(fake->All(), ElementsAre(0, 1, 2));
  EXPECT_THAT(fake2->All(), ElementsAre(3, 4));
}

TEST_F(ShipperTest, ABlockedSinkBlocksNeitherWritersNorOtherSinks) {
  testing::AppendEvents(*log_, 1);
  auto slow = std::make_shared<FakeSinkState>();
  auto fast = std::make_shared<FakeSinkState>();
  slow->block = true;
  ASSERT_OK_AND_ASSIGN(auto shipper,
                       Make({Config("slow"), Config("fast")}, {{"slow", slow}, {"fast", fast}}));
  std::jthread runner([&](std::stop_token st) { shipper->Run(st); });
  {
    std::unique_lock l(slow->mu);
    slow->cv.wait(l, [&] { return slow->blocked; });
  }
  // The slow sink is stuck inside Send: configuration operations still append.
  testing::AppendEvents(*log_, 50);
  auto wait_cursor = [&](const std::string& name, std::uint64_t want) {
    for (;;) {
      auto st = states_->Get(name);
      if (st && st->cursor >= want) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  wait_cursor("fast", 51);
  auto statuses = shipper->Statuses();
  ASSERT_TRUE(statuses.has_value());
  EXPECT_EQ((*statuses)[0].lag, 51u);  // slow: nothing acknowledged yet
  EXPECT_EQ((*statuses)[1].lag, 0u);
  {
    std::lock_guard l(slow->mu);
    slow->block = false;
    slow->cv.notify_all();
  }
  wait_cursor("slow", 51);
  runner.request_stop();
  runner.join();
  std::vector<std::uint64_t> want;
  for (std::uint64_t i = 0; i < 51; ++i) want.push_back(i);
  EXPECT_EQ(slow->All(), want);
  EXPECT_EQ(fast->All(), want);
}

TEST_F(ShipperTest, FileSinkAppendsFormattedLines) {
  testing::AppendEvents(*log_, 3);
  SinkConfig c;
  c.name = "file";
  c.type = SinkType::kFile;
  c.path = dir_.path() / "out.jsonl";
  c.format = EventFormat::kCef;
  c.batch_size = 2;
  SinkEnvironment env;
  env.format.product_version = "9.9";
  auto shipper = Shipper::Create(log_, states_, {c},
                                 [env](const SinkConfig& x) { return CreateSink(x, env); });
  ASSERT_TRUE(shipper.has_value());
  ASSERT_TRUE((*shipper)->Drain("file").has_value());
  auto lines = testing::Lines(testing::ReadText(c.path));
  ASSERT_EQ(lines.size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    audit::StoredEvent e;
    ASSERT_TRUE(log_->Scan(i, i + 1,
                           [&](const audit::StoredEvent& x) {
                             e = x;
                             return OkStatus();
                           })
                    .has_value());
    EXPECT_EQ(lines[i], *FormatEvent(EventFormat::kCef, e, env.format));
  }
  EXPECT_EQ(std::filesystem::status(c.path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(ShipperTest, AnUnknownSinkOrACursorPastTheLogIsAnError) {
  auto fake = std::make_shared<FakeSinkState>();
  ASSERT_OK_AND_ASSIGN(auto shipper, Make({Config("a")}, {{"a", fake}}));
  EXPECT_EQ(shipper->ShipBatch("nope").error().code(), ErrorCode::kNotFound);
  SinkState st;
  st.name = "a";
  st.cursor = 5;
  ASSERT_TRUE(states_->Put(st).has_value());
  auto r = shipper->ShipBatch("a");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message(), HasSubstr("past the end of the log"));
}

TEST_F(ShipperTest, TheStateStoreRefusesToMoveACursorBackwards) {
  SinkState st;
  st.name = "a";
  st.cursor = 10;
  ASSERT_TRUE(states_->Put(st).has_value());
  st.cursor = 9;
  auto r = states_->Put(st);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(states_->Get("a")->cursor, 10u);
  EXPECT_EQ(states_->Get("never")->cursor, 0u);
}

}  // namespace
}  // namespace bulwark::auditship
