// JSON Web Tokens (RFC 7519) in JWS compact serialization (RFC 7515): parsing and verification.
//
// ParseJwt takes a token apart without trusting it: three base64url parts (no padding, strict
// alphabet, canonical trailing bits), a header and a payload that are JSON objects without
// duplicate member names, a string `alg`, no `crit` member (no extension is understood, so a
// critical one must be refused, RFC 7515 s4.1.11), at most kMaxJwtSize bytes. Every failure is
// kUnauthenticated with a message safe to show ("malformed token: the payload is not a JSON
// object"); no part of the token is echoed.
//
// VerifyJwt then decides, in this order (the first failure is returned, kUnauthenticated):
//   1. the header `alg` is one of the allowed algorithms: `none`, HS256/384/512, PS*, RS384, ...
//   are
//      refused before any key is looked at ("token algorithm 'HS256' is not accepted");
//   2. a key of the set has the token's kid (when it has one) and that key's algorithm is the
//      header's: an RSA key never verifies an ES256 or HS256 token (no algorithm confusion);
//      an unknown kid is "unknown signing key" (the caller may refresh the JWKS and retry);
//   3. the signature verifies;
//   4. `iss` equals the expected issuer exactly;
//   5. `aud` (a string or a list) contains one of the expected audiences;
//   6. `exp` is present (unless not required) and now < exp + leeway; `nbf` and `iat`, when
//      present, are <= now + leeway; every time claim is a number (NumericDate).
// Claims are returned as a config::Value map (numbers as int or double, lists, nested maps).
#ifndef BULWARK_IDENTITY_JWT_H_
#define BULWARK_IDENTITY_JWT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/identity/jwk.h"

namespace bulwark::identity {

inline constexpr std::size_t kMaxJwtSize = 16 * 1024;

struct ParsedJwt {
  std::string alg;  // as written in the header
  std::string kid;  // "" when absent
  std::string typ;  // "" when absent
  config::Value header = config::Value::EmptyMap();
  config::Value claims = config::Value::EmptyMap();
  std::string signing_input;  // the first two parts and the dot, as received
  std::vector<std::uint8_t> signature;
};

Result<ParsedJwt> ParseJwt(std::string_view token);

struct JwtValidation {
  std::string issuer;                  // required
  std::vector<std::string> audiences;  // required, at least one
  std::vector<JwsAlgorithm> algorithms = {JwsAlgorithm::kRs256, JwsAlgorithm::kEs256,
                                          JwsAlgorithm::kEdDsa};
  std::chrono::seconds leeway{60};  // clock skew tolerated on exp, nbf and iat
  bool require_exp = true;
};

// Steps 1-6 above. Returns the claims.
Result<config::Value> VerifyJwt(const ParsedJwt& jwt, const JwkSet& keys,
                                const JwtValidation& validation, TimePoint now);

// The message VerifyJwt returns for step 2's unknown kid (the authenticator refreshes on it).
inline constexpr std::string_view kUnknownSigningKey = "unknown signing key";

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_JWT_H_
