// The HTTPS server: TLS (OpenSSL 3 through Boost.Asio), HTTP/1.1 (Boost.Beast), the request
// pipeline of docs/server.md (limits, timeouts, routing, authentication, rate limit, handler on a
// worker thread, metrics, request log), certificate reload and graceful shutdown.
//
// Lifecycle: Create (validates options, loads TLS material) -> Start (binds, starts the I/O and
// worker threads; returns once listening) -> Reload (any number of times, from any thread) ->
// Shutdown (stop accepting, let in-flight requests finish within the drain timeout, close idle
// connections, join the threads). The destructor shuts down if needed.
//
// Threads: `io_threads` run TLS and HTTP; each connection is served on its own strand. Handlers of
// routes that are not `inline_handler` run on `worker_threads` threads, because service
// operations block (a durable audit append waits for its group commit: the more requests wait
// together, the more share one fsync).
//
// Thread safety: Reload, Shutdown, port, metrics and Ready may be called from any thread.
#ifndef BULWARK_SERVER_SERVER_H_
#define BULWARK_SERVER_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bulwark/core/error.h"
#include "bulwark/server/authenticator.h"
#include "bulwark/server/metrics.h"
#include "bulwark/server/router.h"
#include "bulwark/server/server_config.h"
#include "bulwark/service/audit_sink.h"

namespace bulwark::server {

struct ServerHooks {
  // Authenticates non-public routes; required.
  std::shared_ptr<Authenticator> authenticator;
  // Records requests that never reach the service (failed authentication, rate limiting); required.
  std::shared_ptr<service::AuditSink> audit;
  // Where request logs (JSON lines) go; default: stderr.
  std::function<void(std::string_view line)> log;
  // Called after Shutdown drained the connections (a final audit checkpoint).
  std::function<void()> on_drained;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(ServerOptions options, ServerHooks hooks,
                                                std::shared_ptr<const Router> router,
                                                std::shared_ptr<Metrics> metrics);
  ~Server();

  // kUnavailable when the address cannot be bound.
  Status Start();
  // The bound port (after Start; useful with port 0).
  std::uint16_t port() const;
  // Reloads certificate, key and client CA (and the authenticator's files). New connections use
  // the new material, established ones keep theirs. On failure the old material stays in use.
  Status Reload();
  // Graceful shutdown (idempotent); blocks until the threads are joined.
  void Shutdown();
  // True until Shutdown began.
  bool accepting() const;

  Metrics& metrics();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call before Start so that every server
// thread inherits the mask), then waits: SIGHUP reloads, SIGTERM/SIGINT shut down and return.
// `on_reload` reports the outcome of each reload.
void BlockServerSignals();
void RunUntilSignal(Server& server, const std::function<void(const Status&)>& on_reload);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_SERVER_H_
