#include "bulwark/scan/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bulwark::scan {
namespace {

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    const std::size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::size_t SizeHint() const override { return data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string name, std::size_t size)
      : fd_(fd), name_(std::move(name)), size_(size) {}
  std::size_t SizeHint() const override { return size_; }
  ~FileSource() override { ::close(fd_); }
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    while (true) {
      const ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno == EINTR) continue;
      return UnavailableError("read " + name_ + ": " + std::strerror(errno));
    }
  }

 private:
  int fd_;
  std::string name_;
  std::size_t size_;
};

}  // namespace

std::unique_ptr<ByteSource> NewStringSource(std::string_view data) {
  return std::make_unique<StringSource>(data);
}

Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return NotFoundError("open " + path.string() + ": no such file");
    return UnavailableError("open " + path.string() + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError("open " + path.string() + ": is a directory");
  }
  const std::size_t size = S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;
  return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(fd, path.string(), size));
}

}  // namespace bulwark::scan
