// The ValueCipher used in production: ENC[...] tokens (docs/formats.md) encrypted with the primary
// key of a Keyring (envelope encryption: the keyring's DEKs are wrapped by a key provider's KEK).
// A token records its key id, so values encrypted before a rotation stay readable.
#ifndef BULWARK_SERVICE_KEYRING_VALUE_CIPHER_H_
#define BULWARK_SERVICE_KEYRING_VALUE_CIPHER_H_

#include <memory>

#include "bulwark/keys/keyring.h"
#include "bulwark/service/value_cipher.h"

namespace bulwark::service {

std::unique_ptr<ValueCipher> NewKeyringValueCipher(std::shared_ptr<const keys::Keyring> keyring);

// The same, but Decrypt also accepts tokens of keys marked compromised: only for moving their
// values to a new key (ConfigService::Reencrypt's `decrypt_with`, `bulwark keys compromised`).
std::unique_ptr<ValueCipher> NewKeyringValueCipherForReencryption(
    std::shared_ptr<const keys::Keyring> keyring);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_KEYRING_VALUE_CIPHER_H_
