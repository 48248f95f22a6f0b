// Audit shipping end to end through the built binary: `audit ship --once` to a file sink and to
// a syslog receiver that is down and then comes back (configuration operations never wait for
// it), `audit status` showing the lag and the error (JSON and Prometheus), configuration errors
// naming the field, the `audit ship` daemon stopped by SIGTERM, and `audit log --follow`.
// The real-rsyslog tests are in src/auditship/rsyslog_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

namespace asio = boost::asio;
using ::testing::HasSubstr;

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

// A TCP receiver that reads each connection to EOF and keeps the bytes (a minimal syslog
// collector for RFC 6587 octet-counted frames).
class Receiver {
 public:
  Receiver() : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
  }
  // Reserves a port with nothing listening on it (a dead sink).
  static std::uint16_t DeadPort() {
    Receiver r;
    return r.port_;
  }
  void Start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        asio::ip::tcp::socket s(ioc_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec);
        if (ec || stop_) continue;
        std::string data;
        asio::read(s, asio::dynamic_buffer(data), ec);  // until EOF
        std::lock_guard l(mu_);
        bytes_ += data;
      }
    });
  }
  ~Receiver() {
    if (!thread_.joinable()) return;
    stop_ = true;
    asio::ip::tcp::socket s(ioc_);
    boost::system::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    s.close();
    thread_.join();
  }
  std::string bytes() {
    std::lock_guard l(mu_);
    return bytes_;
  }
  std::uint16_t port() const { return port_; }

 private:
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string bytes_;
  std::thread thread_;
};

// Splits octet-counted frames ("LEN SP MSG" repeated).
std::vector<std::string> Frames(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t sp = s.find(' ', i);
    if (sp == std::string::npos) break;
    const std::size_t len = std::stoul(s.substr(i, sp - i));
    out.push_back(s.substr(sp + 1, len));
    i = sp + 1 + len;
  }
  return out;
}

class AuditShipCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = dir_ / "home";
    env_ = "BULWARK_HOME=" + home_.string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    ASSERT_EQ(Run("init").exit_code, 0);
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_); }
  void Config(const std::string& yaml) { std::ofstream(home_ / "config.yaml") << yaml; }
  nlohmann::json Status() {
    auto r = Run("audit status");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
  std::string Binary() const { return std::string(BULWARK_BINARY_DIR) + "/bulwark"; }

  std::filesystem::path home_;
  std::string env_;
};

TEST_F(AuditShipCliTest, ShipOnceWritesTheFileSinkAndStatusShowsItCaughtUp) {
  Config("audit:\n  sinks:\n    - {name: archive, type: file, path: shipped.jsonl}\n");
  ASSERT_EQ(Run("set dev/app a 1").exit_code, 0);
  ASSERT_EQ(Run("set dev/app b 2").exit_code, 0);
  auto r = Run("audit ship --once");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The home's key.init event and the two sets.
  EXPECT_THAT(r.out, HasSubstr("archive: shipped 3 events"));
  const auto lines = LinesOf(Slurp(home_ / "shipped.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  // The same bytes as the verifiable export.
  EXPECT_EQ(Slurp(home_ / "shipped.jsonl"), Run("audit export --format jsonl").out);
  auto st = Status();
  ASSERT_EQ(st["sinks"].size(), 1u);
  EXPECT_EQ(st["sinks"][0]["name"], "archive");
  EXPECT_EQ(st["sinks"][0]["lag"], 0);
  EXPECT_EQ(st["sinks"][0]["shipped"], 3);
  EXPECT_EQ(Run("audit ship --once").out, "archive: shipped 0 events\n");  // nothing twice
}

TEST_F(AuditShipCliTest, ADeadSinkBlocksNothingShowsItsLagAndCatchesUpInOrder) {
  Receiver receiver;
  const std::uint16_t port = receiver.port();
  Config(
      "audit:\n  sinks:\n    - name: siem\n      type: syslog\n      host: 127.0.0.1\n"
      "      port: " +
      std::to_string(Receiver::DeadPort()) + "\n      timeout_ms: 2000\n");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Run("set dev/app k" + std::to_string(i) + " v").exit_code, 0);
  }
  auto dead = Run("audit ship --once");
  EXPECT_EQ(dead.exit_code, 5);
  EXPECT_THAT(dead.err, HasSubstr("audit sink 'siem' (syslog): connect 127.0.0.1:"));
  ASSERT_EQ(Run("set dev/app k3 v").exit_code, 0);  // still fine while the sink is down
  auto st = Status();
  EXPECT_EQ(st["events"], 5);  // key.init and the four sets
  EXPECT_EQ(st["sinks"][0]["lag"], 5);
  EXPECT_EQ(st["sinks"][0]["cursor"], 0);
  EXPECT_EQ(st["sinks"][0]["consecutive_failures"], 1);
  EXPECT_THAT(st["sinks"][0]["last_error"].get<std::string>(), HasSubstr("connect"));
  EXPECT_NE(st["sinks"][0]["oldest_unshipped_time"], "");
  auto prom = Run("audit status --prometheus");
  EXPECT_THAT(prom.out,
              HasSubstr("bulwark_audit_sink_lag_events{sink=\"siem\",type=\"syslog\"} 5"));
  EXPECT_THAT(prom.out,
              HasSubstr("bulwark_audit_sink_failures_total{sink=\"siem\",type=\"syslog\"} 1"));

  // The sink comes back (on another port: the configuration names it).
  receiver.Start();
  Config("audit:\n  sinks:\n    - {name: siem, type: syslog, host: 127.0.0.1, port: " +
         std::to_string(port) + ", batch_size: 3}\n");
  auto ok = Run("audit ship --once");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("siem: shipped 5 events"));
  const auto frames = Frames(receiver.bytes());
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_THAT(frames[0], HasSubstr("key.init"));
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(frames[i + 1], HasSubstr("[bulwark@32473 index=\"" + std::to_string(i + 1) + "\""));
    EXPECT_THAT(frames[i + 1], HasSubstr("\"paths\":[\"k" + std::to_string(i) + "\"]"));
  }
  EXPECT_EQ(Status()["sinks"][0]["lag"], 0);
}

TEST_F(AuditShipCliTest, BadSinkConfigurationNamesTheFieldAndLine) {
  Config(
      "audit:\n  sinks:\n    - name: siem\n      type: syslog\n      host: h\n"
      "      port: lots\n");
  auto r = Run("audit ship --once");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("config.yaml:6:13: audit.sinks[0].port: expected an integer"));
  EXPECT_EQ(Run("audit status").exit_code, 2);
  Config("audit:\n  sinks:\n    - {name: a, type: file, path: x}\n");
  auto unknown = Run("audit ship --once --sink b");
  EXPECT_EQ(unknown.exit_code, 4);
  EXPECT_THAT(unknown.err, HasSubstr("--sink b: no such sink"));
  Config("compliance:\n  packs: [baseline]\n");
  auto none = Run("audit ship --once");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("no audit sinks configured"));
}

TEST_F(AuditShipCliTest, TheShipDaemonShipsNewEventsUntilSigterm) {
  Config(
      "audit:\n  sinks:\n    - {name: archive, type: file, path: shipped.jsonl, format: "
      "cloudevents}\n");
  ASSERT_EQ(Run("set dev/app a 1").exit_code, 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("BULWARK_HOME", home_.c_str(), 1);
    const std::string err = (dir_ / "daemon.err").string();
    FILE* f = std::freopen(err.c_str(), "w", stderr);
    (void)f;
    const std::string bin = Binary();
    ::execl(bin.c_str(), bin.c_str(), "audit", "ship", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_EQ(Run("set dev/app b 2").exit_code, 0);
  ASSERT_EQ(Run("set dev/app c 3").exit_code, 0);
  std::vector<std::string> lines;
  for (int i = 0; i < 2000 && lines.size() < 4; ++i) {  // up to 20 s
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    lines = LinesOf(Slurp(home_ / "shipped.jsonl"));
  }
  // A second shipper for the same home is refused while the daemon runs.
  auto second = Run("audit ship --once");
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_THAT(second.err, HasSubstr("another 'bulwark audit ship' is running"));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Slurp(dir_ / "daemon.err");
  ASSERT_EQ(lines.size(), 4u);  // key.init, then the three sets
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(lines[i + 1],
                HasSubstr("\"paths\":[\"" + std::string(1, static_cast<char>('a' + i))));
  }
  EXPECT_EQ(Status()["sinks"][0]["lag"], 0);
}

TEST_F(AuditShipCliTest, LogFollowPrintsMatchingEventsAsTheyAreAppended) {
  ASSERT_EQ(Run("set dev/app a 1").exit_code, 0);
  const std::string cmd =
      env_ + " " + Binary() + " audit log --ns dev/app --json --follow --max-events 3 --poll-ms 20";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[65536];
  std::vector<std::string> got;
  ASSERT_NE(std::fgets(buf, sizeof(buf), p), nullptr);  // the existing event
  got.push_back(buf);
  // Appended after --follow printed the existing event: only dev/app ones match.
  ASSERT_EQ(Run("set other/app x 1").exit_code, 0);
  ASSERT_EQ(Run("set dev/app b 2").exit_code, 0);
  ASSERT_EQ(Run("set dev/app c 3").exit_code, 0);
  while (std::fgets(buf, sizeof(buf), p) != nullptr) got.push_back(buf);
  const int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto j = nlohmann::json::parse(got[i]);
    EXPECT_EQ(j["data"]["namespace"], "dev/app");
    EXPECT_EQ(j["data"]["paths"][0], std::string(1, static_cast<char>('a' + i)));
  }
  auto bad = Run("audit log --max-events 2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--max-events: only with --follow"));
}

}  // namespace
}  // namespace bulwark::testing
