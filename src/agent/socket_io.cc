#include "socket_io.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <array>
#include <cstring>

#include "bulwark/agent/protocol.h"

namespace bulwark::agent::internal {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Status SetTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    return UnavailableError(fmt::format("agent socket: setsockopt: {}", std::strerror(errno)));
  }
  return OkStatus();
}

Result<uid_t> PeerUid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    return UnavailableError(fmt::format("agent socket: SO_PEERCRED: {}", std::strerror(errno)));
  }
  return cred.uid;
}

namespace {

Status WriteAll(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      return UnavailableError(fmt::format("agent socket: write: {}",
                                          w < 0 ? std::strerror(errno) : "closed"));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return OkStatus();
}

Status ReadAll(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return UnavailableError("agent socket: timed out");
    }
    if (r <= 0) {
      return UnavailableError(fmt::format("agent socket: read: {}",
                                          r < 0 ? std::strerror(errno) : "closed early"));
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return OkStatus();
}

}  // namespace

Status WriteFrame(int fd, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> header;
  AppendFrameLength(header, static_cast<std::uint32_t>(payload.size()));
  BULWARK_RETURN_IF_ERROR(WriteAll(fd, header.data(), header.size()));
  return WriteAll(fd, payload.data(), payload.size());
}

Result<std::vector<std::uint8_t>> ReadFrame(int fd) {
  std::array<std::uint8_t, 4> header{};
  BULWARK_RETURN_IF_ERROR(ReadAll(fd, header.data(), header.size()));
  BULWARK_ASSIGN_OR_RETURN(std::uint32_t n, DecodeFrameLength(std::span<const std::uint8_t, 4>(header)));
  std::vector<std::uint8_t> payload(n);
  BULWARK_RETURN_IF_ERROR(ReadAll(fd, payload.data(), n));
  return payload;
}

Status CheckSocketPathFits(const std::filesystem::path& path) {
  sockaddr_un addr{};
  if (path.native().size() + 1 > sizeof addr.sun_path) {
    return InvalidArgumentError(
        fmt::format("agent socket path {} is {} bytes; a Unix socket path must be under {}",
                    path.string(), path.native().size(), sizeof addr.sun_path));
  }
  return OkStatus();
}

}  // namespace bulwark::agent::internal
