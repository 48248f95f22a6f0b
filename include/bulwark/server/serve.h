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

#include <functional>
#include <memory>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
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
  // Shuts the server down (drain, final checkpoint) and closes the node. Idempotent.
  Status Close();

 private:
  ServerApp() = default;
  void Log(std::string_view level, std::string_view msg, std::string_view error = {});

  ServerConfig config_;
  ServeHooks hooks_;
  std::shared_ptr<node::Node> node_;
  ApiDeps deps_;
  std::unique_ptr<Server> server_;
  bool closed_ = false;
};

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_SERVE_H_
