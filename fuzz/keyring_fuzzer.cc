// Fuzzes the keys module's parsers: keyed ciphertexts (Keyring::KeyIdOf / Decrypt) and keyring
// files (Keyring::Load). For the file, the harness uses a provider that "wraps" by prefixing 0x01
// and recomputes the trailing HMAC-SHA256 with the in-clear MAC key, so the fuzzer reaches the
// record parser behind the MAC check. Invariants: no crash, no sanitizer report, and a loaded
// keyring has exactly one primary that encrypts and decrypts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bulwark/crypto/hash.h"
#include "bulwark/keys/keyring.h"

namespace {

using namespace bulwark;

class CounterRandom final : public SecureRandom {
 public:
  Status Fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(++n_ * 131);
    return OkStatus();
  }

 private:
  std::uint64_t n_ = 0;
};

class FixedClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::seconds(1'800'000'000)); }
};

// Identity "wrapping": 0x01 || key. Not a real provider; it lets the harness forge valid MACs.
class ClearProvider final : public keys::KeyProvider {
 public:
  Result<std::vector<std::uint8_t>> WrapKey(const SecretBytes& dek,
                                            std::span<const std::uint8_t>) const override {
    std::vector<std::uint8_t> out{1};
    out.insert(out.end(), dek.Reveal().begin(), dek.Reveal().end());
    return out;
  }
  Result<SecretBytes> UnwrapKey(std::span<const std::uint8_t> wrapped,
                                std::span<const std::uint8_t>) const override {
    if (wrapped.empty() || wrapped[0] != 1) return DataLossError("clear provider: bad blob");
    return SecretBytes(wrapped.subspan(1));
  }
  Status RotateKek() override { return OkStatus(); }
  Result<std::size_t> RetireOldKeks() override { return std::size_t{0}; }  // one "KEK": none old
  std::string Describe() const override { return "clear"; }
  Status HealthCheck() const override { return OkStatus(); }
};

Runtime MakeRuntime() {
  return Runtime{std::make_shared<FixedClock>(), std::make_shared<CounterRandom>(), nullptr};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  static auto ring = [] {
    auto r = keys::Keyring::Create(MakeRuntime(), crypto::AlgorithmPolicy::Standard()).value();
    (void)r->Rotate(crypto::AeadAlgorithm::kXChaCha20Poly1305);
    return r;
  }();
  (void)keys::Keyring::KeyIdOf(input);
  (void)ring->Decrypt(input, {});

  // Keyring file with a recomputed MAC: magic(4) version(1) count(2) mac_len(4) mac_key ...
  if (size >= 11) {
    const std::uint32_t mac_len = (std::uint32_t{data[7]} << 24) | (std::uint32_t{data[8]} << 16) |
                                  (std::uint32_t{data[9]} << 8) | std::uint32_t{data[10]};
    if (mac_len >= 1 && mac_len <= size - 11) {
      const SecretBytes mac_key(input.subspan(12, mac_len - 1));
      std::string file(reinterpret_cast<const char*>(data), size);
      file.replace(0, 4, "BWKR");
      auto mac = crypto::HmacSha256(mac_key, crypto::AsBytes(file));
      if (mac.has_value()) {
        file.append(mac->begin(), mac->end());
        ClearProvider provider;
        auto loaded =
            keys::Keyring::Load(file, provider, MakeRuntime(), crypto::AlgorithmPolicy::Standard());
        if (loaded.has_value()) {
          auto ct = (*loaded)->Encrypt(crypto::AsBytes("x"), {});
          if (!ct.has_value() && ct.error().code() != ErrorCode::kResourceExhausted) std::abort();
          if (ct.has_value()) {
            auto pt = (*loaded)->Decrypt(*ct, {});
            if (!pt.has_value() || pt->RevealAsString() != "x") std::abort();
          }
        }
      }
    }
  }
  return 0;
}
