// bulwark expr [--vars JSON | --vars-file FILE] [--] EXPR
//
// Evaluates a CEL expression and prints the result as JSON. Exit codes: 0 success, 1 evaluation
// error (the CEL error is printed), 2 parse error (with the caret line) or bad input.
#include <fmt/format.h>

#include <ostream>

#include "bulwark/config/format.h"
#include "bulwark/expr/json.h"
#include "bulwark/expr/program.h"
#include "cli/command.h"

namespace bulwark::cli {
namespace {

constexpr std::int64_t kMaxBudget = 100'000'000;

struct ExprArgs {
  std::vector<std::string> expression;  // joined with spaces
  std::string vars_json;
  std::string vars_file;
  std::int64_t budget = 0;  // 0: the default
  bool pretty = false;
};

int RunExpr(CommandContext& ctx, const ExprArgs& a) {
  if (!a.vars_json.empty() && !a.vars_file.empty()) {
    ctx.io.err << "bulwark: expr: give --vars or --vars-file, not both\n";
    return exit_code::kBadInput;
  }
  std::string source;
  for (const auto& part : a.expression) {
    if (!source.empty()) source += ' ';
    source += part;
  }
  if (source.empty()) {
    ctx.io.err << "bulwark: expr: no expression given\n";
    return exit_code::kBadInput;
  }

  // Variables: the members of a JSON (or, for --vars-file, JSON/YAML/TOML) object.
  std::optional<config::Document> vars_doc;
  if (!a.vars_json.empty()) {
    auto doc = config::ParseDocument(a.vars_json, config::Format::kJson, {.source_name = "--vars"});
    if (!doc) return ctx.Fail(doc.error().WithContext("expr: --vars"));
    vars_doc = std::move(*doc);
  } else if (!a.vars_file.empty()) {
    auto fs = NewLocalFileSystem();
    auto doc = config::LoadFile(*fs, a.vars_file);
    if (!doc) return ctx.Fail(doc.error().WithContext("expr: --vars-file"));
    vars_doc = std::move(*doc);
  }
  expr::Activation vars;
  if (vars_doc) {
    const config::ValueMap* m = vars_doc->root.IfMap();
    if (m == nullptr) {
      ctx.io.err << "bulwark: expr: variables must be a JSON object\n";
      return exit_code::kBadInput;
    }
    for (const auto& entry : *m) vars.BindNode(entry.key, entry.value);
  }

  expr::CompileOptions opts;
  if (a.budget > 0) opts.limits.cost_budget = static_cast<std::uint64_t>(a.budget);
  auto program = expr::Program::Compile(source, opts);
  if (!program) {
    ctx.io.err << "bulwark: expr: " << program.error().message() << "\n";
    return exit_code::kBadInput;
  }
  auto result = (*program)->Evaluate(vars);
  if (!result) {
    ctx.io.err << "bulwark: expr: evaluation error: " << result.error().message() << "\n";
    return exit_code::kProblemsFound;
  }
  auto json = expr::ToJson(*result, a.pretty ? 2 : -1);
  if (!json) return ctx.Fail(json.error());
  ctx.io.out << *json << "\n";
  return exit_code::kOk;
}

}  // namespace

void RegisterExprCommands(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ExprArgs>();
  CLI::App* cmd = app.add_subcommand(
      "expr",
      "Evaluate a CEL expression and print the result as JSON (exit 1: evaluation error, 2: parse "
      "error). Use -- before an expression that starts with '-'.");
  cmd->add_option("expression", args->expression, "The CEL expression")->required();
  cmd->add_option("--vars", args->vars_json,
                  "Variables as a JSON object, e.g. '{\"item\": {\"port\": 80}}'");
  cmd->add_option("--vars-file", args->vars_file, "Variables from a JSON, YAML or TOML file");
  // Capped: the cost bounds what an evaluation may allocate, so an unbounded budget would be
  // unbounded memory.
  cmd->add_option("--budget", args->budget,
                  "Evaluation cost budget, 1..100000000 (default 1000000)")
      ->check(WholeNumberIn(1, kMaxBudget, "a cost budget from 1 to 100000000"));
  cmd->add_flag("--pretty", args->pretty, "Indent the JSON output");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return RunExpr(ctx, *args); }; });
}

}  // namespace bulwark::cli
