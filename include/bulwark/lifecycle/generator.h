// Generating a secret's next value (docs/rotation.md section 3): passwords by policy, random
// bytes, Ed25519 and RSA key pairs (PKCS#8 PEM private key, SPKI PEM public key), or an external
// generator command's stdout.
//
// Values are built in zeroizing buffers; randomness for passwords, bytes and Ed25519 seeds comes
// from the runtime's SecureRandom (deterministic in tests), RSA key generation uses OpenSSL's own
// DRBG (the FIPS one when the FIPS provider is active).
//
// Errors: kInvalidArgument for a strategy that cannot generate (kNone, an empty command, classes
// with no characters); kUnavailable when a generator command cannot run or fails (naming its exit
// status, never its output); errors of the random source.
//
// Thread safety: pure functions of their arguments.
#ifndef BULWARK_LIFECYCLE_GENERATOR_H_
#define BULWARK_LIFECYCLE_GENERATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/lifecycle/metadata.h"

namespace bulwark::lifecycle {

struct GeneratedSecret {
  SecretBytes value;
  std::string public_key;  // PEM, for ed25519/rsa ("" otherwise); not secret
};

// `env` is added to a generator command's environment (BULWARK_NAMESPACE, BULWARK_PATH, ...).
Result<GeneratedSecret> GenerateSecret(const Strategy& strategy, SecureRandom& random,
                                       const std::vector<std::pair<std::string, std::string>>& env = {});

// The SPKI PEM public key of a PEM private key (what ed25519/rsa write to `public_path`).
// kInvalidArgument when `private_pem` is not a PEM private key (the message names no content).
Result<std::string> PublicKeyOf(const SecretBytes& private_pem);

}  // namespace bulwark::lifecycle

#endif  // BULWARK_LIFECYCLE_GENERATOR_H_
