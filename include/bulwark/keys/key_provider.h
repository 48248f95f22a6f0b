// KeyProvider: where key-encryption keys (KEKs) live. Envelope encryption keeps every data key
// (DEK) wrapped under a KEK held by a provider; only the provider can unwrap it.
//
// Implementations: LocalKeystoreProvider (a passphrase-protected file, local_keystore.h),
// Pkcs11Provider (a non-extractable AES key inside a PKCS#11 token, pkcs11_provider.h), and
// testing::FakeKms (a remote KMS stand-in with failure injection,
// testing/bulwark/testing/fake_kms.h).
//
// Contract for every implementation:
//  - WrapKey encrypts `dek` under the provider's current KEK, binding `context` (authenticated,
//    not stored): unwrapping with another context fails. The returned blob names the KEK it used,
//    so after RotateKek old blobs still unwrap (until the old KEK is removed) and Keyring::Rewrap
//    moves them to the new KEK without touching any ciphertext made with the DEKs; RetireOldKeks
//    then removes the old KEKs (crypto-shredding every earlier copy of the wrapped DEKs).
//  - UnwrapKey returns the DEK, or kDataLoss if the blob or context was altered, kNotFound if the
//    blob names a KEK the provider does not hold.
//  - Fail closed: when the backing store (token, KMS, file) cannot be reached, every operation
//    returns kUnavailable; no operation ever falls back to an unwrapped or cached-plaintext path.
//    HealthCheck performs a real round trip (kUnavailable when unreachable).
//  - Describe() is for humans and logs: kind and location ("local keystore /home/u/.bulwark/
//    keystore (KEK 1a2b3c4d)"); it never contains key material or passphrases.
//  - Error messages never contain key material.
//
// Thread safety: WrapKey, UnwrapKey, Describe and HealthCheck are safe to call concurrently;
// RotateKek and RetireOldKeks must not run concurrently with other calls.
#ifndef BULWARK_KEYS_KEY_PROVIDER_H_
#define BULWARK_KEYS_KEY_PROVIDER_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::keys {

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  virtual Result<std::vector<std::uint8_t>> WrapKey(
      const SecretBytes& dek, std::span<const std::uint8_t> context) const = 0;
  virtual Result<SecretBytes> UnwrapKey(std::span<const std::uint8_t> wrapped,
                                        std::span<const std::uint8_t> context) const = 0;

  // Makes a new KEK current. Old KEKs stay available for UnwrapKey.
  virtual Status RotateKek() = 0;

  // Crypto-shredding (docs/formats-keys.md, section 9): removes every KEK but the current one for
  // good, including any copy the provider keeps (the local keystore's .prev generation), and
  // returns how many it removed (0 when only the current KEK exists). Afterwards UnwrapKey of a
  // blob naming a removed KEK fails with kNotFound. Call it only once everything that must stay
  // readable was re-wrapped under the current KEK and saved durably (keys::ShredKeks does that).
  // kFailedPrecondition when the backing store refuses to delete a KEK (a PKCS#11 object that is
  // not destroyable), naming it; the KEKs removed before that stay removed. The KEKs of one
  // provider belong to one keyring: retiring strands any other keyring wrapped under them.
  virtual Result<std::size_t> RetireOldKeks() = 0;

  virtual std::string Describe() const = 0;
  virtual Status HealthCheck() const = 0;
};

}  // namespace bulwark::keys

#endif  // BULWARK_KEYS_KEY_PROVIDER_H_
