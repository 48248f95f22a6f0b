// Fakes of the injected runtime for tests: a clock that moves only when told, deterministic
// "random" bytes, and an in-memory file system that can fail or tear writes on demand.
// Never linked into the product.
#ifndef BULWARK_TESTING_FAKE_RUNTIME_H_
#define BULWARK_TESTING_FAKE_RUNTIME_H_

#include <map>
#include <mutex>

#include "bulwark/core/runtime.h"

namespace bulwark::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000)))
      : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  void Set(TimePoint t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

// Repeatable pseudo-random bytes (a counter-mode SHA-256 stream from `seed`). Not secure.
class DeterministicRandom final : public SecureRandom {
 public:
  explicit DeterministicRandom(std::uint64_t seed = 1) : seed_(seed) {}
  Status Fill(std::span<std::uint8_t> out) override;
  // When set, every Fill fails with kUnavailable (to test fail-closed behaviour).
  void set_fail(bool fail) { fail_ = fail; }

 private:
  std::mutex mu_;
  std::uint64_t seed_;
  std::uint64_t counter_ = 0;
  bool fail_ = false;
};

// An in-memory file system. Directories are implicit. Fault injection:
//  - FailWritesAfter(n): the (n+1)-th and later WriteFileAtomic calls fail with kUnavailable and
//    change nothing (like a full disk before the rename).
class FakeFileSystem final : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::filesystem::path& path,
                               std::size_t max_size = kDefaultMaxFileSize) const override;
  Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data,
                         std::filesystem::perms mode) override;
  Result<bool> Exists(const std::filesystem::path& path) const override;
  Status CreateDirectories(const std::filesystem::path& path, std::filesystem::perms mode) override;
  Status Remove(const std::filesystem::path& path) override;
  // Files keep their mode; directories are implicit and always 0700.
  Result<std::filesystem::perms> RestrictToOwner(const std::filesystem::path& path) override;
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Result<std::vector<std::filesystem::path>> ListDirectory(
      const std::filesystem::path& path) const override;

  void FailWritesAfter(int successful_writes) {
    std::lock_guard lock(mu_);
    writes_left_ = successful_writes;
  }
  // Overwrites a file directly (to simulate corruption), bypassing fault injection.
  void Corrupt(const std::filesystem::path& path, std::string data) {
    std::lock_guard lock(mu_);
    files_[path.lexically_normal().string()].data = std::move(data);
  }
  std::filesystem::perms PermissionsOf(const std::filesystem::path& path) const;
  int write_count() const {
    std::lock_guard lock(mu_);
    return write_count_;
  }

 private:
  struct File {
    std::string data;
    std::filesystem::perms mode = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  };
  mutable std::mutex mu_;
  std::map<std::string, File> files_;
  int writes_left_ = -1;  // -1: unlimited
  int write_count_ = 0;
};

// A Runtime built from the three fakes, with handles to drive them.
struct FakeRuntime {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::shared_ptr<DeterministicRandom> random = std::make_shared<DeterministicRandom>();
  std::shared_ptr<FakeFileSystem> fs = std::make_shared<FakeFileSystem>();

  Runtime runtime() const { return Runtime{clock, random, fs}; }
};

}  // namespace bulwark::testing

#endif  // BULWARK_TESTING_FAKE_RUNTIME_H_
