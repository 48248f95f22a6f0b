// Internal: takes the key-usage index lock (keyops/key_usage_lock.h) for the file and key
// services, saying on `notice` when another process holds it.
#ifndef BULWARK_SRC_SERVICE_USAGE_INDEX_LOCK_H_
#define BULWARK_SRC_SERVICE_USAGE_INDEX_LOCK_H_

#include <fmt/format.h>

#include <filesystem>
#include <functional>
#include <string_view>

#include "bulwark/keyops/key_usage_lock.h"

namespace bulwark::service::internal {

inline Result<keyops::KeyUsageLock> LockUsageIndex(
    const std::filesystem::path& index_file,
    const std::function<void(std::string_view)>& notice) {
  const std::filesystem::path lock_file = keyops::KeyUsageLock::PathFor(index_file);
  return keyops::KeyUsageLock::Acquire(lock_file, [&] {
    if (notice) {
      notice(fmt::format(
          "waiting for {} (another bulwark process is updating the key-usage index)",
          lock_file.string()));
    }
  });
}

}  // namespace bulwark::service::internal

#endif  // BULWARK_SRC_SERVICE_USAGE_INDEX_LOCK_H_
