#include "bulwark/keyops/key_usage_lock.h"

#include <utility>

namespace bulwark::keyops {
namespace fs = std::filesystem;

fs::path KeyUsageLock::PathFor(const fs::path& index_file) {
  fs::path lock = index_file;
  lock.replace_extension(".lock");
  return lock;
}

Result<KeyUsageLock> KeyUsageLock::Acquire(const fs::path& lock_file,
                                           const std::function<void()>& on_wait) {
  BULWARK_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_file, "key-usage", on_wait));
  return KeyUsageLock(std::move(lock));
}

}  // namespace bulwark::keyops
