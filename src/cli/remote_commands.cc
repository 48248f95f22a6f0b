// The CLI as a client of `bulwark serve`: with --server URL (or $BULWARK_ADDR) the store, check,
// audit and keys commands run against the server's HTTP API instead of a local home, with the
// same arguments, output and exit codes (docs/server.md "The CLI as a client").
//
//   bulwark --server https://host:8200 [--token-file F | --cert C --key K] [--ca CA] get production/api
//
// The token comes from --token-file or $BULWARK_TOKEN (never from an argument: it would show in
// the process list and shell history); the server's CA from --ca or $BULWARK_CA.
#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bulwark/change/change_service.h"
#include "bulwark/config/format.h"
#include "bulwark/config/path.h"
#include "bulwark/core/duration.h"
#include "bulwark/lifecycle/metadata.h"
#include "bulwark/node/health.h"
#include "bulwark/server/api_client.h"
#include "cli/change_print.h"
#include "cli/command.h"
#include "cli/lifecycle_print.h"
#include "cli/store_commands.h"
#include "cli/verbatim_args.h"

namespace bulwark::cli {
namespace {

using json = nlohmann::ordered_json;
using server::UrlEncode;

struct RemoteArgs {
  std::string server, token_file, cert, key, ca;
  std::string ns, file, path, value, message, schema, format, at, to_ns, reason;
  std::vector<std::string> tags;
  std::int64_t version = 0, expect_version = -1, from = 0, to = 0;
  bool reveal = false, secret = false, as_string = false, json = false;
  // audit
  std::string since, until, actor, action, outcome, impact, out;
  std::uint64_t index = 0, old_size = 0, new_size = 0, limit = 0;
  // change
  std::string id, set_secret, justification, rollback_plan, comment, state;
  std::vector<std::string> sets, unsets, overrides;
  std::int64_t rollback_to = 0;
  // status, rotate
  std::string within = "30d";
  bool dry_run = false, emergency = false, force = false;
};

Result<std::unique_ptr<server::ApiClient>> Connect(CommandContext& ctx, const RemoteArgs& a) {
  server::ApiClientOptions o;
  o.url = a.server;
  if (o.url.empty()) {
    if (const char* e = std::getenv("BULWARK_ADDR"); e != nullptr) o.url = e;
  }
  o.ca = a.ca;
  if (o.ca.empty()) {
    if (const char* e = std::getenv("BULWARK_CA"); e != nullptr) o.ca = e;
  }
  o.cert = a.cert;
  o.key = a.key;
  if (a.cert.empty() != a.key.empty()) return InvalidArgumentError("--cert and --key go together");
  if (!a.token_file.empty()) {
    auto files = NewLocalFileSystem();
    BULWARK_ASSIGN_OR_RETURN(std::string t, files->ReadFile(a.token_file));
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (t.empty()) return InvalidArgumentError(fmt::format("--token-file {}: empty", a.token_file));
    o.token = SecretBytes::FromString(t);
  } else if (const char* e = std::getenv("BULWARK_TOKEN"); e != nullptr && *e != '\0') {
    o.token = SecretBytes::FromString(e);
  }
  o.user_agent = std::string("bulwark-cli/") + BULWARK_VERSION;
  (void)ctx;
  return server::ApiClient::Create(std::move(o));
}

Result<json> CallJson(server::ApiClient& c, std::string_view method, const std::string& target,
                      const std::string& body = "") {
  BULWARK_ASSIGN_OR_RETURN(std::string text, c.Call(method, target, body));
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return UnavailableError(fmt::format("{} {}: the server's answer is not JSON", method, target));
  return j;
}

std::string VersionQuery(const RemoteArgs& a, char sep) {
  std::string q;
  auto add = [&](const std::string& k, const std::string& v) {
    q += (q.empty() ? sep : '&') + k + "=" + UrlEncode(v, false);
  };
  if (a.version > 0) add("version", std::to_string(a.version));
  if (!a.at.empty()) add("at", a.at);
  if (!a.path.empty()) add("path", a.path);
  return q;
}

std::string ValueText(const config::Value& v) {
  if (v.is_string()) return v.AsString();
  auto t = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
  return t ? *t : "?";
}

Result<config::Value> JsonToValue(const json& j) {
  BULWARK_ASSIGN_OR_RETURN(config::Document d,
                           config::ParseDocument(j.dump(), config::Format::kJson, {.track_locations = false}));
  return std::move(d.root);
}

void PrintWritten(CommandContext& ctx, const json& info) {
  ctx.io.out << fmt::format("{} version {} ({})\n", info["namespace"].get<std::string>(), info["version"].get<std::int64_t>(),
                            info["content_hash"].get<std::string>().substr(0, 12));
}

void WriteFields(json& body, const RemoteArgs& a) {
  if (!a.message.empty()) body["message"] = a.message;
  if (a.expect_version >= 0) body["expected_version"] = a.expect_version;
}

// Registers one remote command; `run` gets a connected client.
void Add(CLI::App* c, CommandContext& ctx, const std::shared_ptr<RemoteArgs>& a,
         std::function<Status(server::ApiClient&)> run) {
  c->callback([&ctx, a, run = std::move(run)] {
    ctx.action = [&ctx, a, run] {
      auto client = Connect(ctx, *a);
      if (!client) return ctx.Fail(client.error());
      if (auto s = run(**client); !s) return ctx.Fail(s.error());
      return exit_code::kOk;
    };
  });
}

// The change-set options as the ops of a /v1/changes body, in the order and with the value
// reading of the local `change propose` (change_commands.cc): --rollback-to, --file, --set,
// --set-secret (the value from stdin, only ever in the request body), --unset.
Result<json> ChangeOps(CommandContext& ctx, const RemoteArgs& a) {
  json ops = json::array();
  if (a.rollback_to > 0) {
    if (!a.file.empty()) return InvalidArgumentError("--rollback-to: not with --file");
    ops.push_back({{"op", "rollback"}, {"to", a.rollback_to}});
  }
  auto as_json = [](const config::Value& v) -> Result<json> {
    BULWARK_ASSIGN_OR_RETURN(std::string text, config::EmitDocument(v, config::Format::kJson, {.indent = 0}));
    return json::parse(text);
  };
  if (!a.file.empty()) {
    auto files = NewLocalFileSystem();
    auto doc = config::LoadFile(*files, a.file);
    if (!doc) return std::unexpected(doc.error().WithContext("--file"));
    BULWARK_ASSIGN_OR_RETURN(json d, as_json(doc->root));
    ops.push_back({{"op", "put"}, {"document", std::move(d)}});
  }
  for (const std::string& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError(fmt::format("--set '{}': expected PATH=VALUE", s.substr(0, s.find('='))));
    }
    const std::string text = s.substr(eq + 1);
    auto doc = config::ParseDocument(text, config::Format::kJson, {.source_name = "--set", .track_locations = false});
    json value = json(text);
    if (doc) {
      BULWARK_ASSIGN_OR_RETURN(value, as_json(doc->root));
    }
    ops.push_back({{"op", "set"}, {"path", s.substr(0, eq)}, {"value", std::move(value)}});
  }
  if (!a.set_secret.empty()) {
    std::string text = ReadStandardInput(ctx);
    if (text.empty()) return InvalidArgumentError("--set-secret: no value on standard input");
    ops.push_back({{"op", "set"}, {"path", a.set_secret}, {"value", std::move(text)}, {"secret", true}});
  }
  for (const std::string& u : a.unsets) ops.push_back({{"op", "unset"}, {"path", u}});
  return ops;
}

// bulwark change ... against /v1/changes (docs/server.md "Change requests"), with the arguments
// of the local commands and their printer (cli/change_print.h) over the server's view JSON.
void RegisterRemoteChange(CLI::App& app, CommandContext& ctx, const std::shared_ptr<RemoteArgs>& a) {
  auto& out = ctx.io.out;
  CLI::App* change = app.add_subcommand("change", "Change requests on the server");
  change->require_subcommand(1);
  // Prints one request as the local command does.
  auto print_view = [&out, a](const json& v) {
    if (a->json) {
      out << v.dump(2) << "\n";
    } else {
      PrintChangeView(out, v);
    }
  };
  for (const bool emergency : {false, true}) {
    CLI::App* c = emergency ? change->add_subcommand("emergency", "Break glass: apply at once (emergency role, "
                                                                  "justification), review follows")
                            : change->add_subcommand("propose", "Propose a change-set against one namespace");
    c->add_option("namespace", a->ns, "The namespace to change")->required();
    c->add_option("--file", a->file, "A whole new document (any format the loaders read)");
    c->add_option("--set", a->sets, "PATH=VALUE (VALUE as for `bulwark set`; repeatable)");
    c->add_option("--set-secret", a->set_secret, "PATH: the value from standard input, encrypted");
    c->add_option("--unset", a->unsets, "PATH to remove (repeatable)");
    c->add_option("--rollback-to", a->rollback_to, "Restore version N")->check(VersionNumber());
    c->add_option("--justification", a->justification, "Why (required)");
    c->add_option("--rollback-plan", a->rollback_plan, "How to undo it");
    c->add_option("--tag", a->tags, "A label (repeatable)");
    c->add_flag("--json", a->json, "Print the request as JSON");
    Add(c, ctx, a, [&ctx, a, print_view, emergency](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json ops, ChangeOps(ctx, *a));
      json body = {{"namespace", a->ns}, {"ops", std::move(ops)}, {"justification", a->justification}};
      if (!a->rollback_plan.empty()) body["rollback_plan"] = a->rollback_plan;
      if (!a->tags.empty()) body["tags"] = a->tags;
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", emergency ? "/v1/changes/emergency" : "/v1/changes",
                                                body.dump(-1, ' ', false, json::error_handler_t::replace)));
      print_view(r);
      return OkStatus();
    });
  }
  {
    CLI::App* c = change->add_subcommand("list", "Change requests, newest first");
    c->add_option("--ns", a->ns, "Only namespaces under this prefix");
    c->add_option("--state", a->state, "open|approved|applied|rejected|stale|expired");
    c->add_flag("--json", a->json, "Print as JSON");
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      if (!a->state.empty() && !change::ParseState(a->state)) {
        return InvalidArgumentError(fmt::format("--state '{}': expected open, approved, applied, "
                                                "rejected, stale or expired", a->state));
      }
      std::string q = "/v1/changes?namespace=" + UrlEncode(a->ns, false);
      if (!a->state.empty()) q += "&state=" + UrlEncode(a->state, false);
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", q));
      if (a->json) {
        out << r["changes"].dump(2) << "\n";
      } else {
        PrintChangeList(out, r["changes"]);
      }
      return OkStatus();
    });
  }
  // The commands on one request: id, --json, and what each sends.
  struct IdCommand {
    const char* name;
    const char* help;
    const char* method;
    const char* suffix;  // after /v1/changes/{id}
  };
  for (const IdCommand& k : {IdCommand{"show", "One change request, its impact and approvals", "GET", ""},
                             IdCommand{"diff", "What the change does to its base version", "GET", "/diff"},
                             IdCommand{"approve", "Approve a change request", "POST", "/approve"},
                             IdCommand{"reject", "Reject (or, as its requester, withdraw) a change", "POST", "/reject"},
                             IdCommand{"apply", "Apply an approved change (compare-and-set on its base)", "POST", "/apply"},
                             IdCommand{"rebase", "Move a stale change onto the latest version", "POST", "/rebase"},
                             IdCommand{"comment", "Add a comment to a change request", "POST", "/comment"},
                             IdCommand{"review", "Review an applied emergency change", "POST", "/review"}}) {
    CLI::App* c = change->add_subcommand(k.name, k.help);
    c->add_option("id", a->id, "The change request (cr-...)")->required();
    c->add_flag("--json", a->json, "Print as JSON");
    const std::string name = k.name;
    if (name == "approve") {
      c->add_option("--comment", a->comment, "A comment kept with the approval");
      c->add_option("--override", a->overrides, "A blocking critical compliance rule id to override");
    } else if (name == "reject") {
      c->add_option("--comment", a->comment, "Why (required)");
    } else if (name == "review") {
      c->add_option("--comment", a->comment, "A comment kept with the review");
    } else if (name == "comment") {
      c->add_option("text", a->comment, "The comment")->required();
    }
    Add(c, ctx, a, [&out, a, print_view, name, method = std::string(k.method),
                    suffix = std::string(k.suffix)](server::ApiClient& client) -> Status {
      std::string body;
      if (name == "approve") {
        json b = json::object();
        if (!a->comment.empty()) b["comment"] = a->comment;
        if (!a->overrides.empty()) b["overrides"] = a->overrides;
        body = b.dump();
      } else if (name == "reject" || name == "comment" || name == "review") {
        body = json({{"comment", a->comment}}).dump(-1, ' ', false, json::error_handler_t::replace);
      }
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, method, "/v1/changes/" + UrlEncode(a->id, false) + suffix, body));
      if (name != "diff") {
        print_view(r);
      } else if (a->json) {
        out << r["changes"].dump(2) << "\n";
      } else {
        PrintChangeDiff(out, r["changes"]);
      }
      return OkStatus();
    });
  }
}

// `status`, `rotate NS PATH` and `rotate due` against /v1/sys/status, /v1/secrets/rotate/{ns}
// and /v1/rotate/due (docs/rotation.md section 6), with the local arguments, text and exit codes
// (1: not healthy, rolled back, something overdue or failed).
void RegisterRemoteLifecycle(CLI::App& app, CommandContext& ctx, const std::shared_ptr<RemoteArgs>& a) {
  auto connect_and = [&ctx, a](const std::function<Result<int>(server::ApiClient&)>& run) {
    auto client = Connect(ctx, *a);
    if (!client) return ctx.Fail(client.error());
    auto code = run(**client);
    if (!code) return ctx.Fail(code.error());
    return *code;
  };
  {
    CLI::App* c = app.add_subcommand(
        "status", "Health of the server's node: keys, secrets due or overdue, the audit log (exit 1 when not healthy)");
    c->add_option("--within", a->within, "Count secrets due within this (default 30d)");
    c->add_flag("--json", a->json, "JSON");
    c->callback([&ctx, a, connect_and] {
      ctx.action = [&ctx, a, connect_and] {
        if (auto w = ParseDuration(a->within); !w) {
          return ctx.Fail(Error(ErrorCode::kInvalidArgument, "--within: " + w.error().message()));
        }
        return connect_and([&ctx, a](server::ApiClient& client) -> Result<int> {
          BULWARK_ASSIGN_OR_RETURN(std::string body,
                                   client.Call("GET", "/v1/sys/status?within=" + UrlEncode(a->within, false)));
          BULWARK_ASSIGN_OR_RETURN(node::HealthSummary h, node::HealthSummary::FromJson(body));
          ctx.io.out << (a->json ? body : h.Text());
          return h.healthy() ? exit_code::kOk : exit_code::kProblemsFound;
        });
      };
    });
  }
  {
    // `secrets due` is the status route's list of secrets needing attention (the same selection
    // as the local command: not ok, or dated within --within).
    CLI::App* secrets = app.add_subcommand("secrets", "Secrets tracked by the server's node");
    secrets->require_subcommand(1);
    CLI::App* c = secrets->add_subcommand(
        "due", "Secrets due, expiring or overdue, soonest first (exit 1 when any is overdue or failed)");
    c->add_option("--within", a->within, "How far ahead (default 30d)");
    c->add_flag("--json", a->json, "JSON");
    c->callback([&ctx, a, connect_and] {
      ctx.action = [&ctx, a, connect_and] {
        auto w = ParseDuration(a->within);
        if (!w) return ctx.Fail(Error(ErrorCode::kInvalidArgument, "--within: " + w.error().message()));
        return connect_and([&ctx, a, w = *w](server::ApiClient& client) -> Result<int> {
          BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", "/v1/sys/status?within=" + UrlEncode(a->within, false)));
          const json& sec = r["secrets"];
          if (!sec.is_object()) return DataLossError("the server's status has no secrets section");
          if (sec.contains("error")) {
            return UnavailableError(fmt::format("secrets due: {}", sec.value("error", "")));
          }
          json list = json::array();
          for (const json& x : sec.value("attention", json::array())) {
            json o = {{"namespace", x.value("namespace", "")}, {"path", x.value("path", "")},
                      {"status", x.value("status", "")}, {"type", x.value("type", "")}};
            o["when"] = x.contains("when") ? x["when"] : json();
            list.push_back(std::move(o));
          }
          bool problems = false;
          if (a->json) {
            ctx.io.out << list.dump(2) << "\n";
            for (const json& x : list) {
              const std::string st = x["status"].get<std::string>();
              problems = problems || st == "overdue" || st == "expired" || st == "failed";
            }
          } else {
            problems = PrintDueSecrets(ctx.io.out, list, lifecycle::FormatScheduleDuration(w));
          }
          return problems ? exit_code::kProblemsFound : exit_code::kOk;
        });
      };
    });
  }
  CLI::App* rotate = app.add_subcommand("rotate", "Rotate a secret on the server now (NS PATH), or everything due (rotate due)");
  rotate->add_option("namespace", a->ns);
  rotate->add_option("path", a->path);
  rotate->add_flag("--emergency", a->emergency, "Now, whatever the schedule; the previous value is revoked at once");
  rotate->add_option("--reason", a->reason, "Why (required with --emergency; recorded in the audit log)");
  rotate->add_flag("--force", a->force, "Also after max_retries failed rotations");
  rotate->add_flag("--json", a->json, "JSON");
  CLI::App* due = rotate->add_subcommand(
      "due", "Run the server's rotation schedule now (exit 1 when anything is overdue or failed)");
  due->add_flag("--dry-run", a->dry_run, "Say what would be done, do nothing");
  due->add_flag("--json", a->json, "JSON");
  due->callback([&ctx, a, connect_and] {
    ctx.action = [&ctx, a, connect_and] {
      return connect_and([&ctx, a](server::ApiClient& client) -> Result<int> {
        BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/rotate/due", json({{"dry_run", a->dry_run}}).dump()));
        if (a->json) {
          ctx.io.out << r["items"].dump(2) << "\n";
        } else {
          PrintDueItems(ctx.io.out, r["items"]);
        }
        return r.value("problems", false) ? exit_code::kProblemsFound : exit_code::kOk;
      });
    };
  });
  rotate->callback([&ctx, a, due, connect_and] {
    if (due->parsed()) return;
    ctx.action = [&ctx, a, connect_and] {
      if (a->ns.empty() || a->path.empty()) {
        return ctx.Fail(Error(ErrorCode::kInvalidArgument, "rotate: NAMESPACE and PATH are required (or: bulwark rotate due)"));
      }
      if (!a->reason.empty() && !a->emergency) {
        return ctx.Fail(Error(ErrorCode::kInvalidArgument, "--reason: only with --emergency"));
      }
      if (a->emergency && a->reason.empty()) {
        return ctx.Fail(Error(ErrorCode::kInvalidArgument,
                              "--reason: an emergency rotation needs a reason (--emergency --reason \"...\")"));
      }
      auto path = config::Path::ParseAny(a->path);
      if (!path) return ctx.Fail(path.error().WithContext("PATH"));
      if (path->empty()) {
        return ctx.Fail(Error(ErrorCode::kInvalidArgument, "PATH: a secret's path is required, not the whole namespace"));
      }
      return connect_and([&ctx, a, p = path->ToString()](server::ApiClient& client) -> Result<int> {
        json body = {{"path", p}, {"emergency", a->emergency}, {"force", a->force}};
        if (!a->reason.empty()) body["reason"] = a->reason;
        BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/secrets/rotate/" + UrlEncode(a->ns, true),
                                                  body.dump(-1, ' ', false, json::error_handler_t::replace)));
        // The local command's JSON: the route's outcome with the namespace and path.
        json j = {{"namespace", a->ns}, {"path", p}, {"rotation_id", r.value("id", "")},
                  {"state", r.value("state", "")}, {"resumed", r.value("resumed", false)}};
        for (const char* k : {"old_version", "new_version", "grace_until", "error"}) {
          if (r.contains(k)) j[k] = r[k];
        }
        if (a->json) {
          ctx.io.out << j.dump(2) << "\n";
        } else {
          PrintRotation(ctx.io.out, j);
        }
        return j["state"] == "rolled_back" ? exit_code::kProblemsFound : exit_code::kOk;
      });
    };
  });
}

void RegisterRemote(CLI::App& app, CommandContext& ctx, const std::shared_ptr<RemoteArgs>& a) {
  auto& out = ctx.io.out;
  {
    CLI::App* c = app.add_subcommand("put", "Store a configuration file as the next version of a namespace");
    c->add_option("namespace", a->ns)->required();
    c->add_option("file", a->file)->required();
    c->add_option("-m,--message", a->message);
    c->add_option("--tag", a->tags);
    c->add_option("--schema", a->schema);
    c->add_option("--expect-version", a->expect_version)->check(ExpectedVersion());
    c->add_option("--input-format", a->format);
    Add(c, ctx, a, [&ctx, a](server::ApiClient& client) -> Status {
      auto files = NewLocalFileSystem();
      std::optional<config::Format> f;
      if (!a->format.empty()) {
        BULWARK_ASSIGN_OR_RETURN(f, config::ParseFormatName(a->format));
      }
      BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::LoadFile(*files, a->file, f));
      BULWARK_ASSIGN_OR_RETURN(std::string doc_json, config::EmitDocument(doc.root, config::Format::kJson, {.indent = 0}));
      json body;
      body["document"] = json::parse(doc_json);
      if (!a->tags.empty()) body["tags"] = a->tags;
      if (!a->schema.empty()) {
        BULWARK_ASSIGN_OR_RETURN(config::Document s, config::LoadFile(*files, a->schema));
        BULWARK_ASSIGN_OR_RETURN(std::string s_json, config::EmitDocument(s.root, config::Format::kJson, {.indent = 0}));
        body["schema"] = json::parse(s_json);
      }
      WriteFields(body, *a);
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "PUT", "/v1/config/data/" + UrlEncode(a->ns, true), body.dump()));
      PrintWritten(ctx, r["info"]);
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("get", "Print a namespace (or one path of it); secrets redacted unless --reveal");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path);
    c->add_option("--version", a->version)->check(VersionNumber());
    c->add_option("--at", a->at);
    c->add_flag("--reveal", a->reveal);
    c->add_option("--format", a->format);
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      const std::string route = a->reveal ? "/v1/config/reveal/" : "/v1/config/data/";
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", route + UrlEncode(a->ns, true) + VersionQuery(*a, '?')));
      BULWARK_ASSIGN_OR_RETURN(config::Value v, JsonToValue(r["value"]));
      if (!v.is_container() && a->format.empty()) {
        out << ValueText(v) << "\n";
        return OkStatus();
      }
      config::Format f = config::Format::kYaml;
      if (!a->format.empty()) {
        BULWARK_ASSIGN_OR_RETURN(f, config::ParseFormatName(a->format));
      }
      BULWARK_ASSIGN_OR_RETURN(std::string text, config::EmitDocument(v, f));
      out << text;
      if (!text.empty() && text.back() != '\n') out << "\n";
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("set", "Set one value (a new version); VALUE '-' reads stdin");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path)->required();
    c->add_option("value", a->value)->required();
    c->add_flag("--secret", a->secret);
    c->add_flag("--string", a->as_string);
    c->add_option("-m,--message", a->message);
    c->add_option("--expect-version", a->expect_version)->check(ExpectedVersion());
    Add(c, ctx, a, [&ctx, a](server::ApiClient& client) -> Status {
      std::string text = a->value == "-" ? ReadStandardInput(ctx) : a->value;
      json body;
      body["path"] = a->path;
      auto parsed = json::parse(text, nullptr, false);
      body["value"] = a->as_string || parsed.is_discarded() ? json(text) : parsed;
      if (a->secret) body["secret"] = true;
      WriteFields(body, *a);
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/config/set/" + UrlEncode(a->ns, true), body.dump()));
      PrintWritten(ctx, r["info"]);
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("unset", "Remove one path (a new version)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path)->required();
    c->add_option("-m,--message", a->message);
    c->add_option("--expect-version", a->expect_version)->check(ExpectedVersion());
    Add(c, ctx, a, [&ctx, a](server::ApiClient& client) -> Status {
      json body = {{"path", a->path}};
      WriteFields(body, *a);
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/config/unset/" + UrlEncode(a->ns, true), body.dump()));
      PrintWritten(ctx, r["info"]);
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("history", "List the versions of a namespace, newest first");
    c->add_option("namespace", a->ns)->required();
    c->add_flag("--json", a->json);
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", "/v1/config/history/" + UrlEncode(a->ns, true)));
      if (a->json) {
        out << r["versions"].dump(2) << "\n";
        return OkStatus();
      }
      for (const auto& v : r["versions"]) {
        out << fmt::format("{:>5}  {}  {:<8}  {:<20}  {}  {}{}\n", v["version"].get<std::int64_t>(),
                           v["created_at"].get<std::string>().substr(0, 19), v["operation"].get<std::string>(),
                           v["author"].get<std::string>(), v["content_hash"].get<std::string>().substr(0, 12),
                           v["message"].get<std::string>(),
                           v["rollback_of"].is_null() ? "" : fmt::format(" (rollback to {})", v["rollback_of"].get<std::int64_t>()));
      }
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("diff", "Path-level differences between two versions");
    c->add_option("namespace", a->ns)->required();
    c->add_option("from", a->from)->check(VersionNumber())->required();
    c->add_option("to", a->to)->check(VersionNumber())->required();
    c->add_flag("--json", a->json);
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", fmt::format("/v1/config/diff/{}?from={}&to={}",
                                                                            UrlEncode(a->ns, true), a->from, a->to)));
      if (a->json) {
        out << r["changes"].dump(2) << "\n";
        return OkStatus();
      }
      for (const auto& d : r["changes"]) {
        const std::string kind = d["change"];
        const char sign = kind == "added" ? '+' : kind == "removed" ? '-' : '~';
        auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
        std::string detail;
        if (d["sensitive"].get<bool>()) {
          detail = "(sensitive value changed)";
        } else if (kind == "changed") {
          detail = text(d["old"]) + " -> " + text(d["new"]);
        } else if (d.contains("new")) {
          detail = text(d["new"]);
        } else if (d.contains("old")) {
          detail = text(d["old"]);
        }
        out << fmt::format("{} {}  {}\n", sign, d["path"].get<std::string>(), detail);
      }
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("rollback", "Make a new version with the content of an old one");
    c->add_option("namespace", a->ns)->required();
    c->add_option("--to", a->to)->check(VersionNumber())->required();
    c->add_option("--reason", a->reason)->required();
    Add(c, ctx, a, [&ctx, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/config/rollback/" + UrlEncode(a->ns, true),
                                                json({{"to", a->to}, {"reason", a->reason}}).dump()));
      PrintWritten(ctx, r["info"]);
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("ls", "List namespaces under a prefix");
    c->add_option("prefix", a->ns);
    c->add_flag("--json", a->json);
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", "/v1/config/list?prefix=" + UrlEncode(a->ns, false)));
      if (a->json) {
        out << r["namespaces"].dump(2) << "\n";
        return OkStatus();
      }
      for (const auto& n : r["namespaces"]) {
        out << fmt::format("{}  (version {}, {})\n", n["namespace"].get<std::string>(),
                           n["latest_version"].get<std::int64_t>(), n["updated_at"].get<std::string>().substr(0, 19));
      }
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("mv", "Rename a namespace atomically, with its history");
    c->add_option("from", a->ns)->required();
    c->add_option("to", a->to_ns)->required();
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/config/move",
                                                json({{"from", a->ns}, {"to", a->to_ns}}).dump()));
      out << fmt::format("{} -> {}\n", a->ns, a->to_ns);
      return OkStatus();
    });
  }
  {
    CLI::App* c = app.add_subcommand("check", "Compliance report of a stored namespace (JSON report format)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("--version", a->version)->check(VersionNumber());
    c->add_flag("--history", a->json, "The recorded status of every version instead");
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        auto client = Connect(ctx, *a);
        if (!client) return ctx.Fail(client.error());
        const std::string target = a->json ? "/v1/compliance/history/" + UrlEncode(a->ns, true)
                                           : "/v1/compliance/check/" + UrlEncode(a->ns, true) +
                                                 (a->version > 0 ? fmt::format("?version={}", a->version) : "");
        auto r = CallJson(**client, "GET", target);
        if (!r) return ctx.Fail(r.error());
        ctx.io.out << r->dump(2) << "\n";
        if (!a->json && r->contains("compliant") && !(*r)["compliant"].get<bool>()) return exit_code::kProblemsFound;
        return exit_code::kOk;
      };
    });
  }
  // audit
  CLI::App* audit = app.add_subcommand("audit", "The server's audit log");
  audit->require_subcommand(1);
  {
    CLI::App* c = audit->add_subcommand("log", "Query events");
    c->add_option("--since", a->since);
    c->add_option("--until", a->until);
    c->add_option("--actor", a->actor);
    c->add_option("--ns", a->ns);
    c->add_option("--path", a->path);
    c->add_option("--action", a->action);
    c->add_option("--outcome", a->outcome);
    c->add_option("--impact", a->impact);
    c->add_option("--limit", a->limit, "At most this many events (default: all)");
    c->add_flag("--json", a->json);
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      std::string q;
      auto add = [&](const char* k, const std::string& v) {
        if (!v.empty()) q += fmt::format("&{}={}", k, UrlEncode(v, false));
      };
      add("since", a->since);
      add("until", a->until);
      add("actor", a->actor);
      add("namespace", a->ns);
      add("path", a->path);
      add("action", a->action);
      add("outcome", a->outcome);
      add("impact", a->impact);
      std::uint64_t printed = 0;
      std::optional<std::uint64_t> from = 0;
      while (from && (a->limit == 0 || printed < a->limit)) {
        BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", fmt::format("/v1/audit/events?limit=1000&from={}{}", *from, q)));
        for (const auto& e : r["events"]) {
          if (a->limit != 0 && printed == a->limit) break;
          ++printed;
          if (a->json) {
            out << e["event"].dump() << "\n";
            continue;
          }
          const auto& ev = e["event"];
          const auto& d = ev["data"];
          std::string paths;
          for (const auto& p : d.value("paths", json::array())) paths += (paths.empty() ? "" : ",") + p.get<std::string>();
          out << fmt::format("{:>8}  {}  {:<8}  {:<18} {:<8} {:<20} {:<16} {}\n", e["index"].get<std::uint64_t>(),
                             ev.value("time", ""), d["impact"].value("level", ""), d.value("operation", ""),
                             d.value("outcome", ""), d["actor"].value("id", ""), d.value("namespace", ""), paths);
        }
        from = r["next"].is_null() ? std::nullopt : std::optional<std::uint64_t>(r["next"].get<std::uint64_t>());
      }
      return OkStatus();
    });
  }
  {
    CLI::App* c = audit->add_subcommand("verify", "Recompute and check the whole log on the server; exit 1 on tampering");
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        auto client = Connect(ctx, *a);
        if (!client) return ctx.Fail(client.error());
        auto r = CallJson(**client, "POST", "/v1/audit/verify");
        if (!r) return ctx.Fail(r.error());
        ctx.io.out << (*r)["summary"].get<std::string>();
        return (*r)["clean"].get<bool>() ? exit_code::kOk : exit_code::kProblemsFound;
      };
    });
  }
  {
    CLI::App* c = audit->add_subcommand("checkpoint", "Sign and print a checkpoint of the current log");
    c->add_option("--out", a->out);
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/audit/checkpoint"));
      const std::string note = r["note"];
      if (!a->out.empty()) return NewLocalFileSystem()->WriteFileAtomic(a->out, note, std::filesystem::perms(0644));
      out << note;
      return OkStatus();
    });
  }
  {
    CLI::App* c = audit->add_subcommand("prove", "Inclusion proof of event INDEX in a fresh checkpoint");
    c->add_option("index", a->index)->required();
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", fmt::format("/v1/audit/proof/inclusion?index={}", a->index)));
      out << r.dump(2) << "\n";
      return OkStatus();
    });
  }
  {
    CLI::App* c = audit->add_subcommand("consistency", "Consistency proof between tree sizes OLD and NEW");
    c->add_option("old", a->old_size)->required();
    c->add_option("new", a->new_size)->required();
    Add(c, ctx, a, [&out, a](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", fmt::format("/v1/audit/proof/consistency?old={}&new={}",
                                                                            a->old_size, a->new_size)));
      out << r.dump(2) << "\n";
      return OkStatus();
    });
  }
  {
    CLI::App* c = audit->add_subcommand("export", "Export events as JSON lines {index, leaf, event}");
    Add(c, ctx, a, [&out](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(std::string text, client.Call("GET", "/v1/audit/export"));
      out << text;
      return OkStatus();
    });
  }
  // keys
  CLI::App* keys = app.add_subcommand("keys", "The server's data keys");
  keys->require_subcommand(1);
  {
    CLI::App* c = keys->add_subcommand("list", "List the keyring's keys");
    Add(c, ctx, a, [&out](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "GET", "/v1/keys"));
      out << fmt::format("{:<10} {:>7}  {:<18} {:<13} {:<28} {}\n", "KID", "VERSION", "ALGORITHM", "STATE", "CREATED", "USAGE");
      for (const auto& k : r["keys"]) {
        out << fmt::format("{:<10} {:>7}  {:<18} {:<13} {:<28} {}\n", k["id"].get<std::string>(),
                           k["version"].get<std::int64_t>(), k["algorithm"].get<std::string>(),
                           k["state"].get<std::string>(), k["created"].get<std::string>(), k["usage"].get<std::uint64_t>());
      }
      return OkStatus();
    });
  }
  {
    CLI::App* c = keys->add_subcommand("rotate", "Add a new primary key");
    Add(c, ctx, a, [&out](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", "/v1/keys/rotate"));
      out << fmt::format("new primary key {}\n", r["key"]["id"].get<std::string>());
      return OkStatus();
    });
  }
  for (const char* verb : {"disable", "enable"}) {
    CLI::App* c = keys->add_subcommand(verb, std::string(verb) + " a key");
    c->add_option("kid", a->path)->required();
    Add(c, ctx, a, [&out, a, verb = std::string(verb)](server::ApiClient& client) -> Status {
      BULWARK_ASSIGN_OR_RETURN(json r, CallJson(client, "POST", fmt::format("/v1/keys/{}/{}", UrlEncode(a->path, false), verb)));
      out << fmt::format("key {} is {}\n", r["key"]["id"].get<std::string>(), r["key"]["state"].get<std::string>());
      return OkStatus();
    });
  }
}

}  // namespace

bool IsRemoteInvocation(const std::vector<std::string>& args) {
  static const std::vector<std::string> kRemote = {"put", "get", "set", "unset", "history", "diff", "rollback",
                                                   "ls", "mv", "check", "audit", "keys", "change", "status", "rotate",
                                                   "secrets"};
  bool server_flag = false;
  std::string command;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--server" || s.starts_with("--server=")) server_flag = true;
    if (command.empty() && !s.starts_with("-")) {
      // Skip the values of the global client options.
      if (i > 0 && (args[i - 1] == "--server" || args[i - 1] == "--token-file" || args[i - 1] == "--cert" ||
                    args[i - 1] == "--key" || args[i - 1] == "--ca")) {
        continue;
      }
      command = s;
    }
  }
  if (!server_flag) {
    const char* e = std::getenv("BULWARK_ADDR");
    if (e == nullptr || *e == '\0') return false;
  }
  return std::find(kRemote.begin(), kRemote.end(), command) != kRemote.end();
}

int RunRemoteCli(const std::vector<std::string>& args, CliIo io) {
  CLI::App app{"Bulwark (client of a bulwark server)", "bulwark"};
  app.require_subcommand(1);
  app.fallthrough(true);  // the client options may also follow the command
  CommandContext ctx{io, {}, {}};
  auto a = std::make_shared<RemoteArgs>();
  app.add_option("--server", a->server, "https://host:port of a bulwark server (default: $BULWARK_ADDR)");
  app.add_option("--token-file", a->token_file, "A file holding the API token (default: $BULWARK_TOKEN)");
  app.add_option("--cert", a->cert, "Client certificate (PEM) for mTLS");
  app.add_option("--key", a->key, "Client private key (PEM) for mTLS");
  app.add_option("--ca", a->ca, "The server's CA certificate (PEM) to pin (default: $BULWARK_CA)");
  RegisterRemote(app, ctx, a);
  RegisterRemoteChange(app, ctx, a);
  RegisterRemoteLifecycle(app, ctx, a);
  // Free text arrives byte for byte here too (cli/verbatim_args.h).
  RestoreArgsInEveryOption(app);
  try {
    ParseCli(app, args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      io.out << app.help();
      return exit_code::kOk;
    }
    io.err << "bulwark: " << UnprotectMessage(e.what()) << "\nRun 'bulwark --server URL --help' for usage.\n";
    return exit_code::kBadInput;
  }
  if (!ctx.action) {
    io.err << "bulwark: no command given\n";
    return exit_code::kBadInput;
  }
  return ctx.action();
}

}  // namespace bulwark::cli
