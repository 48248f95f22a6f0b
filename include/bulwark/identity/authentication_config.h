// Builds the AuthenticatorChain of a server from its configuration's `authentication` section, so
// that every surface composes the same methods the same way (docs/identity.md "Configuration").
//
//   authentication:
//     methods: [token, jwt, ldap, mtls]   # chain order; default: the sections present, in this order
//     token: {database: tokens.db}        # or `token: {}`: <home>/tokens.db
//     jwt: {issuers: [...]}               # jwt_authenticator.h
//     ldap: {url: ..., ...}               # ldap_authenticator.h
//     mtls: {id_from: san_uri, ...}       # certificate_authenticator.h
//
// Errors: kInvalidArgument naming the field ("server.yaml: authentication.jwt.issuers[0].issuer:
// required"), a method listed without its section, a section that is not listed, or no method at
// all; kUnavailable when the token database cannot be opened. Nothing is fetched or bound here
// (JWKS and directories are reached on first use), so a server starts while its IdP is down and
// fails those requests closed.
#ifndef BULWARK_IDENTITY_AUTHENTICATION_CONFIG_H_
#define BULWARK_IDENTITY_AUTHENTICATION_CONFIG_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>
#include <string_view>

#include "bulwark/config/value.h"
#include "bulwark/core/runtime.h"
#include "bulwark/identity/authenticator_chain.h"
#include "bulwark/service/audit_sink.h"

namespace bulwark::identity {

struct AuthenticationEnvironment {
  Runtime runtime;
  std::filesystem::path base_dir;  // relative file names in the section are relative to this
  std::filesystem::path home;      // the default token database is <home>/tokens.db
  std::shared_ptr<service::AuditSink> audit;  // receives the auth.login failure records
};

Result<std::unique_ptr<AuthenticatorChain>> BuildAuthenticators(
    const config::Value& section, std::string_view where, const AuthenticationEnvironment& env);

// The database of the section's `token` method (its `database`, relative to env.base_dir, or
// <home>/tokens.db), or nullopt when the section has no `token` method; errors name the field.
Result<std::optional<std::filesystem::path>> TokenDatabasePath(const config::Value& section,
                                                               std::string_view where,
                                                               const AuthenticationEnvironment& env);

// The same section read the same way, but the methods are returned in chain order without the
// chain, for a surface that composes them with methods of its own (the server's adapter,
// src/server/identity_auth.cc, puts them before its tokens file and mTLS and audits failures
// itself). `env.audit` is not used.
Result<std::vector<std::unique_ptr<Authenticator>>> BuildAuthenticationMethods(
    const config::Value& section, std::string_view where, const AuthenticationEnvironment& env);

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_AUTHENTICATION_CONFIG_H_
