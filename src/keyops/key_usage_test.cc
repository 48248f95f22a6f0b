#include "bulwark/keyops/key_usage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "keyops/keyops_fixture_for_test.h"

namespace bulwark::keyops {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class KeyUsageTest : public test_support::KeyopsTest {
 protected:
  KeyUsageIndex LoadIndex() {
    return KeyUsageIndex::Load(*rt_.fs, dir_ / "key-usage.json").value();
  }
  void Index(KeyUsageIndex& index, const std::string& path) {
    auto entry = InspectFile(*rt_.fs, path, secfile::FileFormatFromPath(path).value(), *rt_.clock);
    ASSERT_TRUE(entry) << entry.error();
    index.Record(path, *entry);
  }
};

TEST_F(KeyUsageTest, IndexRoundTripsThroughItsFileAndRefusesCorruption) {
  KeyUsageIndex index = LoadIndex();
  EXPECT_TRUE(index.files().empty());
  ASSERT_OK_AND_ASSIGN(const std::string a, EncryptedFile("a.yaml", "password: p\nuser: u\n"));
  Index(index, a);
  ASSERT_TRUE(index.Save(*rt_.fs));
  EXPECT_EQ(
      std::filesystem::status(dir_ / "key-usage.json").permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  KeyUsageIndex again = LoadIndex();
  ASSERT_EQ(again.files().size(), 1u);
  const IndexedFile& f = again.files().at(a);
  EXPECT_EQ(f.values_per_key.at(keyring_->primary_id()), 1u);
  EXPECT_EQ(f.mac_key, keyring_->primary_id());
  EXPECT_EQ(again.FilesUsing(keyring_->primary_id()), std::vector<std::string>{a});
  // Relative and unnormalized spellings name the same entry.
  again.Forget(dir_ / "sub" / ".." / "a.yaml");
  EXPECT_TRUE(again.files().empty());

  ASSERT_TRUE(rt_.fs->WriteFileAtomic(dir_ / "key-usage.json", "{\"version\": 1, \"files\": []}",
                                      std::filesystem::perms::owner_all));
  auto bad = KeyUsageIndex::Load(*rt_.fs, dir_ / "key-usage.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kDataLoss);
}

TEST_F(KeyUsageTest, FindsFilesAndNamespacesAndCorrectsAStaleIndex) {
  const keys::KeyId old_key = keyring_->primary_id();
  ASSERT_OK_AND_ASSIGN(const std::string a,
                       EncryptedFile("a.yaml", "db:\n  password: p\n  host: h\napi_key: k\n"));
  ASSERT_OK_AND_ASSIGN(const std::string gone, EncryptedFile("gone.json", "{\"token\": \"t\"}\n"));
  Put("prod/api", R"({"db": {"password": "pw-old-5e2b"}, "port": 1})");
  Put("prod/web", R"({"name": "w"})");
  KeyUsageIndex index = LoadIndex();
  Index(index, a);
  Index(index, gone);
  std::filesystem::remove(gone);
  const keys::KeyId new_key = keyring_->Rotate().value();
  // A file the index does not know, under the new key only.
  ASSERT_OK_AND_ASSIGN(const std::string b, EncryptedFile("b.env", "SECRET_TOKEN=x\n"));
  // An older version of prod/api keeps the old key after the value changed.
  ASSERT_TRUE(svc_->Set(ctx_, "prod/api", config::Path::Parse("db.password").value(),
                        config::Value("p2"), {}));
  Put("prod/db", R"({"password": "x"})");

  UsageSources sources{&index, {b}, Stored(), true};
  auto usage = FindKeyUsage(old_key, sources, *rt_.fs, *rt_.clock);
  ASSERT_TRUE(usage) << usage.error();
  ASSERT_EQ(usage->files.size(), 1u);
  EXPECT_EQ(usage->files[0].path, a);
  EXPECT_TRUE(usage->files[0].mac);
  EXPECT_EQ(usage->files[0].values.size(), 2u);
  EXPECT_TRUE(usage->namespaces.empty());
  ASSERT_EQ(usage->history.size(), 1u);
  EXPECT_EQ(usage->history[0].ns, "prod/api");
  EXPECT_THAT(usage->history[0].versions, ElementsAre(1));
  EXPECT_FALSE(usage->unused());
  const std::string text = usage->Describe();
  EXPECT_THAT(text, HasSubstr("file " + a + ": 2 value(s): db.password, api_key"));
  EXPECT_THAT(text, HasSubstr("older versions of namespace prod/api"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("pw-old-5e2b")));
  // The deleted file left the index; the extra file joined it.
  EXPECT_FALSE(index.files().contains(gone));
  EXPECT_TRUE(index.files().contains(b));

  auto current = FindKeyUsage(new_key, sources, *rt_.fs, *rt_.clock).value();
  ASSERT_EQ(current.files.size(), 1u);
  EXPECT_EQ(current.files[0].path, b);
  ASSERT_EQ(current.namespaces.size(), 2u);
  EXPECT_EQ(current.namespaces[0].ns, "prod/api");
  EXPECT_EQ(current.namespaces[0].version, 2);
  EXPECT_EQ(current.namespaces[1].ns, "prod/db");
  EXPECT_EQ(current.value_count(), 3u);
}

TEST_F(KeyUsageTest, DecryptedFilesLeaveTheIndexAndUnreadableOnesAreReported) {
  const keys::KeyId key = keyring_->primary_id();
  ASSERT_OK_AND_ASSIGN(const std::string a, EncryptedFile("a.yaml", "password: p\n"));
  ASSERT_OK_AND_ASSIGN(const std::string broken, EncryptedFile("broken.yaml", "password: p\n"));
  KeyUsageIndex index = LoadIndex();
  Index(index, a);
  Index(index, broken);
  ASSERT_TRUE(rt_.fs->WriteFileAtomic(a, "password: p\n", std::filesystem::perms::owner_all));
  std::string text = rt_.fs->ReadFile(broken).value();
  text.replace(text.find("kid:") + 4, 8, "zzzzzzzz");
  ASSERT_TRUE(rt_.fs->WriteFileAtomic(broken, text, std::filesystem::perms::owner_all));
  UsageSources sources{&index, {}, nullptr, false};
  auto usage = FindKeyUsage(key, sources, *rt_.fs, *rt_.clock).value();
  EXPECT_TRUE(usage.unused());
  ASSERT_EQ(usage.problems.size(), 1u);
  EXPECT_THAT(usage.problems[0], HasSubstr("broken.yaml"));
  EXPECT_FALSE(index.files().contains(a));
  EXPECT_TRUE(index.files().contains(broken));
}

}  // namespace
}  // namespace bulwark::keyops
