// `bulwark audit archive` end to end: archive a prefix, verify the pruned log and the file, prove
// across the boundary, append and verify again, and detect a tampered archive file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;

class AuditArchiveCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_ = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    ASSERT_EQ(Run("init").exit_code, 0);
    for (int i = 0; i < 6; ++i) {
      ASSERT_EQ(Run("set dev/app k" + std::to_string(i) + " " + std::to_string(i)).exit_code, 0);
    }
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_, ""); }
  std::string env_;
};

TEST_F(AuditArchiveCliTest, ArchiveVerifyProveAppendAndDetectATamperedFile) {
  const std::string file = (dir_ / "archive-1.jsonl").string();
  auto ar = Run("audit archive --before-index 4 --out " + file);
  ASSERT_EQ(ar.exit_code, 0) << ar.out << ar.err;
  EXPECT_THAT(ar.out, HasSubstr("archived events [0, 4) into " + file));

  auto v = Run("audit verify --archive " + file);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr("events [0, 4) archived in " + file));
  EXPECT_THAT(v.out, HasSubstr("archive " + file + " intact"));
  EXPECT_EQ(Run("audit verify-archive " + file).exit_code, 0);

  auto archived = Run("audit prove 1");
  EXPECT_NE(archived.exit_code, 0);
  EXPECT_THAT(archived.err, HasSubstr("archived in " + file));
  auto p = Run("audit prove 5");
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_THAT(p.out, HasSubstr("\"leaf_hash\""));
  EXPECT_EQ(Run("audit consistency 4 6").exit_code, 0);

  ASSERT_EQ(Run("set dev/app later 1").exit_code, 0);
  auto v2 = Run("audit verify");
  EXPECT_EQ(v2.exit_code, 0) << v2.out << v2.err;

  // Remove event 2 from the archive file.
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  lines.erase(lines.begin() + 3);
  {
    std::ofstream out(file, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }
  auto bad = Run("audit verify-archive " + file);
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("event 2 is missing"));
  auto bad2 = Run("audit verify --archive " + file);
  EXPECT_EQ(bad2.exit_code, 1) << bad2.out << bad2.err;
  EXPECT_THAT(bad2.out, HasSubstr("not recorded"));
}

TEST_F(AuditArchiveCliTest, EventsASinkHasNotAcknowledgedAreNotArchived) {
  std::ofstream(dir_ / "home" / "config.yaml")
      << "audit:\n  sinks:\n    - {name: out, type: file, path: shipped.jsonl}\n";
  const std::string file = (dir_ / "archive-s.jsonl").string();
  auto none = Run("audit archive --before-index 4 --out " + file);
  ASSERT_EQ(none.exit_code, 0) << none.out << none.err;
  EXPECT_THAT(none.out, HasSubstr("nothing to archive"));
  EXPECT_THAT(none.out, HasSubstr("capped at event 0: sink 'out' has not acknowledged"));
  auto ship = Run("audit ship --once");
  ASSERT_EQ(ship.exit_code, 0) << ship.out << ship.err;
  ASSERT_EQ(Run("set dev/app unshipped 1").exit_code, 0);
  auto ar = Run("audit archive --before-index 100 --out " + file);
  ASSERT_EQ(ar.exit_code, 0) << ar.out << ar.err;
  EXPECT_THAT(ar.out, HasSubstr("archived events [0, "));
  EXPECT_THAT(ar.out, HasSubstr("capped at event"));
  // The shipper goes on from its cursor: the unshipped event is still in the log.
  auto ship2 = Run("audit ship --once");
  EXPECT_EQ(ship2.exit_code, 0) << ship2.out << ship2.err;
  EXPECT_THAT(ship2.out, HasSubstr("out: shipped 1 events"));
  EXPECT_EQ(Run("audit verify --archive " + file).exit_code, 0);
}

TEST_F(AuditArchiveCliTest, ArchiveByTimeNeedsExactlyOneBoundary) {
  EXPECT_NE(Run("audit archive --out x.jsonl").exit_code, 0);
  auto r =
      Run("audit archive --before 2000-01-01T00:00:00Z --out " + (dir_ / "none.jsonl").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nothing to archive"));
  auto all =
      Run("audit archive --before 2200-01-01T00:00:00Z --out " + (dir_ / "all.jsonl").string());
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("archived events [0, "));
  EXPECT_EQ(Run("audit verify").exit_code, 0);
}

}  // namespace
}  // namespace bulwark::testing
