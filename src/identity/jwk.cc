#include "bulwark/identity/jwk.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"

namespace bulwark::identity {

struct Jwk::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

Result<std::vector<std::uint8_t>> Field(const config::Value& key, std::string_view name,
                                        const std::string& where) {
  const config::Value* v = key.Get(name);
  if (v == nullptr || !v->is_string() || v->AsString().empty()) {
    return InvalidArgumentError(fmt::format("{}.{}: required (a base64url string)", where, name));
  }
  auto bytes = Base64Decode(v->AsString(), Base64Alphabet::kUrlSafe);
  if (!bytes) {
    return InvalidArgumentError(
        fmt::format("{}.{}: not base64url: {}", where, name, bytes.error().message()));
  }
  return bytes;
}

Result<EVP_PKEY*> FromData(const char* type, OSSL_PARAM* params, const std::string& where) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok = ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    ERR_clear_error();
    return InvalidArgumentError(fmt::format("{}: not a valid {} public key", where, type));
  }
  // Checks the key itself (for EC: the point is on the curve and not the point at infinity).
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  const bool valid = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!valid) {
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    return InvalidArgumentError(fmt::format("{}: not a valid {} public key", where, type));
  }
  return pkey;
}

Result<EVP_PKEY*> RsaKey(const config::Value& key, const std::string& where) {
  BULWARK_ASSIGN_OR_RETURN(auto n, Field(key, "n", where));
  BULWARK_ASSIGN_OR_RETURN(auto e, Field(key, "e", where));
  if (e.size() > 8) return InvalidArgumentError(fmt::format("{}.e: too large", where));
  BnPtr bn_n(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) return InternalError("jwk: BN_bin2bn failed");
  if (BN_num_bits(bn_n.get()) < 2048) {
    return InvalidArgumentError(fmt::format("{}.n: RSA modulus of {} bits (2048 or more required)",
                                            where, BN_num_bits(bn_n.get())));
  }
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    return InvalidArgumentError(fmt::format("{}.e: not a valid RSA exponent", where));
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  if (bld != nullptr && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1) {
    params = OSSL_PARAM_BLD_to_param(bld);
  }
  OSSL_PARAM_BLD_free(bld);
  if (params == nullptr) return InternalError("jwk: cannot build RSA parameters");
  auto pkey = FromData("RSA", params, where);
  OSSL_PARAM_free(params);
  return pkey;
}

Result<EVP_PKEY*> EcKey(const config::Value& key, const std::string& where) {
  BULWARK_ASSIGN_OR_RETURN(auto x, Field(key, "x", where));
  BULWARK_ASSIGN_OR_RETURN(auto y, Field(key, "y", where));
  if (x.size() != 32 || y.size() != 32) {
    return InvalidArgumentError(fmt::format("{}: P-256 coordinates must be 32 bytes each", where));
  }
  std::vector<std::uint8_t> point{0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  return FromData("EC", params, where);
}

Result<EVP_PKEY*> OkpKey(const config::Value& key, const std::string& where) {
  BULWARK_ASSIGN_OR_RETURN(auto x, Field(key, "x", where));
  if (x.size() != 32) {
    return InvalidArgumentError(fmt::format("{}.x: an Ed25519 public key is 32 bytes", where));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, x.data(), x.size());
  if (pkey == nullptr) {
    ERR_clear_error();
    return InvalidArgumentError(fmt::format("{}: not a valid Ed25519 public key", where));
  }
  return pkey;
}

const config::Value* StringMember(const config::Value& key, std::string_view name) {
  const config::Value* v = key.Get(name);
  return v != nullptr && v->is_string() ? v : nullptr;
}

// One member of "keys": the key, nullopt when it is of a kind we skip, or an error.
Result<std::optional<Jwk>> ParseKey(const config::Value& key, const std::string& where, auto make) {
  if (!key.is_map()) return InvalidArgumentError(fmt::format("{}: expected a JSON object", where));
  for (std::string_view priv : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (key.Get(priv) != nullptr) {
      return InvalidArgumentError(fmt::format(
          "{}: holds private key material ('{}'); publish only public keys", where, priv));
    }
  }
  const config::Value* kty = StringMember(key, "kty");
  if (kty == nullptr) return InvalidArgumentError(fmt::format("{}.kty: required", where));
  if (const config::Value* use = key.Get("use"); use != nullptr) {
    if (!use->is_string()) return InvalidArgumentError(fmt::format("{}.use: not a string", where));
    if (use->AsString() != "sig") return std::optional<Jwk>();
  }
  const config::Value* crv = StringMember(key, "crv");
  std::optional<JwsAlgorithm> alg;
  if (kty->AsString() == "RSA") {
    alg = JwsAlgorithm::kRs256;
  } else if (kty->AsString() == "EC" && crv != nullptr && crv->AsString() == "P-256") {
    alg = JwsAlgorithm::kEs256;
  } else if (kty->AsString() == "OKP" && crv != nullptr && crv->AsString() == "Ed25519") {
    alg = JwsAlgorithm::kEdDsa;
  } else {
    return std::optional<Jwk>();  // oct, other curves: never used
  }
  if (const config::Value* a = key.Get("alg"); a != nullptr) {
    if (!a->is_string()) return InvalidArgumentError(fmt::format("{}.alg: not a string", where));
    if (a->AsString() != JwsAlgorithmName(*alg)) return std::optional<Jwk>();  // RS384, PS256, ...
  }
  std::string kid;
  if (const config::Value* k = key.Get("kid"); k != nullptr) {
    if (!k->is_string()) return InvalidArgumentError(fmt::format("{}.kid: not a string", where));
    kid = k->AsString();
  }
  Result<EVP_PKEY*> pkey = *alg == JwsAlgorithm::kRs256   ? RsaKey(key, where)
                           : *alg == JwsAlgorithm::kEs256 ? EcKey(key, where)
                                                          : OkpKey(key, where);
  if (!pkey) return std::unexpected(pkey.error());
  return std::optional<Jwk>(make(std::move(kid), *alg, *pkey));
}

}  // namespace

std::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kRs256:
      return "RS256";
    case JwsAlgorithm::kEs256:
      return "ES256";
    case JwsAlgorithm::kEdDsa:
      return "EdDSA";
  }
  return "?";
}

std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  if (name == "RS256") return JwsAlgorithm::kRs256;
  if (name == "ES256") return JwsAlgorithm::kEs256;
  if (name == "EdDSA") return JwsAlgorithm::kEdDsa;
  return std::nullopt;
}

Status Jwk::Verify(std::string_view signing_input, std::span<const std::uint8_t> signature) const {
  std::vector<std::uint8_t> der;
  std::span<const std::uint8_t> sig = signature;
  if (alg_ == JwsAlgorithm::kEs256) {
    // JWS carries R || S (32 bytes each); OpenSSL verifies the DER ECDSA-Sig-Value.
    if (signature.size() != 64) return UnauthenticatedError("token signature is invalid");
    ECDSA_SIG* es = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(signature.data(), 32, nullptr);
    BIGNUM* s = BN_bin2bn(signature.data() + 32, 32, nullptr);
    if (es == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(es, r, s) != 1) {
      ECDSA_SIG_free(es);
      BN_free(r);
      BN_free(s);
      return InternalError("jwt: cannot build an ECDSA signature");
    }
    unsigned char* out = nullptr;
    const int len = i2d_ECDSA_SIG(es, &out);
    ECDSA_SIG_free(es);
    if (len <= 0) return InternalError("jwt: cannot encode an ECDSA signature");
    der.assign(out, out + len);
    OPENSSL_free(out);
    sig = der;
  } else if (alg_ == JwsAlgorithm::kEdDsa && signature.size() != 64) {
    return UnauthenticatedError("token signature is invalid");
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return InternalError("jwt: EVP_MD_CTX_new failed");
  const EVP_MD* md = alg_ == JwsAlgorithm::kEdDsa ? nullptr : EVP_sha256();
  int rc = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key_->pkey);
  if (rc == 1) {
    rc = EVP_DigestVerify(ctx, sig.data(), sig.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size());
  } else {
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return InternalError("jwt: cannot initialize signature verification");
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (rc != 1) return UnauthenticatedError("token signature is invalid");
  return OkStatus();
}

Result<JwkSet> JwkSet::Parse(std::string_view json, std::string_view source) {
  config::ParseOptions options;
  options.source_name = std::string(source);
  options.max_depth = 16;
  options.track_locations = false;
  auto doc = config::ParseDocument(json, config::Format::kJson, options);
  if (!doc) return InvalidArgumentError(fmt::format("JWKS {}", doc.error().message()));
  const config::Value& root = doc->root;
  std::vector<const config::Value*> members;
  std::vector<std::string> names;
  if (root.is_map() && root.Get("keys") != nullptr) {
    const config::Value* keys = root.Get("keys");
    if (!keys->is_list()) {
      return InvalidArgumentError(fmt::format("{}: keys: expected a list", source));
    }
    for (std::size_t i = 0; i < keys->AsList().size(); ++i) {
      members.push_back(&keys->AsList()[i]);
      names.push_back(fmt::format("{}: keys[{}]", source, i));
    }
  } else if (root.is_map() && root.Get("kty") != nullptr) {
    members.push_back(&root);
    names.push_back(std::string(source));
  } else {
    return InvalidArgumentError(
        fmt::format("{}: expected a JWK Set ({{\"keys\": [...]}}) or a JWK", source));
  }
  JwkSet set;
  auto make = [](std::string kid, JwsAlgorithm alg, EVP_PKEY* pkey) {
    Jwk k;
    k.kid_ = std::move(kid);
    k.alg_ = alg;
    auto holder = std::make_shared<Jwk::Key>();
    holder->pkey = pkey;
    k.key_ = std::move(holder);
    return k;
  };
  for (std::size_t i = 0; i < members.size(); ++i) {
    BULWARK_ASSIGN_OR_RETURN(std::optional<Jwk> key, ParseKey(*members[i], names[i], make));
    if (!key) {
      ++set.skipped_;
      continue;
    }
    if (!key->kid().empty() && set.HasKid(key->kid())) {
      return InvalidArgumentError(
          fmt::format("{}.kid: '{}' is used by two keys", names[i], key->kid()));
    }
    set.keys_.push_back(std::move(*key));
  }
  if (set.keys_.empty()) {
    return InvalidArgumentError(fmt::format(
        "{}: no usable signing key (RSA, EC P-256 or OKP Ed25519 with use 'sig')", source));
  }
  return set;
}

std::vector<const Jwk*> JwkSet::Candidates(std::string_view kid, JwsAlgorithm alg) const {
  std::vector<const Jwk*> out;
  for (const auto& k : keys_) {
    if (k.algorithm() != alg) continue;
    if (!kid.empty() && k.kid() != kid) continue;
    out.push_back(&k);
  }
  return out;
}

bool JwkSet::HasKid(std::string_view kid) const {
  for (const auto& k : keys_) {
    if (k.kid() == kid) return true;
  }
  return false;
}

}  // namespace bulwark::identity
