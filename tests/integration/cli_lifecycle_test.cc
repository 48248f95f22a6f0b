// bulwark secret meta|show|get, secrets due, rotate NS PATH, rotate due, status end to end
// (docs/rotation.md section 6), in-process with a fake clock so that due dates and grace periods
// are crossed without waiting. Bad input names the flag, file line or field and exits 2 (3, 4, 5
// as core/error.h says) without changing what is stored; no secret value appears in any output
// that was not asked to reveal it, nor in the audit log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <sstream>

#include "bulwark/cli/app.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/testing/fake_runtime.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kInitial = "Initial-Db-Pw-4711";

class LifecycleCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ::setenv("BULWARK_HOME", (dir_ / "home").c_str(), 1);
    ::setenv("BULWARK_PASSPHRASE", "it-passphrase-123", 1);
    ASSERT_EQ(Run({"init"}).exit_code, 0);
    auto set = Run({"set", "prod/db", "password", "-", "--secret"}, kInitial);
    ASSERT_EQ(set.exit_code, 0) << set.err;
    ASSERT_EQ(Run({"set", "prod/db", "host", "db1"}).exit_code, 0);
  }
  void TearDown() override {
    ::unsetenv("BULWARK_HOME");
    ::unsetenv("BULWARK_PASSPHRASE");
  }

  // Runs the CLI in-process on the fake clock; every output is kept for the leak check.
  CliResult Run(const std::vector<std::string>& args, const std::string& in = "") {
    std::istringstream input(in);
    std::ostringstream out, err;
    cli::CliOptions options;
    options.clock = clock_;
    CliResult r;
    r.exit_code = cli::RunCli(args, {input, out, err, false}, options);
    r.out = out.str();
    r.err = err.str();
    const bool revealing = std::find(args.begin(), args.end(), "--reveal") != args.end();
    if (!revealing) outputs_ += r.out + r.err;
    return r;
  }

  std::string Reveal(bool previous = false) {
    std::vector<std::string> args = {"secret", "get", "prod/db", "password", "--reveal"};
    if (previous) args.push_back("--previous");
    auto r = Run(args);
    if (r.exit_code != 0) return "";
    return r.out.substr(0, r.out.find('\n'));
  }

  // Hooks that record what they were given (a test may look at values; Bulwark's outputs may not).
  std::string Hooks(const std::string& verify_exit) {
    const std::string d = dir_.string();
    return "rotation:\n"
           "  apply: {command: [/bin/sh, -c, 'cat > " + d + "/applied']}\n"
           "  verify: {command: [/bin/sh, -c, 'cat > /dev/null; exit " + verify_exit +
           "'], attempts: 1}\n"
           "  revoke: {command: [/bin/sh, -c, 'cat > " + d + "/revoked']}\n";
  }

  // No value ever written appears in non-revealing output or in the audit log's bytes.
  void ExpectNoLeak(const std::vector<std::string>& values) {
    const std::string audit = ReadText(dir_ / "home" / "audit.db");
    ASSERT_FALSE(audit.empty());
    for (const auto& v : values) {
      ASSERT_GE(v.size(), 16u);
      EXPECT_THAT(outputs_, Not(HasSubstr(v)));
      EXPECT_EQ(audit.find(v), std::string::npos) << "a value in the audit log";
    }
  }

  std::shared_ptr<FakeClock> clock_ =
      std::make_shared<FakeClock>(TimePoint(std::chrono::duration_cast<TimePoint::duration>(
          std::chrono::system_clock::now().time_since_epoch())));
  std::string outputs_;
};

TEST_F(LifecycleCliTest, MetadataScheduleAndARotationWhenDue) {
  auto meta = Run({"secret", "meta", "prod/db", "password", "--type", "password", "--owner", "team-db",
                   "--tag", "pg", "--tag", "prod", "--grace", "0s"});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  EXPECT_THAT(meta.out, HasSubstr("type:        password"));
  EXPECT_THAT(meta.out, HasSubstr("every 30d, grace 0s"));
  EXPECT_THAT(meta.out, HasSubstr("tags:        pg, prod"));

  auto show = Run({"secret", "show", "prod/db", "password", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto j = nlohmann::json::parse(show.out);
  EXPECT_EQ(j["secret"]["type"], "password");
  EXPECT_EQ(j["secret"]["owner"], "team-db");
  EXPECT_EQ(j["secret"]["rotation"]["interval"], "30d");  // as written, not 4w2d
  EXPECT_EQ(j["secret"]["rotation"]["strategy"]["kind"], "password");

  // Due in 30 days: upcoming within the default horizon, nothing within a week.
  auto upcoming = Run({"secrets", "due"});
  EXPECT_EQ(upcoming.exit_code, 0) << upcoming.err;
  EXPECT_THAT(upcoming.out, HasSubstr("upcoming"));
  EXPECT_THAT(upcoming.out, HasSubstr("prod/db password"));
  auto week = Run({"secrets", "due", "--within", "7d"});
  EXPECT_EQ(week.exit_code, 0);
  EXPECT_THAT(week.out, HasSubstr("nothing due"));
  EXPECT_THAT(Run({"rotate", "due"}).out, HasSubstr("nothing due"));

  clock_->Advance(std::chrono::days(31));
  auto due = Run({"secrets", "due", "--json"});
  EXPECT_EQ(due.exit_code, 0) << due.err;
  auto dj = nlohmann::json::parse(due.out);
  ASSERT_EQ(dj.size(), 1u);
  EXPECT_EQ(dj[0]["status"], "due");

  auto dry = Run({"rotate", "due", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("rotated  would"));
  EXPECT_EQ(Reveal(), kInitial);  // a dry run changes nothing

  auto run = Run({"rotate", "due"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("rotated  done"));
  const std::string fresh = Reveal();
  EXPECT_EQ(fresh.size(), 32u);
  EXPECT_NE(fresh, kInitial);

  auto after = Run({"secret", "show", "prod/db", "password"});
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_THAT(after.out, HasSubstr(" rotated (version "));
  EXPECT_THAT(Run({"secrets", "due", "--within", "7d"}).out, HasSubstr("nothing due"));

  auto log = Run({"audit", "log", "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  for (const char* op : {"secret.meta", "secret.show", "secret.list", "secret.due",
                         "secret.rotation.pre_rotation", "secret.rotation.generate",
                         "secret.rotation.verification", "secret.rotation.revoke",
                         "secret.rotation.post_rotation"}) {
    EXPECT_THAT(log.out, HasSubstr(std::string("\"") + op + "\"")) << op;
  }
  ExpectNoLeak({kInitial, fresh});
}

TEST_F(LifecycleCliTest, GraceServesCurrentAndPreviousThenRevokes) {
  const auto meta_file = Write("meta.yaml", "type: password\nowner: team-db\n" + Hooks("0"));
  auto meta = Run({"secret", "meta", "prod/db", "password", "--from", meta_file});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  EXPECT_THAT(meta.out, HasSubstr("apply:       /bin/sh -c"));

  auto rot = Run({"rotate", "prod/db", "password"});
  ASSERT_EQ(rot.exit_code, 0) << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("in grace"));
  const std::string fresh = Reveal();
  EXPECT_NE(fresh, kInitial);
  EXPECT_EQ(Reveal(/*previous=*/true), kInitial);
  EXPECT_EQ(ReadText(dir_ / "applied"), fresh);  // the apply hook got the new value on stdin
  // Without --reveal the previous value is redacted.
  auto redacted = Run({"secret", "get", "prod/db", "password", "--previous"});
  EXPECT_EQ(redacted.exit_code, 0) << redacted.err;
  EXPECT_THAT(redacted.out, Not(HasSubstr(kInitial)));

  auto status = Run({"status", "--json"});
  auto sj = nlohmann::json::parse(status.out);
  EXPECT_EQ(sj["secrets"]["rotating"], 1);

  // A second rotate before the grace ends resumes and waits.
  auto again = Run({"rotate", "prod/db", "password", "--json"});
  EXPECT_EQ(again.exit_code, 0);
  auto aj = nlohmann::json::parse(again.out);
  EXPECT_EQ(aj["state"], "in_grace");
  EXPECT_TRUE(aj["resumed"].get<bool>());

  clock_->Advance(std::chrono::hours(25));
  auto due = Run({"rotate", "due"});
  EXPECT_EQ(due.exit_code, 0) << due.err;
  EXPECT_THAT(due.out, HasSubstr("resumed  done"));
  EXPECT_EQ(ReadText(dir_ / "revoked"), kInitial);  // the revoke hook got the old value
  auto gone = Run({"secret", "get", "prod/db", "password", "--previous", "--reveal"});
  EXPECT_EQ(gone.exit_code, 4);
  EXPECT_THAT(gone.err, HasSubstr("no previous value"));
  EXPECT_EQ(Reveal(), fresh);
  ExpectNoLeak({kInitial, fresh});
}

TEST_F(LifecycleCliTest, AFailedVerificationRollsBackExitsOneAndIsAudited) {
  const auto meta_file = Write("meta.yaml", "type: password\n" + Hooks("1"));
  ASSERT_EQ(Run({"secret", "meta", "prod/db", "password", "--from", meta_file}).exit_code, 0);
  auto rot = Run({"rotate", "prod/db", "password"});
  EXPECT_EQ(rot.exit_code, 1) << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("ROLLED BACK"));
  EXPECT_THAT(rot.out, HasSubstr("verification failed after 1 attempt(s)"));
  EXPECT_EQ(Reveal(), kInitial);
  const std::string tried = ReadText(dir_ / "applied");
  EXPECT_EQ(tried, kInitial);  // reinstalled at its source by the rollback
  auto log = Run({"audit", "log", "--json"});
  EXPECT_THAT(log.out, HasSubstr("secret.rotation.verification"));
  EXPECT_THAT(log.out, HasSubstr("secret.rotation.rollback"));
  auto show = Run({"secret", "show", "prod/db", "password"});
  EXPECT_THAT(show.out, HasSubstr("rolled_back"));
  EXPECT_THAT(show.out, HasSubstr("failed rotations in a row: 1"));
  ExpectNoLeak({kInitial});
}

TEST_F(LifecycleCliTest, EmergencyRotationNeedsAReasonAndRevokesAtOnce) {
  ASSERT_EQ(Run({"secret", "meta", "prod/db", "password", "--from",
                 Write("meta.yaml", "type: password\n" + Hooks("0"))})
                .exit_code,
            0);
  auto no_reason = Run({"rotate", "prod/db", "password", "--emergency"});
  EXPECT_EQ(no_reason.exit_code, 2);
  EXPECT_THAT(no_reason.err, HasSubstr("--reason"));
  auto stray = Run({"rotate", "prod/db", "password", "--reason", "why"});
  EXPECT_EQ(stray.exit_code, 2);
  EXPECT_THAT(stray.err, HasSubstr("--reason: only with --emergency"));
  EXPECT_EQ(Reveal(), kInitial);

  auto rot = Run({"rotate", "prod/db", "password", "--emergency", "--reason", "leaked in a CI log"});
  ASSERT_EQ(rot.exit_code, 0) << rot.err;
  EXPECT_THAT(rot.out, HasSubstr("done"));
  EXPECT_EQ(ReadText(dir_ / "revoked"), kInitial);
  EXPECT_EQ(Run({"secret", "get", "prod/db", "password", "--previous"}).exit_code, 4);
  auto log = Run({"audit", "log", "--json"});
  EXPECT_THAT(log.out, HasSubstr("emergency: leaked in a CI log"));
  const std::string fresh = Reveal();
  ExpectNoLeak({kInitial, fresh});
}

TEST_F(LifecycleCliTest, BadInputNamesTheFlagFileLineOrFieldAndChangesNothing) {
  ASSERT_EQ(Run({"secret", "meta", "prod/db", "password", "--type", "password", "--owner", "a"}).exit_code, 0);
  const std::string before = Run({"secret", "show", "prod/db", "password", "--json"}).out;

  auto interval = Run({"secret", "meta", "prod/db", "password", "--interval", "3x"});
  EXPECT_EQ(interval.exit_code, 2);
  EXPECT_THAT(interval.err, HasSubstr("--interval"));
  auto type = Run({"secret", "meta", "prod/db", "password", "--type", "bogus"});
  EXPECT_EQ(type.exit_code, 2);
  EXPECT_THAT(type.err, HasSubstr("--type"));
  auto expires = Run({"secret", "meta", "prod/db", "password", "--expires", "tomorrow"});
  EXPECT_EQ(expires.exit_code, 2);
  EXPECT_THAT(expires.err, HasSubstr("--expires"));
  auto strategy = Run({"secret", "meta", "prod/db", "password", "--strategy", "dice"});
  EXPECT_EQ(strategy.exit_code, 2);
  EXPECT_THAT(strategy.err, HasSubstr("--strategy"));
  auto retries = Run({"secret", "meta", "prod/db", "password", "--max-retries", "-1"});
  EXPECT_EQ(retries.exit_code, 2);
  EXPECT_THAT(retries.err, HasSubstr("--max-retries"));

  const auto bad = Write("bad.yaml", "type: password\nrotation:\n  grace: forever\n");
  auto file = Run({"secret", "meta", "prod/db", "password", "--from", bad});
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_THAT(file.err, HasSubstr("bad.yaml:3"));
  EXPECT_THAT(file.err, HasSubstr("rotation.grace"));
  const auto unknown = Write("unknown.yaml", "type: password\nowners: [x]\n");
  auto field = Run({"secret", "meta", "prod/db", "password", "--from", unknown});
  EXPECT_EQ(field.exit_code, 2);
  EXPECT_THAT(field.err, HasSubstr("owners"));
  auto missing = Run({"secret", "meta", "prod/db", "password", "--from", (dir_ / "nope.yaml").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("nope.yaml"));

  auto plain = Run({"secret", "meta", "prod/db", "host", "--type", "password"});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_THAT(plain.err, HasSubstr("not a sensitive value"));
  auto untracked = Run({"secret", "show", "prod/db", "other"});
  EXPECT_EQ(untracked.exit_code, 4);
  EXPECT_THAT(untracked.err, HasSubstr("bulwark secret meta prod/db other"));
  auto whole = Run({"secret", "show", "prod/db", ""});
  EXPECT_EQ(whole.exit_code, 2);
  EXPECT_THAT(whole.err, HasSubstr("PATH"));
  auto bare = Run({"rotate"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_THAT(bare.err, HasSubstr("NAMESPACE and PATH"));
  auto within = Run({"secrets", "due", "--within", "soon"});
  EXPECT_EQ(within.exit_code, 2);
  EXPECT_THAT(within.err, HasSubstr("--within"));
  auto cert = Run({"secret", "meta", "prod/db", "password", "--type", "certificate"});
  ASSERT_EQ(cert.exit_code, 0) << cert.err;
  auto nostrategy = Run({"rotate", "prod/db", "password"});
  EXPECT_EQ(nostrategy.exit_code, 2);
  EXPECT_THAT(nostrategy.err, HasSubstr("no rotation strategy"));

  // The failed commands left the stored metadata as it was (the certificate change aside).
  auto now = nlohmann::json::parse(Run({"secret", "show", "prod/db", "password", "--json"}).out);
  auto was = nlohmann::json::parse(before);
  EXPECT_EQ(now["secret"]["owner"], was["secret"]["owner"]);
  EXPECT_EQ(Reveal(), kInitial);
  ExpectNoLeak({kInitial});
}

TEST_F(LifecycleCliTest, ExpiredAndOverdueSecretsMakeStatusAndDueExitOne) {
  auto healthy = Run({"status"});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.out << healthy.err;
  EXPECT_THAT(healthy.out, HasSubstr("healthy"));
  EXPECT_THAT(healthy.out, HasSubstr("keys:    1 key(s)"));

  ASSERT_EQ(Run({"secret", "meta", "prod/db", "password", "--type", "certificate", "--expires",
                 FormatRfc3339(clock_->Now() + std::chrono::days(10))})
                .exit_code,
            0);
  auto expiring = Run({"secrets", "due"});
  EXPECT_EQ(expiring.exit_code, 0);
  EXPECT_THAT(expiring.out, HasSubstr("expiring"));
  clock_->Advance(std::chrono::days(11));
  auto expired = Run({"secrets", "due"});
  EXPECT_EQ(expired.exit_code, 1);
  EXPECT_THAT(expired.out, HasSubstr("expired"));
  auto due = Run({"rotate", "due"});
  EXPECT_EQ(due.exit_code, 1);
  EXPECT_THAT(due.out, HasSubstr("overdue"));
  EXPECT_THAT(due.out, HasSubstr("expired at"));
  auto status = Run({"status", "--json"});
  EXPECT_EQ(status.exit_code, 1);
  auto j = nlohmann::json::parse(status.out);
  EXPECT_FALSE(j["healthy"].get<bool>());
  EXPECT_EQ(j["secrets"]["overdue"], 1);
  EXPECT_EQ(j["keys"]["count"], 1);
  EXPECT_TRUE(j["audit"]["writable"].get<bool>());
  auto log = Run({"audit", "log", "--json"});
  EXPECT_THAT(log.out, HasSubstr("\"secret.overdue\""));
  ExpectNoLeak({kInitial});
}

TEST_F(LifecycleCliTest, TheExampleMetadataIsAccepted) {
  auto meta = Run({"secret", "meta", "prod/db", "password", "--from",
                   RepoPath("examples/rotation/postgres/metadata.yaml").string()});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  EXPECT_THAT(meta.out, HasSubstr("apply:       /etc/bulwark/hooks/pg-apply.sh"));
  EXPECT_THAT(meta.out, HasSubstr("verify:      /etc/bulwark/hooks/pg-verify.sh (3 attempts, 5s apart)"));
  EXPECT_THAT(meta.out, HasSubstr("every 30d, grace 1d"));
}

// Someone who can write the database but has not the home's store MAC key changes the hook
// commands in .bulwark/lifecycle/prod/db (with a correct content hash, the update trigger
// dropped): every command that reads the document refuses it, naming the namespace, and no hook
// runs. A version stripped of its tag is refused the same way.
TEST_F(LifecycleCliTest, ALifecycleDocumentAlteredInTheDatabaseIsRefusedAndNothingRuns) {
  auto meta = Run({"secret", "meta", "prod/db", "password", "--type", "password", "--grace", "0s",
                   "--from", Write("meta.yaml", Hooks("0"))});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  const std::string db_path = (dir_ / "home" / "store.db").string();
  auto tamper = [&](const std::string& column_sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    const std::string where =
        " FROM bulwark_versions v JOIN bulwark_namespaces n ON n.id = v.namespace_id"
        " WHERE n.name = '.bulwark/lifecycle/prod/db' AND v.version = n.latest_version";
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, ("SELECT v.content, n.id, v.version" + where).c_str(), -1, &st,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    std::string content(static_cast<const char*>(sqlite3_column_blob(st, 0)),
                        static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
    const std::int64_t ns_id = sqlite3_column_int64(st, 1);
    const std::int64_t version = sqlite3_column_int64(st, 2);
    sqlite3_finalize(st);
    std::string sql = "DROP TRIGGER IF EXISTS bulwark_versions_no_update;";
    if (column_sql.empty()) {
      // The apply hook now writes somewhere else: a different command, same shape.
      const std::string from = "/applied";
      const auto at = content.find(from);
      ASSERT_NE(at, std::string::npos);
      content.replace(at, from.size(), "/pwned__");
      auto digest = crypto::Sha256(std::string_view(content));
      ASSERT_TRUE(digest.has_value());
      const std::string hash = HexEncode(std::span<const std::uint8_t>(digest->data(), digest->size()));
      sql += "UPDATE bulwark_versions SET content = CAST(x'" +
             HexEncode(std::span<const std::uint8_t>(
                 reinterpret_cast<const std::uint8_t*>(content.data()), content.size())) +
             "' AS BLOB), content_hash = '" + hash + "'";
    } else {
      sql += "UPDATE bulwark_versions SET " + column_sql;
    }
    sql += " WHERE namespace_id = " + std::to_string(ns_id) + " AND version = " + std::to_string(version);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  };
  tamper("");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"rotate", "prod/db", "password"},
        {"rotate", "prod/db", "password", "--emergency", "--reason", "test"},
        {"secret", "show", "prod/db", "password"},
        {"secret", "meta", "prod/db", "password", "--owner", "x"}}) {
    auto r = Run(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << " " << r.out << r.err;  // kDataLoss: integrity
    EXPECT_THAT(r.err, HasSubstr("lifecycle metadata of prod/db"));
    EXPECT_THAT(r.err, HasSubstr("does not verify (altered in the store)"));
  }
  clock_->Advance(std::chrono::days(40));
  auto due = Run({"rotate", "due"});
  EXPECT_EQ(due.exit_code, 1) << due.out << due.err;
  EXPECT_THAT(due.out, HasSubstr("prod/db"));
  EXPECT_THAT(due.out, HasSubstr("does not verify"));
  EXPECT_NE(Run({"status"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "applied"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pwned__"));
  EXPECT_EQ(Reveal(), kInitial);

  // A version without a tag (as a writer without the key leaves it) is refused too.
  tamper("mac = ''");
  auto stripped = Run({"rotate", "prod/db", "password"});
  EXPECT_EQ(stripped.exit_code, 1);
  EXPECT_THAT(stripped.err, HasSubstr("lifecycle metadata of prod/db"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pwned__"));
}

// `bulwark mv` moves the namespace's secret metadata with it (sealed for its new name); it refuses
// while a rotation is in its grace period and when the destination already has metadata.
TEST_F(LifecycleCliTest, MvMovesTheMetadataOrRefusesAndChangesNothing) {
  ASSERT_EQ(Run({"secret", "meta", "prod/db", "password", "--type", "password", "--owner", "team-db",
                 "--grace", "24h", "--from", Write("meta.yaml", Hooks("0"))})
                .exit_code,
            0);
  // In grace: the rotation is in progress, the move is refused and nothing moves.
  auto rot = Run({"rotate", "prod/db", "password"});
  ASSERT_EQ(rot.exit_code, 0) << rot.out << rot.err;
  auto busy = Run({"mv", "prod/db", "prod/db2"});
  EXPECT_EQ(busy.exit_code, 2) << busy.out << busy.err;
  EXPECT_THAT(busy.err, HasSubstr("is in progress; finish it first"));
  EXPECT_EQ(Run({"get", "prod/db", "host"}).exit_code, 0);
  clock_->Advance(std::chrono::hours(25));
  ASSERT_EQ(Run({"rotate", "due"}).exit_code, 0);

  // The destination has metadata of its own: refused.
  ASSERT_EQ(Run({"set", "prod/other", "token", "-", "--secret"}, "Other-Token-0123456789").exit_code, 0);
  ASSERT_EQ(Run({"secret", "meta", "prod/other", "token", "--type", "api_key"}).exit_code, 0);
  auto taken = Run({"mv", "prod/db", "prod/other"});
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_THAT(taken.err, HasSubstr("prod/other already has secret lifecycle metadata"));

  auto mv = Run({"mv", "prod/db", "prod/db2"});
  ASSERT_EQ(mv.exit_code, 0) << mv.out << mv.err;
  auto show = Run({"secret", "show", "prod/db2", "password", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto j = nlohmann::json::parse(show.out);
  EXPECT_EQ(j["secret"]["owner"], "team-db");
  EXPECT_EQ(j["secret"]["history"].size(), 1u);
  EXPECT_EQ(Run({"secret", "show", "prod/db", "password"}).exit_code, 4);
  // The moved metadata rotates under the new name.
  auto again = Run({"rotate", "prod/db2", "password", "--emergency", "--reason", "after the move"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  auto due = Run({"secrets", "due", "--within", "400d", "--json"});
  EXPECT_THAT(due.out, HasSubstr("prod/db2"));
  EXPECT_THAT(due.out, Not(HasSubstr("\"prod/db\"")));
}

}  // namespace
}  // namespace bulwark::testing
