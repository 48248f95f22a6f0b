// Internal helpers for calling OpenSSL 3: owning pointers for its objects and error-queue
// formatting. Not part of the public API.
#ifndef BULWARK_SRC_CRYPTO_OPENSSL_UTIL_H_
#define BULWARK_SRC_CRYPTO_OPENSSL_UTIL_H_

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::crypto::internal {

struct EvpDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
  void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); }
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
template <typename T>
using EvpPtr = std::unique_ptr<T, EvpDeleter>;

// Drains OpenSSL's thread-local error queue into one line ("error:...; error:..."), or
// "no OpenSSL error" when empty. OpenSSL's messages never contain key material.
std::string DrainOpenSslErrors();

// kInternal "<operation>: <openssl errors>".
std::unexpected<Error> OpenSslError(std::string_view operation);

// Clears the error queue without reporting it (after an expected failure such as a bad tag).
void ClearOpenSslErrors();

}  // namespace bulwark::crypto::internal

#endif  // BULWARK_SRC_CRYPTO_OPENSSL_UTIL_H_
