// Algorithm policy and FIPS mode.
//
// An AlgorithmPolicy says which algorithms a component may use; it is created once at start-up and
// passed to the keyring and key providers (no global state of our own). Two policies exist:
//
//  - Standard: every algorithm Bulwark implements.
//  - FIPS: only FIPS 140-3 approved algorithms: AES-GCM (SP 800-38D), SHA-2 (FIPS 180-4), HMAC
//    (FIPS 198-1), HKDF (SP 800-56C), PBKDF2 (SP 800-132), ECDSA and Ed25519 (FIPS 186-5).
//    ChaCha20-Poly1305, XChaCha20-Poly1305 and Argon2id are refused with kFailedPrecondition
//    naming the algorithm and "FIPS mode".
//
// CreateFipsPolicy() additionally loads OpenSSL 3's "fips" provider into the process's default
// library context and makes "fips=yes" the default property query, so every later EVP fetch in the
// process is served by the validated module. If the provider cannot be loaded (not installed, no
// fipsmodule.cnf, self-test failure) it refuses with kFailedPrecondition and changes nothing; it
// never falls back to the default provider silently. Note that the OpenSSL provider state is
// process-wide by OpenSSL's design; the returned policy keeps the provider loaded while it lives.
//
// Thread safety: AlgorithmPolicy is an immutable value; create the FIPS policy before starting
// threads that use OpenSSL.
#ifndef BULWARK_CRYPTO_POLICY_H_
#define BULWARK_CRYPTO_POLICY_H_

#include <memory>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/crypto/aead.h"
#include "bulwark/crypto/kdf.h"

namespace bulwark::crypto {

enum class FipsMode : std::uint8_t { kOff, kRequired };

class AlgorithmPolicy {
 public:
  // Everything Bulwark implements; no provider changes.
  static AlgorithmPolicy Standard();
  // Loads the OpenSSL FIPS provider (see above) or returns kFailedPrecondition.
  static Result<AlgorithmPolicy> CreateFipsPolicy();
  // Standard() for kOff, CreateFipsPolicy() for kRequired.
  static Result<AlgorithmPolicy> Create(FipsMode mode);

  // A FIPS policy without loading the provider: the approved-algorithm checks only. For tests of
  // the checks on machines without a FIPS module; production code uses CreateFipsPolicy().
  static AlgorithmPolicy FipsChecksOnlyForTesting();

  bool fips() const { return fips_; }

  // OK, or kFailedPrecondition "<ALG> is not FIPS-approved; FIPS mode allows AES256_GCM,
  // AES128_GCM".
  Status CheckAead(AeadAlgorithm alg) const;
  Status CheckPasswordKdf(PasswordKdf kdf) const;
  // The password KDF new keystores use under this policy: Argon2id, or PBKDF2 in FIPS mode.
  PasswordKdf DefaultPasswordKdf() const;

 private:
  struct ProviderHandle;
  AlgorithmPolicy(bool fips, std::shared_ptr<ProviderHandle> provider)
      : fips_(fips), provider_(std::move(provider)) {}
  bool fips_;
  std::shared_ptr<ProviderHandle> provider_;
};

// True if `alg` is FIPS-approved (AES-GCM).
bool IsFipsApproved(AeadAlgorithm alg);
bool IsFipsApproved(PasswordKdf kdf);

}  // namespace bulwark::crypto

#endif  // BULWARK_CRYPTO_POLICY_H_
