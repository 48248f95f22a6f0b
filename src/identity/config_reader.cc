#include "identity/internal/config_reader.h"

#include <fmt/format.h>

#include <charconv>

namespace bulwark::identity::internal {

Result<ConfigReader> ConfigReader::Create(const config::Value& value, std::string where) {
  if (!value.is_map()) {
    return InvalidArgumentError(
        fmt::format("{}: expected a map, found {}", where, config::ValueTypeName(value.type())));
  }
  return ConfigReader(&value.AsMap(), std::move(where));
}

Status ConfigReader::OnlyKeys(std::initializer_list<std::string_view> allowed) const {
  for (const auto& e : *map_) {
    bool known = false;
    for (auto a : allowed) known = known || e.key == a;
    if (!known) {
      std::string names;
      for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      return InvalidArgumentError(
          fmt::format("{}: unknown field '{}' (expected one of: {})", where_, e.key, names));
    }
  }
  return OkStatus();
}

Result<std::string> ConfigReader::String(std::string_view key, std::string fallback) const {
  const config::Value* v = Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_string()) {
    return InvalidArgumentError(fmt::format("{}: expected a string, found {}", Where(key),
                                            config::ValueTypeName(v->type())));
  }
  return v->AsString();
}

Result<std::string> ConfigReader::RequiredString(std::string_view key) const {
  BULWARK_ASSIGN_OR_RETURN(std::string s, String(key));
  if (s.empty()) return InvalidArgumentError(fmt::format("{}: required", Where(key)));
  return s;
}

Result<std::vector<std::string>> ConfigReader::Strings(std::string_view key) const {
  const config::Value* v = Find(key);
  std::vector<std::string> out;
  if (v == nullptr || v->is_null()) return out;
  if (v->is_string()) {
    out.push_back(v->AsString());
    return out;
  }
  if (!v->is_list()) {
    return InvalidArgumentError(fmt::format("{}: expected a list of strings, found {}", Where(key),
                                            config::ValueTypeName(v->type())));
  }
  for (std::size_t i = 0; i < v->AsList().size(); ++i) {
    const config::Value& item = v->AsList()[i];
    if (!item.is_string()) {
      return InvalidArgumentError(fmt::format("{}[{}]: expected a string, found {}", Where(key), i,
                                              config::ValueTypeName(item.type())));
    }
    out.push_back(item.AsString());
  }
  return out;
}

Result<std::map<std::string, std::string>> ConfigReader::StringMap(
    std::string_view key, std::initializer_list<std::string_view> reserved) const {
  std::map<std::string, std::string> out;
  const config::Value* v = Find(key);
  if (v == nullptr || v->is_null()) return out;
  BULWARK_ASSIGN_OR_RETURN(auto r, Create(*v, Where(key)));
  for (const auto& e : v->AsMap()) {
    for (auto name : reserved) {
      if (e.key == name) {
        return InvalidArgumentError(
            fmt::format("{}.{}: '{}' is set by the method itself", Where(key), e.key, e.key));
      }
    }
    BULWARK_ASSIGN_OR_RETURN(out[e.key], r.RequiredString(e.key));
  }
  return out;
}

Result<bool> ConfigReader::Bool(std::string_view key, bool fallback) const {
  const config::Value* v = Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) {
    return InvalidArgumentError(fmt::format("{}: expected true or false, found {}", Where(key),
                                            config::ValueTypeName(v->type())));
  }
  return v->AsBool();
}

Result<std::int64_t> ConfigReader::Int(std::string_view key, std::int64_t fallback,
                                       std::int64_t min, std::int64_t max) const {
  const config::Value* v = Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_int() || v->AsInt() < min || v->AsInt() > max) {
    return InvalidArgumentError(
        fmt::format("{}: expected an integer from {} to {}", Where(key), min, max));
  }
  return v->AsInt();
}

Result<std::chrono::seconds> ConfigReader::Duration(std::string_view key,
                                                    std::chrono::seconds fallback) const {
  const config::Value* v = Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_int()) {
    if (v->AsInt() < 0) return InvalidArgumentError(fmt::format("{}: negative", Where(key)));
    return std::chrono::seconds(v->AsInt());
  }
  if (!v->is_string()) {
    return InvalidArgumentError(
        fmt::format("{}: expected a duration such as 30s, 5m, 90d", Where(key)));
  }
  return ParseDuration(v->AsString(), Where(key));
}

}  // namespace bulwark::identity::internal

namespace bulwark::identity {

Result<std::chrono::seconds> ParseDuration(std::string_view text, std::string_view where) {
  auto bad = [&] {
    return InvalidArgumentError(
        fmt::format("{}: '{}' is not a duration (a number followed by s, m, h, d or w)", where,
                    text.substr(0, 32)));
  };
  if (text.size() < 2) return bad();
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || n < 0) return bad();
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'w':
      unit = 7 * 86400;
      break;
    default:
      return bad();
  }
  if (n > (std::int64_t{1} << 40) / unit) return bad();
  return std::chrono::seconds(n * unit);
}

}  // namespace bulwark::identity
