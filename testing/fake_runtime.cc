#include "bulwark/testing/fake_runtime.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace bulwark::testing {
namespace fs = std::filesystem;

Status DeterministicRandom::Fill(std::span<std::uint8_t> out) {
  std::lock_guard lock(mu_);
  if (fail_) return UnavailableError("random: injected failure");
  std::size_t done = 0;
  while (done < out.size()) {
    std::uint8_t block[16];
    std::memcpy(block, &seed_, 8);
    std::memcpy(block + 8, &counter_, 8);
    ++counter_;
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(block, sizeof block, digest);
    const std::size_t n = std::min(out.size() - done, sizeof digest);
    std::memcpy(out.data() + done, digest, n);
    done += n;
  }
  return OkStatus();
}

namespace {
std::string Key(const fs::path& p) { return p.lexically_normal().string(); }
}  // namespace

Result<std::string> FakeFileSystem::ReadFile(const fs::path& path, std::size_t max_size) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(Key(path));
  if (it == files_.end()) return NotFoundError(fmt::format("read {}: no such file", path.string()));
  if (it->second.data.size() > max_size) {
    return InvalidArgumentError(
        fmt::format("read {}: larger than the {} byte limit", path.string(), max_size));
  }
  return it->second.data;
}

Status FakeFileSystem::WriteFileAtomic(const fs::path& path, std::string_view data,
                                       fs::perms mode) {
  std::lock_guard lock(mu_);
  if (writes_left_ == 0)
    return UnavailableError(fmt::format("write {}: injected failure", path.string()));
  if (writes_left_ > 0) --writes_left_;
  ++write_count_;
  files_[Key(path)] = File{std::string(data), mode};
  return OkStatus();
}

Result<bool> FakeFileSystem::Exists(const fs::path& path) const {
  std::lock_guard lock(mu_);
  const std::string k = Key(path);
  if (files_.contains(k)) return true;
  const std::string prefix = k + "/";
  auto it = files_.lower_bound(prefix);
  return it != files_.end() && it->first.starts_with(prefix);
}

Status FakeFileSystem::CreateDirectories(const fs::path&, fs::perms) { return OkStatus(); }

Status FakeFileSystem::Remove(const fs::path& path) {
  std::lock_guard lock(mu_);
  files_.erase(Key(path));
  return OkStatus();
}

Result<fs::perms> FakeFileSystem::RestrictToOwner(const fs::path& path) {
  std::lock_guard lock(mu_);
  const std::string k = Key(path);
  if (auto it = files_.find(k); it != files_.end()) {
    const fs::perms before = it->second.mode;
    it->second.mode &= ~(fs::perms::group_all | fs::perms::others_all);
    return before;
  }
  const std::string prefix = k + "/";
  auto it = files_.lower_bound(prefix);
  if (it != files_.end() && it->first.starts_with(prefix)) return fs::perms::owner_all;
  return NotFoundError(fmt::format("{} does not exist", path.string()));
}

Status FakeFileSystem::Rename(const fs::path& from, const fs::path& to) {
  std::lock_guard lock(mu_);
  auto it = files_.find(Key(from));
  if (it == files_.end())
    return NotFoundError(fmt::format("rename {}: no such file", from.string()));
  files_[Key(to)] = std::move(it->second);
  files_.erase(Key(from));
  return OkStatus();
}

Result<std::vector<fs::path>> FakeFileSystem::ListDirectory(const fs::path& path) const {
  std::lock_guard lock(mu_);
  const std::string prefix = Key(path) + "/";
  std::vector<fs::path> out;
  for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.starts_with(prefix);
       ++it) {
    std::string rest = it->first.substr(prefix.size());
    rest = rest.substr(0, rest.find('/'));
    if (out.empty() || out.back() != rest) out.emplace_back(rest);
  }
  return out;
}

fs::perms FakeFileSystem::PermissionsOf(const fs::path& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(Key(path));
  return it == files_.end() ? fs::perms::none : it->second.mode;
}

}  // namespace bulwark::testing
