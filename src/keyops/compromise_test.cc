#include "bulwark/keyops/compromise.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "bulwark/keyops/key_usage.h"
#include "keyops/keyops_fixture_for_test.h"

namespace bulwark::keyops {
namespace {

using ::testing::HasSubstr;

class CompromiseTest : public test_support::KeyopsTest {
 protected:
  void SetUp() override {
    KeyopsTest::SetUp();
    old_key_ = keyring_->primary_id();
    ASSERT_OK_AND_ASSIGN(std::string a,
                         EncryptedFile("a.yaml", "db:\n  password: pa\n  host: h\napi_key: ka\n"));
    ASSERT_OK_AND_ASSIGN(std::string b, EncryptedFile("b.json", "{\"token\": \"tb\", \"n\": 1}\n"));
    ASSERT_OK_AND_ASSIGN(std::string c, EncryptedFile("c.toml", "password = \"pc\"\n"));
    files_ = {a, b, c};
    Put("prod/api", R"({"db": {"password": "p1"}, "api_key": "k1", "port": 1})");
    Put("prod/web", R"({"secret_key": "s2"})");
    index_ = KeyUsageIndex::Load(*rt_.fs, dir_ / "key-usage.json").value();
    for (const std::string& f : {files_[0], files_[1]}) {  // c.toml is passed as an argument
      index_.Record(
          f, InspectFile(*rt_.fs, f, secfile::FileFormatFromPath(f).value(), *rt_.clock).value());
    }
    new_key_ = keyring_->MarkCompromised(old_key_).value();
  }

  CompromiseOptions Options() {
    CompromiseOptions o;
    o.journal = CompromiseJournalPath(dir_, old_key_);
    o.files = {files_[2]};
    o.index = &index_;
    o.store = Stored();
    o.progress = [this](std::size_t i, std::size_t n, const std::string& t, std::size_t v) {
      progress_.push_back(fmt::format("[{}/{}] {}: {}", i, n, t, v));
    };
    return o;
  }

  // Every value of every file and namespace decrypts, none under the old key.
  void ExpectEverythingUnderTheNewKey() {
    for (const std::string& f : files_) {
      const auto format = secfile::FileFormatFromPath(f).value();
      const std::string text = rt_.fs->ReadFile(f).value();
      auto tokens = secfile::ListTokens(text, format).value();
      for (const auto& t : tokens.values) EXPECT_EQ(t.key_id, new_key_) << f;
      EXPECT_TRUE(secfile::DecryptFile(text, format, *keyring_).has_value()) << f;
    }
    service::ReadRequest reveal;
    reveal.reveal = true;
    auto api = svc_->Get(ctx_, "prod/api", reveal);
    ASSERT_TRUE(api) << api.error();
    EXPECT_EQ(config::Find(api->value, config::Path::Parse("db.password").value())->AsString(),
              "p1");
    ASSERT_TRUE(svc_->Get(ctx_, "prod/web", reveal));
  }

  keys::KeyId old_key_ = 0, new_key_ = 0;
  std::vector<std::string> files_;
  KeyUsageIndex index_;
  std::vector<std::string> progress_;
};

TEST_F(CompromiseTest, MovesEveryFileAndNamespaceAndReportsEachValue) {
  auto report = RecoverCompromisedKey(old_key_, keyring_, rt_, Options());
  ASSERT_TRUE(report) << report.error();
  EXPECT_FALSE(report->resumed);
  EXPECT_EQ(report->items, 5u);
  EXPECT_EQ(report->moved.size(), 7u);  // 2 + 1 + 1 file values, 2 + 1 namespace values
  for (const MovedValue& m : report->moved) {
    EXPECT_EQ(m.from, old_key_);
    EXPECT_EQ(m.to, new_key_);
  }
  ASSERT_EQ(progress_.size(), 5u);
  EXPECT_THAT(progress_[0], HasSubstr("[1/5] "));
  ExpectEverythingUnderTheNewKey();
  const auto history = svc_->History(ctx_, "prod/api").value();
  ASSERT_EQ(history.size(), 2u);
  for (const store::VersionInfo& v : history) {
    EXPECT_EQ(v.message, v.version == 2 ? "key compromised: re-encrypted" : "");
  }
  EXPECT_FALSE(std::filesystem::exists(CompromiseJournalPath(dir_, old_key_)));
  EXPECT_TRUE(std::filesystem::exists(report->report_file));
  // The index now says the files use the new key.
  EXPECT_TRUE(index_.FilesUsing(old_key_).empty());
  EXPECT_EQ(index_.FilesUsing(new_key_).size(), 3u);
  // Running again finds nothing left.
  auto again = RecoverCompromisedKey(old_key_, keyring_, rt_, Options());
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->items, 0u);
}

// A crash after each possible point, at every item: the resumed run finishes the job, moves every
// value exactly once (one new version per namespace) and reports all of them.
TEST_F(CompromiseTest, ResumesAfterACrashAtAnyStepWithoutMovingAnythingTwice) {
  for (StepPoint point : {StepPoint::kAfterWrite, StepPoint::kAfterCommit}) {
    for (std::size_t crash_at = 1; crash_at <= 5; ++crash_at) {
      SCOPED_TRACE(fmt::format("point {} item {}", static_cast<int>(point), crash_at));
      tmp_.Clear();  // start over: no journal, index, files or store
      SetUp();
      CompromiseOptions crashing = Options();
      crashing.hook = [&](StepPoint p, std::size_t i) -> Status {
        if (p == point && i == crash_at) return UnavailableError("injected crash");
        return OkStatus();
      };
      auto first = RecoverCompromisedKey(old_key_, keyring_, rt_, crashing);
      ASSERT_FALSE(first);
      EXPECT_THAT(first.error().message(), HasSubstr("injected crash"));
      ASSERT_TRUE(std::filesystem::exists(CompromiseJournalPath(dir_, old_key_)));
      // The process died: reload the index from disk as a new process would.
      index_ = KeyUsageIndex::Load(*rt_.fs, dir_ / "key-usage.json").value();
      auto resumed = RecoverCompromisedKey(old_key_, keyring_, rt_, Options());
      ASSERT_TRUE(resumed) << resumed.error();
      EXPECT_TRUE(resumed->resumed);
      EXPECT_EQ(resumed->already_done, point == StepPoint::kAfterCommit ? crash_at : crash_at - 1);
      EXPECT_EQ(resumed->moved.size(), 7u);
      std::set<std::string> unique;
      for (const MovedValue& m : resumed->moved) {
        EXPECT_EQ(m.from, old_key_);
        EXPECT_EQ(m.to, new_key_);
        unique.insert(m.target + "#" + m.path.ToString());
      }
      EXPECT_EQ(unique.size(), 7u);
      EXPECT_EQ(svc_->History(ctx_, "prod/api").value().size(), 2u);
      EXPECT_EQ(svc_->History(ctx_, "prod/web").value().size(), 2u);
      ExpectEverythingUnderTheNewKey();
    }
  }
}

TEST_F(CompromiseTest, RefusesAKeyNotMarkedCompromisedAndAJournalOfAnotherKey) {
  auto fine = RecoverCompromisedKey(new_key_, keyring_, rt_, Options());
  ASSERT_FALSE(fine);
  EXPECT_EQ(fine.error().code(), ErrorCode::kFailedPrecondition);
  CompromiseOptions o = Options();
  ASSERT_TRUE(rt_.fs->WriteFileAtomic(o.journal,
                                      R"({"version": 1, "key": "00000001", "items": []})",
                                      std::filesystem::perms::owner_all));
  auto other = RecoverCompromisedKey(old_key_, keyring_, rt_, o);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), ErrorCode::kDataLoss);
  ASSERT_TRUE(rt_.fs->WriteFileAtomic(o.journal, "{not json", std::filesystem::perms::owner_all));
  EXPECT_EQ(RecoverCompromisedKey(old_key_, keyring_, rt_, o).error().code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace bulwark::keyops
