// Crash test: a child process writes a stream of versions and reports each acknowledged version
// over a pipe; the parent kills it with SIGKILL at a random point, then checks that the store
// opens, every acknowledged version is there, no version is half-written (every hash verifies and
// the content is the one written) and the history chain is intact. Repeated over many rounds on
// one database.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "bulwark/store/open.h"
#include "store/test_database.h"

namespace bulwark::store::testing {
namespace {

// Version i of the stream carries seq = i and a payload large enough to span several pages.
config::Value Payload(std::int64_t seq) {
  config::ValueMap m;
  m.Set("seq", config::Value(seq));
  m.Set("payload", config::Value(std::string(6000 + static_cast<std::size_t>(seq % 97) * 40,
                                             static_cast<char>('a' + seq % 26))));
  return config::Value(std::move(m));
}

[[noreturn]] void WriterChild(const std::string& url, int fd) {
  auto store = OpenStore(url, Runtime::System());
  if (!store) _exit(10);
  while (true) {
    // Content is derived from the version number it will get, so the parent can check it.
    auto head = (*store)->History("crash/stream", HistoryOptions{.limit = 1});
    std::int64_t next = head ? (*head)[0].version + 1 : 1;
    WriteOptions o;
    o.author = "writer";
    o.expected_version = next - 1;
    auto put = (*store)->Put("crash/stream", Payload(next), o);
    if (!put) _exit(11);
    std::int64_t acked = put->version;
    if (write(fd, &acked, sizeof acked) != sizeof acked) _exit(12);
  }
}

TEST(CrashTest, AcknowledgedWritesSurviveSigkillAndNoVersionIsTorn) {
  auto db = NewSqliteTestDatabase();
  std::string url = db->url();
  std::mt19937 rng(20261122);
  constexpr int kRounds = 30;
  std::int64_t max_acked = 0;
  int rounds_with_writes = 0;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      WriterChild(url, fds[1]);
    }
    close(fds[1]);
    // The kill point is counted in acknowledged writes (0-6), then a random delay of up to 8 ms
    // lands it anywhere inside the next write: on a loaded machine a delay measured from the
    // start alone would often kill the writer before it wrote anything.
    std::int64_t acked = 0;
    std::int64_t round_max = 0;
    const int wait_for = std::uniform_int_distribution<int>(0, 6)(rng);
    for (int i = 0; i < wait_for; ++i) {
      if (read(fds[0], &acked, sizeof acked) != sizeof acked) break;
      round_max = acked;
    }
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 8'000)(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with status " << status;
    while (read(fds[0], &acked, sizeof acked) == sizeof acked) round_max = acked;
    close(fds[0]);
    if (round_max > 0) ++rounds_with_writes;
    max_acked = std::max(max_acked, round_max);

    auto store = OpenStore(url, Runtime::System());
    ASSERT_TRUE(store.has_value()) << "round " << round << ": " << store.error();
    if (max_acked == 0) continue;
    auto history = (*store)->History("crash/stream");
    ASSERT_TRUE(history.has_value()) << "round " << round << ": " << history.error();
    auto latest = (*history)[0].version;
    ASSERT_GE(latest, max_acked) << "round " << round << ": an acknowledged version is missing";
    ASSERT_EQ(history->size(), static_cast<std::size_t>(latest));
    for (const VersionInfo& info : *history) {
      ASSERT_EQ(info.parent,
                info.version > 1 ? std::optional<Version>(info.version - 1) : std::nullopt);
    }
    // Verify the versions written since the previous round and a sample of older ones.
    for (Version v = latest; v >= 1 && v > latest - 40; --v) {
      auto snap = (*store)->Get("crash/stream", VersionRef::Number(v));
      ASSERT_TRUE(snap.has_value()) << "round " << round << ": " << snap.error();
      ASSERT_EQ(snap->content, Payload(v)) << "round " << round << " version " << v;
    }
  }
  // The kill points were spread so that writers got some writes acknowledged.
  EXPECT_GT(rounds_with_writes, kRounds / 2);
  // A final full verification of every version.
  auto store = OpenStore(url, Runtime::System());
  ASSERT_TRUE(store.has_value());
  auto history = (*store)->History("crash/stream");
  ASSERT_TRUE(history.has_value());
  for (const VersionInfo& info : *history) {
    auto snap = (*store)->Get("crash/stream", VersionRef::Number(info.version));
    ASSERT_TRUE(snap.has_value()) << snap.error();
    ASSERT_EQ(snap->content, Payload(info.version));
  }
}

}  // namespace
}  // namespace bulwark::store::testing
