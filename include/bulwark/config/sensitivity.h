// Which configuration values are sensitive.
//
// A value is sensitive when any of these holds (and then everything below it is too):
//  1. a schema subschema that applies to it has `x-sensitive: true` (see schema.h);
//  2. its canonical dotted path matches one of the caller's patterns (RE2, unanchored; e.g.
//     `--paths '^database\.'`);
//  3. its path looks like a secret's name (IsSensitivePathName), or
//  4. it is a string shaped like a credential (IsSensitiveValue).
//
// The name heuristic splits a key into words (snake_case, kebab-case, dots and camelCase) and flags
//   password, passwd, pwd, passphrase, secret, secrets, token, credential(s), apikey, privatekey,
//   bearer, and the pairs OWNER+key (OWNER: api, private, secret, access, signing, encryption,
//   master, auth, session, hmac, tls, ssl, ssh, jwt, gpg, pgp, license), client+secret,
//   connection+string,
// unless the last word says the value is about the secret rather than the secret itself
// (length, min, max, ttl, expiry, expiration, minutes, seconds, hours, days, file, path, url,
// enabled, required, algorithm, type, name, id, count, rotation, header, policy, version, format,
// env, var). A key that is just "key" takes its owner from the map key above it, so `tls.key`,
// `ssh.key` and `api.key` are sensitive while `cache.key` and `sort.key` are not. So
// `jwt_secret_key`, `dbPassword` and `auth.bearer` are sensitive; `password_min_length`,
// `token_ttl`, `max_tokens` and `tls.key_file` are not.
//
// The value shapes: a PEM private key block (`-----BEGIN ... PRIVATE KEY-----`), a URL with a
// password in its userinfo (`postgres://user:pw@host/db`), a `password=`/`pwd=`/`secret=`/
// `access_token=`/`api_key=` keyword in a URL query or a JDBC/ODBC/ADO.NET/libpq connection string
// (`Server=h;User Id=u;Password=pw`, `host=h password=pw`), and an HTTP `Bearer <token>` value.
// Such a value is sensitive as a whole wherever it is encrypted (a store or file token holds one
// whole value); where a plaintext document is shown redacted (Redact), only the password part is
// replaced (`postgres://user:[redacted]@host/db`), see RedactCredentialParts.
#ifndef BULWARK_CONFIG_SENSITIVITY_H_
#define BULWARK_CONFIG_SENSITIVITY_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/config/schema.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace re2 {
class RE2;
}

namespace bulwark::config {

// The name heuristic on one map key (no context: a bare "key" is not sensitive).
bool IsSensitiveKeyName(std::string_view key);
// The name heuristic on a node's path: its last key, and for a bare "key" the key above it.
bool IsSensitivePathName(const Path& path);
// The value-shape heuristic on a string (PEM private keys, credential URLs, connection strings
// with a password, bearer tokens).
bool IsSensitiveValue(std::string_view text);
// `text` with only its password parts replaced by "[redacted]" when it is a credential URL or a
// connection string with a password; nullopt when it has no such part.
std::optional<std::string> RedactCredentialParts(std::string_view text);

class SensitivityClassifier {
 public:
  // kInvalidArgument if a pattern does not compile. `schema` may be null and must outlive this.
  static Result<SensitivityClassifier> Create(const Schema* schema,
                                              const std::vector<std::string>& path_patterns,
                                              bool use_name_heuristic = true);
  SensitivityClassifier(SensitivityClassifier&&) noexcept;
  SensitivityClassifier& operator=(SensitivityClassifier&&) noexcept;
  ~SensitivityClassifier();

  // The outermost sensitive nodes of `document`, in document order.
  std::vector<Path> Classify(const Value& document) const;

 private:
  SensitivityClassifier() = default;
  const Schema* schema_ = nullptr;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;
  bool use_name_heuristic_ = true;
};

// True when `path` is one of `sensitive` or lies below one.
bool IsUnder(const Path& path, const std::vector<Path>& sensitive);

// A copy of `document` with every sensitive node replaced by the string "[redacted]" (a credential
// URL or connection string keeps everything but its password, RedactCredentialParts).
Value Redact(const Value& document, const std::vector<Path>& sensitive);

inline constexpr std::string_view kRedacted = "[redacted]";

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_SENSITIVITY_H_
