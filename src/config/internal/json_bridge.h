// Conversion between config::Value and nlohmann::json, for libraries that speak nlohmann
// (valijson). Bytes become base64 strings; nlohmann keeps object key order only with
// ordered_json, so this is used where order does not matter (validation).
#ifndef BULWARK_SRC_CONFIG_INTERNAL_JSON_BRIDGE_H_
#define BULWARK_SRC_CONFIG_INTERNAL_JSON_BRIDGE_H_

#include <nlohmann/json.hpp>

#include "bulwark/config/value.h"

namespace bulwark::config::internal {

nlohmann::json ToJson(const Value& v);
Value FromJson(const nlohmann::json& j);

}  // namespace bulwark::config::internal

#endif  // BULWARK_SRC_CONFIG_INTERNAL_JSON_BRIDGE_H_
