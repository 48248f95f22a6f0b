// Pkcs11Provider: the KEK is a non-extractable AES-256 key inside a PKCS#11 token (an HSM, or
// SoftHSM2 in tests); wrapping and unwrapping run inside the token with CKM_AES_GCM, so the KEK
// never enters this process.
//
// The module (e.g. /usr/lib/softhsm/libsofthsm2.so) is loaded with dlopen; nothing links against a
// PKCS#11 library. KEKs are token objects of class CKO_SECRET_KEY, type CKK_AES, CKA_LABEL =
// Options::key_label, CKA_ID = 4-byte big-endian KEK number (1, 2, 3...; the highest is current),
// created with CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE = true and CKA_EXTRACTABLE = false.
//
// Wrapped-DEK blob, byte by byte:
//   0x01 | KEK number (4, big-endian) | nonce (12, from the injected SecureRandom) |
//   AES-256-GCM ciphertext of the DEK | tag (16)
// with the caller's context as GCM associated data.
//
// Errors (fail closed; no operation falls back to anything local):
//  - the module cannot be loaded, the token is absent, or the device/session is lost:
//    kUnavailable, e.g. "PKCS#11 module /usr/lib/softhsm/libsofthsm2.so cannot be loaded (...);
//    is SoftHSM2 / the HSM client installed?";
//  - wrong PIN: kUnauthenticated; no KEK with the label and create_if_missing is false: kNotFound;
//  - a blob or context that does not authenticate: kDataLoss.
//
// Thread safety: calls are serialized on one PKCS#11 session by an internal mutex.
#ifndef BULWARK_KEYS_PKCS11_PROVIDER_H_
#define BULWARK_KEYS_PKCS11_PROVIDER_H_

#include <memory>
#include <string>
#include <vector>

#include "bulwark/core/runtime.h"
#include "bulwark/keys/key_provider.h"

namespace bulwark::keys {

class Pkcs11Provider final : public KeyProvider {
 public:
  struct Options {
    std::string module_path = "/usr/lib/softhsm/libsofthsm2.so";
    std::string token_label;  // the token's CKA_LABEL (up to 32 characters)
    SecretBytes pin;          // user PIN
    std::string key_label = "bulwark-kek";
    bool create_if_missing = false;  // generate KEK number 1 inside the token if none exists
  };

  static Result<std::unique_ptr<Pkcs11Provider>> Open(Options options,
                                                      std::shared_ptr<SecureRandom> random);

  Result<std::vector<std::uint8_t>> WrapKey(const SecretBytes& dek,
                                            std::span<const std::uint8_t> context) const override;
  Result<SecretBytes> UnwrapKey(std::span<const std::uint8_t> wrapped,
                                std::span<const std::uint8_t> context) const override;
  // Generates the next KEK number inside the token and makes it current.
  Status RotateKek() override;
  // Destroys (C_DestroyObject) every token object of the key label but the current number,
  // lowest number first. kFailedPrecondition naming the KEK number when the token refuses
  // (CKR_ACTION_PROHIBITED: CKA_DESTROYABLE is false, or the token's policy forbids it); the KEKs
  // destroyed before it stay destroyed; the others are still usable.
  Result<std::size_t> RetireOldKeks() override;
  // The KEK numbers found on the token (ascending).
  std::vector<std::uint32_t> kek_numbers() const;
  std::string Describe() const override;
  // A real wrap/unwrap round trip through the token.
  Status HealthCheck() const override;

  // OK if the current KEK is sensitive, non-extractable and its value cannot be read out of the
  // token (C_GetAttributeValue(CKA_VALUE) is refused); kFailedPrecondition otherwise.
  Status CheckKekIsNonExtractable() const;
  std::uint32_t current_kek() const;

  ~Pkcs11Provider() override;

 private:
  struct Impl;
  explicit Pkcs11Provider(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::keys

#endif  // BULWARK_KEYS_PKCS11_PROVIDER_H_
