// ServerApp: `bulwark serve` as a library. Opens the node of server.yaml's home
// (node::Node::Open: store, audit log, keys, compliance, the services; docs/node.md), builds the
// API on the node's services, and owns the HTTPS server. The CLI's serve command only loads the
// configuration, blocks the signals and waits; embedders and tests run the same composition.
//
// What it asks of the node: keys opened for reading and shared with other processes
// (NodeOptions::shared_keys: no keyring lock held for the server's life), the decrypted-value cache
// of server.yaml's `cache`, the store and audit store of server.yaml, the passphrase from
// `passphrase_file` (else $BULWARK_PASSPHRASE), the server's authorizer, and the audit sink wrapped
// to measure appends (/metrics).
//
// Errors: Open returns the errors of the node (an unreachable store or audit log is
// kUnavailable, a wrong passphrase kUnauthenticated, no keyring kNotFound) and of the server's
// Create (TLS material). Thread safety: server() may be used from any thread; Close once.
#ifndef BULWARK_SERVER_SERVE_H_
#define BULWARK_SERVER_SERVE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "bulwark/node/home.h"
#include "bulwark/node/node.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/server/routes.h"
#include "bulwark/server/server.h"
#include "bulwark/server/server_config.h"

namespace bulwark::server {

struct ServeHooks {
  Runtime runtime = Runtime::System();
  node::Environment environment;  // null: the process environment
  // Where the server's JSON log lines go (null: stderr).
  std::function<void(std::string_view line)> log;
  // Wraps the node's audit sink inside the metering (tests make it fail). Null: none.
  std::function<std::shared_ptr<request::AuditSink>(std::shared_ptr<request::AuditSink>)>
      wrap_audit_sink;
  // The rotation scheduler's wait before each run (tests): returns false to stop it. Null: waits
  // server.yaml's rotation.schedule, woken early by Close.
  std::function<bool(std::chrono::seconds)> scheduler_wait;
};

class ServerApp {
 public:
  // Opens the node and the services, builds the router and creates (does not start) the server.
  static Result<std::unique_ptr<ServerApp>> Open(ServerConfig config, ServeHooks hooks = {});
  ~ServerApp();

  Server& server() { return *server_; }
  node::Node& node() { return *node_; }
  const ApiDeps& deps() const { return deps_; }
  const ServerConfig& config() const { return config_; }
  // Shuts the server down (drain, final checkpoint) and closes the node. Idempotent. Stops the
  // rotation scheduler first (a run in progress finishes).
  Status Close();

  // One run of the rotation schedule (`rotate due`) as the scheduler's principal, through the
  // node's SecretLifecycle (authorized and audited as secret.due and secret.rotation.*). Runs do
  // not overlap: a second caller waits for the first. Skipped (kUnavailable) once the server
  // drains. The scheduler thread (server.yaml `rotation.schedule`) calls it on its interval.
  Result<lifecycle::DueReport> RunScheduledRotation();
  // Runs the scheduler thread has completed (successfully or not).
  std::uint64_t scheduled_runs() const { return scheduled_runs_.load(); }

 private:
  ServerApp() = default;
  void Log(std::string_view level, std::string_view msg, std::string_view error = {});

  ServerConfig config_;
  ServeHooks hooks_;
  std::shared_ptr<node::Node> node_;
  ApiDeps deps_;
  std::unique_ptr<Server> server_;
  bool closed_ = false;
  // The rotation scheduler.
  void SchedulerLoop(std::chrono::seconds every);
  void StopScheduler();
  std::thread scheduler_;
  std::mutex scheduler_mu_;  // guards scheduler_stop_
  std::condition_variable scheduler_cv_;
  bool scheduler_stop_ = false;
  std::mutex run_mu_;  // one scheduled run at a time
  std::atomic<std::uint64_t> scheduled_runs_{0};
};

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_SERVE_H_
