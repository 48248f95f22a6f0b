// Durations in identity configuration and on the command line (`token create --ttl 90d`,
// `jwt.leeway: 60s`): a non-negative integer followed by s, m, h, d or w.
#ifndef BULWARK_IDENTITY_DURATION_H_
#define BULWARK_IDENTITY_DURATION_H_

#include <chrono>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::identity {

// "90s", "5m", "12h", "30d", "2w" -> seconds; kInvalidArgument naming `where` otherwise.
Result<std::chrono::seconds> ParseDuration(std::string_view text, std::string_view where);

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_DURATION_H_
