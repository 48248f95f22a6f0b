#include "bulwark/crypto/kdf.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <sodium.h>

#include <cstring>

#include "crypto/openssl_util.h"

namespace bulwark::crypto {
namespace {
using internal::EvpPtr;
using internal::OpenSslError;

// OpenSSL rejects NULL buffers even with zero length; point empty inputs at a dummy byte.
unsigned char* NonNull(std::span<const std::uint8_t> s) {
  static unsigned char dummy = 0;
  return s.empty() ? &dummy : const_cast<unsigned char*>(s.data());
}

Result<SecretBytes> RunKdf(std::string_view kdf_name, OSSL_PARAM* params, std::size_t out_len) {
  EvpPtr<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, std::string(kdf_name).c_str(), nullptr));
  if (!kdf) return OpenSslError(fmt::format("{}: fetch", kdf_name));
  EvpPtr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return OpenSslError(fmt::format("{}: new context", kdf_name));
  SecretBytes out(out_len);
  if (EVP_KDF_derive(ctx.get(), out.MutableReveal().data(), out_len, params) != 1) {
    return OpenSslError(fmt::format("{}: derive", kdf_name));
  }
  return out;
}
}  // namespace

Result<SecretBytes> Hkdf(HashAlgorithm h, const SecretBytes& ikm,
                         std::span<const std::uint8_t> salt, std::span<const std::uint8_t> info,
                         std::size_t out_len) {
  const std::size_t max = 255 * HashSize(h);
  if (out_len == 0 || out_len > max) {
    return InvalidArgumentError(
        fmt::format("hkdf-{}: output length {} outside 1..{}", HashAlgorithmName(h), out_len, max));
  }
  char digest[8];
  std::memcpy(digest, HashAlgorithmName(h).data(), 6);
  digest[6] = '\0';
  std::vector<OSSL_PARAM> params;
  params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0));
  params.push_back(
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, NonNull(ikm.Reveal()), ikm.size()));
  if (!salt.empty()) {
    params.push_back(
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, NonNull(salt), salt.size()));
  }
  params.push_back(
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, NonNull(info), info.size()));
  params.push_back(OSSL_PARAM_construct_end());
  return RunKdf("HKDF", params.data(), out_len);
}

Result<SecretBytes> Pbkdf2(HashAlgorithm h, const SecretBytes& password,
                           std::span<const std::uint8_t> salt, std::uint32_t iterations,
                           std::size_t out_len) {
  if (iterations == 0 || out_len == 0) {
    return InvalidArgumentError(
        fmt::format("pbkdf2-hmac-{}: iterations and output length must be "
                    "at least 1 (got {} and {})",
                    HashAlgorithmName(h), iterations, out_len));
  }
  char digest[8];
  std::memcpy(digest, HashAlgorithmName(h).data(), 6);
  digest[6] = '\0';
  // pkcs5=1 turns off SP 800-132's minimums (salt >= 128 bits, >= 1000 iterations) in the default
  // provider so RFC/Wycheproof vectors can be checked; passphrase callers go through
  // DerivePasswordKey, which enforces its own minimums. The FIPS provider ignores it.
  int pkcs5 = 1;
  std::uint64_t iter = iterations;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, NonNull(password.Reveal()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, NonNull(salt), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5),
      OSSL_PARAM_construct_end(),
  };
  return RunKdf("PBKDF2", params, out_len);
}

std::string_view PasswordKdfName(PasswordKdf kdf) {
  return kdf == PasswordKdf::kArgon2id ? "argon2id" : "pbkdf2-hmac-sha256";
}

Result<PasswordKdfParams> PasswordKdfParams::DefaultArgon2id(SecureRandom& random) {
  PasswordKdfParams p;
  BULWARK_ASSIGN_OR_RETURN(p.salt, random.Bytes(kPasswordSaltSize));
  return p;
}

Result<PasswordKdfParams> PasswordKdfParams::DefaultPbkdf2(SecureRandom& random) {
  PasswordKdfParams p;
  p.kdf = PasswordKdf::kPbkdf2HmacSha256;
  p.iterations = kPbkdf2DefaultIterations;
  p.memory_kib = 0;
  BULWARK_ASSIGN_OR_RETURN(p.salt, random.Bytes(kPasswordSaltSize));
  return p;
}

Status PasswordKdfParams::Validate() const {
  if (salt.size() != kPasswordSaltSize) {
    return InvalidArgumentError(
        fmt::format("password kdf: salt must be {} bytes, got {}", kPasswordSaltSize, salt.size()));
  }
  switch (kdf) {
    case PasswordKdf::kArgon2id:
      if (iterations < 1 || iterations > 64) {
        return InvalidArgumentError(fmt::format("argon2id: opslimit {} outside 1..64", iterations));
      }
      if (memory_kib < 8 || memory_kib > (std::uint32_t{4} << 20)) {
        return InvalidArgumentError(
            fmt::format("argon2id: memory {} KiB outside 8..4194304 KiB", memory_kib));
      }
      return OkStatus();
    case PasswordKdf::kPbkdf2HmacSha256:
      if (iterations < 1000 || iterations > 100'000'000) {
        return InvalidArgumentError(
            fmt::format("pbkdf2-hmac-sha256: {} iterations outside 1000..100000000", iterations));
      }
      if (memory_kib != 0) {
        return InvalidArgumentError("pbkdf2-hmac-sha256: memory must be 0");
      }
      return OkStatus();
  }
  return InvalidArgumentError(
      fmt::format("password kdf: unknown kdf id {}", static_cast<int>(kdf)));
}

Result<SecretBytes> Argon2id(const SecretBytes& passphrase, std::span<const std::uint8_t> salt,
                             std::uint32_t ops_limit, std::uint32_t memory_kib,
                             std::size_t out_len) {
  if (sodium_init() < 0) return InternalError("argon2id: libsodium failed to initialize");
  if (salt.size() != crypto_pwhash_SALTBYTES) {
    return InvalidArgumentError(fmt::format("argon2id: salt must be {} bytes, got {}",
                                            crypto_pwhash_SALTBYTES, salt.size()));
  }
  if (out_len < crypto_pwhash_BYTES_MIN || ops_limit < crypto_pwhash_OPSLIMIT_MIN ||
      std::size_t{memory_kib} * 1024 < crypto_pwhash_MEMLIMIT_MIN) {
    return InvalidArgumentError(
        fmt::format("argon2id: output {} bytes (min {}), opslimit {} (min {}), memory {} KiB (min "
                    "{}) out of range",
                    out_len, crypto_pwhash_BYTES_MIN, ops_limit, crypto_pwhash_OPSLIMIT_MIN,
                    memory_kib, crypto_pwhash_MEMLIMIT_MIN / 1024));
  }
  SecretBytes out(out_len);
  const char* pw =
      passphrase.empty() ? "" : reinterpret_cast<const char*>(passphrase.Reveal().data());
  if (crypto_pwhash(out.MutableReveal().data(), out_len, pw, passphrase.size(), salt.data(),
                    ops_limit, std::size_t{memory_kib} * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhaustedError(
        fmt::format("argon2id: could not allocate {} KiB (t={})", memory_kib, ops_limit));
  }
  return out;
}

Result<SecretBytes> DerivePasswordKey(const SecretBytes& passphrase,
                                      const PasswordKdfParams& params, std::size_t out_len) {
  BULWARK_RETURN_IF_ERROR(params.Validate());
  if (out_len < 16 || out_len > 64) {
    return InvalidArgumentError(
        fmt::format("password kdf: output length {} outside 16..64", out_len));
  }
  if (params.kdf == PasswordKdf::kArgon2id) {
    return Argon2id(passphrase, params.salt, params.iterations, params.memory_kib, out_len);
  }
  return Pbkdf2(HashAlgorithm::kSha256, passphrase, params.salt, params.iterations, out_len);
}

}  // namespace bulwark::crypto
