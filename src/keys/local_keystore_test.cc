#include "bulwark/keys/local_keystore.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bulwark/crypto/hash.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"
#include "keys/fast_kdf_for_test.h"

namespace bulwark::keys {
namespace {

namespace fs = std::filesystem;
using crypto::AlgorithmPolicy;
using crypto::AsBytes;

using test_support::FastKdf;
SecretBytes Pass(std::string_view s = "correct horse") { return SecretBytes::FromString(s); }

class LocalKeystoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<LocalKeystoreProvider> CreateStore() {
    auto ks = LocalKeystoreProvider::Create(path_, Pass(), rt_.runtime(),
                                            AlgorithmPolicy::Standard(), FastKdf());
    EXPECT_TRUE(ks.has_value()) << ks.error();
    return std::move(ks).value();
  }
  Result<LocalKeystoreProvider::Opened> OpenStore(std::string_view pass = "correct horse") {
    return LocalKeystoreProvider::Open(path_, Pass(pass), rt_.runtime(),
                                       AlgorithmPolicy::Standard());
  }
  std::string Read(const fs::path& p) { return rt_.fs->ReadFile(p).value(); }

  testing::FakeRuntime rt_;
  fs::path path_ = "/home/u/.bulwark/keystore";
  fs::path prev_ = "/home/u/.bulwark/keystore.prev";
};

TEST_F(LocalKeystoreTest, CreatedKeystoreReopensAndUnwrapsWhatItWrapped) {
  auto ks = CreateStore();
  auto blob =
      ks->WrapKey(SecretBytes::FromString("0123456789abcdef0123456789abcdef"), AsBytes("ctx"));
  ASSERT_TRUE(blob.has_value());
  auto opened = OpenStore();
  ASSERT_TRUE(opened.has_value()) << opened.error();
  EXPECT_TRUE(opened->warnings.empty());
  EXPECT_EQ(opened->provider->current_kek_id(), ks->current_kek_id());
  auto dek = opened->provider->UnwrapKey(*blob, AsBytes("ctx"));
  ASSERT_TRUE(dek.has_value()) << dek.error();
  EXPECT_EQ(dek->RevealAsString(), "0123456789abcdef0123456789abcdef");
}

TEST_F(LocalKeystoreTest, KeystoreIsWrittenWithOwnerOnlyPermissions) {
  CreateStore();
  EXPECT_EQ(rt_.fs->PermissionsOf(path_), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(LocalKeystoreTest, RealFileSystemKeystoreHasMode0600) {
  const testing::TempDir tmp("bulwark-ks");
  const fs::path& dir = tmp.path();
  Runtime rt{rt_.clock, rt_.random, NewLocalFileSystem()};
  auto ks = LocalKeystoreProvider::Create(dir / "keystore", Pass(), rt, AlgorithmPolicy::Standard(),
                                          FastKdf());
  ASSERT_TRUE(ks.has_value()) << ks.error();
  ASSERT_TRUE((*ks)->RotateKek().has_value());
  EXPECT_EQ(fs::status(dir / "keystore").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(dir / "keystore.prev").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(LocalKeystoreTest, WrongPassphraseIsUnauthenticated) {
  CreateStore();
  auto opened = OpenStore("wrong horse");
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(opened.error().message().find("wrong passphrase"), std::string::npos);
}

TEST_F(LocalKeystoreTest, CreatingOverAnExistingKeystoreIsRefused) {
  CreateStore();
  auto again = LocalKeystoreProvider::Create(path_, Pass(), rt_.runtime(),
                                             AlgorithmPolicy::Standard(), FastKdf());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
}

TEST_F(LocalKeystoreTest, MissingKeystoreIsNotFound) {
  auto opened = OpenStore();
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kNotFound);
}

TEST_F(LocalKeystoreTest, RotationKeepsOldKeksAndMirrorsTheNewGenerationToPrev) {
  auto ks = CreateStore();
  const KeyId first = ks->current_kek_id();
  auto old_blob = ks->WrapKey(SecretBytes::FromString("dek-1"), {}).value();
  ASSERT_TRUE(ks->RotateKek().has_value());
  EXPECT_NE(ks->current_kek_id(), first);
  EXPECT_EQ(ks->generation(), 2u);
  EXPECT_EQ(Read(prev_), Read(path_));  // the mirror holds the new KEK too
  auto opened = OpenStore().value();
  EXPECT_EQ(opened.provider->kek_ids().size(), 2u);
  EXPECT_EQ(opened.provider->UnwrapKey(old_blob, {}).value().RevealAsString(), "dek-1");
}

// The bug the mirror fixes: after a rotation (and a keyring rewrapped under the new KEK, as
// `keys rewrap` does), a damaged keystore recovered from .prev used to lack the new KEK, so every
// DEK wrapped under it was lost.
TEST_F(LocalKeystoreTest, RecoveryFromPrevAfterARotationKeepsTheNewKek) {
  auto ks = CreateStore();
  ASSERT_TRUE(ks->RotateKek().has_value());
  auto blob = ks->WrapKey(SecretBytes::FromString("dek-under-new-kek"), {}).value();
  rt_.fs->Corrupt(path_, "damaged");
  auto opened = OpenStore();
  ASSERT_TRUE(opened.has_value()) << opened.error();
  EXPECT_EQ(opened->provider->current_kek_id(), ks->current_kek_id());
  EXPECT_EQ(opened->provider->UnwrapKey(blob, {}).value().RevealAsString(), "dek-under-new-kek");
}

// A crash between the two writes of a rotation leaves the keystore at the generation before and
// the mirror at the new one; the keystore opens (without the unused new KEK).
TEST_F(LocalKeystoreTest, CrashBetweenMirrorAndKeystoreWriteOpensTheGenerationBefore) {
  auto ks = CreateStore();
  const KeyId before = ks->current_kek_id();
  auto blob = ks->WrapKey(SecretBytes::FromString("dek"), {}).value();
  rt_.fs->FailWritesAfter(1);  // the mirror is written, the keystore write fails
  ASSERT_FALSE(ks->RotateKek().has_value());
  rt_.fs->FailWritesAfter(-1);
  auto opened = OpenStore();
  ASSERT_TRUE(opened.has_value()) << opened.error();
  EXPECT_TRUE(opened->warnings.empty());
  EXPECT_EQ(opened->provider->current_kek_id(), before);
  EXPECT_EQ(opened->provider->UnwrapKey(blob, {}).value().RevealAsString(), "dek");
}

// Corrupt the current generation: flip one byte, or truncate it (a half-written file).
class CorruptionTest : public LocalKeystoreTest,
                       public ::testing::WithParamInterface<std::string> {};

TEST_P(CorruptionTest, CorruptedCurrentGenerationIsRecoveredFromPreviousWithWarning) {
  auto ks = CreateStore();
  auto blob = ks->WrapKey(SecretBytes::FromString("dek"), {}).value();
  ASSERT_TRUE(ks->RotateKek().has_value());  // generation 2, in both files
  std::string bytes = Read(path_);
  if (GetParam() == "flip") {
    bytes[bytes.size() / 2] ^= 0x10;
  } else if (GetParam() == "truncate") {
    bytes.resize(bytes.size() / 3);
  } else {
    bytes.clear();
  }
  rt_.fs->Corrupt(path_, bytes);
  auto opened = OpenStore();
  ASSERT_TRUE(opened.has_value()) << opened.error();
  ASSERT_EQ(opened->warnings.size(), 1u);
  EXPECT_NE(opened->warnings[0].find("recovered generation 2"), std::string::npos)
      << opened->warnings[0];
  EXPECT_NE(opened->warnings[0].find("keystore.prev"), std::string::npos);
  // The first KEK, kept across the rotation, still unwraps what it wrapped.
  EXPECT_EQ(opened->provider->UnwrapKey(blob, {}).value().RevealAsString(), "dek");
  // The current file was restored: the next open is clean.
  auto again = OpenStore();
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->warnings.empty());
}

INSTANTIATE_TEST_SUITE_P(Damage, CorruptionTest, ::testing::Values("flip", "truncate", "empty"));

TEST_F(LocalKeystoreTest, MissingCurrentFileIsRecoveredFromPrevious) {
  auto ks = CreateStore();
  ASSERT_TRUE(ks->RotateKek().has_value());
  ASSERT_TRUE(rt_.fs->Remove(path_).has_value());
  auto opened = OpenStore();
  ASSERT_TRUE(opened.has_value()) << opened.error();
  ASSERT_EQ(opened->warnings.size(), 1u);
  EXPECT_NE(opened->warnings[0].find("missing"), std::string::npos);
}

TEST_F(LocalKeystoreTest, BothGenerationsCorruptedIsDataLossNamingTheFiles) {
  auto ks = CreateStore();
  ASSERT_TRUE(ks->RotateKek().has_value());
  std::string cur = Read(path_), prev = Read(prev_);
  cur[10] ^= 1;
  prev.resize(20);
  rt_.fs->Corrupt(path_, cur);
  rt_.fs->Corrupt(prev_, prev);
  auto opened = OpenStore();
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(opened.error().message().find(path_.string()), std::string::npos);
  EXPECT_NE(opened.error().message().find(prev_.string()), std::string::npos);
}

TEST_F(LocalKeystoreTest, CorruptedCurrentWithoutPrevIsDataLoss) {
  CreateStore();
  ASSERT_TRUE(rt_.fs->Remove(prev_).has_value());
  std::string cur = Read(path_);
  cur.back() ^= 1;
  rt_.fs->Corrupt(path_, cur);
  auto opened = OpenStore();
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(opened.error().message().find("checksum mismatch"), std::string::npos);
}

TEST_F(LocalKeystoreTest, FailedWriteDuringRotationLeavesTheOldKeystoreUsable) {
  auto ks = CreateStore();
  const KeyId before = ks->current_kek_id();
  rt_.fs->FailWritesAfter(0);  // the first write (the mirror) fails
  auto rotated = ks->RotateKek();
  ASSERT_FALSE(rotated.has_value());
  EXPECT_EQ(ks->current_kek_id(), before);
  rt_.fs->FailWritesAfter(-1);
  auto opened = OpenStore();
  ASSERT_TRUE(opened.has_value()) << opened.error();
  EXPECT_EQ(opened->provider->current_kek_id(), before);
}

TEST_F(LocalKeystoreTest, UnwrapWithWrongContextOrAlteredBlobFails) {
  auto ks = CreateStore();
  auto blob = ks->WrapKey(SecretBytes::FromString("dek"), AsBytes("key 1")).value();
  auto wrong = ks->UnwrapKey(blob, AsBytes("key 2"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kDataLoss);
  blob[1] ^= 0xff;  // names a KEK that does not exist
  auto missing = ks->UnwrapKey(blob, AsBytes("key 1"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(LocalKeystoreTest, ChangePassphraseReencryptsTheKeystore) {
  auto ks = CreateStore();
  ASSERT_TRUE(ks->ChangePassphrase(Pass("new passphrase")).has_value());
  EXPECT_EQ(OpenStore().error().code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(OpenStore("new passphrase").has_value());
  // The mirror too: the old passphrase opens no copy of the keystore any more.
  rt_.fs->Corrupt(path_, Read(prev_));
  EXPECT_EQ(OpenStore().error().code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(OpenStore("new passphrase").has_value());
}

TEST_F(LocalKeystoreTest, RemovedKekIsGoneFromThePrevMirrorToo) {
  auto ks = CreateStore();
  const KeyId first = ks->current_kek_id();
  ASSERT_TRUE(ks->RotateKek().has_value());
  ASSERT_TRUE(ks->RemoveKek(first).has_value());
  rt_.fs->Corrupt(path_, "damaged");
  auto opened = OpenStore();
  ASSERT_TRUE(opened.has_value()) << opened.error();
  EXPECT_EQ(opened->provider->kek_ids(), std::vector<KeyId>{ks->current_kek_id()});
}

TEST_F(LocalKeystoreTest, RemovingOldKekRefusesTheCurrentOne) {
  auto ks = CreateStore();
  const KeyId first = ks->current_kek_id();
  ASSERT_TRUE(ks->RotateKek().has_value());
  EXPECT_EQ(ks->RemoveKek(ks->current_kek_id()).error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(ks->RemoveKek(first).has_value());
  EXPECT_EQ(OpenStore().value().provider->kek_ids().size(), 1u);
}

TEST_F(LocalKeystoreTest, RetiringOldKeksRewritesBothFilesWithOnlyTheCurrentKek) {
  auto ks = CreateStore();
  ASSERT_TRUE(ks->RotateKek().has_value());
  ASSERT_TRUE(ks->RotateKek().has_value());
  const KeyId current = ks->current_kek_id();
  auto blob = ks->WrapKey(SecretBytes::FromString("dek"), {}).value();
  // The second write (the keystore itself) fails: .prev already has the new generation, the
  // keystore still the old one; both open, and the provider keeps its KEKs in memory.
  rt_.fs->FailWritesAfter(1);
  auto failed = ks->RetireOldKeks();
  rt_.fs->FailWritesAfter(-1);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message().find("retire old KEKs"), std::string::npos);
  EXPECT_EQ(ks->kek_ids().size(), 3u);
  EXPECT_EQ(OpenStore().value().provider->kek_ids().size(), 3u);
  // Done again: both files hold the same generation with the current KEK only.
  auto retired = ks->RetireOldKeks();
  ASSERT_TRUE(retired.has_value()) << retired.error();
  EXPECT_EQ(*retired, 2u);
  EXPECT_EQ(Read(prev_), Read(path_));
  auto opened = OpenStore().value();
  EXPECT_EQ(opened.provider->kek_ids(), std::vector<KeyId>{current});
  EXPECT_EQ(opened.provider->UnwrapKey(blob, {}).value().RevealAsString(), "dek");
  // Recovery from .prev (keystore damaged) gives the same single KEK.
  rt_.fs->Corrupt(path_, "damaged");
  auto recovered = OpenStore();
  ASSERT_TRUE(recovered.has_value()) << recovered.error();
  EXPECT_EQ(recovered->provider->kek_ids(), std::vector<KeyId>{current});
}

TEST_F(LocalKeystoreTest, HealthCheckReportsUnreadableAndCorruptFiles) {
  auto ks = CreateStore();
  EXPECT_TRUE(ks->HealthCheck().has_value());
  std::string cur = Read(path_);
  cur[0] = 'X';
  rt_.fs->Corrupt(path_, cur);
  EXPECT_EQ(ks->HealthCheck().error().code(), ErrorCode::kDataLoss);
  ASSERT_TRUE(rt_.fs->Remove(path_).has_value());
  EXPECT_EQ(ks->HealthCheck().error().code(), ErrorCode::kUnavailable);
}

TEST_F(LocalKeystoreTest, DescribeNamesThePathAndNeverTheKeys) {
  auto ks = CreateStore();
  const std::string d = ks->Describe();
  EXPECT_NE(d.find(path_.string()), std::string::npos);
  EXPECT_NE(d.find(FormatKeyId(ks->current_kek_id())), std::string::npos);
}

TEST_F(LocalKeystoreTest, FipsPolicyUsesPbkdf2AndRefusesArgon2id) {
  auto policy = AlgorithmPolicy::FipsChecksOnlyForTesting();
  auto refused = LocalKeystoreProvider::Create(path_, Pass(), rt_.runtime(), policy, FastKdf());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("argon2id"), std::string::npos);
  crypto::PasswordKdfParams pbkdf2{crypto::PasswordKdf::kPbkdf2HmacSha256, 1000, 0,
                                   std::vector<std::uint8_t>(16, 3)};
  auto ks = LocalKeystoreProvider::Create(path_, Pass(), rt_.runtime(), policy, pbkdf2);
  ASSERT_TRUE(ks.has_value()) << ks.error();
  EXPECT_TRUE(LocalKeystoreProvider::Open(path_, Pass(), rt_.runtime(), policy).has_value());
  // An Argon2id keystore cannot be opened in FIPS mode.
  fs::path other = "/other/keystore";
  ASSERT_TRUE(LocalKeystoreProvider::Create(other, Pass(), rt_.runtime(),
                                            AlgorithmPolicy::Standard(), FastKdf())
                  .has_value());
  auto opened = LocalKeystoreProvider::Open(other, Pass(), rt_.runtime(), policy);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bulwark::keys
