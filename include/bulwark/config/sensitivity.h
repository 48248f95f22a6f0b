// Which configuration values are sensitive.
//
// A value is sensitive when any of these holds (and then everything below it is too):
//  1. a schema subschema that applies to it has `x-sensitive: true` (see schema.h);
//  2. its canonical dotted path matches one of the caller's patterns (RE2, unanchored; e.g.
//     `--paths '^database\.'`);
//  3. its map key looks like a secret's name (IsSensitiveKeyName).
//
// The name heuristic splits a key into words (snake_case, kebab-case, dots and camelCase) and flags
//   password, passwd, pwd, passphrase, secret, secrets, token, credential(s), apikey, privatekey
//   and the pairs api+key, private+key, secret+key, access+key, signing+key, encryption+key,
//   master+key, client+secret, auth+key, session+key, connection+string,
// unless the last word says the value is about the secret rather than the secret itself
// (length, min, max, ttl, expiry, expiration, minutes, seconds, hours, days, file, path, url,
// enabled, required, algorithm, type, name, id, count, rotation, header). So `jwt_secret_key` and
// `dbPassword` are sensitive; `password_min_length`, `token_ttl` and `max_tokens` are not.
#ifndef BULWARK_CONFIG_SENSITIVITY_H_
#define BULWARK_CONFIG_SENSITIVITY_H_

#include <memory>
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

bool IsSensitiveKeyName(std::string_view key);

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

// A copy of `document` with every sensitive node replaced by the string "[redacted]".
Value Redact(const Value& document, const std::vector<Path>& sensitive);

inline constexpr std::string_view kRedacted = "[redacted]";

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_SENSITIVITY_H_
