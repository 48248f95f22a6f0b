#include "bulwark/identity/jwt.h"

#include <fmt/format.h>

#include <cmath>

#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"

namespace bulwark::identity {
namespace {

std::unexpected<Error> Malformed(std::string_view why) {
  return UnauthenticatedError(fmt::format("malformed token: {}", why));
}

// base64url without padding (RFC 7515 s2), strict.
Result<std::vector<std::uint8_t>> DecodePart(std::string_view part, std::string_view name) {
  if (part.find('=') != std::string_view::npos) {
    return Malformed(fmt::format("the {} is padded base64url", name));
  }
  auto bytes = Base64Decode(part, Base64Alphabet::kUrlSafe);
  if (!bytes) return Malformed(fmt::format("the {} is not base64url", name));
  return bytes;
}

Result<config::Value> DecodeObject(std::string_view part, std::string_view name) {
  BULWARK_ASSIGN_OR_RETURN(auto bytes, DecodePart(part, name));
  config::ParseOptions options;
  options.source_name = std::string(name);
  options.max_depth = 16;
  options.track_locations = false;
  auto doc = config::ParseDocument(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
      config::Format::kJson, options);
  if (!doc) return Malformed(fmt::format("the {} is not valid JSON", name));
  if (!doc->root.is_map()) return Malformed(fmt::format("the {} is not a JSON object", name));
  return std::move(doc->root);
}

std::optional<std::string> OptionalString(const config::Value& obj, std::string_view name) {
  const config::Value* v = obj.Get(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->AsString();
}

// A NumericDate claim as seconds since the epoch: absent -> nullopt, not a number -> error.
Result<std::optional<double>> TimeClaim(const config::Value& claims, std::string_view name) {
  const config::Value* v = claims.Get(name);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number() || !std::isfinite(v->AsNumber())) {
    return UnauthenticatedError(fmt::format("token claim '{}' is not a NumericDate", name));
  }
  return std::optional<double>(v->AsNumber());
}

}  // namespace

Result<ParsedJwt> ParseJwt(std::string_view token) {
  if (token.empty()) return Malformed("empty");
  if (token.size() > kMaxJwtSize) return Malformed("too large");
  const std::size_t d1 = token.find('.');
  const std::size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return Malformed("expected three dot-separated parts (JWS compact serialization)");
  }
  ParsedJwt jwt;
  BULWARK_ASSIGN_OR_RETURN(jwt.header, DecodeObject(token.substr(0, d1), "header"));
  const config::Value* alg = jwt.header.Get("alg");
  if (alg == nullptr || !alg->is_string()) return Malformed("the header has no string 'alg'");
  jwt.alg = alg->AsString();
  if (jwt.header.Get("crit") != nullptr) {
    return Malformed("the header has critical extensions ('crit'), none of which is supported");
  }
  if (const config::Value* kid = jwt.header.Get("kid"); kid != nullptr) {
    if (!kid->is_string()) return Malformed("the header's 'kid' is not a string");
    jwt.kid = kid->AsString();
  }
  jwt.typ = OptionalString(jwt.header, "typ").value_or("");
  BULWARK_ASSIGN_OR_RETURN(jwt.claims, DecodeObject(token.substr(d1 + 1, d2 - d1 - 1), "payload"));
  BULWARK_ASSIGN_OR_RETURN(jwt.signature, DecodePart(token.substr(d2 + 1), "signature"));
  jwt.signing_input = std::string(token.substr(0, d2));
  return jwt;
}

Result<config::Value> VerifyJwt(const ParsedJwt& jwt, const JwkSet& keys,
                                const JwtValidation& validation, TimePoint now) {
  // 1. The algorithm, before any key.
  std::optional<JwsAlgorithm> alg = ParseJwsAlgorithm(jwt.alg);
  bool allowed = false;
  for (JwsAlgorithm a : validation.algorithms) allowed = allowed || (alg && *alg == a);
  if (!allowed) {
    return UnauthenticatedError(
        fmt::format("token algorithm '{}' is not accepted", jwt.alg.substr(0, 16)));
  }
  // 2. A key of that algorithm (and kid).
  std::vector<const Jwk*> candidates = keys.Candidates(jwt.kid, *alg);
  if (candidates.empty()) {
    if (!jwt.kid.empty() && keys.HasKid(jwt.kid)) {
      return UnauthenticatedError(
          fmt::format("token algorithm '{}' does not match its signing key", jwt.alg));
    }
    return UnauthenticatedError(std::string(kUnknownSigningKey));
  }
  // 3. The signature.
  bool verified = false;
  for (const Jwk* k : candidates) {
    auto s = k->Verify(jwt.signing_input, jwt.signature);
    if (s) {
      verified = true;
      break;
    }
    if (s.error().code() != ErrorCode::kUnauthenticated) return std::unexpected(s.error());
  }
  if (!verified) return UnauthenticatedError("token signature is invalid");
  const config::Value& claims = jwt.claims;
  // 4. Issuer.
  if (OptionalString(claims, "iss") != validation.issuer) {
    return UnauthenticatedError("token issuer is not accepted");
  }
  // 5. Audience.
  bool audience_ok = false;
  auto check_aud = [&](const config::Value& v) {
    if (!v.is_string()) return;
    for (const auto& want : validation.audiences) audience_ok = audience_ok || v.AsString() == want;
  };
  if (const config::Value* aud = claims.Get("aud"); aud != nullptr) {
    if (aud->is_list()) {
      for (const auto& v : aud->AsList()) check_aud(v);
    } else {
      check_aud(*aud);
    }
  }
  if (!audience_ok) return UnauthenticatedError("token audience is not accepted");
  // 6. Time.
  const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway = static_cast<double>(validation.leeway.count());
  BULWARK_ASSIGN_OR_RETURN(auto exp, TimeClaim(claims, "exp"));
  BULWARK_ASSIGN_OR_RETURN(auto nbf, TimeClaim(claims, "nbf"));
  BULWARK_ASSIGN_OR_RETURN(auto iat, TimeClaim(claims, "iat"));
  if (!exp && validation.require_exp) return UnauthenticatedError("token has no expiry ('exp')");
  if (exp && t >= *exp + leeway) return UnauthenticatedError("token expired");
  if (nbf && t + leeway < *nbf) return UnauthenticatedError("token not yet valid");
  if (iat && t + leeway < *iat) return UnauthenticatedError("token issued in the future");
  return claims;
}

}  // namespace bulwark::identity
