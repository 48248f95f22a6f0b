// bulwark check [TARGET...] [--pack NAME|FILE]... [--env E] [--env-prefix P [--schema FILE]]
//               [--format F] [-o FILE] [--fail-on S] [--fix] [--explain]
//
// Checks configuration files, stored namespaces or the process environment against rule packs
// (built-in names or pack files; `baseline` when none is given). With --env-prefix the files and
// the environment variables are the layers of one target, merged as `config load` merges them
// (docs/compliance.md). Exit codes: 0 compliant, 1 a finding (or an unevaluable rule) at or above
// --fail-on, 2 bad input (unreadable target or pack, bad flag), 4 unknown namespace.
#include <fmt/format.h>

#include <filesystem>
#include <ostream>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/compliance/engine.h"
#include "bulwark/compliance/history.h"
#include "bulwark/compliance/report_format.h"
#include "bulwark/config/environment.h"
#include "bulwark/config/format.h"
#include "bulwark/config/loader.h"
#include "bulwark/service/file_service.h"
#include "bulwark/store/config_store.h"
#include "cli/command.h"
#include "bulwark/config/sensitivity.h"
#include "cli/store_commands.h"

namespace bulwark::cli {
namespace {

struct CheckArgs {
  std::vector<std::string> targets;
  std::vector<std::string> packs;
  std::string env;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
  std::string env_prefix;  // the environment (and the files) as one merged target
  std::string schema;      // types of the variables (else the files', else the service schema)
  bool fix = false;
  bool history = false;
  bool explain = false;
  StoreArgs store;  // for namespace targets
};

int BadInput(CommandContext& ctx, const Error& e) {
  ctx.io.err << "bulwark: " << e.ToString() << "\n";
  return exit_code::kBadInput;
}

// Applies the fixes of `report` to the file `target` through the node's file service (audited as
// file.fix); false when nothing was changed.
Result<bool> FixFile(CommandContext& ctx, const CheckArgs& a, const std::string& target,
                     const compliance::Report& report) {
  BULWARK_ASSIGN_OR_RETURN(auto n, OpenNode(ctx, a.store.keys));
  BULWARK_ASSIGN_OR_RETURN(service::FileService * files, n->Files());
  service::FixFileRequest req;
  req.file = target;
  req.report = &report;
  BULWARK_ASSIGN_OR_RETURN(service::FixResult fixed, files->Fix(n->LocalContext(), req));
  for (const auto& f : fixed.applied) {
    ctx.io.err << fmt::format("fixed {} {} in {}\n", f.rule_id, f.path, target);
  }
  for (const auto& s : fixed.skipped) {
    ctx.io.err << fmt::format("not fixed {} {}: {}\n", s.rule_id, s.path, s.reason);
  }
  BULWARK_RETURN_IF_ERROR(n->Close());
  return !fixed.applied.empty();
}

int Finish(CommandContext& ctx, FileSystem& fs, const CheckArgs& a, compliance::ReportFormat format,
           const compliance::RenderOptions& ropts, const std::vector<compliance::Report>& reports);

// The files (in order) and the environment variables that start with the prefix, merged as
// `bulwark config load FILE... --env-prefix P` merges them; the target is named after its layers.
Result<config::Document> LoadLayers(FileSystem& fs, const CheckArgs& a, std::string* name) {
  config::Document doc;
  std::unique_ptr<config::Schema> schema;
  std::vector<std::string> layers;
  if (!a.targets.empty()) {
    config::LoadRequest req;
    for (const std::string& f : a.targets) {
      BULWARK_ASSIGN_OR_RETURN(bool is_file, fs.Exists(f));
      if (!is_file) {
        return InvalidArgumentError("--env-prefix merges files with the environment: " + f +
                                    " is not a file");
      }
      req.files.emplace_back(f);
      layers.push_back(f);
    }
    if (!a.schema.empty()) req.schema_file = a.schema;
    BULWARK_ASSIGN_OR_RETURN(config::LoadedConfig loaded, config::LoadConfig(fs, req));
    doc = std::move(loaded.document);
    schema = std::move(loaded.schema);
  } else if (!a.schema.empty()) {
    BULWARK_ASSIGN_OR_RETURN(schema, config::LoadSchemaFile(fs, a.schema));
  }
  if (schema == nullptr) {
    // Nothing else types the variables: the shape the built-in packs are written for.
    BULWARK_ASSIGN_OR_RETURN(
        config::Document service,
        config::ParseDocument(compliance::ServiceSchemaText(), config::Format::kJson,
                              {.source_name = "service.schema.json"}));
    BULWARK_ASSIGN_OR_RETURN(schema, config::Schema::Create(service.root, "service.schema.json"));
  }
  config::EnvOptions eo{.prefix = a.env_prefix, .schema = schema.get()};
  BULWARK_ASSIGN_OR_RETURN(
      doc, config::ApplyEnvironment(std::move(doc), config::ReadProcessEnvironment(), eo));
  layers.push_back("environment " + a.env_prefix + "*");
  *name = layers.front();
  for (std::size_t i = 1; i < layers.size(); ++i) *name += " + " + layers[i];
  return doc;
}

int RunCheck(CommandContext& ctx, const CheckArgs& a) {
  auto fs = NewLocalFileSystem();
  auto format = compliance::ParseReportFormat(a.format);
  if (!format) return BadInput(ctx, format.error());
  auto fail_on = compliance::ParseSeverity(a.fail_on);
  if (!fail_on) return BadInput(ctx, fail_on.error());

  std::vector<std::shared_ptr<const compliance::RulePack>> packs;
  std::vector<std::string> specs = a.packs.empty() ? std::vector<std::string>{"baseline"} : a.packs;
  for (const std::string& spec : specs) {
    auto pack = compliance::LoadPackSpec(*fs, spec);
    if (!pack) return BadInput(ctx, pack.error());
    packs.push_back(std::move(*pack));
  }
  auto engine = compliance::Engine::Create(std::move(packs));
  if (!engine) return BadInput(ctx, engine.error());

  std::vector<compliance::Report> reports;
  compliance::RenderOptions ropts;
  ropts.fail_on = *fail_on;
  ropts.tool_version = BULWARK_VERSION;
  ropts.explain = a.explain;
  if (a.targets.empty() && a.env_prefix.empty()) {
    return BadInput(ctx, Error(ErrorCode::kInvalidArgument,
                               "check: give files, namespaces or --env-prefix PREFIX"));
  }
  if (!a.env_prefix.empty()) {
    if (a.fix || a.history) {
      return BadInput(ctx, Error(ErrorCode::kInvalidArgument,
                                 std::string(a.fix ? "--fix" : "--history") +
                                     " cannot be combined with --env-prefix (the target is "
                                     "merged from several layers)"));
    }
    std::string name;
    auto doc = LoadLayers(*fs, a, &name);
    if (!doc) return BadInput(ctx, doc.error().WithContext("check"));
    reports.push_back((*engine)->Evaluate(*doc, {.target = name, .environment = a.env}));
    return Finish(ctx, *fs, a, *format, ropts, reports);
  }
  std::optional<Session> session;  // opened for the first namespace target
  std::shared_ptr<const compliance::Engine> shared_engine = std::move(*engine);
  for (const std::string& target : a.targets) {
    auto is_file = fs->Exists(target);
    if (!is_file || !*is_file) {
      // Not a file: a stored namespace, evaluated inside the service (decrypted there, audited).
      if (a.fix) return BadInput(ctx, Error(ErrorCode::kInvalidArgument, "--fix works on files, not on namespace " + target));
      if (!session) {
        auto opened = OpenSession(ctx, a.store, shared_engine);
        if (!opened) return ctx.Fail(opened.error());
        session = std::move(*opened);
      }
      if (a.history) {
        auto versions = session->service->ComplianceHistory(session->request, target);
        if (!versions) return ctx.Fail(versions.error());
        ctx.io.out << compliance::RenderHistoryText(target, *versions);
        continue;
      }
      auto report = session->service->Check(session->request, target, store::VersionRef::Latest());
      if (!report) return ctx.Fail(report.error());
      if (!a.env.empty()) report->environment = a.env;
      reports.push_back(std::move(*report));
      continue;
    }
    if (a.history) return BadInput(ctx, Error(ErrorCode::kInvalidArgument, "--history works on namespaces, not on file " + target));
    auto doc = config::LoadFile(*fs, target);
    if (!doc) return BadInput(ctx, doc.error().WithContext("check " + target));
    compliance::EvalContext ectx{.target = target, .environment = a.env};
    // As for a stored namespace: sensitive values (name and value heuristic) never reach a message.
    if (auto classifier = config::SensitivityClassifier::Create(nullptr, {})) {
      ectx.sensitive = classifier->Classify(doc->root);
    }
    compliance::Report report = shared_engine->Evaluate(*doc, ectx);
    if (a.fix) {
      auto changed = FixFile(ctx, a, target, report);
      if (!changed) return BadInput(ctx, changed.error().WithContext("fix " + target));
      if (*changed) {  // report what is left
        auto again = config::LoadFile(*fs, target);
        if (!again) return BadInput(ctx, again.error().WithContext("check " + target));
        if (auto classifier = config::SensitivityClassifier::Create(nullptr, {})) {
          ectx.sensitive = classifier->Classify(again->root);
        }
        report = shared_engine->Evaluate(*again, ectx);
      }
    }
    reports.push_back(std::move(report));
  }

  if (a.history && reports.empty()) return exit_code::kOk;
  return Finish(ctx, *fs, a, *format, ropts, reports);
}

// Renders the reports to stdout or -o, and returns the exit code.
int Finish(CommandContext& ctx, FileSystem& fs, const CheckArgs& a, compliance::ReportFormat format,
           const compliance::RenderOptions& ropts, const std::vector<compliance::Report>& reports) {
  const std::string out = compliance::Render(format, reports, ropts);
  if (a.output.empty() || a.output == "-") {
    ctx.io.out << out;
  } else {
    auto st = fs.WriteFileAtomic(
        a.output, out,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
            std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    if (!st) return BadInput(ctx, st.error().WithContext("write report"));
  }
  for (const compliance::Report& r : reports) {
    if (!r.CompliantAt(ropts.fail_on)) return exit_code::kProblemsFound;
  }
  return exit_code::kOk;
}

}  // namespace

void RegisterCheckCommands(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* check = app.add_subcommand(
      "check",
      "Check configuration files against compliance rule packs (GDPR, SOC 2, PCI-DSS, ...)");
  check->add_option("targets", args->targets,
                    "Configuration files, or stored namespaces (anything that is not a file); "
                    "with --env-prefix, files merged in order under the environment");
  check->add_flag("--history", args->history,
                  "For a namespace: when each finding appeared and disappeared, version by version");
  AddStoreOptions(check, args->store);
  check->add_option("--pack", args->packs,
                    "Rule pack: a built-in name (baseline, best-practice, gdpr, hipaa, pci-dss, "
                    "soc2) or a pack file; repeatable (default: baseline)");
  check->add_option("--env", args->env,
                    "Target environment for every item (default: each service's `environment`; "
                    "for a namespace, its first segment)");
  check->add_option(
      "--env-prefix", args->env_prefix,
      "Check the environment variables with this prefix (VOICEHIVE_DATABASE__SSL_MODE "
      "sets database.ssl_mode), merged over the files as `config load` does");
  check->add_option("--schema", args->schema,
                    "With --env-prefix: JSON Schema that types the variables (default: the files, "
                    "then the service schema of the built-in packs)");
  check->add_option("--format", args->format, "Report format: text, json, sarif, junit or html")
      ->capture_default_str();
  check->add_option("-o,--output", args->output, "Write the report to this file (default: stdout)");
  check
      ->add_option("--fail-on", args->fail_on,
                   "Exit 1 when a finding has this severity or higher (critical, high, medium, "
                   "low, info)")
      ->capture_default_str();
  check->add_flag("--fix", args->fix,
                  "Apply the rules' replace fixes to the files (only the bytes of those values), "
                  "then report what is left");
  check->add_flag("--explain", args->explain,
                  "Text format: list every rule with its status and why (checks, the reason it did "
                  "not apply, errors)");
  check->callback([&ctx, args] { ctx.action = [&ctx, args] { return RunCheck(ctx, *args); }; });
}

}  // namespace bulwark::cli
