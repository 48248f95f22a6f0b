// agent::Server: the key agent's serving side (docs/agent.md). It holds one home's opened local
// keystore (the key-encryption keys) and answers wrap/unwrap requests of processes of the same
// user over <home>/agent.sock, one request per connection, one connection at a time.
//
// Contract:
//  - Create takes <home>/agent.lock (flock, held for the server's life; kAlreadyExists when another
//    agent holds it), removes a stale socket (a socket file no live agent holds the lock for; any
//    other kind of file there is kFailedPrecondition), binds the socket with mode 0600 and listens.
//    kInvalidArgument when the socket path does not fit a sockaddr_un.
//  - Every connection's peer uid (SO_PEERCRED) must equal the agent's effective uid; any other gets
//    a kPermissionDenied reply and nothing else.
//  - Before every wrap/unwrap the generation in the keystore file's header is compared with the one
//    the agent opened; a difference or an unreadable keystore locks the agent (the keys are wiped)
//    and the request fails with kFailedPrecondition: it never serves a keystore the home replaced.
//  - Lock (a lock request, the idle timeout since the last wrap/unwrap, a changed keystore) wipes
//    the keys (the provider is destroyed); the server keeps answering status. Stop (a stop request,
//    SIGTERM/SIGINT/SIGHUP when handle_signals) wipes them, removes the socket and ends Run.
//  - Error replies never contain key material.
//
// Thread safety: Run serves on the calling thread; RequestStop may be called from any thread.
#ifndef BULWARK_AGENT_SERVER_H_
#define BULWARK_AGENT_SERVER_H_

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "bulwark/agent/protocol.h"
#include "bulwark/core/error.h"
#include "bulwark/core/file_lock.h"
#include "bulwark/keys/local_keystore.h"

namespace bulwark::agent {

// <home>/agent.sock and <home>/agent.lock.
std::filesystem::path SocketPath(const std::filesystem::path& home);
std::filesystem::path LockPath(const std::filesystem::path& home);

struct ServerOptions {
  std::filesystem::path home;      // the home directory served (named in the status)
  std::filesystem::path keystore;  // <home>/keystore: its generation is checked per request
  std::chrono::seconds idle_timeout{900};
  bool handle_signals = false;  // SIGTERM/SIGINT/SIGHUP stop the server (the CLI's agent)
};

struct Hardening {
  bool memory_locked = false;
  std::string memory_scope;  // "" when all memory is locked; else what is ("heap and stacks ...")
  std::string memory_error;  // why nothing could be locked ("" when locked)
};

// Marks this process non-dumpable (PR_SET_DUMPABLE 0: no core file, no same-uid ptrace or
// /proc/<pid>/mem) and sets RLIMIT_CORE to 0. Call before the keystore is opened.
Status DisableCoreDumps();
// mlockall(MCL_CURRENT | MCL_FUTURE); when RLIMIT_MEMLOCK forbids it (it counts every mapping,
// libraries included), mlock of every private writable anonymous mapping (heap, malloc arenas,
// stacks: where the keys are) instead. MADV_DONTDUMP on those mappings either way. The result
// says what was locked, or why nothing could be.
Hardening HardenMemory();

class Server {
 public:
  // See the contract above. `provider` is the opened keystore (its generation is the reference).
  static Result<std::unique_ptr<Server>> Create(
      std::unique_ptr<keys::LocalKeystoreProvider> provider, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until stopped. kUnavailable if the listening socket fails.
  Status Run();
  void RequestStop();
  void set_memory_locked(bool locked) { memory_locked_ = locked; }
  const std::filesystem::path& socket_path() const { return socket_; }
  // Closes the listening socket and lock descriptors in a process that does not serve (the parent
  // after fork) without removing the socket file, and wipes its copy of the keys.
  void Abandon();

 private:
  Server(std::unique_ptr<keys::LocalKeystoreProvider> provider, ServerOptions options,
         FileLock lock, int listen_fd, std::filesystem::path socket);
  void Serve(int fd);
  Response Handle(Request& request);
  void Lock(std::string reason);
  AgentStatus CurrentStatus() const;

  std::unique_ptr<keys::LocalKeystoreProvider> provider_;
  ServerOptions options_;
  std::optional<FileLock> lock_;
  int listen_fd_ = -1;
  std::filesystem::path socket_;
  std::uint64_t generation_ = 0;
  std::string lock_reason_;
  std::chrono::steady_clock::time_point idle_deadline_;
  bool memory_locked_ = false;
  bool owns_socket_ = true;
  std::atomic<bool> stop_ = false;
};

}  // namespace bulwark::agent

#endif  // BULWARK_AGENT_SERVER_H_
