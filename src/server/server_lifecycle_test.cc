// The server's lifecycle surface through the real composition (ServerApp over a home made by
// `bulwark init`, on a fake clock): GET /v1/sys/status (authenticated; /v1/sys/health stays
// minimal and public), POST /v1/rotate/due, POST /v1/secrets/rotate/{ns}, and the rotation
// scheduler of server.yaml `rotation.schedule`, driven through ServeHooks::scheduler_wait so that
// no test waits for wall-clock time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "bulwark/cli/app.h"
#include "bulwark/server/api_tokens.h"
#include "bulwark/server/serve.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"
#include "server/server_fixture_for_test.h"

namespace bulwark::server::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kInitial = "Initial-Server-Pw-0815-xyz";

class ServerLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCertificates(d_);
    ASSERT_FALSE(HasFatalFailure());
    ::setenv("BULWARK_HOME", (d_ / "home").c_str(), 1);
    ::setenv("BULWARK_PASSPHRASE", "server-lc-passphrase", 1);
    ASSERT_EQ(Cli({"init"}), 0);
    ASSERT_EQ(Cli({"set", "prod/db", "password", "-", "--secret"}, kInitial), 0);
    std::ofstream(d_ / "meta.yaml") << "type: password\nrotation:\n  grace: 0s\n"
                                       "  verify: {command: [/bin/sh, -c, 'cat > /dev/null'], attempts: 1}\n";
    ASSERT_EQ(Cli({"secret", "meta", "prod/db", "password", "--from", (d_ / "meta.yaml").string()}), 0);
    Runtime rt = Runtime::System();
    auto token = GenerateApiToken(*rt.random, "ops", {"admin"}, std::nullopt);
    ASSERT_TRUE(token);
    std::ofstream(d_ / "tokens.yaml") << "tokens:\n" << token->entry_yaml << "\n";
    auto bytes = token->token.Reveal();
    bearer_ = "Bearer " + std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::ofstream(d_ / "server.yaml") << fmt::format(
        "listen: 127.0.0.1:0\nhome: {}\n"
        "tls: {{cert: {}, key: {}}}\nauth: {{tokens_file: {}}}\n"
        "authorization: {{grants: [{{roles: [admin], actions: [\"*\"], resources: [\"*\"]}},\n"
        "  {{principals: [\"scheduler:rotation\"], actions: [\"*\"], resources: [\"*\"]}}]}}\n"
        "rotation: {{schedule: 1h}}\n"
        "log: {{requests: false}}\n",
        (d_ / "home").string(), (d_ / "server.pem").string(), (d_ / "server.key").string(),
        (d_ / "tokens.yaml").string());
  }
  void StopHook() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  void TearDown() override {
    if (app_) {
      StopHook();
      EXPECT_TRUE(app_->Close().has_value());
    }
    ::unsetenv("BULWARK_HOME");
    ::unsetenv("BULWARK_PASSPHRASE");
  }

  int Cli(const std::vector<std::string>& args, const std::string& in = "") {
    std::istringstream input(in);
    std::ostringstream out, err;
    cli::CliOptions o;
    o.clock = clock_;
    const int code = cli::RunCli(args, {input, out, err, false}, o);
    cli_out_ = out.str() + err.str();
    return code;
  }

  // Opens and starts the server; the scheduler waits for Tick() before each run.
  void Start() {
    auto cfg = LoadServerConfig(*Runtime::System().fs, d_ / "server.yaml");
    ASSERT_TRUE(cfg) << cfg.error();
    ASSERT_TRUE(cfg->rotation_schedule.has_value());
    EXPECT_EQ(*cfg->rotation_schedule, std::chrono::hours(1));
    ServeHooks hooks;
    hooks.runtime.clock = clock_;
    hooks.log = [this](std::string_view line) {
      std::lock_guard l(mu_);
      log_ += std::string(line) + "\n";
    };
    hooks.scheduler_wait = [this](std::chrono::seconds every) {
      std::unique_lock l(mu_);
      waited_ = every;
      cv_.wait(l, [this] { return ticks_ > 0 || stop_; });
      if (stop_) return false;
      --ticks_;
      return true;
    };
    auto app = ServerApp::Open(std::move(*cfg), std::move(hooks));
    ASSERT_TRUE(app) << app.error();
    app_ = std::move(*app);
    ASSERT_TRUE(app_->server().Start());
  }

  void Tick() {
    {
      std::lock_guard l(mu_);
      ++ticks_;
    }
    cv_.notify_all();
  }
  // Waits (on the scheduler's progress, not on time) until it completed `n` runs.
  bool WaitForRuns(std::uint64_t n) {
    for (int i = 0; i < 6000 && app_->scheduled_runs() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return app_->scheduled_runs() >= n;
  }

  HttpResult Call(const std::string& method, const std::string& target, const std::string& body = "",
                  bool auth = true) {
    auto c = TestClient::Connect(app_->server().port(), ClientOptions{.ca = d_ / "ca.pem"});
    EXPECT_TRUE(c) << c.error();
    if (!c) return {};
    std::vector<std::pair<std::string, std::string>> h;
    if (auth) h.push_back({"Authorization", bearer_});
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    auto r = (*c)->Call(method, target, body, h);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : HttpResult{};
  }

  std::string Reveal() {
    if (Cli({"secret", "get", "prod/db", "password", "--reveal"}) != 0) return "";
    return cli_out_.substr(0, cli_out_.find('\n'));
  }

  bulwark::testing::TempDir tmp_{"bulwark-server-lc"};
  const fs::path d_ = tmp_.path();
  std::shared_ptr<bulwark::testing::FakeClock> clock_ =
      std::make_shared<bulwark::testing::FakeClock>(TimePoint(std::chrono::duration_cast<TimePoint::duration>(
          std::chrono::system_clock::now().time_since_epoch())));
  std::string bearer_, cli_out_;
  std::unique_ptr<ServerApp> app_;
  std::mutex mu_;
  std::condition_variable cv_;
  int ticks_ = 0;
  bool stop_ = false;
  std::chrono::seconds waited_{0};
  std::string log_;
};

TEST_F(ServerLifecycleTest, StatusIsAuthenticatedAndSummarizesWithoutValues) {
  Start();
  ASSERT_TRUE(app_);
  auto health = Call("GET", "/v1/sys/health", "", false);
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  EXPECT_EQ(Call("GET", "/v1/sys/status", "", false).status, 401u);

  auto ok = Call("GET", "/v1/sys/status");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  auto j = nlohmann::json::parse(ok.body);
  EXPECT_EQ(j["healthy"], true) << ok.body;
  EXPECT_TRUE(j["keys"].contains("primary_age_seconds")) << ok.body;
  EXPECT_TRUE(j.contains("audit"));
  EXPECT_EQ(j["secrets"]["tracked"], 1);

  // 31 days later the password is due for rotation: named with its date, never its value.
  clock_->Advance(std::chrono::days(31));
  auto due = Call("GET", "/v1/sys/status?within=7d");
  ASSERT_EQ(due.status, 200u) << due.body;
  EXPECT_THAT(due.body, HasSubstr("prod/db"));
  EXPECT_THAT(due.body, HasSubstr("password"));
  EXPECT_THAT(due.body, Not(HasSubstr(kInitial)));
  auto dj = nlohmann::json::parse(due.body);
  ASSERT_EQ(dj["secrets"]["attention"].size(), 1u);
  EXPECT_EQ(dj["secrets"]["attention"][0]["status"], "due");  // rotatable: due, not overdue
  EXPECT_TRUE(dj["secrets"]["attention"][0].contains("when"));
  EXPECT_GE(dj["keys"]["primary_age_seconds"].get<std::int64_t>(), 31 * 86400);
  EXPECT_EQ(Call("GET", "/v1/sys/status?within=soon").status, 400u);

  auto spec = Call("GET", "/v1/openapi.json", "", false);
  EXPECT_THAT(spec.body, HasSubstr("\"/v1/sys/status\""));
  EXPECT_THAT(spec.body, HasSubstr("\"/v1/rotate/due\""));
  EXPECT_THAT(spec.body, HasSubstr("\"/v1/secrets/rotate/{namespace}\""));
}

TEST_F(ServerLifecycleTest, RotateRoutesRunThroughTheLifecycle) {
  Start();
  ASSERT_TRUE(app_);
  clock_->Advance(std::chrono::days(31));
  auto dry = Call("POST", "/v1/rotate/due", R"({"dry_run": true})");
  ASSERT_EQ(dry.status, 200u) << dry.body;
  auto dj = nlohmann::json::parse(dry.body);
  ASSERT_EQ(dj["items"].size(), 1u);
  EXPECT_EQ(dj["items"][0]["outcome"], "would");
  EXPECT_EQ(Reveal(), kInitial);

  EXPECT_EQ(Call("POST", "/v1/secrets/rotate/prod/db", R"({"path": "password", "emergency": true})").status,
            400u);
  auto rot = Call("POST", "/v1/secrets/rotate/prod/db",
                  R"({"path": "password", "emergency": true, "reason": "leaked in a log"})");
  ASSERT_EQ(rot.status, 200u) << rot.body;
  EXPECT_EQ(nlohmann::json::parse(rot.body)["state"], "done");
  const std::string fresh = Reveal();
  EXPECT_NE(fresh, kInitial);
  EXPECT_THAT(rot.body, Not(HasSubstr(fresh)));
  EXPECT_EQ(Call("POST", "/v1/secrets/rotate/prod/nope", R"({"path": "password"})").status, 404u);

  // A move carries the metadata along: the secret rotates under its new name.
  auto mv = Call("POST", "/v1/config/move", R"({"from": "prod/db", "to": "prod/db2"})");
  ASSERT_EQ(mv.status, 200u) << mv.body;
  auto moved = Call("POST", "/v1/secrets/rotate/prod/db2",
                    R"({"path": "password", "emergency": true, "reason": "after the move"})");
  EXPECT_EQ(moved.status, 200u) << moved.body;
  EXPECT_EQ(Call("POST", "/v1/secrets/rotate/prod/db", R"({"path": "password"})").status, 404u);
}

TEST_F(ServerLifecycleTest, TheSchedulerRotatesWhatIsDueOnItsIntervalAndStopsAtClose) {
  Start();
  ASSERT_TRUE(app_);
  // Nothing due yet: a run changes nothing.
  Tick();
  ASSERT_TRUE(WaitForRuns(1));
  EXPECT_EQ(waited_, std::chrono::hours(1));
  EXPECT_EQ(Reveal(), kInitial);
  // Due: the next run rotates it, as the scheduler's principal.
  clock_->Advance(std::chrono::days(31));
  Tick();
  ASSERT_TRUE(WaitForRuns(2));
  EXPECT_NE(Reveal(), kInitial);
  {
    std::lock_guard l(mu_);
    EXPECT_THAT(log_, HasSubstr("scheduled rotation: 1 item(s), 0 failed"));
  }
  ASSERT_EQ(Cli({"audit", "log", "--actor", "scheduler:rotation", "--operation", "secret.due", "--json"}), 0)
      << cli_out_;
  EXPECT_THAT(cli_out_, HasSubstr("secret.due"));
  // Close stops the waiting scheduler; after Close a run is refused.
  StopHook();
  ASSERT_TRUE(app_->Close().has_value());
  EXPECT_FALSE(app_->RunScheduledRotation().has_value());
}

TEST(ServerConfigRotationTest, ScheduleErrorsNameTheField) {
  bulwark::testing::TempDir tmp("bulwark-server-lc-cfg");
  auto load = [&](const std::string& rotation) {
    std::ofstream(tmp.path() / "s.yaml") << "home: /tmp/h\ntls: {cert: c.pem, key: k.pem}\n" << rotation;
    return LoadServerConfig(*Runtime::System().fs, tmp.path() / "s.yaml");
  };
  EXPECT_FALSE(load("")->rotation_schedule.has_value());
  auto bad = load("rotation: {schedule: soon}\n");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("rotation.schedule"));
  auto fast = load("rotation: {schedule: 10s}\n");
  ASSERT_FALSE(fast);
  EXPECT_THAT(fast.error().message(), HasSubstr("at least 1m"));
  auto unknown = load("rotation: {schedule: 1h, every: 2}\n");
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message(), HasSubstr("rotation"));
  auto ok = load("rotation: {schedule: 6h, principal: \"svc:rotator\", roles: [rotator]}\n");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(*ok->rotation_schedule, std::chrono::hours(6));
  EXPECT_EQ(ok->rotation_principal, "svc:rotator");
  EXPECT_EQ(ok->rotation_roles, std::vector<std::string>{"rotator"});
}

// `bulwark --server ... status | rotate due | rotate NS PATH` print what the local commands print,
// from the routes above.
TEST_F(ServerLifecycleTest, TheCliReachesStatusAndRotationThroughTheServer) {
  Start();
  ASSERT_TRUE(app_);
  std::ofstream(d_ / "ops.token") << bearer_.substr(std::string("Bearer ").size()) << "\n";
  auto remote = [&](std::vector<std::string> args) {
    std::vector<std::string> full = {"--server", fmt::format("https://127.0.0.1:{}", app_->server().port()),
                                     "--ca", (d_ / "ca.pem").string(), "--token-file", (d_ / "ops.token").string()};
    full.insert(full.end(), args.begin(), args.end());
    std::istringstream input;
    std::ostringstream out, err;
    const int code = cli::RunCli(full, {input, out, err, false});
    return std::make_tuple(code, out.str(), err.str());
  };
  auto [code, out, err] = remote({"status", "--within", "7d"});
  EXPECT_EQ(code, out.starts_with("healthy\n") ? 0 : 1) << out << err;
  EXPECT_THAT(out, HasSubstr("\nkeys:    1 key(s), primary version 1 created "));
  EXPECT_THAT(out, HasSubstr("\nsecrets: 1 tracked, 0 due or expiring within 7d, 0 overdue, 0 failed, 0 rotating\n"));
  EXPECT_THAT(out, HasSubstr("\naudit:   "));
  auto [jcode, jout, jerr] = remote({"status", "--json"});
  auto j = nlohmann::json::parse(jout, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << jout << jerr;
  EXPECT_EQ(j["secrets"]["tracked"], 1);
  EXPECT_EQ(jcode, j["healthy"].get<bool>() ? 0 : 1);
  auto [bad_code, bad_out, bad_err] = remote({"status", "--within", "soon"});
  EXPECT_EQ(bad_code, 2);
  EXPECT_THAT(bad_err, HasSubstr("--within"));

  // `secrets due` over the status route: the same lines and JSON as the local command.
  auto [sd_code, sd_out, sd_err] = remote({"secrets", "due", "--within", "400d"});
  EXPECT_EQ(sd_code, 0) << sd_out << sd_err;
  EXPECT_THAT(sd_out, ::testing::MatchesRegex("ok +[^ ]+ prod/db password\n"));
  auto [sj_code, sj_out, sj_err] = remote({"secrets", "due", "--within", "400d", "--json"});
  ASSERT_EQ(sj_code, 0) << sj_err;
  auto sj = nlohmann::json::parse(sj_out, nullptr, false);
  ASSERT_FALSE(sj.is_discarded()) << sj_out;
  ASSERT_EQ(sj.size(), 1u) << sj_out;
  EXPECT_EQ(sj[0]["namespace"], "prod/db");
  EXPECT_EQ(sj[0]["path"], "password");
  EXPECT_EQ(sj[0]["type"], "password");
  EXPECT_TRUE(sj[0]["when"].is_string());
  auto [none_code, none_out, none_err] = remote({"secrets", "due", "--within", "1s"});
  EXPECT_EQ(none_code, 0) << none_err;
  EXPECT_EQ(none_out, "nothing due, expiring or overdue within 1s\n");
  EXPECT_EQ(std::get<0>(remote({"secrets", "due", "--within", "soon"})), 2);

  auto [due_code, due_out, due_err] = remote({"rotate", "due", "--dry-run"});
  EXPECT_EQ(due_code, 0) << due_out << due_err;
  EXPECT_EQ(due_out, "nothing due\n");

  auto [no_reason, nr_out, nr_err] = remote({"rotate", "prod/db", "password", "--emergency"});
  EXPECT_EQ(no_reason, 2);
  EXPECT_THAT(nr_err, HasSubstr("--reason"));
  auto [rcode, rout, rerr] = remote({"rotate", "prod/db", "password", "--emergency", "--reason", "leaked in a log"});
  ASSERT_EQ(rcode, 0) << rout << rerr;
  EXPECT_THAT(rout, ::testing::MatchesRegex("prod/db password: rotation [^ ]+ done: version [0-9]+ is current, "
                                            "the previous value is retired\n"));
  const std::string now = Reveal();
  EXPECT_NE(now, kInitial);
  EXPECT_FALSE(now.empty());
  EXPECT_THAT(rout + rerr, Not(HasSubstr(now)));
  auto [jr, jrout, jrerr] = remote({"rotate", "prod/db", "password", "--emergency", "--reason", "again", "--json"});
  ASSERT_EQ(jr, 0) << jrerr;
  auto rj = nlohmann::json::parse(jrout, nullptr, false);
  ASSERT_FALSE(rj.is_discarded()) << jrout;
  EXPECT_EQ(rj["namespace"], "prod/db");
  EXPECT_EQ(rj["path"], "password");
  EXPECT_EQ(rj["state"], "done");
  auto [missing, m_out, m_err] = remote({"rotate", "prod/none", "password", "--emergency", "--reason", "x"});
  EXPECT_EQ(missing, 4) << m_out << m_err;
}

}  // namespace
}  // namespace bulwark::server::testing
