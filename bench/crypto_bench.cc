// Crypto benchmarks: a 64-byte value encrypted/decrypted through the public keyed Aead API
// (Keyring::Encrypt / Decrypt, system runtime) beside raw OpenSSL EVP AES-256-GCM on the same input
// in the same run, and keystore unlock (Argon2id with the default parameters).
//
// The raw baseline is as lean as EVP gets: one EVP_CIPHER_CTX with the key schedule already loaded,
// reused across iterations; per iteration a fresh 12-byte nonce from RAND_bytes, then
// EncryptInit(iv) / Update / Final / GET_TAG into a preallocated buffer (Decrypt: SET_TAG / Final).
// Results: bench/results/crypto.md.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "bulwark/core/runtime.h"
#include "bulwark/crypto/aead.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/keys/local_keystore.h"
#include "bulwark/testing/temp_dir.h"

namespace {

using bulwark::crypto::AsBytes;

constexpr std::size_t kValueSize = 64;
const std::vector<std::uint8_t> kValue(kValueSize, 0x5a);
const std::string kAad = "config/production.yaml:database.password";

struct RawEvp {
  EVP_CIPHER_CTX* enc = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* dec = EVP_CIPHER_CTX_new();
  unsigned char key[32];
  RawEvp() {
    RAND_bytes(key, sizeof key);
    EVP_EncryptInit_ex(enc, EVP_aes_256_gcm(), nullptr, key, nullptr);
    EVP_DecryptInit_ex(dec, EVP_aes_256_gcm(), nullptr, key, nullptr);
  }
  ~RawEvp() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
  // out: nonce(12) || ct(64) || tag(16)
  bool Encrypt(std::uint8_t* out) {
    int len = 0;
    RAND_bytes(out, 12);
    return EVP_EncryptInit_ex(enc, nullptr, nullptr, nullptr, out) == 1 &&
           EVP_EncryptUpdate(enc, nullptr, &len,
                             reinterpret_cast<const unsigned char*>(kAad.data()),
                             static_cast<int>(kAad.size())) == 1 &&
           EVP_EncryptUpdate(enc, out + 12, &len, kValue.data(), kValueSize) == 1 &&
           EVP_EncryptFinal_ex(enc, out + 12 + len, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_AEAD_GET_TAG, 16, out + 12 + kValueSize) == 1;
  }
  bool Decrypt(const std::uint8_t* in, std::uint8_t* out) {
    int len = 0;
    return EVP_DecryptInit_ex(dec, nullptr, nullptr, nullptr, in) == 1 &&
           EVP_DecryptUpdate(dec, nullptr, &len,
                             reinterpret_cast<const unsigned char*>(kAad.data()),
                             static_cast<int>(kAad.size())) == 1 &&
           EVP_DecryptUpdate(dec, out, &len, in + 12, kValueSize) == 1 &&
           EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_AEAD_SET_TAG, 16,
                               const_cast<std::uint8_t*>(in + 12 + kValueSize)) == 1 &&
           EVP_DecryptFinal_ex(dec, out + len, &len) == 1;
  }
};

void BM_RawEvpAes256GcmEncrypt64(benchmark::State& state) {
  RawEvp evp;
  std::vector<std::uint8_t> out(12 + kValueSize + 16);
  for (auto _ : state) {
    if (!evp.Encrypt(out.data())) state.SkipWithError("EVP encrypt failed");
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_RawEvpAes256GcmEncrypt64);

// For reference only (not a safe usage): the same EVP calls with the nonce-generation step left
// out, to show how much of the cost is OpenSSL's RAND_bytes.
void BM_RawEvpAes256GcmEncrypt64NoRandom(benchmark::State& state) {
  RawEvp evp;
  std::vector<std::uint8_t> out(12 + kValueSize + 16);
  int len = 0;
  for (auto _ : state) {
    EVP_EncryptInit_ex(evp.enc, nullptr, nullptr, nullptr, out.data());
    EVP_EncryptUpdate(evp.enc, nullptr, &len, reinterpret_cast<const unsigned char*>(kAad.data()),
                      static_cast<int>(kAad.size()));
    EVP_EncryptUpdate(evp.enc, out.data() + 12, &len, kValue.data(), kValueSize);
    EVP_EncryptFinal_ex(evp.enc, out.data() + 12 + len, &len);
    EVP_CIPHER_CTX_ctrl(evp.enc, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + 12 + kValueSize);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_RawEvpAes256GcmEncrypt64NoRandom);

void BM_RawEvpAes256GcmDecrypt64(benchmark::State& state) {
  RawEvp evp;
  std::vector<std::uint8_t> ct(12 + kValueSize + 16), pt(kValueSize);
  evp.Encrypt(ct.data());
  for (auto _ : state) {
    if (!evp.Decrypt(ct.data(), pt.data())) state.SkipWithError("EVP decrypt failed");
    benchmark::DoNotOptimize(pt.data());
  }
}
BENCHMARK(BM_RawEvpAes256GcmDecrypt64);

std::unique_ptr<bulwark::keys::Keyring> NewKeyring() {
  return bulwark::keys::Keyring::Create(bulwark::Runtime::System(),
                                        bulwark::crypto::AlgorithmPolicy::Standard())
      .value();
}

void BM_KeyringAes256GcmEncrypt64(benchmark::State& state) {
  auto ring = NewKeyring();
  for (auto _ : state) {
    auto ct = ring->Encrypt(kValue, AsBytes(kAad));
    if (!ct.has_value()) state.SkipWithError("keyring encrypt failed");
    benchmark::DoNotOptimize(ct);
  }
}
BENCHMARK(BM_KeyringAes256GcmEncrypt64);

void BM_KeyringAes256GcmDecrypt64(benchmark::State& state) {
  auto ring = NewKeyring();
  auto ct = ring->Encrypt(kValue, AsBytes(kAad)).value();
  for (auto _ : state) {
    auto pt = ring->Decrypt(ct, AsBytes(kAad));
    if (!pt.has_value()) state.SkipWithError("keyring decrypt failed");
    benchmark::DoNotOptimize(pt);
  }
}
BENCHMARK(BM_KeyringAes256GcmDecrypt64);

void BM_KeyringEncryptParts64(benchmark::State& state) {
  auto ring = NewKeyring();
  for (auto _ : state) {
    auto parts = ring->EncryptParts(kValue, AsBytes(kAad));
    if (!parts.has_value()) state.SkipWithError("keyring encrypt failed");
    benchmark::DoNotOptimize(parts);
  }
}
BENCHMARK(BM_KeyringEncryptParts64);

// Other algorithms through the same API, for the algorithm-choice table.
void BM_KeyringEncrypt64ByAlgorithm(benchmark::State& state) {
  const auto alg = static_cast<bulwark::crypto::AeadAlgorithm>(state.range(0));
  auto ring = bulwark::keys::Keyring::Create(bulwark::Runtime::System(),
                                             bulwark::crypto::AlgorithmPolicy::Standard(),
                                             {.algorithm = alg})
                  .value();
  state.SetLabel(std::string(bulwark::crypto::AeadAlgorithmName(alg)));
  for (auto _ : state) {
    auto ct = ring->Encrypt(kValue, AsBytes(kAad));
    benchmark::DoNotOptimize(ct);
  }
}
BENCHMARK(BM_KeyringEncrypt64ByAlgorithm)->DenseRange(1, 4);

// Unlocking the local keystore: read, checksum, Argon2id (t=3, 64 MiB), decrypt the KEKs.
void BM_KeystoreUnlockArgon2idDefault(benchmark::State& state) {
  namespace fs = std::filesystem;
  const bulwark::testing::TempDir tmp("bulwark-bench");
  const fs::path& dir = tmp.path();
  const auto rt = bulwark::Runtime::System();
  const auto pass = bulwark::SecretBytes::FromString("correct horse battery staple");
  auto created = bulwark::keys::LocalKeystoreProvider::Create(
      dir / "keystore", pass, rt, bulwark::crypto::AlgorithmPolicy::Standard());
  if (!created.has_value()) {
    state.SkipWithError("keystore create failed");
    return;
  }
  for (auto _ : state) {
    auto opened = bulwark::keys::LocalKeystoreProvider::Open(
        dir / "keystore", pass, rt, bulwark::crypto::AlgorithmPolicy::Standard());
    if (!opened.has_value()) state.SkipWithError("keystore open failed");
    benchmark::DoNotOptimize(opened);
  }
}
BENCHMARK(BM_KeystoreUnlockArgon2idDefault)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
