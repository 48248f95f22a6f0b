// bulwark scan [TARGET...] [--env-vars] [--env ENV] [--rules FILE]... [--no-builtin-rules]
//              [--pack NAME|FILE]... [--no-settings] [--format F] [-o FILE] [--fail-on S]
//              [--threads N] [--no-gitignore] [--baseline FILE] [--write-baseline FILE]
//
// Finds plaintext secrets and insecure settings in files, directory trees and environment
// variables (docs/scan.md).
// Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 bad usage or an
// unreadable rule file or target, 5 an internal failure.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/core/runtime.h"
#include "bulwark/scan/baseline.h"
#include "bulwark/scan/report.h"
#include "bulwark/scan/rule.h"
#include "bulwark/scan/run.h"
#include "bulwark/scan/secret_scanner.h"
#include "bulwark/scan/settings_scanner.h"
#include "bulwark/scan/tree.h"
#include "cli/command.h"
#include "cli/cli_node.h"
#include "cli/scan_fix.h"
#include "cli/store_commands.h"

extern char** environ;

namespace bulwark::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> targets;
  bool env_vars = false;
  std::string env;  // the deployment environment the settings rules see
  std::vector<std::string> packs;
  bool no_settings = false;
  std::vector<std::string> rules;
  bool no_builtin = false;
  std::string format = "text";
  std::string output;
  std::string fail_on = "low";
  unsigned threads = 0;
  bool no_gitignore = false;
  std::string baseline;
  std::string write_baseline;
  bool no_cache = false;
  bool decode_all = false;
  bool fix = false;
  bool dry_run = false;
  KeyArgs keys;
};

// $XDG_CACHE_HOME/bulwark, else ~/.cache/bulwark; empty when neither is set.
std::filesystem::path CacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0') {
    return std::filesystem::path(x) / "bulwark";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return std::filesystem::path(h) / ".cache" / "bulwark";
  }
  return {};
}

int BadInput(CommandContext& ctx, const Error& e) {
  ctx.io.err << "bulwark: " << e.ToString() << "\n";
  return exit_code::kBadInput;
}

Result<std::shared_ptr<const scan::RuleSet>> LoadRules(FileSystem& fs, const ScanArgs& a) {
  std::vector<std::shared_ptr<const scan::RuleSet>> sets;
  if (!a.no_builtin) {
    BULWARK_ASSIGN_OR_RETURN(auto builtin, scan::RuleSet::Builtin());
    sets.push_back(std::move(builtin));
  }
  for (const std::string& file : a.rules) {
    auto text = fs.ReadFile(file, 16 << 20);
    if (!text) return std::unexpected(text.error().WithContext("read scan rules"));
    BULWARK_ASSIGN_OR_RETURN(auto set, scan::RuleSet::Parse(*text, file));
    sets.push_back(std::move(set));
  }
  if (sets.empty()) return InvalidArgumentError("scan: no rules (--no-builtin-rules without --rules)");
  return scan::RuleSet::Merge(sets);
}

int RunScan(CommandContext& ctx, const ScanArgs& a) {
  auto fs = NewLocalFileSystem();
  auto format = scan::ParseReportFormat(a.format);
  if (!format) return BadInput(ctx, format.error());
  auto fail_on = compliance::ParseSeverity(a.fail_on);
  if (!fail_on) return BadInput(ctx, fail_on.error());
  if (a.targets.empty() && !a.env_vars) {
    return BadInput(ctx, Error(ErrorCode::kInvalidArgument, "scan: name a file or directory, or --env-vars"));
  }
  auto rules = LoadRules(*fs, a);
  if (!rules) return BadInput(ctx, rules.error());
  scan::SecretScanOptions sopts;
  if (!a.no_cache) sopts.cache_dir = CacheDir();
  sopts.decode_everywhere = a.decode_all;
  auto secrets = scan::SecretScanner::Create(*rules, sopts);
  if (!secrets) return ctx.Fail(secrets.error());

  std::vector<scan::Target> targets;
  for (const std::string& t : a.targets) {
    auto files = scan::CollectFiles(t, {.gitignore = !a.no_gitignore});
    if (!files) return BadInput(ctx, files.error());
    for (scan::TreeFile& f : *files) {
      scan::Target target;
      target.kind = scan::Target::Kind::kFile;
      target.name = std::move(f.name);
      target.path = std::move(f.path);
      targets.push_back(std::move(target));
    }
  }
  if (a.env_vars) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const std::size_t eq = entry.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      scan::Target target;
      target.kind = scan::Target::Kind::kEnvironment;
      target.name = "env:" + std::string(entry.substr(0, eq));
      target.content = std::string(entry) + "\n";
      target.format = "dotenv";
      targets.push_back(std::move(target));
    }
  }

  scan::RunOptions ropts;
  ropts.threads = a.threads;
  const bool progress = &ctx.io.err == &std::cerr && ::isatty(STDERR_FILENO) == 1 &&
                        targets.size() >= 200;
  if (progress) {
    ropts.progress = [&ctx, last = std::size_t{0}](std::size_t done, std::size_t total,
                                                   std::uint64_t) mutable {
      if (done != total && done - last < total / 100 + 1) return;
      last = done;
      ctx.io.err << fmt::format("\rscanning {}/{} ({}%)", done, total, done * 100 / total)
                 << (done == total ? "\n" : "") << std::flush;
    };
  }
  std::vector<const scan::Scanner*> scanners{secrets->get()};
  std::unique_ptr<scan::SettingsScanner> settings;
  if (!a.no_settings) {
    std::vector<std::shared_ptr<const compliance::RulePack>> packs;
    for (const std::string& spec : a.packs.empty() ? std::vector<std::string>{"security"} : a.packs) {
      auto pack = compliance::LoadPackSpec(*fs, spec);
      if (!pack) return BadInput(ctx, pack.error());
      packs.push_back(std::move(*pack));
    }
    auto created = scan::SettingsScanner::Create(std::move(packs), a.env);
    if (!created) return BadInput(ctx, created.error());
    settings = std::move(*created);
    scanners.push_back(settings.get());
  }
  scan::RunResult result = scan::RunScan(scanners, targets, ropts);
  if (a.fix) {
    auto fixed = FixSecretsInFiles(ctx, a.keys, result.findings, a.dry_run);
    if (!fixed) return ctx.Fail(fixed.error().WithContext("scan --fix"));
    ctx.io.err << fmt::format("{} {} value(s) in {} file(s)\n",
                              a.dry_run ? "would encrypt" : "encrypted", fixed->values, fixed->files);
    if (!a.dry_run && fixed->files > 0) {
      ropts.progress = nullptr;
      result = scan::RunScan(scanners, targets, ropts);  // report what is left
    }
  }
  if (!a.write_baseline.empty()) {
    auto st = fs->WriteFileAtomic(a.write_baseline, scan::RenderBaseline(result.findings),
                                  std::filesystem::perms::owner_read |
                                      std::filesystem::perms::owner_write |
                                      std::filesystem::perms::group_read);
    if (!st) return BadInput(ctx, st.error().WithContext("write baseline"));
  }
  if (!a.baseline.empty()) {
    auto text = fs->ReadFile(a.baseline, 64 << 20);
    if (!text) return BadInput(ctx, text.error().WithContext("read baseline"));
    auto baseline = scan::ParseBaseline(*text, a.baseline);
    if (!baseline) return BadInput(ctx, baseline.error());
    scan::ApplyBaseline(*baseline, result.findings);
  }

  scan::ReportOptions opts;
  opts.fail_on = *fail_on;
  opts.tool_version = BULWARK_VERSION;
  const std::string out = scan::RenderReport(*format, result, opts);
  if (a.output.empty() || a.output == "-") {
    ctx.io.out << out;
  } else {
    auto st = fs->WriteFileAtomic(a.output, out,
                                  std::filesystem::perms::owner_read |
                                      std::filesystem::perms::owner_write |
                                      std::filesystem::perms::group_read |
                                      std::filesystem::perms::others_read);
    if (!st) return BadInput(ctx, st.error().WithContext("write scan report"));
  }
  if (scan::FailsGate(result, *fail_on)) return exit_code::kProblemsFound;
  int worst = exit_code::kOk;
  for (const scan::ScanError& e : result.errors) {
    worst = std::max(worst, e.exit_code == exit_code::kNotFound ? exit_code::kBadInput : e.exit_code);
  }
  return worst;
}

}  // namespace

void RegisterScanCommands(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "scan",
      "Find plaintext secrets and insecure settings in files, trees and environment variables");
  cmd->add_option("targets", args->targets, "Files or directories to scan");
  cmd->add_flag("--env-vars", args->env_vars, "Scan this process's environment variables");
  cmd->add_option("--env", args->env,
                  "Deployment environment for the settings rules (production enables more)");
  cmd->add_option("--pack", args->packs,
                  "Settings rule pack, built-in name or file (default: security; repeatable)");
  cmd->add_flag("--no-settings", args->no_settings, "Look for secrets only, not insecure settings");
  cmd->add_option("--rules", args->rules,
                  "Extra rule file: Bulwark YAML/JSON (docs/scan.md) or gitleaks TOML (repeatable)");
  cmd->add_flag("--no-builtin-rules", args->no_builtin, "Use only the rules given with --rules");
  cmd->add_option("--format", args->format, "Report format: text, json, sarif")
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output, "Write the report to FILE instead of stdout");
  cmd->add_option("--fail-on", args->fail_on,
                  "Exit 1 on a finding at or above this severity: critical, high, medium, low, info")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads (default: one per core)");
  cmd->add_flag("--no-gitignore", args->no_gitignore,
                "Scan files that .gitignore excludes (.bulwarkignore still applies)");
  cmd->add_flag("--decode-all", args->decode_all,
                 "Decode every base64/hex/percent-looking run, not only values of secret-like keys "
                 "(slower)");
  cmd->add_flag("--fix", args->fix,
                 "Encrypt the plaintext secrets found in files in place (as 'bulwark encrypt')");
  cmd->add_flag("--dry-run", args->dry_run, "With --fix: say what would be encrypted, write nothing");
  AddKeyOptions(cmd, args->keys);
  cmd->add_flag("--no-cache", args->no_cache,
                 "Do not keep the compiled rules in $XDG_CACHE_HOME/bulwark (~/.cache/bulwark)");
  cmd->add_option("--baseline", args->baseline,
                  "Findings whose fingerprint is in this baseline file do not fail the scan");
  cmd->add_option("--write-baseline", args->write_baseline,
                  "Write the fingerprints of every finding to this file (accept them)");
  cmd->callback([&ctx, args]() { ctx.action = [&ctx, args]() { return RunScan(ctx, *args); }; });
}

}  // namespace bulwark::cli
