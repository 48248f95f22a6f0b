// bulwark check TARGET... [--pack NAME|FILE]... [--env E] [--format F] [-o FILE] [--fail-on S]
//                         [--fix]
//
// Checks configuration files against rule packs (built-in names or pack files; `baseline` when
// none is given). Exit codes: 0 compliant, 1 a finding (or an unevaluable rule) at or above
// --fail-on, 2 bad input (unreadable target or pack, bad flag).
#include <fmt/format.h>

#include <filesystem>
#include <ostream>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/compliance/engine.h"
#include "bulwark/compliance/report_format.h"
#include "bulwark/config/format.h"
#include "bulwark/service/file_service.h"
#include "bulwark/compliance/history.h"
#include "cli/command.h"
#include "cli/store_commands.h"
#include "bulwark/store/config_store.h"

namespace bulwark::cli {
namespace {

struct CheckArgs {
  std::vector<std::string> targets;
  std::vector<std::string> packs;
  std::string env;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
  bool fix = false;
  bool history = false;
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
    compliance::Report report = shared_engine->Evaluate(*doc, ectx);
    if (a.fix) {
      auto changed = FixFile(ctx, a, target, report);
      if (!changed) return BadInput(ctx, changed.error().WithContext("fix " + target));
      if (*changed) {  // report what is left
        auto again = config::LoadFile(*fs, target);
        if (!again) return BadInput(ctx, again.error().WithContext("check " + target));
        report = shared_engine->Evaluate(*again, ectx);
      }
    }
    reports.push_back(std::move(report));
  }

  if (a.history && reports.empty()) return exit_code::kOk;
  compliance::RenderOptions ropts;
  ropts.fail_on = *fail_on;
  ropts.tool_version = BULWARK_VERSION;
  const std::string out = compliance::Render(*format, reports, ropts);
  if (a.output.empty() || a.output == "-") {
    ctx.io.out << out;
  } else {
    auto st = fs->WriteFileAtomic(
        a.output, out,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
            std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    if (!st) return BadInput(ctx, st.error().WithContext("write report"));
  }
  for (const compliance::Report& r : reports) {
    if (!r.CompliantAt(*fail_on)) return exit_code::kProblemsFound;
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
                    "Configuration files, or stored namespaces (anything that is not a file)")
      ->required();
  check->add_flag("--history", args->history,
                  "For a namespace: when each finding appeared and disappeared, version by version");
  AddStoreOptions(check, args->store);
  check->add_option("--pack", args->packs,
                    "Rule pack: a built-in name (baseline, best-practice, gdpr, hipaa, pci-dss, "
                    "soc2) or a pack file; repeatable (default: baseline)");
  check->add_option("--env", args->env,
                    "Target environment (`env` in rules; selects per-environment overrides)");
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
  check->callback([&ctx, args] { ctx.action = [&ctx, args] { return RunCheck(ctx, *args); }; });
}

}  // namespace bulwark::cli
