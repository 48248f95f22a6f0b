#include "bulwark/core/runtime.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <fstream>
#include <system_error>

namespace bulwark {
namespace fs = std::filesystem;

Result<SecretBytes> SecureRandom::Secret(std::size_t size) {
  SecretBytes out(size);
  BULWARK_RETURN_IF_ERROR(Fill(out.MutableReveal()));
  return out;
}

Result<std::vector<std::uint8_t>> SecureRandom::Bytes(std::size_t size) {
  std::vector<std::uint8_t> out(size);
  BULWARK_RETURN_IF_ERROR(Fill(out));
  return out;
}

namespace {

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

class SystemRandom final : public SecureRandom {
 public:
  Status Fill(std::span<std::uint8_t> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      const std::size_t chunk = std::min<std::size_t>(out.size() - done, INT_MAX);
      if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) {
        return UnavailableError("random: the system random generator failed");
      }
      done += chunk;
    }
    return OkStatus();
  }
};

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

class LocalFileSystem final : public FileSystem {
 public:
  Result<std::string> ReadFile(const fs::path& path, std::size_t max_size) const override {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT) return NotFoundError(fmt::format("read {}: no such file", path.string()));
      if (err == EACCES) {
        return PermissionDeniedError(fmt::format("read {}: permission denied", path.string()));
      }
      return UnavailableError(fmt::format("read {}: {}", path.string(), ErrnoText(err)));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
      return UnavailableError(fmt::format("read {}: {}", path.string(), ErrnoText(errno)));
    }
    if (S_ISDIR(st.st_mode)) {
      return InvalidArgumentError(fmt::format("read {}: is a directory", path.string()));
    }
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_size) {
      return InvalidArgumentError(
          fmt::format("read {}: file is {} bytes, larger than the {} byte limit", path.string(),
                      st.st_size, max_size));
    }
    std::string out;
    if (S_ISREG(st.st_mode)) out.reserve(static_cast<std::size_t>(st.st_size));
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return UnavailableError(fmt::format("read {}: {}", path.string(), ErrnoText(errno)));
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.size() > max_size) {
        return InvalidArgumentError(
            fmt::format("read {}: larger than the {} byte limit", path.string(), max_size));
      }
    }
    return out;
  }

  Status WriteFileAtomic(const fs::path& path, std::string_view data, fs::perms mode) override {
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
    int raw = ::mkstemp(tmpl.data());
    if (raw < 0) {
      return UnavailableError(
          fmt::format("write {}: create temporary file: {}", path.string(), ErrnoText(errno)));
    }
    Fd fd(raw);
    const std::string tmp = tmpl;
    auto fail = [&](std::string_view step) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return UnavailableError(fmt::format("write {}: {}: {}", path.string(), step, ErrnoText(err)));
    };
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) return fail("chmod");
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail("write");
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return fail("fsync");
    if (::close(fd.release()) != 0) return fail("close");
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) ::fsync(dfd.get());
    return OkStatus();
  }

  Result<bool> Exists(const fs::path& path) const override {
    std::error_code ec;
    const bool e = fs::exists(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return UnavailableError(fmt::format("stat {}: {}", path.string(), ec.message()));
    }
    return e;
  }

  Status CreateDirectories(const fs::path& path, fs::perms mode) override {
    std::error_code ec;
    fs::path current;
    for (const auto& part : path) {
      current /= part;
      if (fs::exists(current, ec)) continue;
      if (!fs::create_directory(current, ec) && ec) {
        return UnavailableError(fmt::format("mkdir {}: {}", current.string(), ec.message()));
      }
      fs::permissions(current, mode, ec);
    }
    return OkStatus();
  }

  Result<fs::perms> RestrictToOwner(const fs::path& path) override {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      if (ec && ec != std::errc::no_such_file_or_directory) {
        return UnavailableError(fmt::format("stat {}: {}", path.string(), ec.message()));
      }
      return NotFoundError(fmt::format("{} does not exist", path.string()));
    }
    const fs::perms before = st.permissions();
    constexpr fs::perms kShared = fs::perms::group_all | fs::perms::others_all;
    if ((before & kShared) != fs::perms::none) {
      fs::permissions(path, kShared, fs::perm_options::remove, ec);
      if (ec) return UnavailableError(fmt::format("chmod {}: {}", path.string(), ec.message()));
    }
    return before;
  }

  Status Remove(const fs::path& path) override {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return UnavailableError(fmt::format("remove {}: {}", path.string(), ec.message()));
    return OkStatus();
  }

  Status Rename(const fs::path& from, const fs::path& to) override {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
      return UnavailableError(
          fmt::format("rename {} to {}: {}", from.string(), to.string(), ec.message()));
    }
    return OkStatus();
  }

  Result<std::vector<fs::path>> ListDirectory(const fs::path& path) const override {
    std::error_code ec;
    std::vector<fs::path> out;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      out.push_back(it->path().filename());
    }
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) {
        return NotFoundError(fmt::format("list {}: no such directory", path.string()));
      }
      return UnavailableError(fmt::format("list {}: {}", path.string(), ec.message()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace

std::shared_ptr<Clock> NewSystemClock() { return std::make_shared<SystemClock>(); }
std::shared_ptr<SecureRandom> NewSystemRandom() { return std::make_shared<SystemRandom>(); }
std::shared_ptr<FileSystem> NewLocalFileSystem() { return std::make_shared<LocalFileSystem>(); }

Runtime Runtime::System() {
  return Runtime{NewSystemClock(), NewSystemRandom(), NewLocalFileSystem()};
}

std::size_t FormatRfc3339To(TimePoint t, std::span<char, kRfc3339MaxSize> out) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto micros = static_cast<std::uint32_t>(duration_cast<microseconds>(t - secs).count());
  // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z (year_month_day holds a 16-bit year).
  constexpr std::int64_t kFirst = -62'167'219'200, kLast = 253'402'300'799;
  if (secs.time_since_epoch().count() < kFirst || secs.time_since_epoch().count() > kLast) {
    // Beyond four digits (only with a clock coarser than nanoseconds): the general formatter.
    const std::time_t tt = system_clock::to_time_t(secs);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    const auto r = fmt::format_to_n(
        out.data(), out.size(), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    return std::min(r.size, out.size());
  }
  // "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" in fixed-width digits: fmt::format and gmtime_r were a fifth of
  // building an audit event.
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  const auto sod = static_cast<std::uint32_t>((secs - day).count());  // 0..86399
  char* p = out.data();
  auto put = [&p](std::uint32_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  put(static_cast<std::uint32_t>(year), 4);
  *p++ = '-';
  put(static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  put(static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  put(sod / 3600, 2);
  *p++ = ':';
  put(sod / 60 % 60, 2);
  *p++ = ':';
  put(sod % 60, 2);
  *p++ = '.';
  put(micros, 6);
  *p++ = 'Z';
  return static_cast<std::size_t>(p - out.data());
}

Result<std::vector<fs::path>> RemoveStaleTemporaries(FileSystem& files, const fs::path& path) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string prefix = "." + path.filename().string() + ".tmp.";
  std::vector<fs::path> removed;
  auto names = files.ListDirectory(dir);
  if (!names) {
    if (names.error().code() == ErrorCode::kNotFound) return removed;
    return std::unexpected(names.error());
  }
  for (const fs::path& name : *names) {
    const std::string n = name.filename().string();
    // mkstemp's six characters; nothing else is ours.
    if (n.size() != prefix.size() + 6 || !n.starts_with(prefix)) continue;
    BULWARK_RETURN_IF_ERROR(files.Remove(dir / n));
    removed.push_back(dir / n);
  }
  return removed;
}

std::string FormatRfc3339(TimePoint t) {
  std::array<char, kRfc3339MaxSize> buf;
  return std::string(buf.data(), FormatRfc3339To(t, buf));
}

Result<TimePoint> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto bad = [&]() {
    return InvalidArgumentError(fmt::format(
        "parse time '{}': expected RFC 3339 such as 2026-01-31T12:00:00Z", text.substr(0, 64)));
  };
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || text.size() < 20 || text[4] != '-' || !digits(5, 2, mo) ||
      text[7] != '-' || !digits(8, 2, d) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(11, 2, h) ||
      text[13] != ':' || !digits(14, 2, mi) || text[16] != ':' || !digits(17, 2, s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int ndig = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (ndig < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++ndig;
      ++pos;
    }
    if (ndig == 0) return bad();
    for (int i = ndig; i < 9; ++i) nanos *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad();
    }
    offset_minutes = (text[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return bad();
  const auto days = std::chrono::sys_days(ymd);
  // TimePoint counts nanoseconds in 64 bits: 1677-09-21T00:12:43Z to 2262-04-11T23:47:16Z. A time
  // outside would wrap around silently (2262-04-12 read as 1677), so it is refused, with a day of
  // margin at both ends for the offset and the fraction.
  const std::int64_t secs = std::int64_t{days.time_since_epoch().count()} * 86400 + h * 3600 +
                            mi * 60 + s - std::int64_t{offset_minutes} * 60;
  constexpr std::int64_t kMaxSecs =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::max().time_since_epoch())
          .count() -
      86400;
  if (secs > kMaxSecs || secs < -kMaxSecs) {
    return InvalidArgumentError(fmt::format(
        "time '{}' is outside the range Bulwark can represent (1677-09-22 to 2262-04-10 UTC)",
        text.substr(0, 64)));
  }
  auto tp = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      days + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s) -
      std::chrono::minutes(offset_minutes));
  tp += std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::nanoseconds(nanos));
  return tp;
}

}  // namespace bulwark
