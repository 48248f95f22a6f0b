#include "bulwark/identity/authentication_config.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/identity/api_token_authenticator.h"
#include "bulwark/identity/certificate_authenticator.h"
#include "bulwark/identity/jwt_authenticator.h"
#include "bulwark/identity/ldap_authenticator.h"
#include "identity/internal/config_reader.h"

namespace bulwark::identity {
namespace {

constexpr std::array<std::string_view, 4> kMethods = {"token", "jwt", "ldap", "mtls"};

// The `token` section's database: `database` (relative to base_dir) or <home>/tokens.db.
Result<std::filesystem::path> TokenDatabase(const config::Value& section, const std::string& where,
                                            const AuthenticationEnvironment& env) {
  std::filesystem::path db = env.home / "tokens.db";
  if (!section.is_null()) {
    BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(section, where));
    BULWARK_RETURN_IF_ERROR(r.OnlyKeys({"database"}));
    BULWARK_ASSIGN_OR_RETURN(std::string file, r.String("database"));
    if (!file.empty()) {
      db = std::filesystem::path(file).is_absolute() ? std::filesystem::path(file)
                                                      : env.base_dir / file;
    }
  }
  return db;
}

Result<std::unique_ptr<Authenticator>> BuildMethod(std::string_view method,
                                                   const config::Value& section,
                                                   const std::string& where,
                                                   const AuthenticationEnvironment& env) {
  if (method == "token") {
    BULWARK_ASSIGN_OR_RETURN(std::filesystem::path db, TokenDatabase(section, where, env));
    BULWARK_ASSIGN_OR_RETURN(auto store, TokenStore::Open(db, env.runtime));
    return std::unique_ptr<Authenticator>(
        std::make_unique<ApiTokenAuthenticator>(std::move(store), env.runtime.clock));
  }
  if (method == "jwt") {
    BULWARK_ASSIGN_OR_RETURN(auto a,
                             JwtAuthenticator::FromConfig(section, where, env.runtime, env.base_dir));
    return std::unique_ptr<Authenticator>(std::move(a));
  }
  if (method == "ldap") {
    BULWARK_ASSIGN_OR_RETURN(
        auto a, LdapAuthenticator::FromConfig(section, where, env.runtime, env.base_dir));
    return std::unique_ptr<Authenticator>(std::move(a));
  }
  BULWARK_ASSIGN_OR_RETURN(auto a,
                           CertificateAuthenticator::FromConfig(section, where, env.runtime.clock));
  return std::unique_ptr<Authenticator>(std::move(a));
}

}  // namespace

Result<std::optional<std::filesystem::path>> TokenDatabasePath(const config::Value& section,
                                                               std::string_view where,
                                                               const AuthenticationEnvironment& env) {
  BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(section, std::string(where)));
  const config::Value* token = r.Find("token");
  if (token == nullptr) return std::optional<std::filesystem::path>();
  BULWARK_ASSIGN_OR_RETURN(std::filesystem::path db, TokenDatabase(*token, r.Where("token"), env));
  return std::optional<std::filesystem::path>(std::move(db));
}

Result<std::vector<std::unique_ptr<Authenticator>>> BuildAuthenticationMethods(
    const config::Value& section, std::string_view where, const AuthenticationEnvironment& env) {
  BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(section, std::string(where)));
  BULWARK_RETURN_IF_ERROR(r.OnlyKeys({"methods", "token", "jwt", "ldap", "mtls"}));
  std::vector<std::string> order;
  if (r.Find("methods") != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(order, r.Strings("methods"));
    for (const auto& m : order) {
      if (std::find(kMethods.begin(), kMethods.end(), m) == kMethods.end()) {
        return InvalidArgumentError(fmt::format(
            "{}: unknown method '{}' (token, jwt, ldap, mtls)", r.Where("methods"), m));
      }
      if (r.Find(m) == nullptr) {
        return InvalidArgumentError(
            fmt::format("{}: method '{}' is listed but has no section", r.Where("methods"), m));
      }
    }
    for (auto m : kMethods) {
      if (r.Find(m) != nullptr && std::find(order.begin(), order.end(), m) == order.end()) {
        return InvalidArgumentError(fmt::format(
            "{}: section '{}' is not listed in methods (remove it or list it)", where, m));
      }
    }
  } else {
    for (auto m : kMethods) {
      if (r.Find(m) != nullptr) order.emplace_back(m);
    }
  }
  if (order.empty()) {
    return InvalidArgumentError(fmt::format("{}: no authentication method configured", where));
  }
  std::vector<std::unique_ptr<Authenticator>> methods;
  for (const auto& m : order) {
    BULWARK_ASSIGN_OR_RETURN(auto a, BuildMethod(m, *r.Find(m), r.Where(m), env));
    methods.push_back(std::move(a));
  }
  return methods;
}

Result<std::unique_ptr<AuthenticatorChain>> BuildAuthenticators(
    const config::Value& section, std::string_view where, const AuthenticationEnvironment& env) {
  BULWARK_ASSIGN_OR_RETURN(auto methods, BuildAuthenticationMethods(section, where, env));
  return AuthenticatorChain::Create(std::move(methods), env.audit, env.runtime.clock);
}

}  // namespace bulwark::identity
