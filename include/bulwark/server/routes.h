// The route sets of the HTTP API (docs/server.md "Routes"). Each Add* registers its routes, their
// OpenAPI fragments and the component schemas they use on a Router; a new capability adds one
// function (or one Router::Add) here.
#ifndef BULWARK_SERVER_ROUTES_H_
#define BULWARK_SERVER_ROUTES_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/audit/event_store.h"
#include "bulwark/change/change_service.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "bulwark/server/metrics.h"
#include "bulwark/server/router.h"
#include "bulwark/service/audit_sink.h"
#include "bulwark/service/authorizer.h"
#include "bulwark/service/config_service.h"

namespace bulwark::server {

// What the routes run on. Every member must outlive the router's use.
struct ApiDeps {
  std::shared_ptr<service::ConfigService> service;
  std::shared_ptr<const service::Authorizer> authorizer;  // for audit and key routes
  std::shared_ptr<service::AuditSink> audit;              // records of audit and key routes
  std::shared_ptr<audit::AuditLog> log;                   // audit routes (null: not registered)
  std::shared_ptr<const audit::CheckpointVerifier> verifier;
  std::shared_ptr<keys::Keyring> keyring;                 // key routes and readiness (may be null)
  // Persists the keyring after a state change (rotate, disable, enable) under the home's lock.
  std::function<Status(keys::Keyring&)> save_keyring;
  // Readiness of the store (a cheap query); null: assumed ready.
  std::function<Status()> store_ready;
  std::shared_ptr<Metrics> metrics;
  // Change requests (docs/change.md): the node's ChangeService, whose actor is the request's
  // authenticated principal (null: the change routes are not registered).
  std::shared_ptr<change::ChangeService> changes;
  // The secret lifecycle (docs/rotation.md): POST /v1/rotate/due and /v1/secrets/rotate/{ns},
  // and POST /v1/config/move carries a namespace's lifecycle metadata along (null: those routes
  // are not registered and a move goes through the service alone).
  std::shared_ptr<lifecycle::SecretLifecycle> lifecycle;
  // GET /v1/sys/status: the node's health summary (node::CollectHealth) for the caller: whether
  // it is healthy and its JSON (null: not registered).
  std::function<std::pair<bool, std::string>(const service::RequestContext&, std::chrono::seconds within)>
      status;
  std::function<bool()> accepting;  // false while draining (health answers 503)
  std::size_t max_json_depth = 64;  // request bodies nested deeper are refused (413)
};

// /v1/sys/health, /v1/sys/ready, /metrics, /v1/openapi.json and the shared schemas.
Status AddSysRoutes(Router& router, const ApiDeps& deps);
// /v1/config/..., /v1/compliance/...
Status AddConfigRoutes(Router& router, const ApiDeps& deps);
// /v1/audit/...
Status AddAuditRoutes(Router& router, const ApiDeps& deps);
// /v1/keys...
Status AddKeyRoutes(Router& router, const ApiDeps& deps);
// /v1/changes...
Status AddChangeRoutes(Router& router, const ApiDeps& deps);
// /v1/sys/status, /v1/rotate/due, /v1/secrets/rotate/{namespace}
Status AddLifecycleRoutes(Router& router, const ApiDeps& deps);

// All of the above.
Result<std::shared_ptr<Router>> BuildApiRouter(const ApiDeps& deps);

// Defines the metric families the server and the routes use.
void DefineServerMetrics(Metrics& metrics);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_ROUTES_H_
