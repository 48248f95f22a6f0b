// The injected runtime: time, randomness and the file system.
//
// Nothing in Bulwark reads the wall clock, draws random bytes or touches files except through these
// interfaces, so that tests can fake time (rotation, expiry, "5 failures in 5 minutes"), make
// randomness deterministic, and fail or tear writes (see testing/). `Runtime::System()` returns the
// real implementations.
//
// Thread safety: every implementation in this file is safe for concurrent use.
#ifndef BULWARK_CORE_RUNTIME_H_
#define BULWARK_CORE_RUNTIME_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// Cryptographically secure random bytes (OpenSSL's DRBG in the system implementation, which is
// the FIPS-approved one when the FIPS provider is active).
class SecureRandom {
 public:
  virtual ~SecureRandom() = default;
  // Fills `out` completely or returns kUnavailable; never returns partially random output.
  virtual Status Fill(std::span<std::uint8_t> out) = 0;

  Result<SecretBytes> Secret(std::size_t size);
  Result<std::vector<std::uint8_t>> Bytes(std::size_t size);
};

// File access. Paths are used as given; errors name the path and the failed operation.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Reads a whole file. kNotFound if missing, kInvalidArgument if a directory or larger than
  // `max_size` bytes, kUnavailable for other I/O errors.
  virtual Result<std::string> ReadFile(const std::filesystem::path& path,
                                       std::size_t max_size = kDefaultMaxFileSize) const = 0;

  // Replaces `path` atomically: the data is written to a temporary file in the same directory,
  // flushed to disk (fsync), given `mode`, renamed over `path`, and the directory is fsynced.
  // A crash at any point leaves either the old or the new contents, never a mix.
  virtual Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data,
                                 std::filesystem::perms mode) = 0;

  virtual Result<bool> Exists(const std::filesystem::path& path) const = 0;
  // Creates missing directories with `mode`; existing ones are left alone.
  virtual Status CreateDirectories(const std::filesystem::path& path,
                                   std::filesystem::perms mode) = 0;
  // Removes a file; removing a missing file is not an error.
  virtual Status Remove(const std::filesystem::path& path) = 0;
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // Removes every group and other permission bit of `path` (a file or a directory; symbolic links
  // are followed) and returns the permissions it had before, so that a caller can say what it
  // changed. kNotFound if `path` does not exist, kUnavailable if it cannot be changed.
  virtual Result<std::filesystem::perms> RestrictToOwner(const std::filesystem::path& path) = 0;
  // Names of the entries of a directory, sorted.
  virtual Result<std::vector<std::filesystem::path>> ListDirectory(
      const std::filesystem::path& path) const = 0;

  static constexpr std::size_t kDefaultMaxFileSize = std::size_t{256} << 20;  // 256 MiB
};

// The temporary files that WriteFileAtomic leaves beside `path` when the process dies between
// creating one and renaming it (".<name>.tmp.XXXXXX": complete or partial copies of what was being
// written, e.g. a keystore generation or a private key). Removes them and returns their paths.
// Only correct while every writer of `path` is excluded (the caller holds the lock they all take):
// otherwise another process's write in progress would lose its temporary file.
Result<std::vector<std::filesystem::path>> RemoveStaleTemporaries(FileSystem& fs,
                                                                  const std::filesystem::path& path);

// The real clock, the OS random source and the local file system.
std::shared_ptr<Clock> NewSystemClock();
std::shared_ptr<SecureRandom> NewSystemRandom();
std::shared_ptr<FileSystem> NewLocalFileSystem();

// The bundle passed to every component that needs the outside world.
struct Runtime {
  std::shared_ptr<Clock> clock;
  std::shared_ptr<SecureRandom> random;
  std::shared_ptr<FileSystem> fs;

  static Runtime System();
};

// RFC 3339 UTC timestamp with microseconds: "2026-11-22T05:21:07.123456Z" (27 characters for the
// years 0000-9999, which include every nanosecond TimePoint: 1677-2262).
std::string FormatRfc3339(TimePoint t);
// The same characters written to `out` without allocating; returns their number.
inline constexpr std::size_t kRfc3339MaxSize = 40;
std::size_t FormatRfc3339To(TimePoint t, std::span<char, kRfc3339MaxSize> out);
// Parses RFC 3339 ("2026-11-22T05:21:07Z", fractional seconds and numeric offsets allowed).
Result<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace bulwark

#endif  // BULWARK_CORE_RUNTIME_H_
