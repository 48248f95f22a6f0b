#include "bulwark/server/serve.h"

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "bulwark/access/authorizer.h"
#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/core/file_lock.h"
#include "bulwark/node/health.h"
#include "bulwark/identity/authentication_config.h"
#include "bulwark/server/api_tokens.h"
#include "bulwark/server/identity_auth.h"
#include "bulwark/server/access_routes.h"
#include "bulwark/server/login_routes.h"
#include "bulwark/server/metered.h"
#include "bulwark/server/token_routes.h"

namespace bulwark::server {
namespace {

// The keystore passphrase from server.yaml's passphrase_file (trailing line breaks dropped).
node::SecretSource PassphraseFrom(const Runtime& rt, const std::filesystem::path& file) {
  if (file.empty()) return nullptr;  // the node reads $BULWARK_PASSPHRASE
  return [fs = rt.fs, file]() -> Result<SecretBytes> {
    BULWARK_ASSIGN_OR_RETURN(std::string text, fs->ReadFile(file));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    SecretBytes secret = SecretBytes::FromString(text);
    SecureZero(text);
    if (secret.empty()) {
      return InvalidArgumentError(fmt::format("{}: the passphrase file is empty", file.string()));
    }
    return secret;
  };
}

// server.yaml's audit_store overrides $BULWARK_AUDIT_STORE (and the home's config.yaml).
node::Environment WithAuditStore(node::Environment env, std::string url) {
  if (!env) env = node::ProcessEnvironment();
  if (url.empty()) return env;
  return [env = std::move(env), url = std::move(url)](std::string_view name) -> std::optional<std::string> {
    if (name == "BULWARK_AUDIT_STORE") return url;
    return env(name);
  };
}

identity::AuthenticationEnvironment IdentityEnvironment(const ServerConfig& cfg, const Runtime& rt) {
  identity::AuthenticationEnvironment env;
  env.runtime = rt;
  env.base_dir = cfg.file.has_parent_path() ? cfg.file.parent_path() : std::filesystem::path(".");
  env.home = cfg.home;
  return env;  // no audit sink: the server audits failed authentications itself
}
std::string IdentityWhere(const ServerConfig& cfg) { return fmt::format("{}: auth", cfg.file.string()); }

// auth.token / auth.jwt through the identity module's reader, each behind the adapter; auth.ldap
// (a password method: no bearer token reaches it) is kept aside for the login route.
struct IdentityMethods {
  std::vector<std::unique_ptr<Authenticator>> chain;
  std::shared_ptr<const identity::Authenticator> ldap;
};
Result<IdentityMethods> IdentityAuthenticators(const ServerConfig& cfg, const Runtime& rt) {
  IdentityMethods out;
  if (cfg.identity_auth.is_null()) return out;
  BULWARK_ASSIGN_OR_RETURN(auto methods, identity::BuildAuthenticationMethods(
                                             cfg.identity_auth, IdentityWhere(cfg), IdentityEnvironment(cfg, rt)));
  for (auto& m : methods) {
    if (m->method() == "ldap") {
      out.ldap = std::move(m);
    } else {
      out.chain.push_back(NewIdentityAuthenticator(std::move(m)));
    }
  }
  return out;
}

}  // namespace

void ServerApp::Log(std::string_view level, std::string_view msg, std::string_view error) {
  nlohmann::ordered_json j;
  j["time"] = FormatRfc3339(hooks_.runtime.clock->Now());
  j["level"] = level;
  j["msg"] = msg;
  if (!error.empty()) j["error"] = error;
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (hooks_.log) {
    hooks_.log(line);
  } else {
    std::cerr << line << std::endl;
  }
}

Result<std::unique_ptr<ServerApp>> ServerApp::Open(ServerConfig config, ServeHooks hooks) {
  std::unique_ptr<ServerApp> app(new ServerApp());
  app->config_ = std::move(config);
  app->hooks_ = std::move(hooks);
  const ServerConfig& cfg = app->config_;
  const Runtime& rt = app->hooks_.runtime;
  auto metrics = std::make_shared<Metrics>();

  // The access engine over authorization.policies, else the grants. A policy directory that
  // cannot be loaded stops the server from starting (the error names the file and statement).
  std::shared_ptr<const request::Authorizer> decider;
  std::shared_ptr<const access::PolicyAuthorizer> engine;  // the access routes ask its policy set
  if (!cfg.policies_dir.empty()) {
    access::PolicySetOptions po;
    po.fs = rt.fs;
    auto set = access::PolicySet::LoadDirectory(*rt.fs, cfg.policies_dir, po);
    if (!set) {
      return std::unexpected(set.error().WithContext(
          fmt::format("{}: authorization.policies", cfg.file.string())));
    }
    access::AccessSettings settings;
    settings.policies_dir = cfg.policies_dir;
    settings.configured = true;
    engine = std::make_shared<access::PolicyAuthorizer>(std::move(*set), std::move(settings), rt.clock);
    decider = engine;
  } else {
    BULWARK_ASSIGN_OR_RETURN(decider, NewGrantAuthorizer(cfg.grants));
  }
  std::shared_ptr<const request::Authorizer> authorizer = NewMeteredAuthorizer(decider, metrics);

  node::NodeOptions o;
  o.home = cfg.home;
  o.store_url = cfg.store_url;
  o.passphrase = PassphraseFrom(rt, cfg.passphrase_file);
  o.authorizer = authorizer;
  o.identity_authorizer = decider;  // approvers' effective roles: the access engine, not the metrics wrapper
  o.client = fmt::format("bulwark-server/{}", node::Version());
  o.runtime = rt;
  o.environment = WithAuditStore(app->hooks_.environment, cfg.audit_store_url);
  o.shared_keys = true;
  o.value_cache_entries = cfg.cache_entries;
  o.wrap_audit_sink = [wrap = app->hooks_.wrap_audit_sink, metrics](std::shared_ptr<request::AuditSink> sink) {
    if (wrap) sink = wrap(std::move(sink));
    return NewMeteredAuditSink(std::move(sink), metrics);
  };
  o.notice = [raw = app.get()](std::string_view line) { raw->Log("info", line); };
  BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<node::Node> opened, node::Node::Open(std::move(o)));
  app->node_ = std::move(opened);
  node::Node& n = *app->node_;

  // Keys for reading (the passphrase is asked now, not on the first request); a key change through
  // the API takes the keyring lock only for its save.
  BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<keys::UnlockedKeys> keys, n.UnlockKeys(keys::KeyringAccess::kRead));
  BULWARK_ASSIGN_OR_RETURN(service::ConfigService * svc, n.Config());
  BULWARK_ASSIGN_OR_RETURN(node::AuditTrail * trail, n.Audit());

  ApiDeps& api = app->deps_;
  api.service = std::shared_ptr<service::ConfigService>(app->node_, svc);
  api.authorizer = n.authorizer();  // with the direct-write guard of approval policies
  api.audit = n.audit_sink();
  api.log = trail->log();
  BULWARK_ASSIGN_OR_RETURN(auto verifier, audit::CheckpointVerifier::Create(trail->keys().origin,
                                                                            trail->keys().verifiers()));
  api.verifier = std::make_shared<const audit::CheckpointVerifier>(std::move(verifier));
  api.keyring = keys->keyring;
  api.save_keyring = [keys, lock_file = n.home().keyring_lock()](keys::Keyring& ring) -> Status {
    BULWARK_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_file, "keyring", [] {}));
    BULWARK_ASSIGN_OR_RETURN(std::string data, ring.Serialize(*keys->provider));
    return keys->runtime.fs->WriteFileAtomic(keys->keyring_path, data, node::kPrivateFile);
  };
  api.store_ready = [svc] { return svc->CheckStore(); };
  api.metrics = metrics;
  // Change requests: the node's service, so approval policies, the direct-write guard and the
  // records are the ones the CLI uses on this home.
  BULWARK_ASSIGN_OR_RETURN(change::ChangeService * changes, n.Changes());
  api.changes = std::shared_ptr<change::ChangeService>(app->node_, changes);
  // The secret lifecycle and the health summary, through the node (the caller's context).
  BULWARK_ASSIGN_OR_RETURN(lifecycle::SecretLifecycle * lc, n.Lifecycle());
  api.lifecycle = std::shared_ptr<lifecycle::SecretLifecycle>(app->node_, lc);
  api.status = [raw = app->node_.get()](const service::RequestContext& ctx, std::chrono::seconds within) {
    node::HealthSummary h = node::CollectHealth(*raw, ctx, within);
    return std::pair<bool, std::string>(h.healthy(), h.Json());
  };
  api.max_json_depth = cfg.server.limits.max_json_depth;
  api.accepting = [raw = app.get()] { return raw->server_ && raw->server_->accepting(); };
  BULWARK_ASSIGN_OR_RETURN(auto router, BuildApiRouter(api));
  if (engine) BULWARK_RETURN_IF_ERROR(AddAccessRoutes(*router, api, engine, rt.clock));
  BULWARK_ASSIGN_OR_RETURN(IdentityMethods identity_methods, IdentityAuthenticators(cfg, rt));
  // /v1/tokens manages the token store that auth.token authenticates against (and only then).
  if (!cfg.identity_auth.is_null()) {
    const identity::AuthenticationEnvironment env = IdentityEnvironment(cfg, rt);
    BULWARK_ASSIGN_OR_RETURN(auto db, identity::TokenDatabasePath(cfg.identity_auth, IdentityWhere(cfg), env));
    if (db) {
      BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<identity::TokenStore> store, identity::TokenStore::Open(*db, rt));
      BULWARK_RETURN_IF_ERROR(AddTokenRoutes(*router, api, store, rt.clock));
      if (identity_methods.ldap) {
        LdapLoginOptions login;
        login.ldap = identity_methods.ldap;
        login.store = store;
        login.clock = rt.clock;
        login.random = rt.random;
        login.token_ttl = cfg.login_token_ttl;
        login.attempts_per_minute = cfg.login_attempts_per_minute;
        BULWARK_RETURN_IF_ERROR(AddLdapLoginRoute(*router, api, std::move(login)));
      }
    }
  }

  // Authentication: the identity module's methods (the home's token store, JWT/OIDC), the tokens
  // file, then client certificates (when configured). Nothing configured means nobody can
  // authenticate (every protected route answers 401), never allow-all.
  std::vector<std::unique_ptr<Authenticator>> methods = std::move(identity_methods.chain);
  if (!cfg.tokens_file.empty()) {
    BULWARK_ASSIGN_OR_RETURN(auto tokens, TokenFileAuthenticator::Create(rt, cfg.tokens_file));
    methods.push_back(std::move(tokens));
  }
  if (cfg.mtls) methods.push_back(NewMtlsAuthenticator(*cfg.mtls));
  if (methods.empty()) {
    app->Log("warn", "no authentication method is configured (auth.token, auth.jwt, auth.tokens_file, "
                     "auth.mtls): every "
                     "protected route will answer 401");
  }

  ServerHooks sh;
  sh.authenticator = NewChainAuthenticator(std::move(methods));
  sh.audit = api.audit;
  sh.log = app->hooks_.log;
  sh.on_drained = [raw = app.get(), trail] {
    auto note = trail->log()->PublishCheckpoint();
    if (!note) raw->Log("error", "final audit checkpoint failed", note.error().ToString());
  };
  BULWARK_ASSIGN_OR_RETURN(app->server_, Server::Create(cfg.server, std::move(sh), router, metrics));
  if (cfg.rotation_schedule) {
    app->scheduler_ = std::thread([raw = app.get(), every = *cfg.rotation_schedule] { raw->SchedulerLoop(every); });
  }
  return app;
}

Result<lifecycle::DueReport> ServerApp::RunScheduledRotation() {
  std::lock_guard run(run_mu_);
  if (closed_ || (server_ && !server_->accepting())) {
    return UnavailableError("scheduled rotation: the server is shutting down");
  }
  if (!deps_.lifecycle) return UnavailableError("scheduled rotation: no secret lifecycle");
  service::RequestContext ctx;
  ctx.principal.id = config_.rotation_principal;
  ctx.principal.kind = "service";
  ctx.principal.roles = config_.rotation_roles;
  ctx.source_address = "local";
  ctx.client = fmt::format("bulwark-server/{} (rotation scheduler)", node::Version());
  return deps_.lifecycle->RunDue(ctx, false);
}

void ServerApp::SchedulerLoop(std::chrono::seconds every) {
  for (;;) {
    if (hooks_.scheduler_wait) {
      if (!hooks_.scheduler_wait(every)) return;
    } else {
      std::unique_lock lock(scheduler_mu_);
      scheduler_cv_.wait_for(lock, every, [this] { return scheduler_stop_; });
    }
    {
      std::lock_guard lock(scheduler_mu_);
      if (scheduler_stop_) return;
    }
    auto report = RunScheduledRotation();
    if (!report) {
      Log("error", "scheduled rotation", report.error().ToString());
    } else {
      std::size_t failed = 0;
      for (const auto& i : report->items) failed += i.outcome == "failed" || i.outcome == "rolled_back";
      Log(report->problems() ? "warn" : "info",
          fmt::format("scheduled rotation: {} item(s), {} failed{}", report->items.size(), failed,
                      report->problems() ? " (something is overdue or failed: bulwark secrets due)" : ""));
    }
    scheduled_runs_.fetch_add(1);
  }
}

void ServerApp::StopScheduler() {
  {
    std::lock_guard lock(scheduler_mu_);
    scheduler_stop_ = true;
  }
  scheduler_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

ServerApp::~ServerApp() {
  if (auto s = Close(); !s) Log("error", "close", s.error().ToString());
}

Status ServerApp::Close() {
  if (closed_) return OkStatus();
  StopScheduler();
  {
    std::lock_guard run(run_mu_);
    closed_ = true;
  }
  if (server_) server_->Shutdown();
  deps_ = {};
  if (node_) return node_->Close();
  return OkStatus();
}

}  // namespace bulwark::server
