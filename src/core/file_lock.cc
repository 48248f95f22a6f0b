#include "bulwark/core/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace bulwark {
namespace fs = std::filesystem;

namespace {

Error LockError(std::string_view what, const fs::path& file, std::string_view op, int err) {
  return Error(ErrorCode::kUnavailable, fmt::format("{} lock {}: cannot {}: {}", what,
                                                    file.string(), op, std::strerror(err)));
}

// flock, retried when a signal interrupts it.
int Flock(int fd, int op) {
  int rc;
  do {
    rc = ::flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

Result<FileLock> FileLock::Acquire(const fs::path& lock_file, std::string_view what,
                                   const std::function<void()>& on_wait) {
  int fd;
  do {
    fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return std::unexpected(LockError(what, lock_file, "open", errno));
  FileLock lock(fd);  // closes fd on every error path below
  if (Flock(fd, LOCK_EX | LOCK_NB) == 0) return lock;
  if (errno != EWOULDBLOCK) return std::unexpected(LockError(what, lock_file, "lock", errno));
  if (on_wait) on_wait();
  if (Flock(fd, LOCK_EX) != 0) return std::unexpected(LockError(what, lock_file, "lock", errno));
  return lock;
}

Result<std::optional<FileLock>> FileLock::TryAcquire(const fs::path& lock_file,
                                                    std::string_view what) {
  int fd;
  do {
    fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return std::unexpected(LockError(what, lock_file, "open", errno));
  FileLock lock(fd);
  if (Flock(fd, LOCK_EX | LOCK_NB) == 0) return std::optional<FileLock>(std::move(lock));
  if (errno != EWOULDBLOCK) return std::unexpected(LockError(what, lock_file, "lock", errno));
  return std::optional<FileLock>();
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

}  // namespace bulwark
