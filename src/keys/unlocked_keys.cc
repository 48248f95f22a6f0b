#include "bulwark/keys/unlocked_keys.h"

#include <fmt/format.h>

namespace bulwark::keys {

Status UnlockedKeys::Save() {
  if (!lock) {
    return FailedPreconditionError(
        fmt::format("cannot save {}: the keys were opened read-only (without the keyring lock)",
                    keyring_path.string()));
  }
  BULWARK_ASSIGN_OR_RETURN(std::string data, keyring->Serialize(*provider));
  return runtime.fs->WriteFileAtomic(
      keyring_path, data, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace bulwark::keys
