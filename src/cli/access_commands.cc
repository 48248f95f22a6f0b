// bulwark access check|explain|test|who-can|lint|diff|import-levels (docs/access.md "Commands").
//
// Exit codes: check/explain 0 allowed, 3 denied; test 0 all pass, 1 a test failed; lint 0 clean,
// 1 findings; diff 0 no change, 1 changes; 2 bad usage or an invalid policy (the error names the
// file, line and statement), 4 a policy directory that does not exist.
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>

#include "bulwark/access/access_levels.h"
#include "bulwark/access/analysis.h"
#include "bulwark/access/local_identity.h"
#include "bulwark/access/policy_set.h"
#include "bulwark/access/policy_tests.h"
#include "bulwark/access/report.h"
#include "bulwark/config/format.h"
#include "cli/command.h"
#include "bulwark/node/home.h"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct AccessArgs {
  std::string home;
  std::string policies;
  // check / explain
  std::string as;
  std::string kind;
  std::vector<std::string> roles, groups, attrs, resource_attrs, context;
  std::string action, resource, source, time;
  bool mfa = false, no_mfa = false;
  bool json = false;
  // test / diff / lint / who-can / import
  std::vector<std::string> positional;
  std::string name = "imported-levels";
};

std::string CurrentOsUser() {
  if (const struct passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return fmt::format("uid{}", ::getuid());
}

Result<access::AccessSettings> HomeAccessSettings(const std::string& home_flag) {
  BULWARK_ASSIGN_OR_RETURN(node::Home resolved,
                           node::ResolveHome(home_flag, node::ProcessEnvironment()));
  const fs::path home = resolved.dir;
  auto files = NewLocalFileSystem();
  const fs::path file = resolved.config_file();
  BULWARK_ASSIGN_OR_RETURN(bool exists, files->Exists(file));
  config::Document doc;
  if (exists) {
    BULWARK_ASSIGN_OR_RETURN(doc, config::LoadFile(*files, file, config::Format::kYaml));
  }
  return access::ReadAccessSettings(doc, home);
}

// The policy set of --policies DIR, or of the home.
Result<std::shared_ptr<const access::PolicySet>> LoadPolicies(const std::string& dir,
                                                              const std::string& home) {
  fs::path path = dir;
  if (path.empty()) {
    BULWARK_ASSIGN_OR_RETURN(access::AccessSettings settings, HomeAccessSettings(home));
    path = settings.policies_dir;
  }
  auto files = NewLocalFileSystem();
  return access::PolicySet::LoadDirectory(*files, path);
}

// "k=v": the value as JSON when it parses (numbers, booleans, lists), else the string.
Status AddAssignments(const std::vector<std::string>& items, std::string_view flag,
                      config::Value& into) {
  for (const std::string& item : items) {
    std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError(fmt::format("{} {}: expected KEY=VALUE", flag, item));
    }
    std::string key = item.substr(0, eq), text = item.substr(eq + 1);
    auto parsed = config::ParseDocument(text, config::Format::kJson, {.source_name = std::string(flag)});
    config::Value v = parsed ? std::move(parsed->root) : config::Value(text);
    config::ClearLocations(v);
    into.AsMap().Set(key, std::move(v));
  }
  return OkStatus();
}

Result<access::OwnedRequest> BuildRequest(const AccessArgs& a) {
  access::OwnedRequest r;
  if (a.as.empty()) {
    BULWARK_ASSIGN_OR_RETURN(access::AccessSettings settings, HomeAccessSettings(a.home));
    BULWARK_ASSIGN_OR_RETURN(r.principal, access::LocalPrincipal(settings, CurrentOsUser()));
  } else {
    r.principal.id = a.as;
    r.principal.kind = a.kind.empty() ? a.as.substr(0, a.as.find(':')) : a.kind;
  }
  r.principal.roles.insert(r.principal.roles.end(), a.roles.begin(), a.roles.end());
  r.principal.groups.insert(r.principal.groups.end(), a.groups.begin(), a.groups.end());
  BULWARK_RETURN_IF_ERROR(AddAssignments(a.attrs, "--attr", r.principal.attributes));
  auto action = access::ParseAction(a.action);
  if (!action) {
    return InvalidArgumentError(fmt::format(
        "--action {}: unknown action (read, reveal, write, delete, list, rotate, approve, admin, "
        "audit.read)",
        a.action));
  }
  r.action = *action;
  BULWARK_ASSIGN_OR_RETURN(r.resource, access::ResourceName::Parse(a.resource));
  BULWARK_RETURN_IF_ERROR(AddAssignments(a.resource_attrs, "--resource-attr", r.resource_attributes));
  BULWARK_RETURN_IF_ERROR(AddAssignments(a.context, "--context", r.context));
  TimePoint t = std::chrono::system_clock::now();
  if (!a.time.empty()) {
    auto parsed = ParseRfc3339(a.time);
    if (!parsed) return InvalidArgumentError("--time: " + parsed.error().message());
    t = *parsed;
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  r.facts.time_seconds = ns / 1'000'000'000;
  r.facts.time_nanos = static_cast<std::int32_t>(ns % 1'000'000'000);
  if (!a.source.empty()) r.facts.source = a.source;
  if (a.mfa && a.no_mfa) return InvalidArgumentError("give --mfa or --no-mfa, not both");
  if (a.mfa) r.facts.mfa = true;
  if (a.no_mfa) r.facts.mfa = false;
  return r;
}

int RunDecision(CommandContext& ctx, const AccessArgs& a, bool explain) {
  auto request = BuildRequest(a);
  if (!request) return ctx.Fail(request.error().WithContext("access"));
  auto set = LoadPolicies(a.policies, a.home);
  if (!set) return ctx.Fail(set.error().WithContext("access: load policies"));
  const access::Request req = request->view();
  access::Explanation ex;
  if (explain) {
    ex = (*set)->Explain(req);
  } else {
    ex.decision = (*set)->Decide(req);
  }
  const access::Decision& d = ex.decision;
  if (a.json) {
    ctx.io.out << access::DecisionJson(*request, ex, explain).dump(2) << "\n";
  } else if (explain) {
    ctx.io.out << ex.ToText();
  } else {
    ctx.io.out << (d.allowed ? "allow" : "deny") << ": " << d.Describe() << "\n";
  }
  return d.allowed ? exit_code::kOk : exit_code::kDenied;
}

int RunTests(CommandContext& ctx, const AccessArgs& a) {
  if (a.positional.size() != 2) {
    ctx.io.err << "bulwark: access test: expected POLICY_DIR TESTS.yaml\n";
    return exit_code::kBadInput;
  }
  auto set = LoadPolicies(a.positional[0], a.home);
  if (!set) return ctx.Fail(set.error().WithContext("access test: load policies"));
  auto files = NewLocalFileSystem();
  auto text = files->ReadFile(a.positional[1], 16 << 20);
  if (!text) return ctx.Fail(text.error().WithContext("access test: read tests"));
  auto suite = access::ParsePolicyTests(*text, a.positional[1], std::chrono::system_clock::now());
  if (!suite) return ctx.Fail(suite.error().WithContext("access test"));
  std::vector<access::PolicyTestResult> results = access::RunPolicyTests(**set, *suite);
  std::size_t failed = 0;
  json tests = json::array();
  for (const access::PolicyTestResult& r : results) {
    if (!r.passed) ++failed;
    if (a.json) {
      tests.push_back({{"name", r.test->name},
                       {"location", r.test->location.ToString()},
                       {"passed", r.passed},
                       {"decision", r.decision.allowed ? "allow" : "deny"},
                       {"reason", access::ReasonName(r.decision.reason)},
                       {"statement", r.decision.statement != nullptr
                                         ? json(r.decision.statement->QualifiedId())
                                         : json(nullptr)},
                       {"failure", r.failure}});
    } else if (r.passed) {
      ctx.io.out << "PASS " << r.test->name << "\n";
    } else {
      ctx.io.out << "FAIL " << r.test->name << " (" << r.test->location.ToString()
                 << "): " << r.failure << "\n";
    }
  }
  if (a.json) {
    ctx.io.out << json{{"passed", results.size() - failed}, {"failed", failed}, {"tests", tests}}.dump(2)
               << "\n";
  } else {
    ctx.io.out << fmt::format("{} passed, {} failed\n", results.size() - failed, failed);
  }
  return failed == 0 ? exit_code::kOk : exit_code::kProblemsFound;
}

int RunWhoCan(CommandContext& ctx, const AccessArgs& a) {
  if (a.positional.size() != 2) {
    ctx.io.err << "bulwark: access who-can: expected ACTION RESOURCE\n";
    return exit_code::kBadInput;
  }
  auto action = access::ParseAction(a.positional[0]);
  if (!action) {
    ctx.io.err << "bulwark: access who-can: unknown action '" << a.positional[0] << "'\n";
    return exit_code::kBadInput;
  }
  auto resource = access::ResourceName::Parse(a.positional[1]);
  if (!resource) return ctx.Fail(resource.error().WithContext("access who-can"));
  config::Value attrs = config::Value::EmptyMap();
  if (auto s = AddAssignments(a.resource_attrs, "--resource-attr", attrs); !s) {
    return ctx.Fail(s.error().WithContext("access who-can"));
  }
  auto set = LoadPolicies(a.policies, a.home);
  if (!set) return ctx.Fail(set.error().WithContext("access who-can: load policies"));
  std::vector<access::WhoCanEntry> entries = access::WhoCan(**set, *action, *resource, attrs);
  json out = json::array();
  for (const access::WhoCanEntry& e : entries) {
    auto list = [](const std::vector<access::ConditionalStatement>& v) {
      json arr = json::array();
      for (const auto& c : v) arr.push_back({{"statement", c.statement}, {"when", c.condition}});
      return arr;
    };
    if (a.json) {
      out.push_back({{"subject", e.subject.Describe()},
                     {"condition", e.condition.empty() ? json(nullptr) : json(e.condition)},
                     {"allowed_by", list(e.allows)},
                     {"unless", list(e.denies)}});
      continue;
    }
    ctx.io.out << e.subject.Describe() << ": "
               << (e.condition.empty() ? "when an allow below holds and no deny does" : e.condition)
               << "\n";
    for (const auto& c : e.allows) ctx.io.out << "  allowed by " << c.statement << " when " << c.condition << "\n";
    for (const auto& c : e.denies) ctx.io.out << "  unless " << c.statement << " when " << c.condition << "\n";
  }
  if (a.json) {
    ctx.io.out << out.dump(2) << "\n";
  } else if (entries.empty()) {
    ctx.io.out << "nobody may " << access::ActionName(*action) << " " << resource->ToString() << "\n";
  }
  return exit_code::kOk;
}

int RunLint(CommandContext& ctx, const AccessArgs& a) {
  std::string dir = a.policies;
  if (!a.positional.empty()) {
    if (a.positional.size() > 1 || !dir.empty()) {
      ctx.io.err << "bulwark: access lint: give one policy directory\n";
      return exit_code::kBadInput;
    }
    dir = a.positional[0];
  }
  auto set = LoadPolicies(dir, a.home);
  if (!set) return ctx.Fail(set.error().WithContext("access lint"));
  std::vector<access::LintFinding> findings = access::Lint(**set);
  if (a.json) {
    json out = json::array();
    for (const access::LintFinding& f : findings) {
      out.push_back({{"kind", f.kind},
                     {"statement", f.statement->QualifiedId()},
                     {"location", f.statement->location.ToString()},
                     {"message", f.message}});
    }
    ctx.io.out << out.dump(2) << "\n";
  } else {
    for (const access::LintFinding& f : findings) ctx.io.out << f.ToString() << "\n";
    ctx.io.out << fmt::format("{} finding{}\n", findings.size(), findings.size() == 1 ? "" : "s");
  }
  return findings.empty() ? exit_code::kOk : exit_code::kProblemsFound;
}

int RunDiff(CommandContext& ctx, const AccessArgs& a) {
  if (a.positional.size() != 2) {
    ctx.io.err << "bulwark: access diff: expected OLD_DIR NEW_DIR\n";
    return exit_code::kBadInput;
  }
  auto before = LoadPolicies(a.positional[0], a.home);
  if (!before) return ctx.Fail(before.error().WithContext("access diff: old policies"));
  auto after = LoadPolicies(a.positional[1], a.home);
  if (!after) return ctx.Fail(after.error().WithContext("access diff: new policies"));
  std::vector<access::DiffChange> changes = access::Diff(**before, **after);
  if (a.json) {
    json out = json::array();
    for (const access::DiffChange& c : changes) {
      out.push_back({{"subject", c.subject.Describe()},
                     {"action", access::ActionName(c.action)},
                     {"pattern", c.pattern},
                     {"example", c.example.ToString()},
                     {"change", c.now_allowed ? "granted" : "revoked"},
                     {"condition", c.condition},
                     {"before", c.before},
                     {"after", c.after}});
    }
    ctx.io.out << out.dump(2) << "\n";
  } else {
    // One block per (action, change, condition): the subjects and patterns it applies to.
    struct Group {
      const access::DiffChange* first = nullptr;
      std::vector<std::string> subjects, patterns;
    };
    std::vector<Group> groups;
    auto add_unique = [](std::vector<std::string>& v, std::string x) {
      if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(std::move(x));
    };
    for (const access::DiffChange& c : changes) {
      Group* g = nullptr;
      for (Group& existing : groups) {
        if (existing.first->action == c.action && existing.first->now_allowed == c.now_allowed &&
            existing.first->condition == c.condition) {
          g = &existing;
        }
      }
      if (g == nullptr) {
        groups.push_back({&c, {}, {}});
        g = &groups.back();
      }
      add_unique(g->subjects, c.subject.Describe());
      add_unique(g->patterns, c.pattern);
    }
    for (const Group& g : groups) {
      const access::DiffChange& c = *g.first;
      ctx.io.out << fmt::format("{} {} for {}\n", c.now_allowed ? "+ granted" : "- revoked",
                                access::ActionName(c.action), fmt::join(g.subjects, ", "));
      ctx.io.out << fmt::format("    on {}\n", fmt::join(g.patterns, "\n       "));
      ctx.io.out << "    when " << c.condition << "\n";
      ctx.io.out << fmt::format("    e.g. {} {} {}: {} before, {} after\n", c.subject.Describe(),
                                access::ActionName(c.action), c.example.ToString(),
                                c.before.empty() ? "no statement allowed it" : "decided by " + c.before,
                                c.after.empty() ? "no statement allows it" : "decided by " + c.after);
    }
    ctx.io.out << fmt::format("{} change{} (subject, action, pattern)\n", changes.size(),
                              changes.size() == 1 ? "" : "s");
  }
  return changes.empty() ? exit_code::kOk : exit_code::kProblemsFound;
}

int RunImportLevels(CommandContext& ctx, const AccessArgs& a) {
  if (a.positional.size() != 1) {
    ctx.io.err << "bulwark: access import-levels: expected FILE.json\n";
    return exit_code::kBadInput;
  }
  auto files = NewLocalFileSystem();
  auto doc = config::LoadFile(*files, a.positional[0]);
  if (!doc) return ctx.Fail(doc.error().WithContext("access import-levels"));
  config::ClearLocations(doc->root);
  std::optional<std::string> resource;
  if (!a.resource.empty()) resource = a.resource;
  auto yaml = access::ImportAccessLevels(doc->root, resource, a.name);
  if (!yaml) return ctx.Fail(yaml.error().WithContext("access import-levels: " + a.positional[0]));
  ctx.io.out << *yaml;
  return exit_code::kOk;
}

void AddRequestOptions(CLI::App* c, AccessArgs& a) {
  c->add_option("--as", a.as, "Principal id (default: the local OS user, mapped by the home)");
  c->add_option("--kind", a.kind, "Principal kind (default: the id's prefix before ':')");
  c->add_option("--role", a.roles, "A role of the principal (repeatable)");
  c->add_option("--group", a.groups, "A group of the principal (repeatable)");
  c->add_option("--attr", a.attrs, "A principal attribute KEY=VALUE (repeatable)");
  c->add_option("--action", a.action, "The action")->required();
  c->add_option("--resource", a.resource, "The resource, e.g. config:NS:PATH")->required();
  c->add_option("--resource-attr", a.resource_attrs, "A resource attribute KEY=VALUE (repeatable)");
  c->add_option("--context", a.context, "A context entry KEY=VALUE (repeatable)");
  c->add_option("--source", a.source, "The request's source address");
  c->add_flag("--mfa", a.mfa, "The principal used MFA");
  c->add_flag("--no-mfa", a.no_mfa, "The principal did not use MFA");
  c->add_option("--time", a.time, "The request time (RFC 3339; default now)");
}

}  // namespace

void RegisterAccessCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* access = app.add_subcommand(
      "access", "Access policies: check and explain decisions, test, lint, who-can, diff");
  access->require_subcommand(1);
  auto make = [&](const char* name, const char* help, auto run) {
    auto a = std::make_shared<AccessArgs>();
    CLI::App* c = access->add_subcommand(name, help);
    c->add_option("--home", a->home, "Bulwark home (default $BULWARK_HOME or ~/.bulwark)");
    c->add_flag("--json", a->json, "Print JSON");
    c->callback([&ctx, a, run] { ctx.action = [&ctx, a, run] { return run(ctx, *a); }; });
    return std::make_pair(c, a);
  };
  {
    auto [c, a] = make("check", "Decide a request: exit 0 allowed, 3 denied",
                       [](CommandContext& ctx, const AccessArgs& a) { return RunDecision(ctx, a, false); });
    c->add_option("--policies", a->policies, "Policy directory (default <home>/policies)");
    AddRequestOptions(c, *a);
  }
  {
    auto [c, a] = make("explain", "Decide a request and show every statement considered and why",
                       [](CommandContext& ctx, const AccessArgs& a) { return RunDecision(ctx, a, true); });
    c->add_option("--policies", a->policies, "Policy directory (default <home>/policies)");
    AddRequestOptions(c, *a);
  }
  {
    auto [c, a] = make("test", "Run table-driven policy tests: exit 1 when one fails", RunTests);
    c->add_option("args", a->positional, "POLICY_DIR TESTS.yaml")->required();
  }
  {
    auto [c, a] = make("who-can", "List who may perform ACTION on RESOURCE, and through which statement",
                       RunWhoCan);
    c->add_option("--policies", a->policies, "Policy directory (default <home>/policies)");
    c->add_option("args", a->positional, "ACTION RESOURCE")->required();
    c->add_option("--resource-attr", a->resource_attrs, "A resource attribute KEY=VALUE (repeatable)");
  }
  {
    auto [c, a] = make("lint", "Find statements that never apply, are shadowed, use unknown "
                               "attributes or roles, or grant * on production: exit 1 on findings",
                       RunLint);
    c->add_option("--policies", a->policies, "Policy directory (default <home>/policies)");
    c->add_option("dir", a->positional, "Policy directory");
  }
  {
    auto [c, a] = make("diff", "Show whose decisions a policy change alters: exit 1 on changes", RunDiff);
    c->add_option("dirs", a->positional, "OLD_DIR NEW_DIR")->required();
  }
  {
    auto [c, a] = make("import-levels",
                       "Turn a per-secret access policy (JSON levels) into a policy file on stdout",
                       RunImportLevels);
    c->add_option("file", a->positional, "FILE.json")->required();
    c->add_option("--resource", a->resource, "The resource the levels apply to");
    c->add_option("--name", a->name, "The policy name (default imported-levels)");
  }
}

}  // namespace bulwark::cli
