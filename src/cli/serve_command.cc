// bulwark serve --config server.yaml | bulwark serve new-token --id ID --role R
//
// Loads server.yaml, opens the server on the node of its home (server::ServerApp, composed by
// node::Node::Open) and runs it until SIGTERM (docs/server.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/server/api_tokens.h"
#include "bulwark/server/serve.h"
#include "cli/command.h"

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
  // Signals are blocked before any server thread starts, so that only RunUntilSignal sees them.
  server::BlockServerSignals();
  server::ServeHooks hooks;
  hooks.runtime = rt;
  hooks.log = [&ctx](std::string_view line) { ctx.io.err << line << std::endl; };
  BULWARK_ASSIGN_OR_RETURN(auto app, server::ServerApp::Open(std::move(cfg), hooks));
  server::Server& srv = app->server();
  BULWARK_RETURN_IF_ERROR(srv.Start());
  const server::ServerConfig& c = app->config();
  LogLine(ctx, "info", "listening",
          {{"address", fmt::format("https://{}:{}", c.server.host, srv.port())},
           {"port", srv.port()},
           {"store", app->node().store_url()},
           {"tls", c.server.tls.allow_tls12 ? "1.2+" : "1.3"}});
  server::RunUntilSignal(srv, [&ctx](const Status& s) {
    if (s) {
      LogLine(ctx, "info", "reloaded certificates and tokens");
    } else {
      LogLine(ctx, "error", "reload failed; the previous certificates and tokens stay in use",
              {{"error", s.error().ToString()}});
    }
  });
  BULWARK_RETURN_IF_ERROR(app->Close());
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
