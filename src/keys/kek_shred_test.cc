// Crypto-shredding (kek_shred.h): after a key is destroyed and ShredKeks ran, no keyring file
// written before can be opened or unwrapped with what the home holds, and a failure at any step
// leaves a keystore and keyring that open and agree.
#include "bulwark/keys/kek_shred.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "bulwark/crypto/hash.h"
#include "bulwark/keys/local_keystore.h"
#include "bulwark/keys/pkcs11_provider.h"
#include "bulwark/testing/fake_kms.h"
#include "bulwark/testing/fake_runtime.h"
#include "keys/fast_kdf_for_test.h"
#include "keys/softhsm_token_for_test.h"

namespace bulwark::keys {
namespace {

namespace fs = std::filesystem;
using crypto::AlgorithmPolicy;
using crypto::AsBytes;

using test_support::FastKdf;
SecretBytes Pass() { return SecretBytes::FromString("correct horse"); }

std::uint32_t U32At(const std::string& s, std::size_t at) {
  return (std::uint32_t{static_cast<std::uint8_t>(s[at])} << 24) |
         (std::uint32_t{static_cast<std::uint8_t>(s[at + 1])} << 16) |
         (std::uint32_t{static_cast<std::uint8_t>(s[at + 2])} << 8) |
         std::uint32_t{static_cast<std::uint8_t>(s[at + 3])};
}

// The wrapped DEK of key `id` in a keyring file (docs/formats-keys.md, section 5), read without
// checking the MAC: what an attacker holding an old copy of the file would try to unwrap.
std::vector<std::uint8_t> WrappedDekIn(const std::string& file, KeyId id) {
  std::size_t at = 5;
  const std::size_t count = (std::size_t{static_cast<std::uint8_t>(file[at])} << 8) |
                            static_cast<std::uint8_t>(file[at + 1]);
  at += 2;
  at += 4 + U32At(file, at);  // wrapped MAC key
  for (std::size_t i = 0; i < count; ++i) {
    const KeyId record = U32At(file, at);
    const std::uint32_t w = U32At(file, at + 26);
    if (record == id) {
      return {file.begin() + static_cast<std::ptrdiff_t>(at + 30),
              file.begin() + static_cast<std::ptrdiff_t>(at + 30 + w)};
    }
    at += 30 + w;
  }
  ADD_FAILURE() << "key " << FormatKeyId(id) << " not in the file";
  return {};
}

std::vector<std::uint8_t> DekContext(KeyId id, crypto::AeadAlgorithm alg) {
  std::vector<std::uint8_t> c{'b', 'u', 'l', 'w', 'a', 'r', 'k', ' ', 'd', 'e', 'k', ' ', 'v', '1'};
  c.push_back(static_cast<std::uint8_t>(id >> 24));
  c.push_back(static_cast<std::uint8_t>(id >> 16));
  c.push_back(static_cast<std::uint8_t>(id >> 8));
  c.push_back(static_cast<std::uint8_t>(id));
  c.push_back(static_cast<std::uint8_t>(alg));
  return c;
}

// A home on the fake file system: keystore (with a second KEK from an earlier `keys rewrap`) and
// keyring with three keys: k1, k2 decrypt-only, k3 primary, and a value under each.
class KekShredTest : public ::testing::Test {
 protected:
  struct Home {
    std::unique_ptr<LocalKeystoreProvider> keystore;
    std::unique_ptr<Keyring> keyring;
  };

  void SetUp() override {
    auto ks = LocalKeystoreProvider::Create(keystore_, Pass(), rt_.runtime(),
                                            AlgorithmPolicy::Standard(), FastKdf());
    ASSERT_TRUE(ks.has_value()) << ks.error();
    auto ring = Keyring::Create(rt_.runtime(), AlgorithmPolicy::Standard()).value();
    k1_ = ring->primary_id();
    ct1_ = ring->Encrypt(AsBytes("one"), AsBytes("ad")).value();
    k2_ = ring->Rotate().value();
    ct2_ = ring->Encrypt(AsBytes("two"), AsBytes("ad")).value();
    k3_ = ring->Rotate().value();
    ct3_ = ring->Encrypt(AsBytes("three"), AsBytes("ad")).value();
    ASSERT_TRUE(Save(*ring, **ks));
    ASSERT_TRUE((*ks)->RotateKek().has_value());  // a `keys rewrap` earlier in the home's life
    ASSERT_TRUE(Save(*ring, **ks));
  }

  Status Save(const Keyring& ring, const KeyProvider& p) {
    BULWARK_ASSIGN_OR_RETURN(std::string data, ring.Serialize(p));
    return rt_.fs->WriteFileAtomic(keyring_, data, fs::perms::owner_read | fs::perms::owner_write);
  }
  std::string Read(const fs::path& p) { return rt_.fs->ReadFile(p).value(); }

  // Opens the home from disk as a fresh process would, with the keystore at `keystore`.
  Result<Home> OpenHome(const fs::path& keystore) {
    Home h;
    BULWARK_ASSIGN_OR_RETURN(
        auto opened,
        LocalKeystoreProvider::Open(keystore, Pass(), rt_.runtime(), AlgorithmPolicy::Standard()));
    h.keystore = std::move(opened.provider);
    BULWARK_ASSIGN_OR_RETURN(std::string data, rt_.fs->ReadFile(keyring_));
    BULWARK_ASSIGN_OR_RETURN(
        h.keyring, Keyring::Load(data, *h.keystore, rt_.runtime(), AlgorithmPolicy::Standard()));
    return h;
  }
  Result<Home> OpenHome() { return OpenHome(keystore_); }
  // Opens the home with nothing but keystore.prev (copied elsewhere), as a recovery would.
  Result<Home> OpenHomeFromPrev() {
    const fs::path alone = "/elsewhere/keystore";
    BULWARK_RETURN_IF_ERROR(rt_.fs->WriteFileAtomic(alone, Read(prev_), fs::perms::owner_read));
    return OpenHome(alone);
  }

  // Remaining keys decrypt their values; k1 according to `k1_destroyed`.
  void ExpectHomeConsistent(const Home& h, bool k1_destroyed) {
    EXPECT_EQ(h.keyring->Decrypt(ct2_, AsBytes("ad")).value().RevealAsString(), "two");
    EXPECT_EQ(h.keyring->Decrypt(ct3_, AsBytes("ad")).value().RevealAsString(), "three");
    auto one = h.keyring->Decrypt(ct1_, AsBytes("ad"));
    if (k1_destroyed) {
      ASSERT_FALSE(one.has_value());
      EXPECT_EQ(one.error().code(), ErrorCode::kFailedPrecondition) << one.error();
      EXPECT_EQ(h.keyring->Get(k1_)->state, KeyState::kDestroyed);
    } else {
      ASSERT_TRUE(one.has_value()) << one.error();
      EXPECT_EQ(one->RevealAsString(), "one");
    }
  }

  // `old_keyring` (a copy made before the destroy) cannot be opened, nor can k1's wrapped DEK in
  // it be unwrapped, with `h`'s keystore.
  void ExpectOldCopyUseless(const Home& h, const std::string& old_keyring) {
    auto loaded =
        Keyring::Load(old_keyring, *h.keystore, rt_.runtime(), AlgorithmPolicy::Standard());
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code(), ErrorCode::kNotFound) << loaded.error();
    auto dek = h.keystore->UnwrapKey(WrappedDekIn(old_keyring, k1_),
                                     DekContext(k1_, crypto::kDefaultAeadAlgorithm));
    ASSERT_FALSE(dek.has_value());
    EXPECT_EQ(dek.error().code(), ErrorCode::kNotFound) << dek.error();
  }

  // What `keys destroy k1` does: destroy in memory, then shred.
  Result<ShredReport> DestroyK1(Home& h, const ShredOptions& options = {}) {
    BULWARK_RETURN_IF_ERROR(h.keyring->Destroy(k1_));
    return ShredKeks(*h.keyring, *h.keystore, *rt_.fs, keyring_, options);
  }

  testing::FakeRuntime rt_;
  fs::path keystore_ = "/home/u/.bulwark/keystore";
  fs::path prev_ = "/home/u/.bulwark/keystore.prev";
  fs::path keyring_ = "/home/u/.bulwark/keyring";
  KeyId k1_ = 0, k2_ = 0, k3_ = 0;
  std::vector<std::uint8_t> ct1_, ct2_, ct3_;
};

// The threat: without shredding, an old keyring copy plus the home's keystore and passphrase
// still yields the destroyed key (this is what `keys destroy` did before it shredded).
TEST_F(KekShredTest, WithoutShreddingAnOldKeyringCopyStillYieldsTheDestroyedKey) {
  const std::string before = Read(keyring_);
  auto h = OpenHome().value();
  ASSERT_TRUE(h.keyring->Destroy(k1_).has_value());
  ASSERT_TRUE(Save(*h.keyring, *h.keystore).has_value());
  auto old = Keyring::Load(before, *h.keystore, rt_.runtime(), AlgorithmPolicy::Standard());
  ASSERT_TRUE(old.has_value()) << old.error();
  EXPECT_EQ((*old)->Decrypt(ct1_, AsBytes("ad")).value().RevealAsString(), "one");
}

TEST_F(KekShredTest, AfterDestroyNoEarlierKeyringCopyOpensWithTheHomesKeystoreOrItsPrev) {
  const std::string before = Read(keyring_);
  auto h = OpenHome().value();
  ASSERT_EQ(h.keystore->kek_ids().size(), 2u);
  auto report = DestroyK1(h);
  ASSERT_TRUE(report.has_value()) << report.error();
  EXPECT_EQ(report->retired_keks, 2u);  // the original KEK and the earlier rewrap's

  auto reopened = OpenHome();
  ASSERT_TRUE(reopened.has_value()) << reopened.error();
  EXPECT_EQ(reopened->keystore->kek_ids().size(), 1u);
  ExpectHomeConsistent(*reopened, /*k1_destroyed=*/true);
  ExpectOldCopyUseless(*reopened, before);
  // keystore.prev alone: the same single KEK, the current keyring opens, the old copy does not.
  auto from_prev = OpenHomeFromPrev();
  ASSERT_TRUE(from_prev.has_value()) << from_prev.error();
  EXPECT_EQ(from_prev->keystore->kek_ids(), reopened->keystore->kek_ids());
  ExpectHomeConsistent(*from_prev, true);
  ExpectOldCopyUseless(*from_prev, before);
  // The keyring now written is the new KEK's; encrypting goes on with the primary.
  auto more = reopened->keyring->Encrypt(AsBytes("four"), AsBytes("ad"));
  ASSERT_TRUE(more.has_value());
  EXPECT_EQ(reopened->keyring->Decrypt(*more, AsBytes("ad")).value().RevealAsString(), "four");
}

// Issue #14: a killed `keys rewrap` left a complete `.keystore.prev.tmp.*` in the home, which with a
// keyring backup and the passphrase still yielded the "destroyed" key. Every temporary copy beside
// the keystore, its mirror and the keyring is gone after the destroy.
TEST_F(KekShredTest, StaleTemporaryCopiesOfTheKeystoreAndKeyringAreRemoved) {
  const std::string before = Read(keyring_);
  const fs::path stale_prev = "/home/u/.bulwark/.keystore.prev.tmp.Ab12Cd";
  const fs::path stale_store = "/home/u/.bulwark/.keystore.tmp.Qq0000";
  const fs::path stale_ring = "/home/u/.bulwark/.keyring.tmp.Xy98Zz";
  const fs::path unrelated = "/home/u/.bulwark/.keyring.tmp.toolong1";
  for (const fs::path& p : {stale_prev, stale_store}) {
    ASSERT_TRUE(rt_.fs->WriteFileAtomic(p, Read(prev_), fs::perms::owner_read));
  }
  ASSERT_TRUE(rt_.fs->WriteFileAtomic(stale_ring, before, fs::perms::owner_read));
  ASSERT_TRUE(rt_.fs->WriteFileAtomic(unrelated, "x", fs::perms::owner_read));
  auto h = OpenHome().value();
  auto report = DestroyK1(h);
  ASSERT_TRUE(report.has_value()) << report.error();
  for (const fs::path& p : {stale_prev, stale_store, stale_ring}) {
    EXPECT_FALSE(rt_.fs->Exists(p).value()) << p;
  }
  EXPECT_TRUE(rt_.fs->Exists(unrelated).value());  // not a name WriteFileAtomic makes
  ASSERT_EQ(report->removed_copies.size(), 1u);
  EXPECT_EQ(report->removed_copies[0], stale_ring);
}

// A failure at each write (keystore.prev and keystore of the rotation, the keyring, keystore.prev
// and keystore of the retirement) and at each step hook: the home still opens and agrees, and
// running the destroy again completes the shredding.
TEST_F(KekShredTest, AFailureAtAnyStepLeavesAConsistentHomeAndARerunCompletesTheShred) {
  struct Failure {
    std::string name;
    int writes_before_failure;  // -1: fail through the hook instead
    std::optional<ShredStep> hook_step;
    bool keyring_written;
  };
  const std::vector<Failure> failures = {
      {"rotate: keystore.prev write", 0, std::nullopt, false},
      {"rotate: keystore write", 1, std::nullopt, false},
      {"hook after rotation", -1, ShredStep::kKekRotated, false},
      {"keyring write", 2, std::nullopt, false},
      {"hook after keyring write", -1, ShredStep::kKeyringWritten, true},
      {"retire: keystore.prev write", 3, std::nullopt, true},
      {"retire: keystore write", 4, std::nullopt, true},
  };
  const std::string pristine_keystore = Read(keystore_), pristine_prev = Read(prev_),
                    pristine_keyring = Read(keyring_);
  for (const Failure& f : failures) {
    SCOPED_TRACE(f.name);
    rt_.fs->Corrupt(keystore_, pristine_keystore);
    rt_.fs->Corrupt(prev_, pristine_prev);
    rt_.fs->Corrupt(keyring_, pristine_keyring);
    auto h = OpenHome().value();
    ShredOptions options;
    if (f.hook_step) {
      options.hook = [&](ShredStep s) -> Status {
        if (s == *f.hook_step) return UnavailableError("injected crash");
        return OkStatus();
      };
    } else {
      rt_.fs->FailWritesAfter(f.writes_before_failure);
    }
    auto failed = DestroyK1(h, options);
    rt_.fs->FailWritesAfter(-1);
    ASSERT_FALSE(failed.has_value());
    // Injected crashes come back as they are; real failures say which step failed.
    EXPECT_NE(failed.error().message().find(f.hook_step ? "injected crash"
                                                        : "shred KEKs of " + keyring_.string()),
              std::string::npos)
        << failed.error();

    // What a fresh process finds: keystore and keyring open and agree.
    auto after = OpenHome();
    ASSERT_TRUE(after.has_value()) << after.error();
    ExpectHomeConsistent(*after, f.keyring_written);
    EXPECT_EQ(Read(keyring_) != pristine_keyring, f.keyring_written);

    // Rerun (`keys destroy k1` again: a destroyed key is shredded once more).
    if (!f.keyring_written) {
      ASSERT_TRUE(after->keyring->Destroy(k1_).has_value());
    }
    auto rerun = ShredKeks(*after->keyring, *after->keystore, *rt_.fs, keyring_);
    ASSERT_TRUE(rerun.has_value()) << rerun.error();
    auto done = OpenHome();
    ASSERT_TRUE(done.has_value()) << done.error();
    EXPECT_EQ(done->keystore->kek_ids().size(), 1u);
    ExpectHomeConsistent(*done, true);
    ExpectOldCopyUseless(*done, pristine_keyring);
    auto from_prev = OpenHomeFromPrev();
    ASSERT_TRUE(from_prev.has_value()) << from_prev.error();
    EXPECT_EQ(from_prev->keystore->kek_ids().size(), 1u);
    ExpectOldCopyUseless(*from_prev, pristine_keyring);
  }
}

// A provider that fails to retire (a KMS unreachable at step 3): the error says the keyring was
// written and the old KEKs are still held; an old copy still opens until a rerun shreds.
TEST(KekShredKmsTest, AFailedRetirementIsReportedAndARerunCompletesIt) {
  testing::FakeRuntime rt;
  auto kms = testing::FakeKms::Create("projects/p/keys/k", rt.random).value();
  const fs::path keyring_path = "/h/keyring";
  auto ring = Keyring::Create(rt.runtime(), AlgorithmPolicy::Standard()).value();
  const KeyId k1 = ring->primary_id();
  ring->Rotate().value();
  const auto ct = ring->Encrypt(AsBytes("two"), AsBytes("ad")).value();
  const std::string before = ring->Serialize(*kms).value();
  ASSERT_TRUE(ring->Destroy(k1).has_value());
  ShredOptions options;
  options.hook = [&](ShredStep step) -> Status {
    if (step == ShredStep::kKeyringWritten) kms->FailNextCalls(1);  // the retire call
    return OkStatus();
  };
  auto failed = ShredKeks(*ring, *kms, *rt.fs, keyring_path, options);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), ErrorCode::kUnavailable) << failed.error();
  EXPECT_NE(failed.error().message().find("the old KEKs are still held"), std::string::npos)
      << failed.error();
  const std::string written = rt.fs->ReadFile(keyring_path).value();
  auto now = Keyring::Load(written, *kms, rt.runtime(), AlgorithmPolicy::Standard());
  ASSERT_TRUE(now.has_value()) << now.error();
  EXPECT_EQ((*now)->Decrypt(ct, AsBytes("ad")).value().RevealAsString(), "two");
  EXPECT_EQ((*now)->Get(k1)->state, KeyState::kDestroyed);
  EXPECT_TRUE(Keyring::Load(before, *kms, rt.runtime(), AlgorithmPolicy::Standard()).has_value());

  auto rerun = ShredKeks(**now, *kms, *rt.fs, keyring_path);
  ASSERT_TRUE(rerun.has_value()) << rerun.error();
  EXPECT_EQ(rerun->retired_keks, 2u);  // the original KEK and the first run's
  EXPECT_EQ(Keyring::Load(before, *kms, rt.runtime(), AlgorithmPolicy::Standard()).error().code(),
            ErrorCode::kNotFound);
  auto last = Keyring::Load(rt.fs->ReadFile(keyring_path).value(), *kms, rt.runtime(),
                            AlgorithmPolicy::Standard());
  ASSERT_TRUE(last.has_value()) << last.error();
  EXPECT_EQ((*last)->Decrypt(ct, AsBytes("ad")).value().RevealAsString(), "two");
}

// The same guarantee with the KEKs in a SoftHSM2 token: the old KEK objects are destroyed.
TEST(KekShredPkcs11Test, AfterDestroyNoEarlierKeyringCopyOpensWithTheToken) {
  auto conf = test_support::EnsureSoftHsmTestToken();
  ASSERT_TRUE(conf.has_value()) << conf.error();
  testing::FakeRuntime rt;
  const std::string label = fmt::format("shred-{}", ::getpid());
  auto open = [&](bool create) {
    Pkcs11Provider::Options o;
    o.token_label = test_support::kTestToken;
    o.pin = SecretBytes::FromString(test_support::kTestPin);
    o.key_label = label;
    o.create_if_missing = create;
    return Pkcs11Provider::Open(std::move(o), rt.random);
  };
  const fs::path keyring_path = "/home/u/.bulwark/keyring";
  auto hsm = open(true).value();
  auto ring = Keyring::Create(rt.runtime(), AlgorithmPolicy::Standard()).value();
  const KeyId k1 = ring->primary_id();
  const auto ct1 = ring->Encrypt(AsBytes("one"), AsBytes("ad")).value();
  ring->Rotate().value();
  const auto ct2 = ring->Encrypt(AsBytes("two"), AsBytes("ad")).value();
  const std::string before = ring->Serialize(*hsm).value();
  ASSERT_TRUE(rt.fs->WriteFileAtomic(keyring_path, before, fs::perms::owner_read).has_value());

  ASSERT_TRUE(ring->Destroy(k1).has_value());
  auto report = ShredKeks(*ring, *hsm, *rt.fs, keyring_path);
  ASSERT_TRUE(report.has_value()) << report.error();
  EXPECT_EQ(report->retired_keks, 1u);
  EXPECT_EQ(hsm->kek_numbers(), std::vector<std::uint32_t>{2});

  // A new session finds only the new KEK object on the token.
  hsm.reset();
  auto fresh = open(false);
  ASSERT_TRUE(fresh.has_value()) << fresh.error();
  EXPECT_EQ((*fresh)->kek_numbers(), std::vector<std::uint32_t>{2});
  auto old = Keyring::Load(before, **fresh, rt.runtime(), AlgorithmPolicy::Standard());
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().code(), ErrorCode::kNotFound) << old.error();
  auto dek =
      (*fresh)->UnwrapKey(WrappedDekIn(before, k1), DekContext(k1, crypto::kDefaultAeadAlgorithm));
  ASSERT_FALSE(dek.has_value());
  EXPECT_EQ(dek.error().code(), ErrorCode::kNotFound) << dek.error();
  auto now = Keyring::Load(rt.fs->ReadFile(keyring_path).value(), **fresh, rt.runtime(),
                           AlgorithmPolicy::Standard());
  ASSERT_TRUE(now.has_value()) << now.error();
  EXPECT_EQ((*now)->Decrypt(ct2, AsBytes("ad")).value().RevealAsString(), "two");
  EXPECT_EQ((*now)->Decrypt(ct1, AsBytes("ad")).error().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bulwark::keys
