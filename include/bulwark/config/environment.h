// Configuration from environment variables.
//
// With prefix `APP_`, the variable `APP_DATABASE__PORT=5432` sets `database.port`: the prefix is
// removed, `__` separates path segments, and each segment is lowercased unless the base document
// or the schema already has a key that matches it case-insensitively (then that key's spelling is
// used, so `APP_MAXCONNECTIONS` can set `maxConnections`). A segment of digits addresses a list
// element when the base has a list there.
//
// Values are strings, coerced to the type that the schema (first) or the value already in the base
// document (second) expects at that path:
//   int      decimal int64 ("5432"; "5_432", "0x10" and overflow are errors)
//   double   any finite decimal or exponent form
//   bool     true/false, 1/0, yes/no, on/off (case-insensitive)
//   string   the text as is (even when it looks like JSON)
//   list/map JSON text of that shape ('["https://a","https://b"]')
// With no expectation, text that looks like a JSON array or object is parsed as JSON (and kept as
// a string if it is not valid JSON); everything else stays a string.
// A value that cannot be coerced is kInvalidArgument naming the variable and the expected type,
// never the value (it may be a secret).
#ifndef BULWARK_CONFIG_ENVIRONMENT_H_
#define BULWARK_CONFIG_ENVIRONMENT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/schema.h"
#include "bulwark/core/error.h"

namespace bulwark::config {

struct EnvVar {
  std::string name;
  std::string value;
};

// A snapshot of this process's environment (environ).
std::vector<EnvVar> ReadProcessEnvironment();

struct EnvOptions {
  std::string prefix;              // required, e.g. "APP_"
  const Schema* schema = nullptr;  // optional
  const Value* base = nullptr;     // optional: the document the variables will override
};

// One variable resolved to the path it sets and its coerced value.
struct EnvAssignment {
  std::string variable;
  Path path;
  Value value;
};

// The variables that start with the prefix, resolved and coerced, sorted by variable name.
Result<std::vector<EnvAssignment>> ResolveEnvironment(const std::vector<EnvVar>& vars,
                                                      const EnvOptions& options);

// Applies the variables on top of `document` (a copy of options.base, or an empty map), setting
// each path in place: an element of a list can be overridden without replacing the list. Every
// node a variable set gets the location "env:NAME".
Result<Document> ApplyEnvironment(Document document, const std::vector<EnvVar>& vars,
                                  const EnvOptions& options);

// Coerces one variable's text (see the table above). `variable` is used in error messages only.
Result<Value> CoerceEnvValue(std::string_view variable, std::string_view text,
                             std::optional<ValueType> expected);

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_ENVIRONMENT_H_
