// KeyUsageLock: the exclusive lock that serializes updates of the key-usage index between
// processes.
//
// Every command that changes <home>/key-usage.json reads it, changes it in memory and writes it
// back (key_usage_index.h). Without a lock, two `bulwark` processes doing that at the same time
// each write their own view and one update is lost; `keys destroy` then no longer finds a file
// that still uses the key it is asked to destroy (it re-verifies the files it finds, but cannot
// verify a file it does not know). So the whole read-modify-write -- KeyUsageIndex::Load, the
// changes, KeyUsageIndex::Save -- runs while holding this lock, and `keys destroy` /
// `keys compromised` hold it for their whole run, so no update of the index slips in between
// their check and their action.
//
// The lock is a FileLock (bulwark/core/file_lock.h: flock(2), released on destruction or process
// exit) on <home>/key-usage.lock (PathFor). Within one process, acquiring it a second time while
// the first is held blocks forever: hold one lock per process and pass the index around.
// Lock order (docs/ARCHITECTURE.md): a command that also updates the keyring takes the keyring
// lock (<home>/keyring.lock, node/node.h) first, then this one; never the other way round.
//
// Thread safety: a KeyUsageLock is a move-only handle; Acquire is safe to call from any thread.
#ifndef BULWARK_KEYOPS_KEY_USAGE_LOCK_H_
#define BULWARK_KEYOPS_KEY_USAGE_LOCK_H_

#include <filesystem>
#include <functional>

#include "bulwark/core/error.h"
#include "bulwark/core/file_lock.h"

namespace bulwark::keyops {

class KeyUsageLock {
 public:
  // The lock file of an index: "key-usage.json" -> "key-usage.lock" in the same directory.
  static std::filesystem::path PathFor(const std::filesystem::path& index_file);

  // Blocks until the exclusive lock on `lock_file` is held. When another process holds it,
  // `on_wait` (if set) is called once before blocking, so that a command can say what it waits
  // for. kUnavailable naming the file when it cannot be created, opened or locked.
  static Result<KeyUsageLock> Acquire(const std::filesystem::path& lock_file,
                                      const std::function<void()>& on_wait = nullptr);

  // Move-only; the destructor releases the lock.

 private:
  explicit KeyUsageLock(FileLock lock) : lock_(std::move(lock)) {}
  FileLock lock_;
};

}  // namespace bulwark::keyops

#endif  // BULWARK_KEYOPS_KEY_USAGE_LOCK_H_
