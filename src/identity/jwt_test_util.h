// Test-only JWS signing: fresh RSA-2048, P-256 and Ed25519 keys, their public JWKs, and compact
// tokens over any header and payload text (including hostile ones). Never linked into the product.
#ifndef BULWARK_SRC_IDENTITY_JWT_TEST_UTIL_H_
#define BULWARK_SRC_IDENTITY_JWT_TEST_UTIL_H_

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/encoding.h"
#include "bulwark/identity/jwk.h"

namespace bulwark::identity::testing {

inline std::string B64(std::string_view s) {
  return Base64Encode(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()),
                      Base64Alphabet::kUrlSafe);
}
inline std::string B64(const std::vector<std::uint8_t>& b) {
  return Base64Encode(b, Base64Alphabet::kUrlSafe);
}

class TestKey {
 public:
  TestKey(JwsAlgorithm alg, std::string kid) : alg_(alg), kid_(std::move(kid)) {
    switch (alg) {
      case JwsAlgorithm::kRs256:
        pkey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
        break;
      case JwsAlgorithm::kEs256:
        pkey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        break;
      case JwsAlgorithm::kEdDsa:
        pkey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
        break;
    }
    if (pkey_ == nullptr) std::abort();
  }
  ~TestKey() { EVP_PKEY_free(pkey_); }
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;

  JwsAlgorithm alg() const { return alg_; }
  const std::string& kid() const { return kid_; }

  // The public JWK as JSON ({"kty":..., "kid":..., ...}); `extra` is appended inside the object.
  std::string PublicJwk(std::string_view extra = "") const {
    std::string body;
    if (alg_ == JwsAlgorithm::kRs256) {
      body = "\"kty\":\"RSA\",\"n\":\"" + B64(Bn(OSSL_PKEY_PARAM_RSA_N)) + "\",\"e\":\"" +
             B64(Bn(OSSL_PKEY_PARAM_RSA_E)) + "\"";
    } else if (alg_ == JwsAlgorithm::kEs256) {
      std::vector<std::uint8_t> point(65);
      std::size_t len = 0;
      EVP_PKEY_get_octet_string_param(pkey_, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                      &len);
      std::vector<std::uint8_t> x(point.begin() + 1, point.begin() + 33);
      std::vector<std::uint8_t> y(point.begin() + 33, point.begin() + 65);
      body = "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + B64(x) + "\",\"y\":\"" + B64(y) + "\"";
    } else {
      std::vector<std::uint8_t> x(32);
      std::size_t len = x.size();
      EVP_PKEY_get_raw_public_key(pkey_, x.data(), &len);
      body = "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + B64(x) + "\"";
    }
    if (!kid_.empty()) body += ",\"kid\":\"" + kid_ + "\"";
    if (!extra.empty()) body += "," + std::string(extra);
    return "{" + body + "}";
  }

  // The raw JWS signature over `input` (ES256 as R || S).
  std::vector<std::uint8_t> Sign(std::string_view input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const EVP_MD* md = alg_ == JwsAlgorithm::kEdDsa ? nullptr : EVP_sha256();
    std::size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    if (EVP_DigestSignInit(ctx, nullptr, md, nullptr, pkey_) != 1 ||
        EVP_DigestSign(ctx, nullptr, &len, in, input.size()) != 1) {
      std::abort();
    }
    std::vector<std::uint8_t> sig(len);
    if (EVP_DigestSign(ctx, sig.data(), &len, in, input.size()) != 1) std::abort();
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    if (alg_ != JwsAlgorithm::kEs256) return sig;
    const unsigned char* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::vector<std::uint8_t> raw(64);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw.data() + 32, 32);
    ECDSA_SIG_free(es);
    return raw;
  }

  // header.payload.signature with the given JSON texts.
  std::string Token(std::string_view header_json, std::string_view payload_json) const {
    const std::string input = B64(header_json) + "." + B64(payload_json);
    return input + "." + B64(Sign(input));
  }

 private:
  std::vector<std::uint8_t> Bn(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(pkey_, name, &bn);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, out.data());
    BN_free(bn);
    return out;
  }

  JwsAlgorithm alg_;
  std::string kid_;
  EVP_PKEY* pkey_ = nullptr;
};

// HS256 over `input` with `key` (to forge algorithm-confusion tokens).
inline std::string HmacToken(std::string_view header_json, std::string_view payload_json,
                             std::string_view key) {
  const std::string input = B64(header_json) + "." + B64(payload_json);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + B64(std::vector<std::uint8_t>(mac, mac + len));
}

}  // namespace bulwark::identity::testing

#endif  // BULWARK_SRC_IDENTITY_JWT_TEST_UTIL_H_
