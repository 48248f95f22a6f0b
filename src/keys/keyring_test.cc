#include "bulwark/keys/keyring.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <thread>

#include "bulwark/crypto/hash.h"
#include "bulwark/keys/local_keystore.h"
#include "bulwark/testing/fake_kms.h"
#include "bulwark/testing/fake_runtime.h"
#include "keys/fast_kdf_for_test.h"

namespace bulwark::keys {
namespace {

using crypto::AeadAlgorithm;
using crypto::AlgorithmPolicy;
using crypto::AsBytes;

class KeyringTest : public ::testing::Test {
 protected:
  std::unique_ptr<Keyring> NewRing(Keyring::Options options = {}) {
    auto ring = Keyring::Create(rt_.runtime(), AlgorithmPolicy::Standard(), options);
    EXPECT_TRUE(ring.has_value()) << ring.error();
    return std::move(ring).value();
  }
  std::unique_ptr<testing::FakeKms> NewKms() {
    return testing::FakeKms::Create("projects/p/keys/k", rt_.random).value();
  }
  testing::FakeRuntime rt_;
};

TEST(KeyIdTest, FormatsAsEightHexDigitsAndParsesBack) {
  EXPECT_EQ(FormatKeyId(0x2a), "0000002a");
  EXPECT_EQ(FormatKeyId(0xdeadbeef), "deadbeef");
  EXPECT_EQ(ParseKeyId("DEADBEEF").value(), 0xdeadbeefu);
  EXPECT_FALSE(ParseKeyId("dead").has_value());
  EXPECT_FALSE(ParseKeyId("deadbeeg").has_value());
}

TEST_F(KeyringTest, NewKeyringHasExactlyOnePrimaryWithCreationTimeFromTheClock) {
  auto ring = NewRing();
  auto keys = ring->List();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].state, KeyState::kPrimary);
  EXPECT_EQ(keys[0].version, 1u);
  EXPECT_EQ(keys[0].algorithm, AeadAlgorithm::kAes256Gcm);
  EXPECT_EQ(keys[0].created, rt_.clock->Now());
  EXPECT_EQ(keys[0].id, ring->primary_id());
}

TEST_F(KeyringTest, CiphertextStartsWithVersionByteAndKeyId) {
  auto ring = NewRing();
  auto ct = ring->Encrypt(AsBytes("hunter2"), AsBytes("db.password")).value();
  ASSERT_EQ(ct.size(), 5u + 12 + 7 + 16);
  EXPECT_EQ(ct[0], 0x01);
  EXPECT_EQ(Keyring::KeyIdOf(ct).value(), ring->primary_id());
  EXPECT_EQ(ring->Decrypt(ct, AsBytes("db.password")).value().RevealAsString(), "hunter2");
}

TEST_F(KeyringTest, PartsDecryptSeparatelyAndMatchTheConcatenatedForm) {
  auto ring = NewRing({.algorithm = AeadAlgorithm::kXChaCha20Poly1305});
  auto parts = ring->EncryptParts(AsBytes("v"), AsBytes("a")).value();
  EXPECT_EQ(parts.key_id, ring->primary_id());
  EXPECT_EQ(parts.algorithm, AeadAlgorithm::kXChaCha20Poly1305);
  EXPECT_EQ(parts.parts.nonce.size(), 24u);
  EXPECT_EQ(ring->DecryptParts(parts.key_id, parts.parts.nonce, parts.parts.ciphertext,
                               parts.parts.tag, AsBytes("a"))
                .value()
                .RevealAsString(),
            "v");
  std::vector<std::uint8_t> whole = {0x01, static_cast<std::uint8_t>(parts.key_id >> 24),
                                     static_cast<std::uint8_t>(parts.key_id >> 16),
                                     static_cast<std::uint8_t>(parts.key_id >> 8),
                                     static_cast<std::uint8_t>(parts.key_id)};
  auto rest = parts.parts.Concatenate();
  whole.insert(whole.end(), rest.begin(), rest.end());
  EXPECT_EQ(ring->Decrypt(whole, AsBytes("a")).value().RevealAsString(), "v");
}

TEST_F(KeyringTest, StateGenerationChangesOnEveryStateChangeAndOnlyThen) {
  auto ring = NewRing();
  const KeyId k1 = ring->primary_id();
  std::uint64_t g = ring->state_generation();
  auto changed = [&] {
    const std::uint64_t now = ring->state_generation();
    const bool differs = now != g;
    g = now;
    return differs;
  };
  ASSERT_TRUE(ring->Encrypt(AsBytes("x"), {}));
  EXPECT_FALSE(changed());
  ASSERT_TRUE(ring->Rotate());
  EXPECT_TRUE(changed());
  ASSERT_TRUE(ring->Disable(k1));
  EXPECT_TRUE(changed());
  EXPECT_FALSE(ring->Destroy(0x1234));  // unknown key: nothing changed
  EXPECT_FALSE(changed());
  ASSERT_TRUE(ring->Enable(k1));
  EXPECT_TRUE(changed());
  ASSERT_TRUE(ring->MarkCompromised(k1));
  EXPECT_TRUE(changed());
  ASSERT_TRUE(ring->Destroy(k1));
  EXPECT_TRUE(changed());
}

TEST_F(KeyringTest, RotationMakesNewPrimaryAndOldCiphertextsStillDecrypt) {
  auto ring = NewRing();
  const KeyId k1 = ring->primary_id();
  auto c1 = ring->Encrypt(AsBytes("one"), {}).value();
  rt_.clock->Advance(std::chrono::hours(24 * 90));
  const KeyId k2 = ring->Rotate().value();
  EXPECT_NE(k1, k2);
  EXPECT_EQ(ring->primary_id(), k2);
  EXPECT_EQ(ring->Get(k1)->state, KeyState::kDecryptOnly);
  EXPECT_EQ(ring->Get(k2)->version, 2u);
  EXPECT_EQ(ring->Get(k2)->created - ring->Get(k1)->created, std::chrono::hours(24 * 90));
  auto c2 = ring->Encrypt(AsBytes("two"), {}).value();
  EXPECT_EQ(Keyring::KeyIdOf(c2).value(), k2);
  EXPECT_EQ(ring->Decrypt(c1, {}).value().RevealAsString(), "one");
  EXPECT_EQ(ring->Decrypt(c2, {}).value().RevealAsString(), "two");
}

TEST_F(KeyringTest, RotationCanChangeTheAlgorithm) {
  auto ring = NewRing();
  auto c1 = ring->Encrypt(AsBytes("x"), {}).value();
  ASSERT_TRUE(ring->Rotate(AeadAlgorithm::kChaCha20Poly1305).has_value());
  EXPECT_EQ(ring->Get(ring->primary_id())->algorithm, AeadAlgorithm::kChaCha20Poly1305);
  EXPECT_EQ(ring->Decrypt(c1, {}).value().RevealAsString(), "x");
}

TEST_F(KeyringTest, RotationDuringConcurrentUseLosesNothing) {
  auto ring = NewRing();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, done{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; !stop || i < 50; ++i) {
        const std::string v = fmt::format("value {} {}", t, i);
        auto ct = ring->Encrypt(AsBytes(v), AsBytes("p"));
        if (!ct.has_value()) {
          ++failures;
          continue;
        }
        auto pt = ring->Decrypt(*ct, AsBytes("p"));
        if (!pt.has_value() || pt->RevealAsString() != v) ++failures;
        ++done;
        if (i > 2000) break;
      }
    });
  }
  for (int r = 0; r < 20; ++r) ASSERT_TRUE(ring->Rotate().has_value());
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(done.load(), 0);
  auto keys = ring->List();
  EXPECT_EQ(keys.size(), 21u);
  EXPECT_EQ(std::count_if(keys.begin(), keys.end(),
                          [](const KeyInfo& k) { return k.state == KeyState::kPrimary; }),
            1);
}

TEST_F(KeyringTest, DisabledKeyRefusesToDecryptUntilEnabled) {
  auto ring = NewRing();
  const KeyId k1 = ring->primary_id();
  auto c1 = ring->Encrypt(AsBytes("x"), {}).value();
  EXPECT_EQ(ring->Disable(k1).error().code(), ErrorCode::kFailedPrecondition);  // primary
  ASSERT_TRUE(ring->Rotate().has_value());
  ASSERT_TRUE(ring->Disable(k1).has_value());
  auto r = ring->Decrypt(c1, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find(FormatKeyId(k1) + " is disabled"), std::string::npos);
  ASSERT_TRUE(ring->Enable(k1).has_value());
  EXPECT_TRUE(ring->Decrypt(c1, {}).has_value());
}

TEST_F(KeyringTest, DestroyedKeyIsGoneForGood) {
  auto ring = NewRing();
  const KeyId k1 = ring->primary_id();
  auto c1 = ring->Encrypt(AsBytes("x"), {}).value();
  EXPECT_EQ(ring->Destroy(k1).error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(ring->Rotate().has_value());
  ASSERT_TRUE(ring->Destroy(k1).has_value());
  EXPECT_EQ(ring->Decrypt(c1, {}).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ring->Enable(k1).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ring->Get(k1)->state, KeyState::kDestroyed);
}

TEST_F(KeyringTest, CompromisedPrimaryIsRotatedAwayAndDecryptsOnlyForReencryption) {
  auto ring = NewRing();
  const KeyId bad = ring->primary_id();
  auto c1 = ring->Encrypt(AsBytes("x"), AsBytes("a")).value();
  const KeyId fresh = ring->MarkCompromised(bad).value();
  EXPECT_NE(fresh, bad);
  EXPECT_EQ(ring->Get(bad)->state, KeyState::kCompromised);
  auto r = ring->Decrypt(c1, AsBytes("a"));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("compromised"), std::string::npos);
  auto parts = ring->EncryptParts(AsBytes("y"), AsBytes("a")).value();
  ASSERT_TRUE(ring->MarkCompromised(ring->primary_id()).has_value());
  EXPECT_EQ(ring->DecryptParts(parts.key_id, parts.parts.nonce, parts.parts.ciphertext,
                               parts.parts.tag, AsBytes("a"))
                .error()
                .code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ring->DecryptPartsForReencryption(parts.key_id, parts.parts.nonce,
                                              parts.parts.ciphertext, parts.parts.tag, AsBytes("a"))
                .value()
                .RevealAsString(),
            "y");
  const KeyId newest = ring->primary_id();
  auto moved = ring->DecryptForReencryption(c1, AsBytes("a"));
  ASSERT_TRUE(moved.has_value());
  auto c2 = ring->Encrypt(moved->Reveal(), AsBytes("a")).value();
  EXPECT_EQ(Keyring::KeyIdOf(c2).value(), newest);
}

TEST_F(KeyringTest, UnknownKeyIdIsNotFound) {
  auto ring = NewRing();
  auto ct = ring->Encrypt(AsBytes("x"), {}).value();
  ct[1] ^= 0xff;
  auto r = ring->Decrypt(ct, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST_F(KeyringTest, UsageLimitRequestsRotationAndRotationRestoresEncryption) {
  auto ring = NewRing({.usage_limit = 3});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ring->Encrypt(AsBytes("x"), {}).has_value());
  auto r = ring->Encrypt(AsBytes("x"), {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ring->Get(ring->primary_id())->usage, 3u);
  EXPECT_EQ(ring->Get(ring->primary_id())->usage_limit, 3u);
  ASSERT_TRUE(ring->Rotate().has_value());
  EXPECT_TRUE(ring->Encrypt(AsBytes("x"), {}).has_value());
}

TEST_F(KeyringTest, FipsPolicyRefusesChaChaKeyrings) {
  auto r = Keyring::Create(rt_.runtime(), AlgorithmPolicy::FipsChecksOnlyForTesting(),
                           {.algorithm = AeadAlgorithm::kChaCha20Poly1305});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  auto ok = Keyring::Create(rt_.runtime(), AlgorithmPolicy::FipsChecksOnlyForTesting());
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)->Rotate(AeadAlgorithm::kXChaCha20Poly1305).error().code(),
            ErrorCode::kFailedPrecondition);
}

// ---- Persistence and envelope encryption ----

TEST_F(KeyringTest, SerializedKeyringLoadsWithSameKeysStatesAndUsage) {
  auto kms = NewKms();
  auto ring = NewRing();
  const KeyId k1 = ring->primary_id();
  auto c1 = ring->Encrypt(AsBytes("one"), {}).value();
  ASSERT_TRUE(ring->Rotate(AeadAlgorithm::kAes128Gcm).has_value());
  const KeyId k2 = ring->primary_id();
  ASSERT_TRUE(ring->Rotate().has_value());
  ASSERT_TRUE(ring->Disable(k2).has_value());
  auto file = ring->Serialize(*kms).value();
  auto loaded = Keyring::Load(file, *kms, rt_.runtime(), AlgorithmPolicy::Standard());
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  auto a = ring->List(), b = (*loaded)->List();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].version, b[i].version);
    EXPECT_EQ(a[i].algorithm, b[i].algorithm);
    EXPECT_EQ(a[i].state, b[i].state);
    EXPECT_EQ(a[i].created, b[i].created);
    EXPECT_EQ(a[i].usage, b[i].usage);
  }
  EXPECT_EQ((*loaded)->Get(k1)->usage, 1u);
  EXPECT_EQ((*loaded)->Decrypt(c1, {}).value().RevealAsString(), "one");
  // Loaded keyring keeps counting ids and versions from where it was.
  auto k4 = (*loaded)->Rotate().value();
  EXPECT_EQ((*loaded)->Get(k4)->version, 4u);
}

TEST_F(KeyringTest, KekRotationRewrapsDeksOnlyAndOldKekCanThenBeDestroyed) {
  auto kms = NewKms();
  auto ring = NewRing();
  auto c1 = ring->Encrypt(AsBytes("payload"), AsBytes("a")).value();
  auto before = ring->Serialize(*kms).value();
  ASSERT_TRUE(kms->RotateKek().has_value());
  auto after = ring->Serialize(*kms).value();  // re-wraps every DEK under KEK version 2
  EXPECT_NE(before, after);
  ASSERT_TRUE(kms->DestroyVersion(1).has_value());
  EXPECT_EQ(Keyring::Load(before, *kms, rt_.runtime(), AlgorithmPolicy::Standard()).error().code(),
            ErrorCode::kNotFound);
  auto loaded = Keyring::Load(after, *kms, rt_.runtime(), AlgorithmPolicy::Standard()).value();
  // The ciphertext made before the KEK rotation is unchanged and still decrypts.
  EXPECT_EQ(loaded->Decrypt(c1, AsBytes("a")).value().RevealAsString(), "payload");
}

TEST_F(KeyringTest, KeyringWorksOverLocalKeystoreProvider) {
  auto ks = LocalKeystoreProvider::Create("/ks", SecretBytes::FromString("pw"), rt_.runtime(),
                                          AlgorithmPolicy::Standard(), test_support::FastKdf())
                .value();
  auto ring = NewRing();
  auto c = ring->Encrypt(AsBytes("s"), {}).value();
  auto file = ring->Serialize(*ks).value();
  ASSERT_TRUE(ks->RotateKek().has_value());
  auto rewrapped = ring->Serialize(*ks).value();
  auto reopened = LocalKeystoreProvider::Open("/ks", SecretBytes::FromString("pw"), rt_.runtime(),
                                              AlgorithmPolicy::Standard())
                      .value();
  for (const std::string& f : {file, rewrapped}) {
    auto loaded = Keyring::Load(f, *reopened.provider, rt_.runtime(), AlgorithmPolicy::Standard());
    ASSERT_TRUE(loaded.has_value()) << loaded.error();
    EXPECT_EQ((*loaded)->Decrypt(c, {}).value().RevealAsString(), "s");
  }
}

TEST_F(KeyringTest, AlteredKeyringFileIsDataLoss) {
  auto kms = NewKms();
  auto ring = NewRing();
  ASSERT_TRUE(ring->Rotate().has_value());
  const std::string file = ring->Serialize(*kms).value();
  // Flip every 7th byte position in turn (states, ids, wrapped keys, MAC): all must be caught.
  for (std::size_t i = 0; i < file.size(); i += 7) {
    std::string bad = file;
    bad[i] ^= 0x01;
    auto r = Keyring::Load(bad, *kms, rt_.runtime(), AlgorithmPolicy::Standard());
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_TRUE(r.error().code() == ErrorCode::kDataLoss ||
                r.error().code() == ErrorCode::kNotFound)
        << "byte " << i << ": " << r.error();
  }
  EXPECT_EQ(Keyring::Load(file.substr(0, file.size() - 1), *kms, rt_.runtime(),
                          AlgorithmPolicy::Standard())
                .error()
                .code(),
            ErrorCode::kDataLoss);
}

TEST_F(KeyringTest, UnreachableKmsFailsClosed) {
  auto kms = NewKms();
  auto ring = NewRing();
  const std::string file = ring->Serialize(*kms).value();
  kms->set_unavailable(true);
  EXPECT_EQ(kms->HealthCheck().error().code(), ErrorCode::kUnavailable);
  auto loaded = Keyring::Load(file, *kms, rt_.runtime(), AlgorithmPolicy::Standard());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ring->Serialize(*kms).error().code(), ErrorCode::kUnavailable);
  kms->set_unavailable(false);
  kms->FailNextCalls(1);  // one transient failure: that load fails, the next one works
  EXPECT_EQ(Keyring::Load(file, *kms, rt_.runtime(), AlgorithmPolicy::Standard()).error().code(),
            ErrorCode::kUnavailable);
  EXPECT_TRUE(Keyring::Load(file, *kms, rt_.runtime(), AlgorithmPolicy::Standard()).has_value());
  EXPECT_TRUE(kms->HealthCheck().has_value());
}

TEST_F(KeyringTest, DeniedKmsIsPermissionDenied) {
  auto kms = NewKms();
  auto ring = NewRing();
  const std::string file = ring->Serialize(*kms).value();
  kms->set_deny(true);
  EXPECT_EQ(Keyring::Load(file, *kms, rt_.runtime(), AlgorithmPolicy::Standard()).error().code(),
            ErrorCode::kPermissionDenied);
}

TEST_F(KeyringTest, WrappedDekCannotBeMovedToAnotherKeyRecord) {
  // Two keys of one keyring: swapping their wrapped DEKs must fail (the wrap context binds the id).
  auto kms = NewKms();
  auto ring = NewRing();
  ASSERT_TRUE(ring->Rotate().has_value());
  const std::string file = ring->Serialize(*kms).value();
  // Records start after magic(4)+version(1)+count(2)+mac blob(4+len).
  const std::uint32_t mac_len = (std::uint8_t(file[7]) << 24) | (std::uint8_t(file[8]) << 16) |
                                (std::uint8_t(file[9]) << 8) | std::uint8_t(file[10]);
  std::size_t pos = 11 + mac_len;
  auto rec_len = [&](std::size_t at) {
    const std::size_t blob_at = at + 4 + 4 + 1 + 1 + 8 + 8;
    const std::uint32_t n =
        (std::uint8_t(file[blob_at]) << 24) | (std::uint8_t(file[blob_at + 1]) << 16) |
        (std::uint8_t(file[blob_at + 2]) << 8) | std::uint8_t(file[blob_at + 3]);
    return std::pair<std::size_t, std::size_t>{blob_at + 4, n};
  };
  auto [b1, n1] = rec_len(pos);
  auto [b2, n2] = rec_len(b1 + n1);
  ASSERT_EQ(n1, n2);
  std::string swapped = file;
  swapped.replace(b1, n1, file.substr(b2, n2));
  swapped.replace(b2, n2, file.substr(b1, n1));
  auto r = Keyring::Load(swapped, *kms, rt_.runtime(), AlgorithmPolicy::Standard());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
}

// ---- Properties ----

RC_GTEST_PROP(KeyringProperty, FlippingAnyBitOfAKeyedCiphertextFails, ()) {
  testing::FakeRuntime rt;
  const auto alg = *rc::gen::elementOf(crypto::kAllAeadAlgorithms);
  auto ring =
      Keyring::Create(rt.runtime(), AlgorithmPolicy::Standard(), {.algorithm = alg}).value();
  const auto pt = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
  auto ct = ring->Encrypt(pt, AsBytes("path")).value();
  const auto bit = *rc::gen::inRange<std::size_t>(0, ct.size() * 8);
  ct[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  RC_ASSERT(!ring->Decrypt(ct, AsBytes("path")).has_value());
}

RC_GTEST_PROP(KeyringProperty, RoundTripAcrossRotations, ()) {
  testing::FakeRuntime rt;
  auto ring = Keyring::Create(rt.runtime(), AlgorithmPolicy::Standard()).value();
  const auto values =
      *rc::gen::container<std::vector<std::string>>(rc::gen::arbitrary<std::string>());
  std::vector<std::vector<std::uint8_t>> cts;
  for (const auto& v : values) {
    cts.push_back(ring->Encrypt(AsBytes(v), AsBytes("aad")).value());
    if (*rc::gen::arbitrary<bool>()) {
      const auto alg = *rc::gen::elementOf(crypto::kAllAeadAlgorithms);
      RC_ASSERT(ring->Rotate(alg).has_value());
    }
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto pt = ring->Decrypt(cts[i], AsBytes("aad"));
    RC_ASSERT(pt.has_value());
    RC_ASSERT(pt->RevealAsString() == values[i]);
  }
}

// A batch of tokens under several keys, some disabled, some compromised, some with a flipped bit or
// an unknown key id, interleaved in random order: the batch decryptor gives, token by token, the
// same plaintext or the same error as the keyring's own DecryptParts / DecryptPartsForReencryption.
RC_GTEST_PROP(KeyringProperty, BatchDecryptorMatchesPerTokenDecryption, ()) {
  testing::FakeRuntime rt;
  auto ring = Keyring::Create(rt.runtime(), AlgorithmPolicy::Standard()).value();
  const auto values =
      *rc::gen::container<std::vector<std::string>>(rc::gen::arbitrary<std::string>());
  std::vector<KeyedCiphertext> cts;
  for (const auto& v : values) {
    cts.push_back(ring->EncryptParts(AsBytes(v), AsBytes(v + "|aad")).value());
    if (*rc::gen::arbitrary<bool>()) {
      const auto alg = *rc::gen::elementOf(crypto::kAllAeadAlgorithms);
      RC_ASSERT(ring->Rotate(alg).has_value());
    }
  }
  for (const KeyInfo& k : ring->List()) {
    if (k.state != KeyState::kDecryptOnly) continue;
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        RC_ASSERT(ring->Disable(k.id).has_value());
        break;
      case 1:
        RC_ASSERT(ring->MarkCompromised(k.id).has_value());
        break;
      case 2:
        RC_ASSERT(ring->Destroy(k.id).has_value());
        break;
      default:
        break;
    }
  }
  for (auto& ct : cts) {
    switch (*rc::gen::inRange(0, 6)) {
      case 0:
        if (!ct.parts.ciphertext.empty()) ct.parts.ciphertext[0] ^= 1;
        break;
      case 1:
        ct.key_id ^= 0x5a5a5a5a;
        break;
      default:
        break;
    }
  }
  const auto order = *rc::gen::container<std::vector<std::size_t>>(
      values.size() * 2, rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(values.size(), 1)));
  for (const bool allow_compromised : {false, true}) {
    auto batch = ring->NewBatchDecryptor(allow_compromised);
    for (const std::size_t i : order) {
      if (i >= values.size()) continue;
      const auto& ct = cts[i];
      const std::string aad = values[i] + "|aad";
      auto got = batch.DecryptParts(ct.key_id, ct.parts.nonce, ct.parts.ciphertext, ct.parts.tag,
                                    AsBytes(aad));
      // The keyring's own calls take the reader lock again; no writer runs here, so that is safe.
      auto want =
          allow_compromised
              ? ring->DecryptPartsForReencryption(ct.key_id, ct.parts.nonce, ct.parts.ciphertext,
                                                  ct.parts.tag, AsBytes(aad))
              : ring->DecryptParts(ct.key_id, ct.parts.nonce, ct.parts.ciphertext, ct.parts.tag,
                                   AsBytes(aad));
      // DecryptPartsInto: the same plaintext in the caller's buffer, or the same error with the
      // buffer wiped.
      std::vector<std::uint8_t> into(ct.parts.ciphertext.size(), 0xAA);
      auto into_status = batch.DecryptPartsInto(ct.key_id, ct.parts.nonce, ct.parts.ciphertext,
                                                ct.parts.tag, AsBytes(aad), into);
      RC_ASSERT(got.has_value() == want.has_value());
      RC_ASSERT(into_status.has_value() == want.has_value());
      if (got.has_value()) {
        RC_ASSERT(got->RevealAsString() == want->RevealAsString());
        RC_ASSERT(std::string(into.begin(), into.end()) == want->RevealAsString());
      } else {
        RC_ASSERT(got.error().code() == want.error().code());
        RC_ASSERT(got.error().message() == want.error().message());
        RC_ASSERT(into_status.error().message() == want.error().message());
        RC_ASSERT(into == std::vector<std::uint8_t>(into.size(), 0));
      }
    }
  }
}

TEST_F(KeyringTest, BatchDecryptorHoldsOffKeyStateChangesUntilDestroyed) {
  auto ring = NewRing();
  const KeyId old = ring->primary_id();
  auto ct = ring->EncryptParts(AsBytes("v"), AsBytes("a")).value();
  ASSERT_TRUE(ring->Rotate().has_value());
  std::atomic<bool> disabled{false};
  std::thread writer;
  {
    auto batch = ring->NewBatchDecryptor();
    writer = std::thread([&] {
      EXPECT_TRUE(ring->Disable(old).has_value());
      disabled = true;
    });
    // Whatever the writer thread does meanwhile, the key cannot be disabled under the batch.
    for (int i = 0; i < 50; ++i) {
      auto pt = batch.DecryptParts(ct.key_id, ct.parts.nonce, ct.parts.ciphertext, ct.parts.tag,
                                   AsBytes("a"));
      ASSERT_TRUE(pt.has_value()) << pt.error();
      EXPECT_EQ(pt->RevealAsString(), "v");
      std::this_thread::yield();
    }
    EXPECT_FALSE(disabled.load());
  }
  writer.join();
  EXPECT_TRUE(disabled.load());
  auto batch = ring->NewBatchDecryptor();
  EXPECT_EQ(
      batch.DecryptParts(ct.key_id, ct.parts.nonce, ct.parts.ciphertext, ct.parts.tag, AsBytes("a"))
          .error()
          .code(),
      ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bulwark::keys
