// Fuzzes the JWT parser and verifier (identity/jwt.h): no crash on any input; an accepted parse
// has three parts whose first two are the signing input; verification against a fixed JWKS (the
// RFC 7515 A.3 P-256 key and the RFC 8037 Ed25519 key) never accepts a token whose algorithm is
// outside the allowed set, and no error message echoes the signature part.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bulwark/identity/jwk.h"
#include "bulwark/identity/jwt.h"

namespace {

const bulwark::identity::JwkSet& Keys() {
  static const auto* keys = [] {
    auto set = bulwark::identity::JwkSet::Parse(
        R"({"keys":[{"kty":"EC","crv":"P-256","kid":"a3",
             "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})",
        "fuzz");
    if (!set) std::abort();
    return new bulwark::identity::JwkSet(std::move(*set));
  }();
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto jwt = bulwark::identity::ParseJwt(text);
  if (!jwt) {
    if (jwt.error().code() != bulwark::ErrorCode::kUnauthenticated) std::abort();
    return 0;
  }
  if (!text.starts_with(jwt->signing_input) || text.size() <= jwt->signing_input.size() ||
      text[jwt->signing_input.size()] != '.') {
    std::abort();
  }
  bulwark::identity::JwtValidation v;
  v.issuer = "joe";
  v.audiences = {"bulwark"};
  v.algorithms = {bulwark::identity::JwsAlgorithm::kEs256};
  auto claims = bulwark::identity::VerifyJwt(*jwt, Keys(), v, bulwark::TimePoint());
  if (claims && jwt->alg != "ES256") std::abort();
  if (!claims) {
    const std::string_view sig = text.substr(jwt->signing_input.size() + 1);
    if (sig.size() >= 8 && claims.error().message().find(sig) != std::string::npos) std::abort();
  }
  return 0;
}
