// docs/rotation.md section 7 end to end: a PostgreSQL role's password rotated by `bulwark rotate`
// with the hooks of examples/rotation/postgres against the throwaway server of
// scripts/pg-test-server.sh (started by ctest as the store_pg_server fixture), whose pg_hba.conf
// requires SCRAM passwords for members of bulwark_password_auth: the old password stops working,
// the new one works, the revoke ends the sessions of the old one, and a verification that fails
// rolls the password back at the server too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <random>
#include <sstream>

#include "bulwark/cli/app.h"
#include "bulwark/testing/fake_runtime.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kInitial = "Initial-Pg-Pw-0815-abcdef";

std::string Port() {
  const char* p = std::getenv("BULWARK_PG_TEST_PORT");
  return p && *p ? p : "54329";
}
std::string AdminUrl() { return "postgresql://postgres@127.0.0.1:" + Port() + "/postgres"; }

// Runs `sql` as the superuser (trust on 127.0.0.1); true on success.
bool AdminSql(const std::string& sql) {
  const std::string cmd = "printf '%s\\n' \"" + sql + "\" | psql -X -q -v ON_ERROR_STOP=1 '" +
                          AdminUrl() + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Whether `role` can log in with `password` (SCRAM; the password in the environment of the
// child psql).
bool CanLogIn(const std::string& role, const std::string& password) {
  const std::string cmd = "psql -X -q -tA -w 'host=127.0.0.1 port=" + Port() +
                          " dbname=bulwark_test user=" + role + "' -c 'SELECT 1' >/dev/null 2>&1";
  ::setenv("PGPASSWORD", password.c_str(), 1);  // inherited by psql, not in any argv
  const bool ok = std::system(cmd.c_str()) == 0;
  ::unsetenv("PGPASSWORD");
  return ok;
}

class PgRotationTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    // As the other PostgreSQL tests: ctest starts the server (fixture store_pg_server), so a
    // server that is not there is a failure, not a skip.
    ASSERT_TRUE(AdminSql("SELECT 1"))
        << "the PostgreSQL test server at " << AdminUrl()
        << " is not running (ctest starts it; by hand: scripts/pg-test-server.sh start)";
    std::random_device rd;
    role_ = "rot_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 100000);
    ASSERT_TRUE(AdminSql("CREATE ROLE " + role_ + " LOGIN PASSWORD '" + kInitial +
                         "' IN ROLE bulwark_password_auth"));
    ASSERT_TRUE(AdminSql("GRANT CONNECT ON DATABASE bulwark_test TO " + role_));
    ::setenv("BULWARK_HOME", (dir_ / "home").c_str(), 1);
    ::setenv("BULWARK_PASSPHRASE", "it-passphrase-123", 1);
    ASSERT_EQ(Run({"init"}).exit_code, 0);
    ASSERT_EQ(Run({"set", "prod/payments", "database.password", "-", "--secret"}, kInitial).exit_code, 0);
  }
  void TearDown() override {
    if (!role_.empty()) {
      (void)AdminSql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role_ + "'");
      (void)AdminSql("DROP ROLE IF EXISTS " + role_);
    }
    ::unsetenv("BULWARK_HOME");
    ::unsetenv("BULWARK_PASSPHRASE");
  }

  CliResult Run(const std::vector<std::string>& args, const std::string& in = "") {
    std::istringstream input(in);
    std::ostringstream out, err;
    cli::CliOptions options;
    options.clock = clock_;
    CliResult r;
    r.exit_code = cli::RunCli(args, {input, out, err, false}, options);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  std::string Reveal() {
    auto r = Run({"secret", "get", "prod/payments", "database.password", "--reveal"});
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
  }

  // examples/rotation/postgres/metadata.yaml with the hooks of the repository, this server and
  // this test's role (`verify_role` is the role the verification logs in as).
  std::string Metadata(const std::string& verify_role) {
    const std::string ex = RepoPath("examples/rotation/postgres").string();
    const std::string admin = "{BULWARK_PG_ADMIN_URL: \"" + AdminUrl() + "\", BULWARK_PG_ROLE: " + role_ + "}";
    return Write("metadata.yaml",
                 "type: password\n"
                 "owner: team-payments\n"
                 "rotation:\n"
                 "  interval: 30d\n"
                 "  grace: 24h\n"
                 // Every password has a ':' (pg-verify.sh must escape it in its passfile).
                 "  strategy: {kind: password, length: 32, symbols: \":\"}\n"
                 "  apply: {command: [" + ex + "/pg-apply.sh], env: " + admin + "}\n"
                 "  verify:\n"
                 "    command: [" + ex + "/pg-verify.sh]\n"
                 "    env: {BULWARK_PG_HOST: 127.0.0.1, BULWARK_PG_PORT: \"" + Port() +
                 "\", BULWARK_PG_DB: bulwark_test, BULWARK_PG_ROLE: " + verify_role + "}\n"
                 "    attempts: 2\n"
                 "    interval: 1s\n"
                 "  revoke: {command: [" + ex + "/pg-revoke.sh], env: " + admin + "}\n");
  }

  std::shared_ptr<FakeClock> clock_ =
      std::make_shared<FakeClock>(TimePoint(std::chrono::duration_cast<TimePoint::duration>(
          std::chrono::system_clock::now().time_since_epoch())));
  std::string role_;
};

TEST_F(PgRotationTest, RotatesTheRolesPasswordVerifiesALoginAndRevokes) {
  ASSERT_TRUE(CanLogIn(role_, kInitial));
  auto meta = Run({"secret", "meta", "prod/payments", "database.password", "--from", Metadata(role_)});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;

  auto rot = Run({"rotate", "prod/payments", "database.password"});
  ASSERT_EQ(rot.exit_code, 0) << rot.out << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("in grace"));
  const std::string fresh = Reveal();
  ASSERT_EQ(fresh.size(), 32u);
  EXPECT_NE(fresh.find(':'), std::string::npos);
  EXPECT_TRUE(CanLogIn(role_, fresh));     // ALTER ROLE through pg-apply.sh
  EXPECT_FALSE(CanLogIn(role_, kInitial));  // the old password no longer works
  EXPECT_THAT(rot.out, ::testing::Not(HasSubstr(fresh)));
  EXPECT_THAT(rot.err, ::testing::Not(HasSubstr(fresh)));

  // After the grace the revoke hook (pg-revoke.sh) ends the role's older sessions.
  clock_->Advance(std::chrono::hours(25));
  auto due = Run({"rotate", "due"});
  EXPECT_EQ(due.exit_code, 0) << due.out << due.err;
  EXPECT_THAT(due.out, HasSubstr("resumed  done"));
  EXPECT_TRUE(CanLogIn(role_, fresh));
  auto show = Run({"secret", "show", "prod/payments", "database.password"});
  EXPECT_THAT(show.out, HasSubstr(" rotated (version "));
  const std::string audit = ReadText(dir_ / "home" / "audit.db");
  EXPECT_EQ(audit.find(fresh), std::string::npos);
  EXPECT_EQ(audit.find(kInitial), std::string::npos);
}

TEST_F(PgRotationTest, AFailedVerificationRollsThePasswordBackAtTheServer) {
  // The verification logs in as a role that does not exist: it fails, so the rotation rolls back.
  auto meta = Run({"secret", "meta", "prod/payments", "database.password", "--from",
                   Metadata(role_ + "_missing")});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  auto rot = Run({"rotate", "prod/payments", "database.password"});
  EXPECT_EQ(rot.exit_code, 1) << rot.out << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("ROLLED BACK"));
  EXPECT_THAT(rot.out, HasSubstr("verification failed after 2 attempt(s)"));
  EXPECT_EQ(Reveal(), kInitial);
  EXPECT_TRUE(CanLogIn(role_, kInitial));  // pg-apply.sh reinstalled the old password
}

}  // namespace
}  // namespace bulwark::testing
