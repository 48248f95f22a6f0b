// FileLock: an exclusive advisory lock on a file, to serialize read-modify-write of a file
// between processes.
//
// Bulwark files that several `bulwark` processes may update (the home's keyring, the key-usage
// index) are written atomically (FileSystem::WriteFileAtomic), so a reader always sees a whole
// file; but two processes that each read, change and write such a file lose one of the two
// updates. Holding a FileLock on a companion lock file across the whole read -> change -> write
// makes every write start from the latest state.
//
// The lock is a flock(2) (LOCK_EX) on `lock_file`, created (0600, O_NOFOLLOW) on first use and
// never removed: removing it would let two processes lock two different files. flock locks belong
// to the open file description, so the lock is released when the object is destroyed, or when the
// process exits or is killed: a crash never leaves a file locked. Within one process, acquiring
// the same lock file a second time (through a second descriptor) while the first is held blocks
// forever: hold one lock per file per process and pass the locked object around. The descriptor
// is close-on-exec, but a fork()ed child shares it, and with it the lock, until the child closes
// it or exits.
//
// The lock works on the real file system only (it is not part of the Runtime's FileSystem
// abstraction): it serializes processes, which a fake file system does not have.
//
// Thread safety: a FileLock is a move-only handle; Acquire is safe to call from any thread.
#ifndef BULWARK_CORE_FILE_LOCK_H_
#define BULWARK_CORE_FILE_LOCK_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark {

class FileLock {
 public:
  // Blocks until the exclusive lock on `lock_file` is held. When another process holds it,
  // `on_wait` (if set) is called once before blocking, so that a command can say what it waits
  // for. kUnavailable naming `what` and the file when it cannot be created, opened or locked.
  static Result<FileLock> Acquire(const std::filesystem::path& lock_file, std::string_view what,
                                  const std::function<void()>& on_wait = nullptr);
  // Takes the lock only if no one holds it: nullopt when another holder has it (for work that
  // must not run twice at once, such as one audit shipper per home); errors as Acquire.
  static Result<std::optional<FileLock>> TryAcquire(const std::filesystem::path& lock_file,
                                                    std::string_view what);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();  // releases the lock

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace bulwark

#endif  // BULWARK_CORE_FILE_LOCK_H_
