// Importing per-secret access policies (`{"payment_service": ["READ"], "key_rotator": ["ROTATE"]}`)
// as access policy files (docs/access.md "Per-secret access levels").
#ifndef BULWARK_ACCESS_ACCESS_LEVELS_H_
#define BULWARK_ACCESS_ACCESS_LEVELS_H_

#include <optional>
#include <string>
#include <string_view>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::access {

// `levels` is either {SUBJECT: [LEVEL...]} for one `resource` (required then), or
// {RESOURCE: {SUBJECT: [LEVEL...]}, ...}. Returns a policy document named `name` with one
// `access_levels` entry per resource, as YAML that ParsePolicy accepts. kInvalidArgument naming
// the offending key for an unknown level, a bad resource or a wrong shape.
Result<std::string> ImportAccessLevels(const config::Value& levels,
                                       std::optional<std::string> resource, std::string name);

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_ACCESS_LEVELS_H_
