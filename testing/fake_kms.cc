#include "bulwark/testing/fake_kms.h"

#include <fmt/format.h>

namespace bulwark::testing {

Result<std::unique_ptr<FakeKms>> FakeKms::Create(std::string name,
                                                 std::shared_ptr<SecureRandom> random) {
  std::unique_ptr<FakeKms> kms(new FakeKms(std::move(name), std::move(random)));
  BULWARK_RETURN_IF_ERROR(kms->RotateKek());
  return kms;
}

Status FakeKms::Gate(std::string_view op) const {
  if (unavailable_) return UnavailableError(fmt::format("fake kms {}: {}: unreachable", name_, op));
  if (deny_) return PermissionDeniedError(fmt::format("fake kms {}: {}: access denied", name_, op));
  int n = fail_next_.load();
  while (n > 0) {
    if (fail_next_.compare_exchange_weak(n, n - 1)) {
      return UnavailableError(fmt::format("fake kms {}: {}: injected failure", name_, op));
    }
  }
  return OkStatus();
}

Status FakeKms::RotateKek() {
  BULWARK_RETURN_IF_ERROR(Gate("rotate"));
  BULWARK_ASSIGN_OR_RETURN(
      auto key, crypto::AeadCipher::GenerateKey(crypto::AeadAlgorithm::kAes256Gcm, *random_));
  BULWARK_ASSIGN_OR_RETURN(
      auto cipher,
      crypto::AeadCipher::Create(crypto::AeadAlgorithm::kAes256Gcm, std::move(key), random_));
  std::lock_guard lock(mu_);
  versions_[++current_] = std::move(cipher);
  return OkStatus();
}

Result<std::size_t> FakeKms::RetireOldKeks() {
  BULWARK_RETURN_IF_ERROR(Gate("retire"));
  std::lock_guard lock(mu_);
  const std::size_t removed = versions_.size() - 1;
  std::erase_if(versions_, [&](const auto& kv) { return kv.first != current_; });
  return removed;
}

std::uint32_t FakeKms::current_version() const {
  std::lock_guard lock(mu_);
  return current_;
}

Status FakeKms::DestroyVersion(std::uint32_t version) {
  std::lock_guard lock(mu_);
  if (version == current_) {
    return FailedPreconditionError(
        fmt::format("fake kms {}: version {} is current", name_, version));
  }
  if (versions_.erase(version) == 0) {
    return NotFoundError(fmt::format("fake kms {}: no version {}", name_, version));
  }
  return OkStatus();
}

Result<std::vector<std::uint8_t>> FakeKms::WrapKey(const SecretBytes& dek,
                                                   std::span<const std::uint8_t> context) const {
  BULWARK_RETURN_IF_ERROR(Gate("wrap"));
  ++wrap_calls_;
  std::lock_guard lock(mu_);
  const std::uint8_t prefix[5] = {
      1, static_cast<std::uint8_t>(current_ >> 24), static_cast<std::uint8_t>(current_ >> 16),
      static_cast<std::uint8_t>(current_ >> 8), static_cast<std::uint8_t>(current_)};
  return versions_.at(current_)->EncryptWithPrefix(prefix, dek.Reveal(), context);
}

Result<SecretBytes> FakeKms::UnwrapKey(std::span<const std::uint8_t> wrapped,
                                       std::span<const std::uint8_t> context) const {
  BULWARK_RETURN_IF_ERROR(Gate("unwrap"));
  ++unwrap_calls_;
  if (wrapped.size() < 5 || wrapped[0] != 1) {
    return DataLossError(fmt::format("fake kms {}: unwrap: malformed blob", name_));
  }
  const std::uint32_t version = (std::uint32_t{wrapped[1]} << 24) |
                                (std::uint32_t{wrapped[2]} << 16) |
                                (std::uint32_t{wrapped[3]} << 8) | std::uint32_t{wrapped[4]};
  std::lock_guard lock(mu_);
  auto it = versions_.find(version);
  if (it == versions_.end()) {
    return NotFoundError(
        fmt::format("fake kms {}: unwrap: key version {} does not exist", name_, version));
  }
  auto dek = it->second->Decrypt(wrapped.subspan(5), context);
  if (!dek.has_value()) {
    return std::unexpected(dek.error().WithContext(fmt::format("fake kms {}: unwrap", name_)));
  }
  return dek;
}

std::string FakeKms::Describe() const {
  return fmt::format("fake kms {} (version {})", name_, current_version());
}

Status FakeKms::HealthCheck() const {
  // A real round trip, as the interface requires.
  SecretBytes probe(16);
  BULWARK_ASSIGN_OR_RETURN(auto blob, WrapKey(probe, {}));
  BULWARK_RETURN_IF_ERROR(UnwrapKey(blob, {}));
  return OkStatus();
}

}  // namespace bulwark::testing
