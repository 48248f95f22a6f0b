// bulwark put | get | set | unset | history | diff | rollback | ls | mv | export
// Every command runs through service::ConfigService (the one pipeline) of the home's node
// (bulwark/node/node.h); this file only parses arguments and prints.
#include <fmt/format.h>

#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/config/format.h"
#include "bulwark/config/sensitivity.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "bulwark/service/config_service.h"
#include "cli/store_commands.h"

namespace bulwark::cli {
namespace fs = std::filesystem;

std::string ReadStandardInput(CommandContext& ctx) {
  std::ostringstream ss;
  ss << ctx.io.in.rdbuf();
  std::string text = ss.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

Result<Session> OpenSession(CommandContext& ctx, const StoreArgs& a,
                            std::shared_ptr<const compliance::Engine> engine) {
  Session s;
  BULWARK_ASSIGN_OR_RETURN(s.node,
                           OpenNode(ctx, a.keys, {.store = a.store, .compliance = std::move(engine)}));
  BULWARK_ASSIGN_OR_RETURN(s.service, s.node->Config());
  s.request = s.node->LocalContext();
  return s;
}

namespace {

// Runs `body` with an open session and turns its result into an exit code.
int WithSession(CommandContext& ctx, const StoreArgs& a,
                const std::function<Status(Session&)>& body) {
  auto session = OpenSession(ctx, a);
  if (!session) return ctx.Fail(session.error());
  Status s = body(*session);
  if (auto c = session->Close(); s && !c) s = std::unexpected(c.error());
  if (!s) return ctx.Fail(s.error());
  return exit_code::kOk;
}

// Adds the store options to `c` and makes `body` its action, run with an open session.
void RunWithSession(CLI::App* c, CommandContext& ctx, const std::shared_ptr<StoreArgs>& a,
                    std::function<Status(Session&)> body) {
  AddStoreOptions(c, *a);
  c->callback([&ctx, a, body = std::move(body)] {
    ctx.action = [&ctx, a, body] { return WithSession(ctx, *a, body); };
  });
}

Result<config::Value> ReadDocument(const std::string& file, const std::string& format) {
  auto files = NewLocalFileSystem();
  std::optional<config::Format> f;
  if (!format.empty()) {
    BULWARK_ASSIGN_OR_RETURN(f, config::ParseFormatName(format));
  }
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::LoadFile(*files, file, f));
  return std::move(doc.root);
}

// A VALUE argument: JSON when it parses as JSON (numbers, true/false/null, arrays, objects,
// "quoted strings"), otherwise the text itself; `-` reads standard input (for secrets).
Result<config::Value> ParseValueArg(CommandContext& ctx, const std::string& arg, bool as_string) {
  std::string text = arg == "-" ? ReadStandardInput(ctx) : arg;
  if (as_string) return config::Value(std::move(text));
  auto doc = config::ParseDocument(text, config::Format::kJson, {.source_name = "VALUE", .track_locations = false});
  if (doc) return std::move(doc->root);
  return config::Value(std::move(text));
}

Result<store::VersionRef> VersionRefFrom(const StoreArgs& a) {
  if (a.version > 0 && !a.at.empty()) return InvalidArgumentError("give --version or --at, not both");
  if (a.version > 0) return store::VersionRef::Number(a.version);
  if (!a.at.empty()) {
    BULWARK_ASSIGN_OR_RETURN(TimePoint t, ParseRfc3339(a.at));
    return store::VersionRef::At(t);
  }
  return store::VersionRef::Latest();
}

nlohmann::ordered_json InfoJson(const store::VersionInfo& v) {
  nlohmann::ordered_json j = {{"namespace", v.namespace_name},
                              {"version", v.version},
                              {"created_at", FormatRfc3339(v.created_at)},
                              {"author", v.author},
                              {"operation", std::string(store::OperationName(v.operation))},
                              {"message", v.message},
                              {"tags", v.tags},
                              {"content_hash", v.content_hash}};
  if (v.parent) j["parent"] = *v.parent;
  if (v.rollback_of) j["rollback_of"] = *v.rollback_of;
  return j;
}

std::string ValueText(const config::Value& v) {
  if (v.is_string()) return v.AsString();
  auto t = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
  return t ? *t : "?";
}

void PrintWritten(CommandContext& ctx, const store::VersionInfo& v) {
  ctx.io.out << fmt::format("{} version {} ({})\n", v.namespace_name, v.version,
                            v.content_hash.substr(0, 12));
}

}  // namespace

void AddStoreOptions(CLI::App* cmd, StoreArgs& a) {
  AddKeyOptions(cmd, a.keys);
  cmd->add_option("--store", a.store,
                  "Store URL: sqlite:PATH or postgresql://... (default: $BULWARK_STORE, else "
                  "sqlite:<home>/store.db)");
}

Result<config::Value> ExportNamespace(CommandContext& ctx, const StoreArgs& a, const std::string& ns,
                                      bool reveal) {
  BULWARK_ASSIGN_OR_RETURN(Session s, OpenSession(ctx, a));
  service::ReadRequest req;
  BULWARK_ASSIGN_OR_RETURN(req.version, VersionRefFrom(a));
  req.reveal = reveal;
  BULWARK_ASSIGN_OR_RETURN(service::ReadResult r, s.service->Get(s.request, ns, req));
  return std::move(r.value);
}

void RegisterStoreCommands(CLI::App& app, CommandContext& ctx) {
  // put
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("put", "Store a configuration file as the next version of a namespace");
    c->add_option("namespace", a->ns, "Namespace, e.g. production/orchestrator")->required();
    c->add_option("file", a->file, "Configuration file (json, yaml, toml, dotenv)")->required();
    c->add_option("-m,--message", a->message, "Why this change");
    c->add_option("--tag", a->tags, "A label for this version (repeatable)");
    c->add_option("--schema", a->schema, "Attach this JSON Schema to the namespace and validate against it");
    c->add_option("--expect-version", a->expect_version,
                  "Fail unless the latest version is N (0: the namespace must be new)")->check(ExpectedVersion());
    c->add_option("--input-format", a->format, "Force the file format");
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      BULWARK_ASSIGN_OR_RETURN(config::Value doc, ReadDocument(a->file, a->format));
      service::PutRequest req;
      req.message = a->message;
      req.tags = a->tags;
      if (a->expect_version >= 0) req.expected_version = a->expect_version;
      if (!a->schema.empty()) {
        BULWARK_ASSIGN_OR_RETURN(config::Value schema, ReadDocument(a->schema, ""));
        req.schema = std::move(schema);
      }
      BULWARK_ASSIGN_OR_RETURN(auto info, s.service->Put(s.request, a->ns, doc, req));
      PrintWritten(ctx, info);
      return OkStatus();
    });
  }
  // get
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("get", "Print a namespace (or one path of it); secrets redacted unless --reveal");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path, "Dotted path or JSON Pointer inside the document");
    c->add_option("--version", a->version, "A version number (default: latest)")->check(VersionNumber());
    c->add_option("--at", a->at, "The version current at this RFC 3339 time");
    c->add_flag("--reveal", a->reveal, "Decrypt sensitive values (audited)");
    c->add_option("--format", a->format, "Output format: json|yaml|toml|dotenv|env (default yaml)");
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      service::ReadRequest req;
      BULWARK_ASSIGN_OR_RETURN(req.version, VersionRefFrom(*a));
      req.reveal = a->reveal;
      if (!a->path.empty()) {
        BULWARK_ASSIGN_OR_RETURN(config::Path p, config::Path::ParseAny(a->path));
        req.path = std::move(p);
      }
      BULWARK_ASSIGN_OR_RETURN(service::ReadResult r, s.service->Get(s.request, a->ns, req));
      if (!r.value.is_container() && a->format.empty()) {
        ctx.io.out << ValueText(r.value) << "\n";
        return OkStatus();
      }
      config::Format f = config::Format::kYaml;
      if (!a->format.empty()) {
        BULWARK_ASSIGN_OR_RETURN(f, config::ParseFormatName(a->format));
      }
      BULWARK_ASSIGN_OR_RETURN(std::string text, config::EmitDocument(r.value, f));
      ctx.io.out << text;
      if (!text.empty() && text.back() != '\n') ctx.io.out << "\n";
      return OkStatus();
    });
  }
  // set
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("set", "Set one value (a new version); VALUE '-' reads stdin");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path)->required();
    c->add_option("value", a->value, "JSON (5432, true, [\"a\"]) or plain text; '-' reads stdin")->required();
    c->add_flag("--secret", a->secret, "Store encrypted even if neither schema nor name says so");
    c->add_flag("--string", a->as_string, "Take VALUE as a string even if it looks like JSON");
    c->add_option("-m,--message", a->message, "Why this change");
    c->add_option("--expect-version", a->expect_version, "Fail unless the latest version is N")->check(ExpectedVersion());
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      BULWARK_ASSIGN_OR_RETURN(config::Path p, config::Path::ParseAny(a->path));
      BULWARK_ASSIGN_OR_RETURN(config::Value v, ParseValueArg(ctx, a->value, a->as_string));
      service::SetRequest req;
      req.secret = a->secret;
      req.message = a->message;
      if (a->expect_version >= 0) req.expected_version = a->expect_version;
      BULWARK_ASSIGN_OR_RETURN(auto info, s.service->Set(s.request, a->ns, p, v, req));
      PrintWritten(ctx, info);
      return OkStatus();
    });
  }
  // unset
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("unset", "Remove one path (a new version)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("path", a->path)->required();
    c->add_option("-m,--message", a->message, "Why this change");
    c->add_option("--expect-version", a->expect_version, "Fail unless the latest version is N")->check(ExpectedVersion());
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      BULWARK_ASSIGN_OR_RETURN(config::Path p, config::Path::ParseAny(a->path));
      service::WriteRequest req;
      req.message = a->message;
      if (a->expect_version >= 0) req.expected_version = a->expect_version;
      BULWARK_ASSIGN_OR_RETURN(auto info, s.service->Unset(s.request, a->ns, p, req));
      PrintWritten(ctx, info);
      return OkStatus();
    });
  }
  // history
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("history", "List the versions of a namespace, newest first");
    c->add_option("namespace", a->ns)->required();
    c->add_flag("--json", a->json, "Machine-readable output");
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      BULWARK_ASSIGN_OR_RETURN(auto versions, s.service->History(s.request, a->ns));
      if (a->json) {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (const auto& v : versions) arr.push_back(InfoJson(v));
        ctx.io.out << arr.dump(2) << "\n";
        return OkStatus();
      }
      for (const auto& v : versions) {
        ctx.io.out << fmt::format("{:>5}  {}  {:<8}  {:<20}  {}  {}{}\n", v.version,
                                  FormatRfc3339(v.created_at).substr(0, 19),
                                  store::OperationName(v.operation), v.author,
                                  v.content_hash.substr(0, 12), v.message,
                                  v.rollback_of ? fmt::format(" (rollback to {})", *v.rollback_of) : "");
      }
      return OkStatus();
    });
  }
  // diff
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("diff", "Path-level differences between two versions (secrets: changed/unchanged only)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("from", a->from)->check(VersionNumber())->required();
    c->add_option("to", a->to)->check(VersionNumber())->required();
    c->add_flag("--json", a->json, "Machine-readable output");
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      BULWARK_ASSIGN_OR_RETURN(auto diff, s.service->Diff(s.request, a->ns, a->from, a->to));
      if (a->json) {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (const auto& d : diff) {
          nlohmann::ordered_json e = {{"path", d.path}, {"change", std::string(store::DiffKindName(d.kind))},
                                      {"sensitive", d.redacted}};
          if (d.old_value) e["old"] = ValueText(*d.old_value);
          if (d.new_value) e["new"] = ValueText(*d.new_value);
          arr.push_back(e);
        }
        ctx.io.out << arr.dump(2) << "\n";
        return OkStatus();
      }
      for (const auto& d : diff) {
        const char sign = d.kind == store::DiffEntry::Kind::kAdded   ? '+'
                          : d.kind == store::DiffEntry::Kind::kRemoved ? '-'
                                                                       : '~';
        std::string detail;
        if (d.redacted) {
          detail = "(sensitive value changed)";
        } else if (d.kind == store::DiffEntry::Kind::kChanged) {
          detail = ValueText(*d.old_value) + " -> " + ValueText(*d.new_value);
        } else if (d.new_value) {
          detail = ValueText(*d.new_value);
        } else if (d.old_value) {
          detail = ValueText(*d.old_value);
        }
        ctx.io.out << fmt::format("{} {}  {}\n", sign, d.path, detail);
      }
      return OkStatus();
    });
  }
  // rollback
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("rollback", "Make a new version with the content of an old one");
    c->add_option("namespace", a->ns)->required();
    c->add_option("--to", a->to, "The version to restore")->check(VersionNumber())->required();
    c->add_option("--reason", a->message, "Why (recorded in history and audit)")->required();
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      BULWARK_ASSIGN_OR_RETURN(auto info, s.service->Rollback(s.request, a->ns, a->to, a->message));
      PrintWritten(ctx, info);
      return OkStatus();
    });
  }
  // ls
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("ls", "List namespaces under a prefix, recursively");
    c->add_option("prefix", a->ns, "e.g. production/ (default: everything)");
    c->add_flag("--json", a->json, "Machine-readable output");
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      BULWARK_ASSIGN_OR_RETURN(auto list, s.service->List(s.request, a->ns));
      if (a->json) {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (const auto& n : list) {
          arr.push_back({{"namespace", n.name}, {"latest_version", n.latest_version},
                         {"updated_at", FormatRfc3339(n.updated_at)}});
        }
        ctx.io.out << arr.dump(2) << "\n";
        return OkStatus();
      }
      for (const auto& n : list) {
        ctx.io.out << fmt::format("{}  (version {}, {})\n", n.name, n.latest_version,
                                  FormatRfc3339(n.updated_at).substr(0, 19));
      }
      return OkStatus();
    });
  }
  // mv
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("mv", "Rename a namespace atomically, with its history");
    c->add_option("from", a->ns)->required();
    c->add_option("to", a->file)->required();
    RunWithSession(c, ctx, a, [&ctx, a](Session& s) -> Status {
      // Through the lifecycle, which moves the namespace's secret metadata with it.
      BULWARK_ASSIGN_OR_RETURN(lifecycle::SecretLifecycle * lc, s.node->Lifecycle());
      BULWARK_RETURN_IF_ERROR(lc->MoveNamespace(s.request, a->ns, a->file));
      ctx.io.out << fmt::format("{} -> {}\n", a->ns, a->file);
      return OkStatus();
    });
  }
  // export
  {
    auto a = std::make_shared<StoreArgs>();
    CLI::App* c = app.add_subcommand("export", "Print a namespace in a file format (secrets redacted unless --reveal)");
    c->add_option("namespace", a->ns)->required();
    c->add_option("--format", a->format, "json|yaml|toml|dotenv|env")->required();
    c->add_option("--env-prefix", a->env_prefix, "Variable prefix for --format env");
    c->add_flag("--reveal", a->reveal, "Decrypt sensitive values (audited)");
    c->add_option("--version", a->version, "A version number (default: latest)")->check(VersionNumber());
    c->add_option("--at", a->at, "The version current at this RFC 3339 time");
    AddStoreOptions(c, *a);
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        auto f = config::ParseFormatName(a->format);
        if (!f) return ctx.Fail(f.error());
        auto value = ExportNamespace(ctx, *a, a->ns, a->reveal);
        if (!value) return ctx.Fail(value.error());
        auto text = config::EmitDocument(*value, *f, {.env_prefix = a->env_prefix});
        if (!text) return ctx.Fail(text.error());
        ctx.io.out << *text;
        if (!text->empty() && text->back() != '\n') ctx.io.out << "\n";
        return exit_code::kOk;
      };
    });
  }
}

}  // namespace bulwark::cli
