// Two `bulwark serve` processes over one PostgreSQL (the throwaway server of
// scripts/pg-test-server.sh): concurrent compare-and-set writes through both lose no update (the
// losers get 409 and retry), the audit log is one Merkle tree whose checkpoints (published by
// both servers) verify, and `bulwark audit verify` against the database is clean afterwards.
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "bulwark/server/api_tokens.h"
#include "server/server_fixture_for_test.h"
#include "store/test_database.h"

namespace bulwark::server::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One `bulwark serve` child process, stopped with SIGTERM when destroyed.
class ServerProcess {
 public:
  ServerProcess(const fs::path& config, const fs::path& log, const std::vector<std::string>& env) : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 2);
      dup2(fd, 1);
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      const std::string bin = std::string(BULWARK_BINARY_DIR) + "/bulwark";
      execl(bin.c_str(), bin.c_str(), "serve", "--config", config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ServerProcess() { Stop(); }
  // The port from the "listening" log line (waits up to 20 s); 0 when the server did not start.
  std::uint16_t WaitForPort() {
    static const std::regex kPort("\"port\":([0-9]+)");
    for (int i = 0; i < 200; ++i) {
      std::smatch m;
      const std::string text = ReadAll(log_);
      if (std::regex_search(text, m, kPort)) return static_cast<std::uint16_t>(std::stoi(m[1]));
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;
  }
  // SIGTERM, then the exit status (-1 if it had to be killed).
  int Stop() {
    if (pid_ <= 0) return exit_;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    exit_ = -1;
    return exit_;
  }
  std::string log() const { return ReadAll(log_); }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  int exit_ = -1;
};

TEST(ServerPostgresTest, TwoServersOverOnePostgresLoseNoUpdateAndShareOneVerifiableLog) {
  auto db = store::testing::NewPostgresTestDatabase();
  ASSERT_TRUE(db) << db.error();
  const std::string url = (*db)->url();
  bulwark::testing::TempDir tmp("bulwark-server-pg");
  const fs::path d = tmp.path();
  MakeCertificates(d);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const fs::path home = d / "home";
  const std::string env = "BULWARK_HOME=" + home.string() + " BULWARK_PASSPHRASE=pg-test-passphrase ";
  const std::string bin = std::string(BULWARK_BINARY_DIR) + "/bulwark";
  ASSERT_EQ(std::system((env + bin + " init >/dev/null 2>&1").c_str()), 0);
  std::ofstream(d / "passphrase") << "pg-test-passphrase";
  Runtime rt = Runtime::System();
  auto token = GenerateApiToken(*rt.random, "writer", {"admin"}, std::nullopt);
  ASSERT_TRUE(token);
  std::ofstream(d / "tokens.yaml") << "tokens:\n" << token->entry_yaml << "\n";
  auto bytes = token->token.Reveal();
  const std::string bearer = "Bearer " + std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  for (const char* name : {"a", "b"}) {
    std::ofstream(d / fmt::format("server-{}.yaml", name)) << fmt::format(
        "listen: 127.0.0.1:0\nhome: {}\nstore: \"{}\"\naudit_store: \"{}\"\npassphrase_file: {}\n"
        "tls: {{cert: {}, key: {}}}\nauth: {{tokens_file: {}}}\n"
        "authorization: {{grants: [{{roles: [admin], actions: [\"*\"], resources: [\"*\"]}}]}}\n"
        "threads: {{io: 1, workers: 16}}\nlog: {{requests: false}}\n",
        home.string(), url, url, (d / "passphrase").string(), (d / "server.pem").string(),
        (d / "server.key").string(), (d / "tokens.yaml").string());
  }
  const std::vector<std::string> child_env = {"BULWARK_AUDIT_CHECKPOINT_EVERY=40"};
  // Started one after the other: the home's compliance history is a SQLite file (compliance.db)
  // whose tables the first server creates; two servers creating them at once find it locked.
  ServerProcess a(d / "server-a.yaml", d / "a.log", child_env);
  const std::uint16_t pa = a.WaitForPort();
  ServerProcess b(d / "server-b.yaml", d / "b.log", child_env);
  const std::uint16_t pb = b.WaitForPort();
  ASSERT_NE(pa, 0) << a.log();
  ASSERT_NE(pb, 0) << b.log();
  const ClientOptions co{.ca = d / "ca.pem"};
  auto call = [&](TestClient& c, const std::string& method, const std::string& target, const std::string& body = "") {
    auto r = c.Call(method, target, body, {{"Authorization", bearer}});
    return r ? *r : HttpResult{};
  };
  {
    auto c = TestClient::Connect(pa, co);
    ASSERT_TRUE(c) << c.error();
    auto put = call(**c, "PUT", "/v1/config/data/shared/counter", R"({"document": {"n": 0}})");
    ASSERT_EQ(put.status, 200u) << put.body;
  }

  // Writers alternate between the servers: read (value, version), write value+1 expecting that
  // version; a 409 means another writer got in between: read again and retry.
  constexpr int kWriters = 6, kIncrements = 15;
  std::atomic<int> conflicts{0}, failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto c = TestClient::Connect(w % 2 == 0 ? pa : pb, co);
      if (!c) {
        failures++;
        return;
      }
      for (int done = 0, tries = 0; done < kIncrements && tries < 2000; ++tries) {
        auto get = call(**c, "GET", "/v1/config/data/shared/counter");
        if (get.status != 200) {
          failures++;
          return;
        }
        auto j = json::parse(get.body);
        const int n = j["value"]["n"];
        const int version = j["info"]["version"];
        auto set = call(**c, "POST", "/v1/config/set/shared/counter",
                        json({{"path", "n"}, {"value", n + 1}, {"expected_version", version}}).dump());
        if (set.status == 200) {
          ++done;
        } else if (set.status == 409) {
          conflicts++;
        } else {
          failures++;
          return;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(conflicts.load(), 0) << "the writers never raced: the test did not exercise compare-and-set";
  auto ca = TestClient::Connect(pa, co);
  auto cb = TestClient::Connect(pb, co);
  ASSERT_TRUE(ca && cb);
  auto final_a = json::parse(call(**ca, "GET", "/v1/config/data/shared/counter").body);
  auto final_b = json::parse(call(**cb, "GET", "/v1/config/data/shared/counter").body);
  EXPECT_EQ(final_a["value"]["n"], kWriters * kIncrements);  // no update lost
  EXPECT_EQ(final_a["info"]["version"], 1 + kWriters * kIncrements);
  EXPECT_EQ(final_a, final_b);

  // Both servers publish checkpoints of the one tree; each verifies the whole log.
  EXPECT_EQ(call(**ca, "POST", "/v1/audit/checkpoint").status, 200u);
  auto more = call(**cb, "GET", "/v1/config/history/shared/counter");
  ASSERT_EQ(more.status, 200u);
  auto cp_b = call(**cb, "POST", "/v1/audit/checkpoint");
  ASSERT_EQ(cp_b.status, 200u) << cp_b.body;
  for (TestClient* c : {ca->get(), cb->get()}) {
    auto v = call(*c, "POST", "/v1/audit/verify");
    ASSERT_EQ(v.status, 200u) << v.body;
    EXPECT_EQ(json::parse(v.body)["clean"], true) << v.body;
  }
  // Events from both servers are in the one log: sources name each server's host, and the reads
  // of writers on both sides are there.
  auto events = json::parse(call(**ca, "GET", "/v1/audit/events?namespace=shared/counter&limit=1000").body);
  EXPECT_GE(events["events"].size(), static_cast<std::size_t>(2 * kWriters * kIncrements));
  ca->reset();
  cb->reset();
  EXPECT_EQ(a.Stop(), 0) << a.log();
  EXPECT_EQ(b.Stop(), 0) << b.log();
  // The CLI verifies the same database afterwards.
  const std::string verify = env + "BULWARK_AUDIT_STORE='" + url + "' " + bin + " audit verify >" +
                             (d / "verify.out").string() + " 2>&1";
  EXPECT_EQ(std::system(verify.c_str()), 0) << ReadAll(d / "verify.out");
}

}  // namespace
}  // namespace bulwark::server::testing
