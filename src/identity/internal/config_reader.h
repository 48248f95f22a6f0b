// Reads one method's configuration section (a config::Value map) with errors that name the field
// ("server.yaml: authentication.jwt.issuer: expected a string"). Internal to the identity module.
#ifndef BULWARK_SRC_IDENTITY_INTERNAL_CONFIG_READER_H_
#define BULWARK_SRC_IDENTITY_INTERNAL_CONFIG_READER_H_

#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/identity/duration.h"

namespace bulwark::identity::internal {

class ConfigReader {
 public:
  // kInvalidArgument unless `value` is a map.
  static Result<ConfigReader> Create(const config::Value& value, std::string where);

  // kInvalidArgument naming the first key of the map that is not in `allowed`.
  Status OnlyKeys(std::initializer_list<std::string_view> allowed) const;

  const config::Value* Find(std::string_view key) const { return map_->Find(key); }
  std::string Where(std::string_view key) const { return where_ + "." + std::string(key); }

  Result<std::string> String(std::string_view key, std::string fallback = "") const;
  Result<std::string> RequiredString(std::string_view key) const;
  // A list of strings, or one string taken as a list of one.
  Result<std::vector<std::string>> Strings(std::string_view key) const;
  Result<bool> Bool(std::string_view key, bool fallback) const;
  Result<std::int64_t> Int(std::string_view key, std::int64_t fallback, std::int64_t min,
                           std::int64_t max) const;
  // A map of names to strings (`attributes: {tenant: o}`); kInvalidArgument naming a key that is in
  // `reserved` (set by the method itself) or a value that is not a non-empty string.
  Result<std::map<std::string, std::string>> StringMap(
      std::string_view key, std::initializer_list<std::string_view> reserved) const;
  // "90s", "5m", "12h", "30d" or a number of seconds.
  Result<std::chrono::seconds> Duration(std::string_view key, std::chrono::seconds fallback) const;

 private:
  ConfigReader(const config::ValueMap* map, std::string where)
      : map_(map), where_(std::move(where)) {}
  const config::ValueMap* map_;
  std::string where_;
};

}  // namespace bulwark::identity::internal

#endif  // BULWARK_SRC_IDENTITY_INTERNAL_CONFIG_READER_H_
