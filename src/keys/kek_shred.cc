#include "bulwark/keys/kek_shred.h"

#include <fmt/format.h>

#include "keys/byte_io.h"

namespace bulwark::keys {

Result<ShredReport> ShredKeks(const Keyring& keyring, KeyProvider& provider, FileSystem& fs,
                              const std::filesystem::path& keyring_path,
                              const ShredOptions& options) {
  auto step = [&](ShredStep s) -> Status {
    if (options.hook) return options.hook(s);
    return OkStatus();
  };
  auto context = [&](std::string_view what) {
    return [&keyring_path, what](const Error& e) {
      return e.WithContext(fmt::format("shred KEKs of {}: {}", keyring_path.string(), what));
    };
  };
  // 1. A new current KEK; the old ones still unwrap the keyring on disk.
  BULWARK_RETURN_IF_ERROR(
      internal::MapError(provider.RotateKek(), context("rotate the KEK (nothing changed)")));
  BULWARK_RETURN_IF_ERROR(step(ShredStep::kKekRotated));
  // 2. Every remaining DEK re-wrapped under it, written atomically: the commit point.
  BULWARK_ASSIGN_OR_RETURN(
      std::string data,
      internal::MapError(keyring.Serialize(provider),
                         context("re-wrap the keyring (the keyring file is unchanged)")));
  BULWARK_RETURN_IF_ERROR(internal::MapError(
      fs.WriteFileAtomic(keyring_path, data,
                         std::filesystem::perms::owner_read | std::filesystem::perms::owner_write),
      context("write the keyring (the keyring file is unchanged)")));
  BULWARK_RETURN_IF_ERROR(step(ShredStep::kKeyringWritten));
  // 3. Only now that nothing on disk needs them: the old KEKs go, and with them the temporary
  // copies a killed earlier write left beside the keyring (they hold DEKs wrapped under old KEKs).
  // The keystore's own temporaries go when RetireOldKeks writes it.
  ShredReport report;
  BULWARK_ASSIGN_OR_RETURN(
      report.removed_copies,
      internal::MapError(RemoveStaleTemporaries(fs, keyring_path),
                         context("remove stale temporary copies of the keyring")));
  BULWARK_ASSIGN_OR_RETURN(
      report.retired_keks,
      internal::MapError(provider.RetireOldKeks(),
                         context("remove the old KEKs (the keyring was written under the new KEK; "
                                 "the old KEKs are still held)")));
  return report;
}

}  // namespace bulwark::keys
