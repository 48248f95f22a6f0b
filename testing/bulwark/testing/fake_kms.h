// FakeKms: an in-memory stand-in for a remote KMS (AWS KMS, GCP KMS, Vault transit) behind the
// KeyProvider interface, with failure injection. Never linked into the product.
//
// Key material is AES-256-GCM KEK versions held in this object ("the remote side"); blobs are
//   0x01 | KEK version (4, big-endian) | nonce (12) | ciphertext | tag (16)
// with the caller's context as associated data, like a KMS Encrypt call with an encryption context.
//
// Failure injection (all thread-safe):
//  - set_unavailable(true): every call returns kUnavailable ("fake kms <name>: unreachable"), like
//  a
//    network partition; nothing falls back.
//  - FailNextCalls(n): the next n calls fail with kUnavailable, then calls succeed again.
//  - set_deny(true): every call returns kPermissionDenied (revoked IAM grant).
// Counters: wrap_calls(), unwrap_calls() count calls that reached the "remote" side.
#ifndef BULWARK_TESTING_FAKE_KMS_H_
#define BULWARK_TESTING_FAKE_KMS_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bulwark/core/runtime.h"
#include "bulwark/crypto/aead.h"
#include "bulwark/keys/key_provider.h"

namespace bulwark::testing {

class FakeKms final : public keys::KeyProvider {
 public:
  // `name` appears in Describe() and errors ("projects/p/keys/k").
  static Result<std::unique_ptr<FakeKms>> Create(std::string name,
                                                 std::shared_ptr<SecureRandom> random);

  Result<std::vector<std::uint8_t>> WrapKey(const SecretBytes& dek,
                                            std::span<const std::uint8_t> context) const override;
  Result<SecretBytes> UnwrapKey(std::span<const std::uint8_t> wrapped,
                                std::span<const std::uint8_t> context) const override;
  Status RotateKek() override;
  // Deletes every version but the current one (through the same failure gate as other calls).
  Result<std::size_t> RetireOldKeks() override;
  std::string Describe() const override;
  Status HealthCheck() const override;

  // Deletes an old KEK version (like scheduling key version destruction).
  Status DestroyVersion(std::uint32_t version);
  std::uint32_t current_version() const;

  void set_unavailable(bool v) { unavailable_ = v; }
  void set_deny(bool v) { deny_ = v; }
  void FailNextCalls(int n) { fail_next_ = n; }
  int wrap_calls() const { return wrap_calls_; }
  int unwrap_calls() const { return unwrap_calls_; }

 private:
  FakeKms(std::string name, std::shared_ptr<SecureRandom> random)
      : name_(std::move(name)), random_(std::move(random)) {}
  Status Gate(std::string_view op) const;

  std::string name_;
  std::shared_ptr<SecureRandom> random_;
  mutable std::mutex mu_;
  std::map<std::uint32_t, std::unique_ptr<crypto::AeadCipher>> versions_;
  std::uint32_t current_ = 0;
  std::atomic<bool> unavailable_{false};
  std::atomic<bool> deny_{false};
  mutable std::atomic<int> fail_next_{0};
  mutable std::atomic<int> wrap_calls_{0};
  mutable std::atomic<int> unwrap_calls_{0};
};

}  // namespace bulwark::testing

#endif  // BULWARK_TESTING_FAKE_KMS_H_
