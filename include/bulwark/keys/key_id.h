// Key identifiers: random 32-bit numbers, rendered as 8 lowercase hex digits ("1a2b3c4d").
//
// Ids are drawn from the injected SecureRandom and are unique within one keyring (a collision is
// redrawn). They are public: they appear in ciphertext prefixes, tokens, file names and logs.
#ifndef BULWARK_KEYS_KEY_ID_H_
#define BULWARK_KEYS_KEY_ID_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::keys {

using KeyId = std::uint32_t;

// "0000002a" for 42.
std::string FormatKeyId(KeyId id);
// Exactly 8 hex digits (either case); kInvalidArgument otherwise.
Result<KeyId> ParseKeyId(std::string_view text);

}  // namespace bulwark::keys

#endif  // BULWARK_KEYS_KEY_ID_H_
