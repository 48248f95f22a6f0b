// The audit commands end to end: store operations are logged, `audit verify` passes, tampering
// with the database file makes it fail naming the index, and the jsonl export verifies against a
// signed checkpoint by an independent path (RFC 9162 MTH computed here, note.h for the signature).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bulwark/audit/merkle_hash.h"
#include "bulwark/audit/note.h"
#include "bulwark/core/encoding.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;

class AuditCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_ = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    ASSERT_EQ(Run("init").exit_code, 0);
    cfg_ =
        Write("app.yaml", "database:\n  host: db\n  ssl_mode: require\n  password: Pw-123456!\n");
  }
  CliResult Run(const std::string& args, const std::string& stdin_text = "") {
    return RunBulwarkBinary(args, env_, stdin_text);
  }
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "home" / "audit.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const std::string all =
        "DROP TRIGGER IF EXISTS events_append_only_u; DROP TRIGGER IF EXISTS "
        "events_append_only_d;" +
        sql;
    ASSERT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  std::string env_, cfg_;
};

TEST_F(AuditCliTest, VerifyPassesThenDetectsAModifiedEvent) {
  ASSERT_EQ(Run("put production/app " + cfg_).exit_code, 0);
  ASSERT_EQ(Run("get production/app").exit_code, 0);
  ASSERT_EQ(Run("set production/app database.ssl_mode disable").exit_code, 0);
  ASSERT_EQ(Run("get production/app database.password --reveal").exit_code, 0);
  ASSERT_EQ(Run("audit checkpoint").exit_code, 0);
  auto ok = Run("audit verify");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("intact"));
  // The weakened TLS setting is classified critical and can be queried.
  auto crit = Run("audit log --impact critical --json");
  EXPECT_THAT(crit.out, HasSubstr("database.ssl_mode"));
  EXPECT_THAT(crit.out, HasSubstr("TLS or encryption setting changed"));
  EXPECT_EQ(Run("audit log --ns production/app").out.find("Pw-123456!"), std::string::npos);

  // Event 0 is the home's key.init; the set is event 3.
  Sql("UPDATE events SET leaf = replace(leaf, 'critical', 'low') WHERE idx = 3");
  auto bad = Run("audit verify");
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("first bad index 3"));
}

TEST_F(AuditCliTest, VerifyDetectsDeletionAndRollbackBehindTheKeptCheckpoint) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Run("set dev/app k" + std::to_string(i) + " " + std::to_string(i)).exit_code, 0);
  }
  ASSERT_EQ(Run("audit checkpoint").exit_code, 0);
  ASSERT_EQ(Run("audit verify").exit_code, 0);  // keeps the checkpoint of size 5 (key.init + 4)
  // Remove the last event and every trace of it (the attacker restores an older copy).
  Sql("DELETE FROM events WHERE idx = 4; DROP TRIGGER checkpoints_append_only_d;"
      "DELETE FROM checkpoints;");
  auto bad = Run("audit verify");
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("first bad index 4"));
  EXPECT_THAT(bad.out, HasSubstr("rollback"));
}

TEST_F(AuditCliTest, VerifyDetectsACheckpointFromAnotherKey) {
  ASSERT_EQ(Run("set dev/app a 1").exit_code, 0);
  auto cp = Run("audit checkpoint");
  ASSERT_EQ(cp.exit_code, 0);
  // A checkpoint file signed by a different log's key does not verify.
  auto other = RunBulwarkBinary("audit checkpoint", "BULWARK_HOME=" + (dir_ / "other").string());
  ASSERT_EQ(other.exit_code, 0) << other.err;
  auto file = Write("forged.note", other.out);
  auto bad = Run("audit verify --checkpoint " + file);
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("bad checkpoint"));
}

// RFC 9162 MTH, written out here independently of the library's tree code.
audit::Hash Mth(const std::vector<audit::Hash>& leaves, std::size_t begin, std::size_t end) {
  if (end - begin == 1) return leaves[begin];
  std::size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return audit::HashChildren(Mth(leaves, begin, begin + k), Mth(leaves, begin + k, end));
}

TEST_F(AuditCliTest, ExportedJsonlVerifiesIndependentlyAgainstTheSignedCheckpoint) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Run("set dev/app k" + std::to_string(i) + " v").exit_code, 0);
  }
  auto note = Run("audit checkpoint");
  ASSERT_EQ(note.exit_code, 0);
  auto vkey = Run("audit verifier-key");
  auto exported = Run("audit export --format jsonl");
  ASSERT_EQ(exported.exit_code, 0);

  std::istringstream lines(exported.out);
  std::string line;
  std::vector<audit::Hash> leaves;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j["index"].get<std::size_t>(), leaves.size());
    auto leaf = Base64Decode(j["leaf"].get<std::string>());
    ASSERT_TRUE(leaf.has_value());
    // The leaf is the event's canonical form.
    EXPECT_EQ(nlohmann::json::parse(leaf->begin(), leaf->end()), j["event"]);
    leaves.push_back(audit::HashLeaf(*leaf));
  }
  ASSERT_EQ(leaves.size(), 6u);  // the home's key.init event and the five sets
  std::string vk = vkey.out.substr(0, vkey.out.find('\n'));
  auto verifier = audit::NoteVerifier::FromVerifierKey(vk);
  ASSERT_TRUE(verifier.has_value());
  std::vector<audit::NoteVerifier> vs{*verifier};
  auto opened = audit::OpenNote(note.out, vs);
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  std::istringstream body(opened->text);
  std::string origin, size, root;
  std::getline(body, origin);
  std::getline(body, size);
  std::getline(body, root);
  EXPECT_EQ(origin, verifier->name());
  EXPECT_EQ(size, "6");
  const audit::Hash mth = Mth(leaves, 0, leaves.size());
  EXPECT_EQ(root, Base64Encode(mth));
}

TEST_F(AuditCliTest, OperationsFailClosedWhenTheLogCannotBeOpened) {
  // `init` created the log (its key.init event); replace the database with a directory.
  for (const char* f : {"audit.db", "audit.db-wal", "audit.db-shm"}) {
    std::filesystem::remove(dir_ / "home" / f);
  }
  std::filesystem::create_directories(dir_ / "home" / "audit.db");  // not a database
  auto set = Run("set dev/app a 1");
  EXPECT_EQ(set.exit_code, 5) << set.out << set.err;
  EXPECT_THAT(set.err, HasSubstr("audit"));
}

TEST_F(AuditCliTest, HashIsStableForTheSameValueAndPath) {
  auto a = Run("audit hash prod/app db.password", "hunter2\n");
  auto b = Run("audit hash prod/app db.password", "hunter2\n");
  auto c = Run("audit hash prod/app db.password", "hunter3\n");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.out, HasSubstr("hmac-sha256:"));
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

}  // namespace
}  // namespace bulwark::testing
