// bulwark secret meta|show|get, secrets due, rotate NS PATH, rotate due, status
// (docs/rotation.md section 6). Every command runs through the node's SecretLifecycle (authorized
// and audited there); this file parses arguments, checks flag syntax so that errors name the
// flag, and prints. Exit codes: 0 done, 1 something overdue / failed / rolled back / unhealthy,
// 2 bad input, 3 denied, 4 no such secret, 5 unavailable.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/config/format.h"
#include "bulwark/core/duration.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "bulwark/node/health.h"
#include "cli/command.h"
#include "cli/lifecycle_print.h"
#include "cli/store_commands.h"

namespace bulwark::cli {
namespace {

struct MetaArgs {
  StoreArgs store;
  std::string ns, path;
  std::string from;
  std::string type, owner, description, expires, interval, grace, notify_before, strategy;
  std::vector<std::string> tags;
  std::int64_t max_retries = -1;
  bool json = false;
};

struct RotateArgs {
  StoreArgs store;
  std::string ns, path;
  bool emergency = false;
  std::string reason;
  bool force = false;
  bool dry_run = false;
  bool json = false;
  bool previous = false;
  bool reveal = false;
  std::string within;
};

Error Flag(std::string_view flag, std::string_view message) {
  return Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", flag, message));
}

Result<config::Path> SecretPath(const std::string& p) {
  auto path = config::Path::ParseAny(p);
  if (!path) return std::unexpected(path.error().WithContext("PATH"));
  if (path->empty()) return InvalidArgumentError("PATH: a secret's path is required, not the whole namespace");
  return path;
}

// The metadata patch: --from FILE (errors name its lines), then the flags over it (their syntax
// checked here, so an error names the flag).
Result<config::Document> MetaPatch(const MetaArgs& a) {
  config::Document doc;
  doc.root = config::Value::EmptyMap();
  if (!a.from.empty()) {
    auto files = NewLocalFileSystem();
    BULWARK_ASSIGN_OR_RETURN(doc, config::LoadFile(*files, a.from, std::nullopt));
    if (!doc.root.is_map()) {
      return InvalidArgumentError(fmt::format("{}: expected a map of metadata fields (type, owner, rotation, ...)", a.from));
    }
  }
  config::ValueMap& root = doc.root.AsMap();
  auto rotation = [&]() -> Result<config::ValueMap*> {
    config::Value* r = root.Find("rotation");
    if (r == nullptr) {
      root.Set("rotation", config::Value::EmptyMap());
      r = root.Find("rotation");
    }
    if (!r->is_map()) return InvalidArgumentError(fmt::format("{}: rotation: expected a map", a.from));
    return &r->AsMap();
  };
  if (!a.type.empty()) {
    if (auto t = lifecycle::ParseSecretType(a.type); !t) return std::unexpected(Flag("--type", t.error().message()));
    root.Set("type", config::Value(a.type));
  }
  if (!a.owner.empty()) root.Set("owner", config::Value(a.owner));
  if (!a.description.empty()) root.Set("description", config::Value(a.description));
  if (!a.tags.empty()) {
    config::ValueList tags;
    for (const auto& t : a.tags) tags.emplace_back(t);
    root.Set("tags", config::Value(std::move(tags)));
  }
  if (!a.expires.empty()) {
    if (a.expires == "none") {
      root.Set("expires_at", config::Value());
    } else {
      if (auto t = ParseRfc3339(a.expires); !t) {
        return std::unexpected(Flag("--expires", fmt::format("'{}' is not an RFC 3339 time (2027-01-31T00:00:00Z) or none", a.expires)));
      }
      root.Set("expires_at", config::Value(a.expires));
    }
  }
  struct DurationFlag {
    const char* flag;
    const char* field;
    const std::string& text;
  };
  for (const DurationFlag& d : {DurationFlag{"--interval", "interval", a.interval},
                                DurationFlag{"--grace", "grace", a.grace},
                                DurationFlag{"--notify-before", "notify_before", a.notify_before}}) {
    if (d.text.empty()) continue;
    if (!(d.text == "none" && std::string_view(d.field) == "interval")) {
      if (auto p = ParseDuration(d.text); !p) return std::unexpected(Flag(d.flag, p.error().message()));
    }
    BULWARK_ASSIGN_OR_RETURN(config::ValueMap * r, rotation());
    r->Set(d.field, config::Value(d.text));
  }
  if (a.max_retries >= 0) {
    BULWARK_ASSIGN_OR_RETURN(config::ValueMap * r, rotation());
    r->Set("max_retries", config::Value(a.max_retries));
  }
  if (!a.strategy.empty()) {
    bool known = false;
    for (auto k : {lifecycle::StrategyKind::kNone, lifecycle::StrategyKind::kPassword,
                   lifecycle::StrategyKind::kRandomBytes, lifecycle::StrategyKind::kEd25519,
                   lifecycle::StrategyKind::kRsa}) {
      known = known || lifecycle::StrategyKindName(k) == a.strategy;
    }
    if (!known) {
      return std::unexpected(Flag("--strategy", fmt::format(
          "'{}': expected password, random_bytes, ed25519, rsa or none (a command strategy and "
          "parameters go in a --from file)", a.strategy)));
    }
    BULWARK_ASSIGN_OR_RETURN(config::ValueMap * r, rotation());
    r->Set("strategy", config::Value(a.strategy));
  }
  return doc;
}

std::string Opt(const std::optional<TimePoint>& t) { return t ? FormatRfc3339(*t) : "-"; }

std::string HookText(const lifecycle::HookSpec& h) {
  std::string out;
  for (const auto& part : h.command) out += (out.empty() ? "" : " ") + part;
  return out;
}

// The stored form of a record (no values: the lifecycle document never holds one).
nlohmann::ordered_json RecordJson(const std::string& ns, const std::string& path,
                                  const lifecycle::SecretRecord& rec) {
  lifecycle::LifecycleDocument doc;
  doc.secrets[path] = rec;
  const config::Value v = lifecycle::LifecycleDocumentValue(doc);
  auto text = config::EmitDocument(*v.Get("secrets")->Get(path), config::Format::kJson, {.indent = 0});
  nlohmann::ordered_json j = {{"namespace", ns}, {"path", path}};
  if (text) j["secret"] = nlohmann::ordered_json::parse(*text, nullptr, false);
  return j;
}

void PrintRecord(std::ostream& out, const std::string& ns, const std::string& path,
                 const lifecycle::SecretRecord& r) {
  out << fmt::format("{} {}\n", ns, path);
  out << fmt::format("  type:        {}\n", lifecycle::SecretTypeName(r.type));
  if (!r.owner.empty()) out << fmt::format("  owner:       {}\n", r.owner);
  if (!r.description.empty()) out << fmt::format("  description: {}\n", r.description);
  if (!r.tags.empty()) out << fmt::format("  tags:        {}\n", fmt::join(r.tags, ", "));
  out << fmt::format("  created:     {}  updated: {}\n", FormatRfc3339(r.created), FormatRfc3339(r.updated));
  if (r.expires_at) out << fmt::format("  expires:     {}\n", FormatRfc3339(*r.expires_at));
  const lifecycle::RotationPolicy& p = r.rotation;
  out << fmt::format("  rotation:    {}, grace {}, max retries {}, notice {} before, strategy {}\n",
                     p.interval ? "every " + lifecycle::FormatScheduleDuration(*p.interval) : std::string("no schedule"),
                     lifecycle::FormatScheduleDuration(p.grace), p.max_retries, lifecycle::FormatScheduleDuration(p.notify_before),
                     lifecycle::StrategyKindName(p.strategy.kind));
  if (p.apply) out << fmt::format("  apply:       {}\n", HookText(*p.apply));
  if (p.verify) {
    out << fmt::format("  verify:      {} ({} attempts, {} apart)\n",
                       p.verify->command ? HookText(*p.verify->command) : "GET " + p.verify->http->url,
                       p.verify->attempts, lifecycle::FormatScheduleDuration(p.verify->interval));
  }
  if (p.revoke) out << fmt::format("  revoke:      {}\n", HookText(*p.revoke));
  if (p.notify) out << fmt::format("  notify:      {}\n", HookText(*p.notify));
  out << fmt::format("  last rotated: {}  next due: {}\n", Opt(r.last_rotated), Opt(r.next_due));
  if (r.failures > 0) out << fmt::format("  failed rotations in a row: {}\n", r.failures);
  if (r.in_progress) {
    const auto& j = *r.in_progress;
    out << fmt::format("  rotation in progress: {} at {}/{}", j.id, j.phase, j.step);
    if (r.previous_version && j.grace_until) {
      out << fmt::format(" (previous value, version {}, served until {})", *r.previous_version,
                         FormatRfc3339(*j.grace_until));
    }
    out << "\n";
  }
  if (!r.history.empty()) {
    out << "  history:\n";
    for (const auto& h : r.history) {
      std::string line = fmt::format("    {} {} {}", FormatRfc3339(h.finished), h.id, h.outcome);
      if (h.old_version || h.new_version) {
        line += fmt::format(" (version {} -> {})", h.old_version ? std::to_string(*h.old_version) : "-",
                            h.new_version ? std::to_string(*h.new_version) : "-");
      }
      if (h.emergency) line += fmt::format(" emergency: {}", h.reason);
      if (!h.by.empty()) line += fmt::format(" by {}", h.by);
      if (!h.error.empty()) line += fmt::format(": {}", h.error);
      out << line << "\n";
    }
  }
}

// Runs `body` with an open session; its result is the exit code.
int WithLifecycle(CommandContext& ctx, const StoreArgs& a,
                  const std::function<Result<int>(Session&, lifecycle::SecretLifecycle&)>& body) {
  auto session = OpenSession(ctx, a);
  if (!session) return ctx.Fail(session.error());
  Result<int> code = [&]() -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(lifecycle::SecretLifecycle * lc, session->node->Lifecycle());
    return body(*session, *lc);
  }();
  Status closed = session->Close();
  if (!code) return ctx.Fail(code.error());
  if (!closed) return ctx.Fail(closed.error());
  return *code;
}

int RunMeta(CommandContext& ctx, const MetaArgs& a) {
  auto path = SecretPath(a.path);
  if (!path) return ctx.Fail(path.error());
  auto patch = MetaPatch(a);
  if (!patch) return ctx.Fail(patch.error());
  return WithLifecycle(ctx, a.store, [&](Session& s, lifecycle::SecretLifecycle& lc) -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(lifecycle::SecretRecord rec,
                             lc.SetMetadata(s.request, a.ns, *path, *patch, config::Path()));
    if (a.json) {
      ctx.io.out << RecordJson(a.ns, path->ToString(), rec).dump(2) << "\n";
    } else {
      PrintRecord(ctx.io.out, a.ns, path->ToString(), rec);
    }
    return exit_code::kOk;
  });
}

int RunShow(CommandContext& ctx, const RotateArgs& a) {
  auto path = SecretPath(a.path);
  if (!path) return ctx.Fail(path.error());
  return WithLifecycle(ctx, a.store, [&](Session& s, lifecycle::SecretLifecycle& lc) -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(lifecycle::SecretRecord rec, lc.Show(s.request, a.ns, *path));
    if (a.json) {
      ctx.io.out << RecordJson(a.ns, path->ToString(), rec).dump(2) << "\n";
    } else {
      PrintRecord(ctx.io.out, a.ns, path->ToString(), rec);
    }
    return exit_code::kOk;
  });
}

int RunGet(CommandContext& ctx, const RotateArgs& a) {
  auto path = SecretPath(a.path);
  if (!path) return ctx.Fail(path.error());
  return WithLifecycle(ctx, a.store, [&](Session& s, lifecycle::SecretLifecycle& lc) -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(service::ReadResult r, lc.Get(s.request, a.ns, *path, a.previous, a.reveal));
    if (r.value.is_string()) {
      ctx.io.out << r.value.AsString() << "\n";
    } else {
      BULWARK_ASSIGN_OR_RETURN(std::string text, config::EmitDocument(r.value, config::Format::kJson, {.indent = 0}));
      ctx.io.out << text;
      if (!text.empty() && text.back() != '\n') ctx.io.out << "\n";
    }
    return exit_code::kOk;
  });
}

bool IsProblem(const std::string& status) {
  return status == "overdue" || status == "expired" || status == "failed";
}

int RunDueList(CommandContext& ctx, const RotateArgs& a) {
  auto within = ParseDuration(a.within);
  if (!within) return ctx.Fail(Flag("--within", within.error().message()));
  return WithLifecycle(ctx, a.store, [&](Session& s, lifecycle::SecretLifecycle& lc) -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(auto list, lc.Secrets(s.request, *within));
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& x : list) {
      nlohmann::ordered_json o = {{"namespace", x.ns}, {"path", x.path}, {"status", x.status},
                                  {"type", lifecycle::SecretTypeName(x.record.type)}};
      o["when"] = x.when ? nlohmann::ordered_json(FormatRfc3339(*x.when)) : nlohmann::ordered_json();
      j.push_back(std::move(o));
    }
    bool problems = false;
    for (const auto& x : list) problems = problems || IsProblem(x.status);
    if (a.json) {
      ctx.io.out << j.dump(2) << "\n";
    } else {
      PrintDueSecrets(ctx.io.out, j, lifecycle::FormatScheduleDuration(*within));
    }
    return problems ? exit_code::kProblemsFound : exit_code::kOk;
  });
}

int RunRotate(CommandContext& ctx, const RotateArgs& a) {
  if (a.ns.empty() || a.path.empty()) {
    return ctx.Fail(Error(ErrorCode::kInvalidArgument,
                          "rotate: NAMESPACE and PATH are required (or: bulwark rotate due)"));
  }
  if (!a.reason.empty() && !a.emergency) {
    return ctx.Fail(Flag("--reason", "only with --emergency"));
  }
  if (a.emergency && a.reason.empty()) {
    return ctx.Fail(Flag("--reason", "an emergency rotation needs a reason (--emergency --reason \"...\")"));
  }
  auto path = SecretPath(a.path);
  if (!path) return ctx.Fail(path.error());
  return WithLifecycle(ctx, a.store, [&](Session& s, lifecycle::SecretLifecycle& lc) -> Result<int> {
    lifecycle::RotateOptions o;
    o.emergency = a.emergency;
    o.reason = a.reason;
    o.force = a.force;
    BULWARK_ASSIGN_OR_RETURN(lifecycle::RotationOutcome r, lc.Rotate(s.request, a.ns, *path, o));
    nlohmann::ordered_json j = {{"namespace", a.ns}, {"path", path->ToString()}, {"rotation_id", r.id},
                                {"state", r.state}, {"resumed", r.resumed}};
    if (r.old_version) j["old_version"] = *r.old_version;
    if (r.new_version) j["new_version"] = *r.new_version;
    if (r.grace_until) j["grace_until"] = FormatRfc3339(*r.grace_until);
    if (!r.error.empty()) j["error"] = r.error;
    if (a.json) {
      ctx.io.out << j.dump(2) << "\n";
    } else {
      PrintRotation(ctx.io.out, j);
    }
    return r.state == "rolled_back" ? exit_code::kProblemsFound : exit_code::kOk;
  });
}

int RunRotateDue(CommandContext& ctx, const RotateArgs& a) {
  return WithLifecycle(ctx, a.store, [&](Session& s, lifecycle::SecretLifecycle& lc) -> Result<int> {
    BULWARK_ASSIGN_OR_RETURN(lifecycle::DueReport r, lc.RunDue(s.request, a.dry_run));
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& i : r.items) {
      j.push_back({{"namespace", i.ns}, {"path", i.path}, {"action", i.action},
                   {"outcome", i.outcome}, {"detail", i.detail}});
    }
    if (a.json) {
      ctx.io.out << j.dump(2) << "\n";
    } else {
      PrintDueItems(ctx.io.out, j);
    }
    return r.problems() ? exit_code::kProblemsFound : exit_code::kOk;
  });
}

int RunStatus(CommandContext& ctx, const RotateArgs& a) {
  auto within = ParseDuration(a.within);
  if (!within) return ctx.Fail(Flag("--within", within.error().message()));
  auto session = OpenSession(ctx, a.store);
  if (!session) return ctx.Fail(session.error());
  node::HealthSummary h = node::CollectHealth(*session->node, session->request, *within);
  ctx.io.out << (a.json ? h.Json() : h.Text());
  if (auto c = session->Close(); !c) return ctx.Fail(c.error());
  return h.healthy() ? exit_code::kOk : exit_code::kProblemsFound;
}

}  // namespace

void RegisterLifecycleCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* secret = app.add_subcommand("secret", "A secret's metadata, rotation state and history");
  secret->require_subcommand(1);
  {
    auto a = std::make_shared<MetaArgs>();
    CLI::App* c = secret->add_subcommand(
        "meta", "Set a secret's metadata (type, owner, expiry, rotation policy; hooks with --from)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path, "The sensitive path, e.g. db.password")->required();
    c->add_option("--from", a->from, "A YAML/JSON file of metadata fields (docs/rotation.md), hooks included");
    c->add_option("--type", a->type, "password | api_key | certificate | encryption_key | connection_string | generic");
    c->add_option("--owner", a->owner, "Who answers for it");
    c->add_option("--description", a->description, "What it is for");
    c->add_option("--tag", a->tags, "A tag (repeatable; replaces the tags)");
    c->add_option("--expires", a->expires, "When it stops working at its source (RFC 3339), or none");
    c->add_option("--interval", a->interval, "Rotate every (30d, 90d, ...), or none");
    c->add_option("--grace", a->grace, "How long the previous value is still served (24h, 7d)");
    c->add_option("--max-retries", a->max_retries, "Failed rotations before it needs --force")
        ->check(WholeNumberIn(0, 100, "a whole number from 0 to 100"));
    c->add_option("--notify-before", a->notify_before, "Notice this long before a rotation is due");
    c->add_option("--strategy", a->strategy, "password | random_bytes | ed25519 | rsa | none");
    c->add_flag("--json", a->json, "Print the stored metadata as JSON");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunMeta(ctx, *a); }; });
  }
  {
    auto a = std::make_shared<RotateArgs>();
    CLI::App* c = secret->add_subcommand("show", "A secret's metadata, state and rotation history (no value)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path)->required();
    c->add_flag("--json", a->json, "JSON");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunShow(ctx, *a); }; });
  }
  {
    auto a = std::make_shared<RotateArgs>();
    CLI::App* c = secret->add_subcommand(
        "get", "The current value or, during a rotation's grace period, the previous one (redacted unless --reveal)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path)->required();
    c->add_flag("--previous", a->previous, "The value served as previous during grace");
    c->add_flag("--reveal", a->reveal, "Decrypt (audited)");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunGet(ctx, *a); }; });
  }
  CLI::App* secrets = app.add_subcommand("secrets", "Secrets across namespaces");
  secrets->require_subcommand(1);
  {
    auto a = std::make_shared<RotateArgs>();
    a->within = "30d";
    CLI::App* c = secrets->add_subcommand(
        "due", "Secrets due, expiring or overdue, soonest first (exit 1 when any is overdue or failed)");
    c->add_option("--within", a->within, "The horizon (default 30d)");
    c->add_flag("--json", a->json, "JSON");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunDueList(ctx, *a); }; });
  }
  {
    auto a = std::make_shared<RotateArgs>();
    CLI::App* rotate = app.add_subcommand(
        "rotate", "Rotate a secret now (NS PATH), or everything due (rotate due)");
    rotate->add_option("namespace", a->ns);
    rotate->add_option("path", a->path);
    rotate->add_flag("--emergency", a->emergency, "Now, whatever the schedule; the previous value is revoked at once");
    rotate->add_option("--reason", a->reason, "Why (required with --emergency; recorded in the audit log)");
    rotate->add_flag("--force", a->force, "Also after max_retries failed rotations");
    rotate->add_flag("--json", a->json, "JSON");
    AddStoreOptions(rotate, a->store);
    auto d = std::make_shared<RotateArgs>();
    CLI::App* due = rotate->add_subcommand(
        "due", "Resume interrupted rotations, finish grace periods, rotate what is due, record notices "
               "and overdue secrets (cron; exit 1 when anything is overdue or failed)");
    due->add_flag("--dry-run", d->dry_run, "Say what would be done, do nothing");
    due->add_flag("--json", d->json, "JSON");
    AddStoreOptions(due, d->store);
    due->callback([&ctx, d] { ctx.action = [&ctx, d] { return RunRotateDue(ctx, *d); }; });
    rotate->callback([&ctx, a, due] {
      if (due->parsed()) return;
      ctx.action = [&ctx, a] { return RunRotate(ctx, *a); };
    });
  }
  {
    auto a = std::make_shared<RotateArgs>();
    a->within = "30d";
    CLI::App* c = app.add_subcommand(
        "status", "Health: keys, secrets due or overdue, the audit log (exit 1 when not healthy)");
    c->add_option("--within", a->within, "Count secrets due within this (default 30d)");
    c->add_flag("--json", a->json, "JSON");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunStatus(ctx, *a); }; });
  }
}

}  // namespace bulwark::cli
