#include "bulwark/keys/key_id.h"

#include <fmt/format.h>

#include "bulwark/core/encoding.h"

namespace bulwark::keys {

std::string FormatKeyId(KeyId id) { return fmt::format("{:08x}", id); }

Result<KeyId> ParseKeyId(std::string_view text) {
  if (text.size() != 8) {
    return InvalidArgumentError(
        fmt::format("key id '{}': must be 8 hex digits", text.substr(0, 16)));
  }
  KeyId id = 0;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      return InvalidArgumentError(fmt::format("key id '{}': must be 8 hex digits", text));
    id = (id << 4) | static_cast<KeyId>(v);
  }
  return id;
}

}  // namespace bulwark::keys
