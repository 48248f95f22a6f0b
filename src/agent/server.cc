#include "bulwark/agent/server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "socket_io.h"

namespace bulwark::agent {
namespace fs = std::filesystem;
using internal::Fd;

namespace {

volatile sig_atomic_t g_signalled = 0;
extern "C" void OnStopSignal(int) { g_signalled = 1; }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

// The generation field of a keystore file's header (docs/formats-keys.md section 3: bytes 30..38).
Result<std::uint64_t> KeystoreGeneration(const fs::path& keystore) {
  Fd fd(::open(keystore.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    return UnavailableError(fmt::format("cannot read {}: {}", keystore.string(), std::strerror(errno)));
  }
  std::array<std::uint8_t, 38> h{};
  std::size_t got = 0;
  while (got < h.size()) {
    ssize_t r = ::read(fd.get(), h.data() + got, h.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return DataLossError(fmt::format("{} is truncated", keystore.string()));
    got += static_cast<std::size_t>(r);
  }
  if (std::memcmp(h.data(), "BWKS", 4) != 0) {
    return DataLossError(fmt::format("{} is not a keystore", keystore.string()));
  }
  std::uint64_t g = 0;
  for (std::size_t i = 30; i < 38; ++i) g = (g << 8) | h[i];
  return g;
}

}  // namespace

fs::path SocketPath(const fs::path& home) { return home / "agent.sock"; }
fs::path LockPath(const fs::path& home) { return home / "agent.lock"; }

Status DisableCoreDumps() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return UnavailableError(fmt::format("prctl(PR_SET_DUMPABLE): {}", std::strerror(errno)));
  }
  rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return UnavailableError(fmt::format("setrlimit(RLIMIT_CORE): {}", std::strerror(errno)));
  }
  return OkStatus();
}

namespace {

// Private writable anonymous mappings: the heap, malloc arenas and stacks, where the keys live.
std::vector<std::pair<std::uintptr_t, std::size_t>> AnonymousWritableMappings() {
  std::vector<std::pair<std::uintptr_t, std::size_t>> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, name;
    in >> range >> perms >> offset >> dev >> inode;
    std::getline(in >> std::ws, name);
    if (perms.size() < 4 || perms[1] != 'w' || perms[3] != 'p') continue;
    if (!(name.empty() || name == "[heap]" || name.starts_with("[stack"))) continue;
    const auto dash = range.find('-');
    if (dash == std::string::npos) continue;
    const auto lo = std::stoull(range.substr(0, dash), nullptr, 16);
    const auto hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    out.emplace_back(static_cast<std::uintptr_t>(lo), static_cast<std::size_t>(hi - lo));
  }
  return out;
}

}  // namespace

Hardening HardenMemory() {
  Hardening h;
  const auto anon = AnonymousWritableMappings();
  if (::mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
    h.memory_locked = true;
  } else {
    // mlockall counts every mapping (the libraries' text too) against RLIMIT_MEMLOCK, 8 MiB for
    // an ordinary user: lock the memory that can hold keys instead (a few MiB).
    const int all_errno = errno;
    std::size_t total = 0;
    int failed = 0;
    for (const auto& [lo, len] : anon) {
      if (::mlock(reinterpret_cast<void*>(lo), len) != 0) failed = errno;
      total += len;
    }
    if (failed == 0) {
      h.memory_locked = true;
      h.memory_scope = fmt::format("heap and stacks ({} KiB; mlockall: {})", total / 1024,
                                   std::strerror(all_errno));
    } else {
      rlimit lim{};
      ::getrlimit(RLIMIT_MEMLOCK, &lim);
      h.memory_error = fmt::format(
          "mlockall: {}; mlock of the heap and stacks ({} KiB): {} (the memory-lock limit, "
          "ulimit -l, is {} KiB)",
          std::strerror(all_errno), total / 1024, std::strerror(failed),
          lim.rlim_cur == RLIM_INFINITY ? std::string("unlimited")
                                        : std::to_string(lim.rlim_cur / 1024));
    }
  }
  // Out of any core dump, should one be written despite PR_SET_DUMPABLE.
  for (const auto& [lo, len] : anon) (void)::madvise(reinterpret_cast<void*>(lo), len, MADV_DONTDUMP);
  return h;
}

Result<std::unique_ptr<Server>> Server::Create(
    std::unique_ptr<keys::LocalKeystoreProvider> provider, ServerOptions options) {
  if (!provider) return InvalidArgumentError("agent: no keystore");
  const fs::path socket = SocketPath(options.home);
  BULWARK_RETURN_IF_ERROR(internal::CheckSocketPathFits(socket));
  BULWARK_ASSIGN_OR_RETURN(std::optional<FileLock> lock,
                           FileLock::TryAcquire(LockPath(options.home), "agent"));
  if (!lock) {
    return AlreadyExistsError(
        fmt::format("an agent already serves {} ({} is held)", options.home.string(),
                    LockPath(options.home).string()));
  }
  // No live agent holds the lock: a socket left here is stale (an agent killed without cleanup).
  struct stat st {};
  if (::lstat(socket.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return FailedPreconditionError(
          fmt::format("{} exists and is not a socket: remove it", socket.string()));
    }
    if (::unlink(socket.c_str()) != 0) {
      return UnavailableError(
          fmt::format("cannot remove stale {}: {}", socket.string(), std::strerror(errno)));
    }
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return UnavailableError(fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket.c_str(), socket.native().size() + 1);
  // Created 0600 from the start (umask), then made so explicitly.
  const mode_t old = ::umask(0177);
  const int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old);
  if (bound != 0) {
    return UnavailableError(
        fmt::format("cannot bind {}: {}", socket.string(), std::strerror(bind_errno)));
  }
  if (::chmod(socket.c_str(), 0600) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
    const int e = errno;
    ::unlink(socket.c_str());
    return UnavailableError(fmt::format("cannot listen on {}: {}", socket.string(), std::strerror(e)));
  }
  return std::unique_ptr<Server>(
      new Server(std::move(provider), std::move(options), std::move(*lock), fd.release(), socket));
}

Server::Server(std::unique_ptr<keys::LocalKeystoreProvider> provider, ServerOptions options,
               FileLock lock, int listen_fd, fs::path socket)
    : provider_(std::move(provider)),
      options_(std::move(options)),
      lock_(std::move(lock)),
      listen_fd_(listen_fd),
      socket_(std::move(socket)) {
  generation_ = provider_->generation();
  idle_deadline_ = std::chrono::steady_clock::now() + options_.idle_timeout;
}

Server::~Server() {
  provider_.reset();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    if (owns_socket_) ::unlink(socket_.c_str());
  }
}

void Server::Abandon() {
  owns_socket_ = false;
  provider_.reset();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  lock_.reset();  // closes this process's descriptor; the serving process keeps the lock
}

void Server::RequestStop() { stop_ = true; }

void Server::Lock(std::string reason) {
  provider_.reset();  // wipes the KEKs (SecretBytes)
  lock_reason_ = std::move(reason);
}

AgentStatus Server::CurrentStatus() const {
  AgentStatus s;
  s.unlocked = provider_ != nullptr;
  s.pid = static_cast<std::uint32_t>(::getpid());
  s.generation = generation_;
  s.idle_timeout_s = static_cast<std::uint32_t>(options_.idle_timeout.count());
  if (s.unlocked) {
    auto left = std::chrono::ceil<std::chrono::seconds>(idle_deadline_ -
                                                        std::chrono::steady_clock::now());
    s.idle_remaining_s = static_cast<std::uint32_t>(std::max<std::int64_t>(0, left.count()));
  }
  s.memory_locked = memory_locked_;
  s.home = options_.home.string();
  s.lock_reason = lock_reason_;
  return s;
}

Status Server::Run() {
  if (options_.handle_signals) InstallSignalHandlers();
  while (!stop_ && !g_signalled) {
    int timeout_ms = 250;  // wake up now and then to see RequestStop
    if (provider_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          idle_deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        Lock(fmt::format("idle for {} s", options_.idle_timeout.count()));
        continue;
      }
      timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), timeout_ms));
    }
    pollfd p{listen_fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError(fmt::format("agent: poll: {}", std::strerror(errno)));
    }
    if (n == 0) continue;
    Fd conn(::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.get() < 0) continue;
    Serve(conn.get());
  }
  provider_.reset();
  return OkStatus();
}

void Server::Serve(int fd) {
  (void)internal::SetTimeouts(fd, std::chrono::milliseconds(2000));
  auto reply = [fd](const Response& r) {
    std::vector<std::uint8_t> out = EncodeResponse(r);
    (void)internal::WriteFrame(fd, out);
    SecureZero(out.data(), out.size());
  };
  auto uid = internal::PeerUid(fd);
  if (!uid || *uid != ::geteuid()) {
    Response r;
    r.error = Error(ErrorCode::kPermissionDenied,
                    uid ? fmt::format("the key agent serves uid {} only, not uid {}", ::geteuid(),
                                      *uid)
                        : std::string("the key agent could not identify the peer"));
    reply(r);
    return;
  }
  auto payload = internal::ReadFrame(fd);
  if (!payload) {
    Response r;
    r.error = payload.error();
    reply(r);
    return;
  }
  auto request = DecodeRequest(*payload);
  SecureZero(payload->data(), payload->size());
  Response r;
  if (!request) {
    r.error = request.error();
  } else {
    r = Handle(*request);
  }
  reply(r);
}

Response Server::Handle(Request& req) {
  Response r;
  switch (req.op) {
    case Op::kStatus: {
      std::vector<std::uint8_t> s = EncodeStatus(CurrentStatus());
      r.data = SecretBytes(s);
      return r;
    }
    case Op::kLock:
      if (provider_) Lock("locked by 'bulwark agent lock'");
      return r;
    case Op::kStop:
      provider_.reset();
      stop_ = true;
      return r;
    case Op::kWrap:
    case Op::kUnwrap:
      break;
  }
  if (!provider_) {
    r.error = Error(ErrorCode::kFailedPrecondition,
                    fmt::format("the key agent is locked ({})", lock_reason_));
    return r;
  }
  auto gen = KeystoreGeneration(options_.keystore);
  if (!gen || *gen != generation_) {
    Lock(gen ? fmt::format("the keystore changed (generation {}, now {}): run 'bulwark agent "
                           "start' again",
                           generation_, *gen)
             : fmt::format("the keystore cannot be checked: {}", gen.error().message()));
    r.error = Error(ErrorCode::kFailedPrecondition,
                    fmt::format("the key agent is locked ({})", lock_reason_));
    return r;
  }
  if (req.op == Op::kWrap) {
    auto blob = provider_->WrapKey(req.blob, req.context);
    if (!blob) {
      r.error = blob.error();
      return r;
    }
    r.data = SecretBytes(*blob);
  } else {
    auto dek = provider_->UnwrapKey(req.blob.Reveal(), req.context);
    if (!dek) {
      r.error = dek.error();
      return r;
    }
    r.data = std::move(*dek);
  }
  idle_deadline_ = std::chrono::steady_clock::now() + options_.idle_timeout;
  return r;
}

}  // namespace bulwark::agent
