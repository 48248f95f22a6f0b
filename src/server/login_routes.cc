// POST /v1/auth/ldap/login (include/bulwark/server/login_routes.h).
#include "bulwark/server/login_routes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "bulwark/core/encoding.h"
#include "bulwark/identity/credential.h"
#include "bulwark/server/api_error.h"
#include "bulwark/server/rate_limiter.h"
#include "server/internal/json_util.h"
#include "server/internal/openapi.h"

namespace bulwark::server {
namespace {

using internal::BadField;
using internal::Body;
using internal::OpDoc;
using json = nlohmann::ordered_json;

// The address without the port: "[::1]:5000" -> "[::1]", "127.0.0.1:5000" -> "127.0.0.1".
std::string Host(const std::string& source) {
  const std::size_t colon = source.rfind(':');
  if (colon == std::string::npos || (source.starts_with('[') && source.find(']') > colon)) return source;
  return source.substr(0, colon);
}

// `ldap-<user>-<8 hex>`: the user name kept to the token-name alphabet and 40 characters.
Result<std::string> TokenName(std::string_view id, SecureRandom& random) {
  std::string user;
  for (char c : id) {
    if (user.size() >= 40) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    user.push_back(ok ? c : '_');
  }
  std::array<std::uint8_t, 4> suffix{};
  BULWARK_RETURN_IF_ERROR(random.Fill(suffix));
  return fmt::format("ldap-{}-{}", user, HexEncode(std::span<const std::uint8_t>(suffix)));
}

struct LoginState {
  LdapLoginOptions options;
  RateLimiter limiter;
  LoginState(LdapLoginOptions o)
      : options(std::move(o)),
        limiter(static_cast<double>(options.attempts_per_minute) / 60.0, static_cast<double>(options.attempts_per_minute)) {}
};

ApiResponse Login(const ApiDeps& deps, LoginState& st, const ApiRequest& req) {
  const std::string& rid = req.context.request_id;
  auto body = Body::Parse(req, deps.max_json_depth);
  if (!body) return body.error();
  if (auto s = body->OnlyFields({"username", "password"}); !s) return s.error();
  auto username = body->String("username");
  if (!username) return username.error();
  const config::Value* pw = body->Find("password");
  if (pw == nullptr) return BadField(req, "password", "required").error();
  if (!pw->is_string()) return BadField(req, "password", "must be a string").error();
  identity::Credential cred = identity::Credential::Password(*username, pw->AsString(), req.context.source_address);

  // Every attempt counts, per address and per user name (a distributed guess at one password).
  for (const std::string& key : {"addr:" + Host(req.context.source_address), "user:" + *username}) {
    auto verdict = st.limiter.Allow(key);
    if (!verdict.allowed) {
      auto r = ApiErrorResponse(429, "rate_limited", "too many login attempts; try again later", rid);
      r.headers.emplace_back("Retry-After",
                             std::to_string(static_cast<long long>(std::ceil(verdict.retry_after_seconds))));
      return r;
    }
  }
  if (auto h = deps.audit->HealthCheck(); !h) {
    return ApiErrorResponse(503, "unavailable",
                            fmt::format("auth.login: refused because the audit log is unavailable: {}", h.error().message()),
                            rid);
  }

  service::AuditRecord rec;
  rec.time = st.options.clock->Now();
  rec.operation = "auth.login";
  rec.action = service::Action::kRead;
  rec.context = req.context;
  auto principal = st.options.ldap->Authenticate(cred);
  if (!principal) {
    rec.outcome = service::Outcome::kFailure;
    rec.context.principal.id = st.options.ldap->ClaimedId(cred);
    rec.context.principal.kind = "ldap";
    rec.reason = fmt::format("ldap authentication failed: {}", principal.error().message());
    if (deps.metrics) deps.metrics->Add("bulwark_authn_failures_total", {"ldap"});
    (void)deps.audit->Append(rec);
    if (principal.error().code() == ErrorCode::kUnauthenticated) {
      auto r = ApiErrorResponse(401, "unauthenticated", "invalid credentials", rid);
      return r;
    }
    return ApiErrorResponse(principal.error(), rid);
  }

  identity::NewTokenRequest nt;
  auto name = TokenName(std::string_view(principal->id).substr(principal->id.find(':') + 1), *st.options.random);
  if (!name) return ApiErrorResponse(name.error(), rid);
  nt.name = std::move(*name);
  nt.roles = principal->roles;
  nt.created_by = principal->id;
  nt.expires_at = st.options.clock->Now() + st.options.token_ttl;
  rec.context.principal = *principal;
  if (nt.roles.empty()) {
    // A token needs a role; a user whose groups map to none may not sign in to anything.
    rec.outcome = service::Outcome::kDenied;
    rec.reason = "ldap login: the user's groups map to no role";
    (void)deps.audit->Append(rec);
    return ApiErrorResponse(403, "permission_denied", "ldap login: the user's groups map to no role", rid);
  }
  auto created = st.options.store->Create(nt);
  if (!created) {
    rec.outcome = service::Outcome::kFailure;
    rec.reason = fmt::format("ldap login: the token could not be created: {}", created.error().message());
    (void)deps.audit->Append(rec);
    return ApiErrorResponse(created.error(), rid);
  }
  rec.outcome = service::Outcome::kSuccess;
  rec.paths = {"token:" + created->record.id};
  rec.reason = fmt::format("ldap login: token '{}' roles [{}] until {}", created->record.name,
                           fmt::join(created->record.roles, ","), FormatRfc3339(*nt.expires_at));
  if (auto s = deps.audit->Append(rec); !s) {
    (void)st.options.store->Revoke(created->record.id);  // nothing is issued unaudited
    return ApiErrorResponse(503, "unavailable",
                            fmt::format("auth.login: the audit record could not be written: {}", s.error().message()),
                            rid);
  }
  json out = {{"token", created->token.RevealAsString()},
              {"id", created->record.id},
              {"principal", principal->id},
              {"roles", created->record.roles},
              {"expires_at", FormatRfc3339(*nt.expires_at)}};
  ApiResponse r = JsonResponse(200, out.dump());
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

Status AddLdapLoginRoute(Router& router, const ApiDeps& deps, LdapLoginOptions options) {
  if (!options.ldap || !options.store || !options.clock || !options.random) {
    return InvalidArgumentError("ldap login: the ldap method, a token store and a clock are required");
  }
  if (options.attempts_per_minute == 0) return InvalidArgumentError("ldap login: attempts_per_minute must be positive");
  auto state = std::make_shared<LoginState>(std::move(options));
  OpDoc d{.id = "ldapLogin",
          .summary = "Sign in with a directory user name and password: a short-lived API token",
          .tag = "auth"};
  d.request_schema = json{{"type", "object"},
                          {"required", {"username", "password"}},
                          {"additionalProperties", false},
                          {"properties", {{"username", {{"type", "string"}}}, {"password", {{"type", "string"}}}}}};
  d.success_schema = json{{"type", "object"},
                          {"required", {"token", "id", "principal", "roles", "expires_at"}},
                          {"properties", {{"token", {{"type", "string"}, {"description", "bwk_...: shown once"}}},
                                          {"id", {{"type", "string"}}},
                                          {"principal", {{"type", "string"}}},
                                          {"roles", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                                          {"expires_at", {{"type", "string"}}}}}};
  d.errors = {400, 401, 403, 429, 503};
  d.authenticated = false;
  return router.Add({.method = "POST", .pattern = "/v1/auth/ldap/login", .openapi = internal::OperationJson(d),
                     .is_public = true, .has_body = true,
                     .handler = [deps, state](const ApiRequest& req) -> ApiResponse { return Login(deps, *state, req); }});
}

}  // namespace bulwark::server
