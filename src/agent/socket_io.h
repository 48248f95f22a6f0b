// Internal: blocking frame I/O on a connected Unix socket, and peer credentials.
#ifndef BULWARK_SRC_AGENT_SOCKET_IO_H_
#define BULWARK_SRC_AGENT_SOCKET_IO_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::agent::internal {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

// Send/receive timeouts on a socket.
Status SetTimeouts(int fd, std::chrono::milliseconds timeout);
// The peer's uid (SO_PEERCRED).
Result<uid_t> PeerUid(int fd);
// Writes the length prefix and the payload (MSG_NOSIGNAL).
Status WriteFrame(int fd, std::span<const std::uint8_t> payload);
// Reads one frame's payload (length checked against kMaxFrame before anything is allocated).
// The returned buffer holds secrets for some ops: the caller wipes it.
Result<std::vector<std::uint8_t>> ReadFrame(int fd);
// Fills a sockaddr_un for `path`; kInvalidArgument when the path does not fit.
Status CheckSocketPathFits(const std::filesystem::path& path);

}  // namespace bulwark::agent::internal

#endif  // BULWARK_SRC_AGENT_SOCKET_IO_H_
