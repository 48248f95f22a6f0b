// bulwark token create NAME --role R... [--namespace NS]... [--ttl 90d | --no-expiry]
//              | list [--format text|json] | revoke ID|NAME
//
// API tokens for scripts and services (docs/identity.md "API tokens"): the token is printed once,
// on stdout, when it is created; the home keeps only its SHA-256 in <home>/tokens.db (0600).
// Creating and revoking a token are audited in the home's audit log (operations token.create and
// token.revoke, action admin). Exit codes: 0 ok, 2 bad input or a name in use, 4 no such token,
// 5 the database or audit log unavailable.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/identity/api_token.h"
#include "bulwark/identity/duration.h"
#include "bulwark/identity/token_store.h"
#include "bulwark/service/request_context.h"
#include "cli/cli_node.h"
#include "cli/command.h"

namespace bulwark::cli {
namespace {

struct TokenArgs {
  std::string home;
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> namespaces;
  std::string ttl = "90d";
  bool no_expiry = false;
  std::string format = "text";
};

// The home's node (its audit log records token changes) and token store.
struct OpenedTokens {
  std::unique_ptr<node::Node> node;
  Runtime runtime;
  std::filesystem::path home;
  std::unique_ptr<identity::TokenStore> store;
};

Result<OpenedTokens> OpenTokens(CommandContext& ctx, const TokenArgs& a) {
  OpenedTokens o;
  BULWARK_ASSIGN_OR_RETURN(o.node, OpenNode(ctx, KeyArgs{a.home, "", ""}));
  o.runtime = o.node->runtime();
  o.home = o.node->home().dir;
  BULWARK_RETURN_IF_ERROR(o.runtime.fs->CreateDirectories(o.home, node::kPrivateDir));
  BULWARK_ASSIGN_OR_RETURN(o.store, identity::TokenStore::Open(o.home / "tokens.db", o.runtime));
  return o;
}

// One audit record for a token change, in the home's audit log.
Status AuditTokenChange(const OpenedTokens& o, service::AuditSink& sink, std::string operation,
                        const identity::TokenRecord& r) {
  service::AuditRecord rec;
  rec.time = o.runtime.clock->Now();
  rec.operation = std::move(operation);
  rec.action = service::Action::kAdmin;
  rec.paths = {"token:" + r.id};
  rec.reason = fmt::format("token '{}' roles [{}]", r.name, fmt::join(r.roles, ","));
  rec.context = o.node->LocalContext();
  return sink.Append(rec);
}

std::string Time(const std::optional<TimePoint>& t, std::string_view none) {
  return t ? FormatRfc3339(*t) : std::string(none);
}

nlohmann::json ToJson(const identity::TokenRecord& r, TimePoint now) {
  nlohmann::json j = {{"id", r.id},
                      {"name", r.name},
                      {"roles", r.roles},
                      {"namespaces", r.namespaces},
                      {"created_by", r.created_by},
                      {"created_at", FormatRfc3339(r.created_at)},
                      {"expires_at", nullptr},
                      {"revoked_at", nullptr},
                      {"last_used_at", nullptr},
                      {"status", r.revoked()      ? "revoked"
                                 : r.expired(now) ? "expired"
                                                  : "active"}};
  if (r.expires_at) j["expires_at"] = FormatRfc3339(*r.expires_at);
  if (r.revoked_at) j["revoked_at"] = FormatRfc3339(*r.revoked_at);
  if (r.last_used_at) j["last_used_at"] = FormatRfc3339(*r.last_used_at);
  return j;
}

int RunCreate(CommandContext& ctx, const TokenArgs& a) {
  identity::NewTokenRequest req;
  req.name = a.name;
  req.roles = a.roles;
  req.namespaces = a.namespaces;
  req.created_by = service::LocalCliContext(BULWARK_VERSION).principal.id;
  std::optional<std::chrono::seconds> ttl;
  if (!a.no_expiry) {
    auto d = identity::ParseDuration(a.ttl, "--ttl");
    if (!d) return ctx.Fail(d.error());
    if (d->count() == 0) return ctx.Fail(InvalidArgumentError("--ttl: must be positive").error());
    ttl = *d;
  }
  auto o = OpenTokens(ctx, a);
  if (!o) return ctx.Fail(o.error());
  if (ttl) req.expires_at = o->runtime.clock->Now() + *ttl;
  auto sink = o->node->audit_sink();
  if (auto h = sink->HealthCheck(); !h) return ctx.Fail(h.error());
  auto created = o->store->Create(req);
  if (!created) return ctx.Fail(created.error());
  if (auto s = AuditTokenChange(*o, *sink, "token.create", created->record); !s) {
    return ctx.Fail(s.error().WithContext("token created but not audited"));
  }
  if (a.format == "json") {
    nlohmann::json j = ToJson(created->record, o->runtime.clock->Now());
    j["token"] = created->token.RevealAsString();
    ctx.io.out << j.dump(2) << "\n";
  } else {
    ctx.io.out << created->token.RevealAsString() << "\n";
  }
  ctx.io.err << fmt::format(
      "created token '{}' (id {}), roles {}, expires {}.\n"
      "This is the only time the token is shown: store it now (only its hash is kept).\n",
      created->record.name, created->record.id, fmt::join(created->record.roles, ","),
      Time(created->record.expires_at, "never"));
  return exit_code::kOk;
}

int RunList(CommandContext& ctx, const TokenArgs& a) {
  auto o = OpenTokens(ctx, a);
  if (!o) return ctx.Fail(o.error());
  auto all = o->store->List();
  if (!all) return ctx.Fail(all.error());
  const TimePoint now = o->runtime.clock->Now();
  if (a.format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : *all) j.push_back(ToJson(r, now));
    ctx.io.out << j.dump(2) << "\n";
    return exit_code::kOk;
  }
  ctx.io.out << fmt::format("{:<16}  {:<20}  {:<8}  {:<27}  {:<27}  {}\n", "ID", "NAME", "STATUS",
                            "EXPIRES", "LAST USED", "ROLES / NAMESPACES");
  for (const auto& r : *all) {
    const char* status = r.revoked() ? "revoked" : r.expired(now) ? "expired" : "active";
    std::string scope = fmt::format("{}", fmt::join(r.roles, ","));
    if (!r.namespaces.empty()) scope += fmt::format(" / {}", fmt::join(r.namespaces, ","));
    ctx.io.out << fmt::format("{:<16}  {:<20}  {:<8}  {:<27}  {:<27}  {}\n", r.id, r.name, status,
                              Time(r.expires_at, "never"), Time(r.last_used_at, "never"), scope);
  }
  return exit_code::kOk;
}

int RunRevoke(CommandContext& ctx, const TokenArgs& a) {
  auto o = OpenTokens(ctx, a);
  if (!o) return ctx.Fail(o.error());
  auto before = o->store->Find(a.name);
  if (!before) return ctx.Fail(before.error());
  auto sink = o->node->audit_sink();
  if (auto h = sink->HealthCheck(); !h) return ctx.Fail(h.error());
  auto r = o->store->Revoke(a.name);
  if (!r) return ctx.Fail(r.error());
  if (!before->revoked()) {
    if (auto s = AuditTokenChange(*o, *sink, "token.revoke", *r); !s) {
      return ctx.Fail(s.error().WithContext("token revoked but not audited"));
    }
  }
  ctx.io.out << fmt::format("revoked token '{}' (id {}) at {}\n", r->name, r->id,
                            Time(r->revoked_at, "?"));
  return exit_code::kOk;
}

}  // namespace

void RegisterTokenCommands(CLI::App& app, CommandContext& ctx) {
  auto* token = app.add_subcommand("token", "API tokens: create (shown once), list, revoke");
  token->require_subcommand(1);
  auto args = std::make_shared<TokenArgs>();
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--home", args->home, "Bulwark home (default: $BULWARK_HOME, else ~/.bulwark)");
  };

  auto* create = token->add_subcommand("create", "Create an API token and print it once");
  create->add_option("name", args->name, "Unique name: 1-64 of A-Z a-z 0-9 . _ -")->required();
  create->add_option("--role", args->roles, "A role the token carries (repeatable)")->required();
  create->add_option("--namespace", args->namespaces,
                     "Limit the token to this namespace (repeatable; default: no limit)");
  create->add_option("--ttl", args->ttl, "Lifetime: 30m, 12h, 90d, 2w (default 90d)");
  create->add_flag("--no-expiry", args->no_expiry, "The token never expires (not recommended)");
  create->add_option("--format", args->format, "text (the token alone) or json")
      ->check(CLI::IsMember({"text", "json"}));
  add_common(create);
  create->callback([&ctx, args] { ctx.action = [&ctx, args] { return RunCreate(ctx, *args); }; });

  auto* list = token->add_subcommand("list", "List tokens (never their secrets)");
  list->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  add_common(list);
  list->callback([&ctx, args] { ctx.action = [&ctx, args] { return RunList(ctx, *args); }; });

  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id or name");
  revoke->add_option("token", args->name, "The token's id or name")->required();
  add_common(revoke);
  revoke->callback([&ctx, args] { ctx.action = [&ctx, args] { return RunRevoke(ctx, *args); }; });
}

}  // namespace bulwark::cli
