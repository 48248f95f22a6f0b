// Method "ldap": a user name and password checked by a simple bind to a directory (OpenLDAP's
// libldap), the user's groups looked up and mapped to roles.
//
// Two ways to find the user's DN:
//   - direct bind: `user_dn` is a template ("uid={user},ou=people,dc=example,dc=org"); {user} is
//     replaced by the RFC 4514-escaped user name;
//   - search-then-bind: a service account (`bind_dn`, password from `bind_password_file`) searches
//     `user_base` with `user_filter` ({user} replaced by the RFC 4515-escaped name); exactly one
//     entry must match.
// Then the user's own bind with the given password decides. Groups: `group_base` searched with
// `group_filter` ({dn} and {user} filter-escaped), the `group_attribute` values are the group
// names, mapped by `roles` (role_mapping.h). Transport: ldaps://, or ldap:// with StartTLS,
// verified against `ca_file` (or the system CAs); plain ldap:// only with `allow_plaintext`
// (loopback tests).
//
// Errors (the Authenticator contract): kUnauthenticated "invalid credentials" for a wrong
// password, an unknown user, an ambiguous search, an empty password (an empty simple bind would be
// an anonymous bind) or a malformed user name; an unknown user still costs a bind (to a DN that
// does not exist) so that timing does not tell. kUnavailable when the directory cannot be
// reached, TLS fails, or the service account cannot bind (fail closed).
//
// Each Authenticate opens its own connection (connect, bind, search, unbind): thread-safe, no
// state shared between requests. docs/identity.md "LDAP" has the configuration reference.
#ifndef BULWARK_IDENTITY_LDAP_AUTHENTICATOR_H_
#define BULWARK_IDENTITY_LDAP_AUTHENTICATOR_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "bulwark/config/value.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/identity/authenticator.h"
#include "bulwark/identity/role_mapping.h"

namespace bulwark::identity {

struct LdapConfig {
  std::string url;  // "ldaps://host:636", "ldap://127.0.0.1:3890"
  bool start_tls = false;
  std::string ca_file;
  bool allow_plaintext = false;
  std::chrono::milliseconds timeout{5000};
  std::string user_dn;  // direct bind template, or empty for search-then-bind
  std::string bind_dn;
  std::shared_ptr<const SecretBytes> bind_password;
  std::string user_base;
  std::string user_filter = "(uid={user})";
  std::string group_base;  // empty: no group lookup
  std::string group_filter = "(member={dn})";
  std::string group_attribute = "cn";
  // The entry attribute whose (first) value is the principal's id: the directory's spelling, not
  // the name as typed (directories match " ALICE" to alice; the id must not differ with it).
  std::string id_attribute = "uid";
  std::map<std::string, std::string> attributes;  // principal attribute -> entry attribute
  RoleMapping roles;
};

// RFC 4515 value escaping for a search filter: * ( ) \ NUL become \2a \28 \29 \5c \00.
std::string EscapeLdapFilterValue(std::string_view value);
// RFC 4514 escaping of an attribute value inside a DN: , + " \ < > ; = are backslash-escaped, as
// are a leading '#' or space and a trailing space; NUL becomes \00.
std::string EscapeLdapDnValue(std::string_view value);

class LdapAuthenticator final : public Authenticator {
 public:
  // kInvalidArgument for a missing URL, neither user_dn nor user_base, plain ldap:// without
  // start_tls or allow_plaintext, a search without a service account, templates without {user}.
  static Result<std::unique_ptr<LdapAuthenticator>> Create(LdapConfig config);
  // From the `ldap` section (docs/identity.md); relative files are relative to `base_dir`.
  static Result<std::unique_ptr<LdapAuthenticator>> FromConfig(
      const config::Value& section, std::string_view where, const Runtime& runtime,
      const std::filesystem::path& base_dir);

  std::string_view method() const override { return "ldap"; }
  bool Accepts(const Credential& credential) const override;
  Result<service::Principal> Authenticate(const Credential& credential) const override;
  std::string ClaimedId(const Credential& credential) const override;

 private:
  explicit LdapAuthenticator(LdapConfig config) : config_(std::move(config)) {}
  LdapConfig config_;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_LDAP_AUTHENTICATOR_H_
