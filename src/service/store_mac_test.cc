#include "bulwark/service/store_mac.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "bulwark/config/value.h"
#include "bulwark/store/open.h"
#include "bulwark/testing/temp_dir.h"
#include "service/version_mac.h"

namespace bulwark::service {
namespace {

namespace fs = std::filesystem;

TEST(StoreMacKeyTest, SerializesParsesAndRefusesMalformedFilesWithoutPrintingTheKey) {
  auto key = StoreMacKey::Generate(*NewSystemRandom()).value();
  EXPECT_EQ(key->id().size(), 16u);
  const std::string text = key->Serialize();
  auto back = StoreMacKey::Parse(text, "k.key");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ((*back)->id(), key->id());
  const std::string m = "message";
  EXPECT_EQ((*back)->Tag(crypto::AsBytes(m)).value(), key->Tag(crypto::AsBytes(m)).value());
  const std::string key_line = text.substr(text.find("key ") + 4, 44);
  for (std::string bad :
       {std::string("junk"), text.substr(0, text.find("\nkey")), "bulwark-store-mac-key v1\nid 00\nkey " + key_line + "\n",
        "bulwark-store-mac-key v1\nid " + key->id() + "\nkey QUJD\n"}) {
    auto r = StoreMacKey::Parse(bad, "k.key");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
    EXPECT_NE(r.error().message().find("k.key"), std::string::npos);
    EXPECT_EQ(r.error().message().find(key_line), std::string::npos);
  }
  EXPECT_EQ(StoreMacKey::Create(SecretBytes(16)).error().code(), ErrorCode::kInvalidArgument);
}

TEST(StoreMacKeyTest, TheTagCoversEveryFieldOfTheVersion) {
  auto key = StoreMacKey::Generate(*NewSystemRandom()).value();
  store::VersionInfo info;
  info.namespace_name = "ns";
  info.version = 2;
  info.parent = 1;
  info.parent_mac = "bwmac1:x:1:00";
  info.author = "alice";
  info.message = "m";
  info.tags = {"a", "b"};
  info.operation = store::Operation::kSet;
  info.content_hash = std::string(64, 'a');
  const internal::VersionBinding binding{internal::DataBinding("id1"), 3, "meta-mac"};
  info.mac = internal::SealVersion(*key, info, binding).value();
  auto parsed = internal::ParseVersionMac(info).value();
  EXPECT_EQ(parsed.meta_version, 3);
  EXPECT_TRUE(internal::VerifyVersion(*key, info, parsed, binding));
  std::vector<std::function<void(store::VersionInfo&, internal::VersionBinding&)>> edits = {
      [](auto& i, auto&) { i.version = 3; },
      [](auto& i, auto&) { i.parent = 0; },
      [](auto& i, auto&) { i.parent_mac = ""; },
      [](auto& i, auto&) { i.created_at += std::chrono::microseconds(1); },
      [](auto& i, auto&) { i.author = "eve"; },
      [](auto& i, auto&) { i.message = "n"; },
      [](auto& i, auto&) { i.tags = {"ab"}; },
      [](auto& i, auto&) { i.operation = store::Operation::kPut; },
      [](auto& i, auto&) { i.rollback_of = 1; },
      [](auto& i, auto&) { i.content_hash[0] = 'b'; },
      [](auto&, auto& b) { b.binding = internal::DataBinding("id2"); },
      [](auto&, auto& b) { b.meta_version = 4; },
      [](auto&, auto& b) { b.meta_mac = "other"; },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    store::VersionInfo changed = info;
    internal::VersionBinding b = binding;
    edits[i](changed, b);
    EXPECT_FALSE(internal::VerifyVersion(*key, changed, parsed, b)) << "edit " << i;
  }
  store::VersionInfo untagged = info;
  untagged.mac = "";
  EXPECT_EQ(internal::ParseVersionMac(untagged).error().code(), ErrorCode::kDataLoss);
  untagged.mac = "bwmac1:abc";
  EXPECT_EQ(internal::ParseVersionMac(untagged).error().code(), ErrorCode::kDataLoss);
}

class OpenStoreMacKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::OpenStore("sqlite:" + (dir_ / "store.db").string(), Runtime::System()).value();
  }
  Result<StoreMacKeyOpening> Open() {
    return OpenStoreMacKey(*fs_, dir_ / "store-mac.key", *store_, *NewSystemRandom());
  }
  testing::TempDir tmp_{"bulwark-store-mac"};
  const fs::path dir_ = tmp_.path();
  std::shared_ptr<FileSystem> fs_ = NewLocalFileSystem();
  std::unique_ptr<store::ConfigStore> store_;
};

TEST_F(OpenStoreMacKeyTest, CreatesTheKeyForANewStoreAndReadsItAfterwards) {
  auto opened = Open();
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  EXPECT_TRUE(opened->created);
  EXPECT_EQ(opened->untagged, 0);
  EXPECT_FALSE(fs::exists(dir_ / "store-mac.key"));  // not before Commit
  ASSERT_TRUE(opened->Commit(*fs_));
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "store-mac.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = Open();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->key->id(), opened->key->id());
}

TEST_F(OpenStoreMacKeyTest, AMissingKeyIsNotReplacedOnceTheStoreHoldsTaggedVersions) {
  store::WriteOptions tagged;
  tagged.seal = [](const store::VersionInfo&, const store::VersionInfo*) -> Result<std::string> {
    return std::string("bwmac1:0011223344556677:1:00");
  };
  ASSERT_TRUE(store_->Put("ns", config::Value::EmptyMap(), tagged));
  auto opened = Open();
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(opened.error().message().find("store-mac.key is missing"), std::string::npos)
      << opened.error().message();
  EXPECT_FALSE(fs::exists(dir_ / "store-mac.key"));
  EXPECT_FALSE(fs::exists(dir_ / "store-mac.key.new"));
}

TEST_F(OpenStoreMacKeyTest, AnInterruptedCreationIsResumedWithTheSameKey) {
  ASSERT_TRUE(store_->Put("ns", config::Value::EmptyMap(), {}));  // written without tags
  std::string id;
  {
    auto opened = Open();
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    EXPECT_TRUE(opened->created);
    EXPECT_EQ(opened->untagged, 1);
    id = opened->key->id();
    // The command is killed here, before sealing finished and Commit.
  }
  auto resumed = Open();
  ASSERT_TRUE(resumed.has_value()) << resumed.error().message();
  EXPECT_TRUE(resumed->created);
  EXPECT_EQ(resumed->key->id(), id);
  ASSERT_TRUE(resumed->Commit(*fs_));
  EXPECT_EQ(Open()->key->id(), id);
}

}  // namespace
}  // namespace bulwark::service
