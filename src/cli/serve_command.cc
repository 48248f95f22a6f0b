// bulwark serve --config server.yaml | bulwark serve new-token --id ID --role R
//
// Composes the home named by server.yaml (keys opened read-only: the server never holds the
// keyring lock, so several servers can share a home; a key change through the API takes the lock
// for its save), the store, the audit log, compliance and the service with the server's
// authorizer, then runs the HTTPS server until SIGTERM (docs/server.md).
#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/server/api_tokens.h"
#include "bulwark/server/grant_authorizer.h"
#include "bulwark/server/metered.h"
#include "bulwark/server/routes.h"
#include "bulwark/server/server.h"
#include "bulwark/service/caching_value_cipher.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/store/open.h"
#include "cli/audit_home.h"
#include "cli/command.h"
#include "cli/home.h"
#include "cli/store_commands.h"

namespace bulwark::cli {
namespace fs = std::filesystem;
namespace {

struct ServeArgs {
  std::string config;
  std::string token_id;
  std::vector<std::string> roles;
  std::string expires;
};

void LogLine(CommandContext& ctx, std::string_view level, std::string_view msg, nlohmann::ordered_json extra = {}) {
  nlohmann::ordered_json j;
  j["time"] = FormatRfc3339(std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now()));
  j["level"] = level;
  j["msg"] = msg;
  if (extra.is_object()) {
    for (auto& [k, v] : extra.items()) j[k] = v;
  }
  ctx.io.err << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

Status Serve(CommandContext& ctx, const ServeArgs& a) {
  Runtime rt = Runtime::System();
  BULWARK_ASSIGN_OR_RETURN(server::ServerConfig cfg, server::LoadServerConfig(*rt.fs, a.config));
  const fs::path home = cfg.home;
  BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home, kPrivateDir));

  // Keys (read-only: no keyring lock held for the server's life).
  KeyArgs key_args{home.string(), cfg.passphrase_file.string(), ""};
  BULWARK_ASSIGN_OR_RETURN(Keys opened, OpenKeys(ctx, key_args, KeyringAccess::kRead));
  auto keys = std::make_shared<Keys>(std::move(opened));

  // Store, audit log, cipher, authorizer, compliance, service.
  StoreArgs store_args;
  store_args.keys = key_args;
  store_args.store = cfg.store_url;
  BULWARK_ASSIGN_OR_RETURN(std::string store_url, StoreUrl(store_args));
  BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<store::ConfigStore> st, store::OpenStore(store_url, rt));
  BULWARK_ASSIGN_OR_RETURN(HomeAuditLog audit_log, OpenHomeAuditLog(rt, home, cfg.audit_store_url));
  auto metrics = std::make_shared<server::Metrics>();
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  std::shared_ptr<service::AuditSink> sink = server::NewMeteredAuditSink(
      std::make_shared<audit::LogAuditSink>(audit_log.log, audit::ImpactClassifier::Default(),
                                            fmt::format("bulwark://{}/server", host), rt),
      metrics);
  std::shared_ptr<const service::ValueCipher> cipher = service::NewKeyringValueCipher(keys->keyring);
  if (cfg.cache_entries > 0) {
    BULWARK_ASSIGN_OR_RETURN(cipher, service::CachingValueCipher::Create(
                                         cipher, keys->keyring, {.max_entries = cfg.cache_entries}));
  }
  BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<service::Authorizer> grants, server::NewGrantAuthorizer(cfg.grants));
  std::shared_ptr<const service::Authorizer> authorizer = server::NewMeteredAuthorizer(grants, metrics);
  service::ServiceDeps deps{rt, st, cipher, authorizer, sink, {}};
  BULWARK_RETURN_IF_ERROR(AddHomeCompliance(rt, home, deps));
  BULWARK_ASSIGN_OR_RETURN(std::shared_ptr<service::ConfigService> svc, service::ConfigService::Create(std::move(deps)));

  // Authentication: API tokens, then client certificates (when configured). Nothing configured
  // means nobody can authenticate (every protected route answers 401), never allow-all.
  std::vector<std::unique_ptr<server::Authenticator>> methods;
  if (!cfg.tokens_file.empty()) {
    BULWARK_ASSIGN_OR_RETURN(auto tokens, server::TokenFileAuthenticator::Create(rt, cfg.tokens_file));
    methods.push_back(std::move(tokens));
  }
  if (cfg.mtls) methods.push_back(server::NewMtlsAuthenticator(*cfg.mtls));
  if (methods.empty()) {
    LogLine(ctx, "warn", "no authentication method is configured (auth.tokens_file, auth.mtls): every "
                         "protected route will answer 401");
  }
  std::shared_ptr<server::Authenticator> authenticator = server::NewChainAuthenticator(std::move(methods));

  server::ApiDeps api;
  api.service = svc;
  api.authorizer = authorizer;
  api.audit = sink;
  api.log = audit_log.log;
  BULWARK_ASSIGN_OR_RETURN(auto verifier, audit::CheckpointVerifier::Create(audit_log.keys.origin,
                                                                            audit_log.keys.verifiers()));
  api.verifier = std::make_shared<const audit::CheckpointVerifier>(std::move(verifier));
  api.keyring = keys->keyring;
  api.save_keyring = [&ctx, keys](keys::Keyring& ring) -> Status {
    BULWARK_ASSIGN_OR_RETURN(FileLock lock, LockKeyring(ctx, keys->home));
    BULWARK_ASSIGN_OR_RETURN(std::string data, ring.Serialize(*keys->provider));
    return keys->runtime.fs->WriteFileAtomic(keys->keyring_path, data, kPrivateFile);
  };
  api.store_ready = [st]() -> Status {
    store::HistoryOptions one{.limit = 1};
    auto r = st->History(".bulwark/ready-probe", one);
    if (!r && r.error().code() != ErrorCode::kNotFound) return std::unexpected(r.error());
    return OkStatus();
  };
  api.metrics = metrics;
  api.max_json_depth = cfg.server.limits.max_json_depth;
  std::shared_ptr<server::Server> srv;
  api.accepting = [&srv] { return srv && srv->accepting(); };
  BULWARK_ASSIGN_OR_RETURN(auto router, server::BuildApiRouter(api));

  server::ServerHooks hooks;
  hooks.authenticator = authenticator;
  hooks.audit = sink;
  hooks.on_drained = [&ctx, log = audit_log.log] {
    auto note = log->PublishCheckpoint();
    if (!note) LogLine(ctx, "error", "final audit checkpoint failed", {{"error", note.error().ToString()}});
  };
  // Signals are blocked before any server thread starts, so that only RunUntilSignal sees them.
  server::BlockServerSignals();
  BULWARK_ASSIGN_OR_RETURN(auto created, server::Server::Create(cfg.server, hooks, router, metrics));
  srv = std::move(created);
  BULWARK_RETURN_IF_ERROR(srv->Start());
  LogLine(ctx, "info", "listening",
          {{"address", fmt::format("https://{}:{}", cfg.server.host, srv->port())},
           {"port", srv->port()},
           {"store", st->DisplayUrl()},
           {"tls", cfg.server.tls.allow_tls12 ? "1.2+" : "1.3"}});
  server::RunUntilSignal(*srv, [&ctx](const Status& s) {
    if (s) {
      LogLine(ctx, "info", "reloaded certificates and tokens");
    } else {
      LogLine(ctx, "error", "reload failed; the previous certificates and tokens stay in use",
              {{"error", s.error().ToString()}});
    }
  });
  LogLine(ctx, "info", "stopped");
  return OkStatus();
}

Status NewToken(CommandContext& ctx, const ServeArgs& a) {
  Runtime rt = Runtime::System();
  std::optional<TimePoint> expires;
  if (!a.expires.empty()) {
    BULWARK_ASSIGN_OR_RETURN(TimePoint t, ParseRfc3339(a.expires));
    expires = t;
  }
  BULWARK_ASSIGN_OR_RETURN(server::NewApiToken t, server::GenerateApiToken(*rt.random, a.token_id, a.roles, expires));
  auto bytes = t.token.Reveal();
  ctx.io.out << std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()) << "\n";
  ctx.io.err << "bulwark: the token above is shown once; add this entry to the tokens file:\n"
             << t.entry_yaml << "\n";
  return OkStatus();
}

}  // namespace

void RegisterServeCommands(CLI::App& app, CommandContext& ctx) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTPS server (docs/server.md)");
  serve->add_option("--config", a->config, "The server configuration (server.yaml)");
  serve->require_subcommand(0, 1);
  CLI::App* tok = serve->add_subcommand("new-token", "Make an API token for the server's tokens file");
  tok->add_option("--id", a->token_id, "The token's name (the principal is token:ID)")->required();
  tok->add_option("--role", a->roles, "A role of the token (repeatable)");
  tok->add_option("--expires", a->expires, "RFC 3339 expiry time");
  tok->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      if (auto s = NewToken(ctx, *a); !s) return ctx.Fail(s.error());
      return exit_code::kOk;
    };
  });
  serve->callback([&ctx, a, tok] {
    if (tok->parsed()) return;
    ctx.action = [&ctx, a] {
      if (a->config.empty()) return ctx.Fail(InvalidArgumentError("serve: --config FILE is required").error());
      if (auto s = Serve(ctx, *a); !s) return ctx.Fail(s.error());
      return exit_code::kOk;
    };
  });
}

}  // namespace bulwark::cli
