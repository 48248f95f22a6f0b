#include "bulwark/identity/jwt_authenticator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "identity/internal/config_reader.h"
#include "identity/internal/principal.h"

namespace bulwark::identity {
namespace {

// A claim that is a string or a list of strings, as a list (other values are ignored).
std::vector<std::string> StringsOf(const config::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.push_back(v->AsString());
  } else if (v->is_list()) {
    for (const auto& item : v->AsList()) {
      if (item.is_string()) out.push_back(item.AsString());
    }
  }
  return out;
}

std::string Truncated(std::string_view s) { return std::string(s.substr(0, 200)); }

Result<JwtIssuerConfig> IssuerFromConfig(const config::Value& v, const std::string& where,
                                         const Runtime& runtime,
                                         const std::filesystem::path& base_dir) {
  BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(v, where));
  BULWARK_RETURN_IF_ERROR(
      r.OnlyKeys({"issuer", "audiences", "jwks_file", "jwks_url", "jwks_ca_file", "algorithms",
                  "leeway", "require_exp", "jwks_min_refresh", "jwks_max_age", "claims",
                  "attributes", "mfa_amr", "roles"}));
  JwtIssuerConfig c;
  BULWARK_ASSIGN_OR_RETURN(c.validation.issuer, r.RequiredString("issuer"));
  BULWARK_ASSIGN_OR_RETURN(c.validation.audiences, r.Strings("audiences"));
  if (c.validation.audiences.empty()) {
    return InvalidArgumentError(
        fmt::format("{}: at least one audience is required", r.Where("audiences")));
  }
  if (r.Find("algorithms") != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(auto names, r.Strings("algorithms"));
    c.validation.algorithms.clear();
    for (const auto& n : names) {
      auto alg = ParseJwsAlgorithm(n);
      if (!alg) {
        return InvalidArgumentError(fmt::format("{}: '{}' is not supported (RS256, ES256, EdDSA)",
                                                r.Where("algorithms"), n));
      }
      c.validation.algorithms.push_back(*alg);
    }
    if (c.validation.algorithms.empty()) {
      return InvalidArgumentError(fmt::format("{}: empty", r.Where("algorithms")));
    }
  }
  BULWARK_ASSIGN_OR_RETURN(c.validation.leeway, r.Duration("leeway", std::chrono::seconds(60)));
  if (c.validation.leeway > std::chrono::minutes(10)) {
    return InvalidArgumentError(fmt::format("{}: at most 10m", r.Where("leeway")));
  }
  BULWARK_ASSIGN_OR_RETURN(c.validation.require_exp, r.Bool("require_exp", true));
  JwksCache::Options cache;
  BULWARK_ASSIGN_OR_RETURN(cache.min_refresh_interval,
                           r.Duration("jwks_min_refresh", std::chrono::seconds(60)));
  BULWARK_ASSIGN_OR_RETURN(cache.max_age, r.Duration("jwks_max_age", std::chrono::hours(1)));
  BULWARK_ASSIGN_OR_RETURN(std::string file, r.String("jwks_file"));
  BULWARK_ASSIGN_OR_RETURN(std::string url, r.String("jwks_url"));
  BULWARK_ASSIGN_OR_RETURN(std::string ca, r.String("jwks_ca_file"));
  if (file.empty() == url.empty()) {
    return InvalidArgumentError(
        fmt::format("{}: give exactly one of jwks_file and jwks_url", where));
  }
  std::unique_ptr<JwksSource> source;
  if (!file.empty()) {
    std::filesystem::path p(file);
    if (p.is_relative()) p = base_dir / p;
    source = NewFileJwksSource(runtime.fs, p);
  } else {
    JwksUrlOptions o;
    o.url = url;
    if (!ca.empty()) {
      std::filesystem::path p(ca);
      o.ca_file = (p.is_relative() ? base_dir / p : p).string();
    }
    auto s = NewUrlJwksSource(std::move(o));
    if (!s) return std::unexpected(s.error().WithContext(r.Where("jwks_url")));
    source = std::move(*s);
  }
  c.jwks = std::make_shared<JwksCache>(std::move(source), runtime.clock, cache);
  if (const config::Value* claims = r.Find("claims"); claims != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(auto cr, internal::ConfigReader::Create(*claims, r.Where("claims")));
    BULWARK_RETURN_IF_ERROR(cr.OnlyKeys({"subject", "groups", "amr"}));
    BULWARK_ASSIGN_OR_RETURN(c.subject_claim, cr.String("subject", "sub"));
    BULWARK_ASSIGN_OR_RETURN(c.groups_claim, cr.String("groups", "groups"));
    BULWARK_ASSIGN_OR_RETURN(c.amr_claim, cr.String("amr", "amr"));
  }
  BULWARK_ASSIGN_OR_RETURN(
      c.attribute_claims, r.StringMap("attributes", {"method", "mfa", "issuer", "subject", "groups",
                                                     "amr", "expires_at"}));
  if (r.Find("mfa_amr") != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(c.mfa_amr, r.Strings("mfa_amr"));
  }
  if (const config::Value* roles = r.Find("roles"); roles != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(c.roles, RoleMapping::FromValue(*roles, r.Where("roles")));
  }
  return c;
}

}  // namespace

Result<std::unique_ptr<JwtAuthenticator>> JwtAuthenticator::Create(
    std::vector<JwtIssuerConfig> issuers, std::shared_ptr<Clock> clock) {
  if (issuers.empty()) return InvalidArgumentError("jwt: no issuer configured");
  std::set<std::string> seen;
  for (const auto& i : issuers) {
    if (i.validation.issuer.empty()) return InvalidArgumentError("jwt: an issuer is empty");
    if (!seen.insert(i.validation.issuer).second) {
      return InvalidArgumentError(
          fmt::format("jwt: issuer '{}' is configured twice", i.validation.issuer));
    }
    if (i.validation.audiences.empty()) {
      return InvalidArgumentError(
          fmt::format("jwt: issuer '{}' has no audience", i.validation.issuer));
    }
    if (i.jwks == nullptr) {
      return InvalidArgumentError(fmt::format("jwt: issuer '{}' has no JWKS", i.validation.issuer));
    }
    if (i.subject_claim.empty()) {
      return InvalidArgumentError(
          fmt::format("jwt: issuer '{}' has no subject claim", i.validation.issuer));
    }
  }
  return std::unique_ptr<JwtAuthenticator>(
      new JwtAuthenticator(std::move(issuers), std::move(clock)));
}

Result<std::unique_ptr<JwtAuthenticator>> JwtAuthenticator::FromConfig(
    const config::Value& section, std::string_view where, const Runtime& runtime,
    const std::filesystem::path& base_dir) {
  BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(section, std::string(where)));
  BULWARK_RETURN_IF_ERROR(r.OnlyKeys({"issuers"}));
  const config::Value* list = r.Find("issuers");
  if (list == nullptr || !list->is_list() || list->AsList().empty()) {
    return InvalidArgumentError(
        fmt::format("{}: a non-empty list is required", r.Where("issuers")));
  }
  std::vector<JwtIssuerConfig> issuers;
  for (std::size_t i = 0; i < list->AsList().size(); ++i) {
    BULWARK_ASSIGN_OR_RETURN(
        auto c, IssuerFromConfig(list->AsList()[i], fmt::format("{}[{}]", r.Where("issuers"), i),
                                 runtime, base_dir));
    issuers.push_back(std::move(c));
  }
  auto a = Create(std::move(issuers), runtime.clock);
  if (!a) return std::unexpected(a.error().WithContext(where));
  return a;
}

bool JwtAuthenticator::Accepts(const Credential& credential) const {
  if (credential.kind != CredentialKind::kBearerToken) return false;
  const std::string_view t = credential.secret.RevealAsString();
  return !t.starts_with("bwk_") && std::count(t.begin(), t.end(), '.') == 2;
}

const JwtIssuerConfig* JwtAuthenticator::FindIssuer(const config::Value& claims) const {
  const config::Value* iss = claims.Get("iss");
  if (iss == nullptr || !iss->is_string()) return nullptr;
  for (const auto& i : issuers_) {
    if (i.validation.issuer == iss->AsString()) return &i;
  }
  return nullptr;
}

std::string JwtAuthenticator::ClaimedId(const Credential& credential) const {
  auto jwt = ParseJwt(credential.secret.RevealAsString());
  if (!jwt) return "";
  const config::Value* iss = jwt->claims.Get("iss");
  const config::Value* sub = jwt->claims.Get("sub");
  return fmt::format("oidc:{}|{}", Truncated(iss && iss->is_string() ? iss->AsString() : "?"),
                     Truncated(sub && sub->is_string() ? sub->AsString() : "?"));
}

Result<service::Principal> JwtAuthenticator::Authenticate(const Credential& credential) const {
  if (credential.kind != CredentialKind::kBearerToken) {
    return UnauthenticatedError("not a bearer token");
  }
  BULWARK_ASSIGN_OR_RETURN(ParsedJwt jwt, ParseJwt(credential.secret.RevealAsString()));
  const JwtIssuerConfig* issuer = FindIssuer(jwt.claims);
  if (issuer == nullptr) return UnauthenticatedError("token issuer is not accepted");
  BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<const JwkSet> keys, issuer->jwks->Get());
  const TimePoint now = clock_->Now();
  auto claims = VerifyJwt(jwt, *keys, issuer->validation, now);
  if (!claims && claims.error().message() == kUnknownSigningKey) {
    BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<const JwkSet> fresh, issuer->jwks->Refresh());
    if (fresh != keys) claims = VerifyJwt(jwt, *fresh, issuer->validation, now);
  }
  if (!claims) return std::unexpected(claims.error());

  const config::Value* sub = claims->Get(issuer->subject_claim);
  if (sub == nullptr || !sub->is_string() || sub->AsString().empty()) {
    return UnauthenticatedError(
        fmt::format("token has no subject claim '{}'", Truncated(issuer->subject_claim)));
  }
  const std::vector<std::string> groups = StringsOf(claims->Get(issuer->groups_claim));
  const std::vector<std::string> amr = StringsOf(claims->Get(issuer->amr_claim));
  bool mfa = false;
  for (const auto& m : amr) {
    mfa = mfa ||
          std::find(issuer->mfa_amr.begin(), issuer->mfa_amr.end(), m) != issuer->mfa_amr.end();
  }
  service::Principal p = internal::NewPrincipal(
      "oidc", fmt::format("oidc:{}|{}", issuer->validation.issuer, sub->AsString()),
      issuer->roles.Map(groups), "jwt", mfa);
  auto& attrs = p.attributes.AsMap();
  attrs.Set("issuer", config::Value(issuer->validation.issuer));
  attrs.Set("subject", config::Value(sub->AsString()));
  attrs.Set("groups", internal::StringListValue(groups));
  attrs.Set("amr", internal::StringListValue(amr));
  if (const config::Value* exp = claims->Get("exp"); exp != nullptr && exp->is_number()) {
    const auto secs = static_cast<std::int64_t>(std::floor(exp->AsNumber()));
    if (secs > 0 && secs < 253402300800) {  // before year 10000
      attrs.Set("expires_at", config::Value(FormatRfc3339(TimePoint(std::chrono::seconds(secs)))));
    }
  }
  for (const auto& [attribute, claim] : issuer->attribute_claims) {
    if (const config::Value* v = claims->Get(claim); v != nullptr) attrs.Set(attribute, *v);
  }
  return p;
}

}  // namespace bulwark::identity
