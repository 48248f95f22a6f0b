// The keyring file's read-modify-write between processes, as a node does it (Node::UnlockKeys):
// load the keyring, change it (usage counts, a rotation), serialize it and write it back atomically,
// all while holding <home>/keyring.lock (bulwark/core/file_lock.h). Under the lock no update is
// lost: usage counts add up exactly and every rotation survives.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bulwark/core/file_lock.h"
#include "bulwark/core/runtime.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/testing/child_processes.h"
#include "bulwark/testing/fake_kms.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::keys {
namespace {

namespace fs = std::filesystem;
using crypto::AlgorithmPolicy;
using crypto::AsBytes;

constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;

// One locked update of the keyring file: `encryptions` encryptions (usage counts), then a
// rotation if asked. Returns a process exit code (0 = ok).
int UpdateKeyringFile(const fs::path& file, const fs::path& lock_file, const KeyProvider& kms,
                      int encryptions, bool rotate) {
  auto lock = FileLock::Acquire(lock_file, "keyring");
  if (!lock) return 2;
  auto files = NewLocalFileSystem();
  auto text = files->ReadFile(file);
  if (!text) return 3;
  auto ring = Keyring::Load(*text, kms, Runtime::System(), AlgorithmPolicy::Standard());
  if (!ring) return 4;
  for (int i = 0; i < encryptions; ++i) {
    if (!(*ring)->Encrypt(AsBytes("v"), AsBytes("a"))) return 5;
  }
  if (rotate && !(*ring)->Rotate()) return 6;
  auto out = (*ring)->Serialize(kms);
  if (!out) return 7;
  return files->WriteFileAtomic(file, *out, kPrivate) ? 0 : 8;
}

TEST(KeyringFileLockTest, ConcurrentProcessesSavingTheKeyringLoseNoRotationAndNoUsage) {
  constexpr int kRounds = 60;
  constexpr int kRotateEvery = 6;  // the rotating process rotates kRounds / kRotateEvery times
  testing::TempDir tmp("bulwark-keyring-lock");
  testing::FakeRuntime rt;
  auto kms = testing::FakeKms::Create("projects/p/keys/k", rt.random).value();
  const fs::path file = tmp.path() / "keyring";
  const fs::path lock_file = tmp.path() / "keyring.lock";
  {
    auto ring = Keyring::Create(Runtime::System(), AlgorithmPolicy::Standard()).value();
    ASSERT_TRUE(
        NewLocalFileSystem()->WriteFileAtomic(file, ring->Serialize(*kms).value(), kPrivate));
  }
  // Process 0 only encrypts (the `bulwark encrypt` usage-count save); process 1 encrypts and
  // rotates now and then (`bulwark keys rotate`).
  const auto failures = testing::RunInChildProcesses(2, [&](int p) {
    for (int r = 0; r < kRounds; ++r) {
      const bool rotate = p == 1 && r % kRotateEvery == kRotateEvery - 1;
      if (int rc = UpdateKeyringFile(file, lock_file, *kms, p + 1, rotate); rc != 0) return rc;
    }
    return 0;
  });
  EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
  auto text = NewLocalFileSystem()->ReadFile(file);
  ASSERT_TRUE(text) << text.error();
  auto ring = Keyring::Load(*text, *kms, Runtime::System(), AlgorithmPolicy::Standard());
  ASSERT_TRUE(ring) << ring.error();
  const std::vector<KeyInfo> keys = (*ring)->List();
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(1 + kRounds / kRotateEvery));
  std::uint64_t usage = 0;
  for (const KeyInfo& k : keys) usage += k.usage;
  EXPECT_EQ(usage, static_cast<std::uint64_t>(kRounds * 1 + kRounds * 2));
}

}  // namespace
}  // namespace bulwark::keys
