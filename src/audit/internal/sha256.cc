#include "audit/internal/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace bulwark::audit::internal {
namespace {

struct ThreadDigest {
  ThreadDigest() : md(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx(EVP_MD_CTX_new()) {
    if (md == nullptr || ctx == nullptr) std::abort();  // OpenSSL without SHA-256: cannot continue
  }
  ~ThreadDigest() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
  ThreadDigest(const ThreadDigest&) = delete;
  ThreadDigest& operator=(const ThreadDigest&) = delete;
  EVP_MD* md;
  EVP_MD_CTX* ctx;
};

}  // namespace

std::array<std::uint8_t, 32> Sha256(std::span<const std::span<const std::uint8_t>> parts) {
  thread_local ThreadDigest digest;
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  // SHA-256 cannot fail on in-memory input once the context exists; a failure is a broken library.
  if (EVP_DigestInit_ex2(digest.ctx, digest.md, nullptr) != 1) std::abort();
  for (auto part : parts) {
    if (EVP_DigestUpdate(digest.ctx, part.data(), part.size()) != 1) std::abort();
  }
  if (EVP_DigestFinal_ex(digest.ctx, out.data(), &len) != 1 || len != out.size()) std::abort();
  return out;
}

}  // namespace bulwark::audit::internal
