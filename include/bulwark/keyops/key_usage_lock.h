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
// The lock is an advisory flock(2) (LOCK_EX) on <home>/key-usage.lock (PathFor), a file that is
// created (0600) on first use and never removed: removing it would let two processes lock two
// different files. flock locks belong to the open file description, so the lock is released when
// the object is destroyed, or when the process exits or is killed: a crash never leaves the index
// locked. Within one process, acquiring it a second time while the first is held blocks forever:
// hold one lock per process and pass the index around. The descriptor is close-on-exec, but a
// fork()ed child shares it, and with it the lock, until the child closes it or exits.
//
// Thread safety: a KeyUsageLock is a move-only handle; Acquire is safe to call from any thread.
#ifndef BULWARK_KEYOPS_KEY_USAGE_LOCK_H_
#define BULWARK_KEYOPS_KEY_USAGE_LOCK_H_

#include <filesystem>
#include <functional>

#include "bulwark/core/error.h"

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

  KeyUsageLock(KeyUsageLock&& other) noexcept;
  KeyUsageLock& operator=(KeyUsageLock&& other) noexcept;
  KeyUsageLock(const KeyUsageLock&) = delete;
  KeyUsageLock& operator=(const KeyUsageLock&) = delete;
  ~KeyUsageLock();  // releases the lock

 private:
  explicit KeyUsageLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace bulwark::keyops

#endif  // BULWARK_KEYOPS_KEY_USAGE_LOCK_H_
