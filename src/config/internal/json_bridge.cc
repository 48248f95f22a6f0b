#include "config/internal/json_bridge.h"

#include "bulwark/core/encoding.h"

namespace bulwark::config::internal {

nlohmann::json ToJson(const Value& v) {
  switch (v.type()) {
    case ValueType::kNull: return nullptr;
    case ValueType::kBool: return v.AsBool();
    case ValueType::kInt: return v.AsInt();
    case ValueType::kDouble: return v.AsDouble();
    case ValueType::kString: return v.AsString();
    case ValueType::kBytes: return Base64Encode(v.AsBytes());
    case ValueType::kList: {
      nlohmann::json out = nlohmann::json::array();
      for (const Value& x : v.AsList()) out.push_back(ToJson(x));
      return out;
    }
    case ValueType::kMap: {
      nlohmann::json out = nlohmann::json::object();
      for (const MapEntry& e : v.AsMap()) out[e.key] = ToJson(e.value);
      return out;
    }
  }
  return nullptr;
}

Value FromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value();
    case nlohmann::json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return Value(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = j.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) return Value(static_cast<std::int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case nlohmann::json::value_t::number_float: return Value(j.get<double>());
    case nlohmann::json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      ValueList l;
      l.reserve(j.size());
      for (const auto& x : j) l.push_back(FromJson(x));
      return Value(std::move(l));
    }
    case nlohmann::json::value_t::object: {
      ValueMap m;
      for (const auto& [k, x] : j.items()) m.Set(k, FromJson(x));
      return Value(std::move(m));
    }
    default: return Value();
  }
}

}  // namespace bulwark::config::internal
