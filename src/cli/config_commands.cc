// bulwark config load | validate
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "bulwark/config/loader.h"
#include "bulwark/config/sensitivity.h"
#include "cli/command.h"

namespace bulwark::cli {
namespace {

struct ConfigArgs {
  std::vector<std::string> files;
  std::string env_prefix;
  std::string schema;
  bool strict = false;
  std::string format;        // output format
  std::string input_format;  // forces the input format
  bool reveal = false;
  bool provenance = false;
  bool json = false;
  std::vector<std::string> paths;
};

void AddCommonOptions(CLI::App* cmd, ConfigArgs& a) {
  cmd->add_option("files", a.files, "Configuration files, merged in order (later wins)");
  cmd->add_option("--env-prefix", a.env_prefix,
                  "Read environment variables with this prefix as the top layer (APP_ makes "
                  "APP_DATABASE__PORT set database.port)");
  cmd->add_option("--schema", a.schema, "JSON Schema (draft 7, JSON or YAML) to validate against");
  cmd->add_flag("--strict", a.strict,
                "Production mode: no schema defaults; list every missing required value");
  cmd->add_option("--input-format", a.input_format,
                  "Force the input format (json|yaml|toml|dotenv|env); default: from the extension");
  cmd->add_option("--paths", a.paths, "Also treat values whose dotted path matches this RE2 as sensitive");
}

Result<config::LoadedConfig> Load(const ConfigArgs& a) {
  config::LoadRequest req;
  for (const auto& f : a.files) req.files.emplace_back(f);
  if (!a.input_format.empty()) {
    BULWARK_ASSIGN_OR_RETURN(req.format, config::ParseFormatName(a.input_format));
  }
  if (!a.env_prefix.empty()) {
    req.env_prefix = a.env_prefix;
    req.environment = config::ReadProcessEnvironment();
  }
  if (!a.schema.empty()) req.schema_file = a.schema;
  req.strict = a.strict;
  req.sensitive_path_patterns = a.paths;
  auto fs = NewLocalFileSystem();
  return config::LoadConfig(*fs, req);
}

std::string SourceOf(const config::Document& doc, const config::Path& p) {
  auto loc = doc.LocationOf(p);
  return loc ? loc->ToString() : "";
}

// A scalar for one line of text output (strings unquoted).
std::string ScalarText(const config::Value& v) {
  if (v.is_string()) return v.AsString();
  auto text = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
  return text ? *text : std::string("?");
}

void PrintProblems(std::ostream& os, const config::LoadedConfig& loaded) {
  for (const auto& p : loaded.problems) {
    const std::string src = SourceOf(loaded.document, p.path);
    os << p.ToString();
    if (!src.empty()) os << "  (" << src << ")";
    os << "\n";
  }
}

int RunLoad(CommandContext& ctx, const ConfigArgs& a) {
  auto loaded = Load(a);
  if (!loaded) return ctx.Fail(loaded.error());
  const config::Value shown =
      a.reveal ? loaded->document.root : config::Redact(loaded->document.root, loaded->sensitive);

  config::Format out_format = config::Format::kYaml;
  if (!a.format.empty()) {
    auto f = config::ParseFormatName(a.format);
    if (!f) return ctx.Fail(f.error());
    out_format = *f;
  } else if (!a.files.empty()) {
    if (auto f = config::FormatFromPath(a.files.front())) out_format = *f;
  }

  if (a.provenance) {
    std::vector<std::tuple<std::string, config::Value, std::string>> rows;
    config::WalkLeaves(shown, [&](const config::Path& p, const config::Value& v) {
      rows.emplace_back(p.ToString(), v, SourceOf(loaded->document, p));
    });
    if (out_format == config::Format::kJson) {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (auto& [path, v, src] : rows) {
        auto text = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
        arr.push_back({{"path", path},
                       {"value", nlohmann::ordered_json::parse(text ? *text : "null")},
                       {"source", src}});
      }
      ctx.io.out << arr.dump(2) << "\n";
    } else {
      std::size_t w1 = 4, w2 = 5;
      for (auto& [path, v, src] : rows) {
        w1 = std::max(w1, path.size());
        w2 = std::max(w2, std::min<std::size_t>(ScalarText(v).size(), 48));
      }
      ctx.io.out << fmt::format("{:<{}}  {:<{}}  {}\n", "PATH", w1, "VALUE", w2, "SOURCE");
      for (auto& [path, v, src] : rows) {
        std::string value = ScalarText(v);
        if (value.size() > 48) value = value.substr(0, 45) + "...";
        ctx.io.out << fmt::format("{:<{}}  {:<{}}  {}\n", path, w1, value, w2, src);
      }
    }
  } else {
    config::EmitOptions eo;
    if (out_format == config::Format::kEnv) eo.env_prefix = a.env_prefix;
    auto text = config::EmitDocument(shown, out_format, eo);
    if (!text) return ctx.Fail(text.error());
    ctx.io.out << *text;
    if (!text->empty() && text->back() != '\n') ctx.io.out << "\n";
  }
  if (!loaded->problems.empty()) {
    PrintProblems(ctx.io.err, *loaded);
    return exit_code::kProblemsFound;
  }
  return exit_code::kOk;
}

int RunValidate(CommandContext& ctx, const ConfigArgs& a) {
  auto loaded = Load(a);
  if (!loaded) return ctx.Fail(loaded.error());
  const std::size_t leaves = loaded->document.root.CountLeaves();
  if (a.json) {
    nlohmann::ordered_json problems = nlohmann::ordered_json::array();
    for (const auto& p : loaded->problems) {
      problems.push_back({{"path", p.path.ToString()},
                          {"message", p.message},
                          {"source", SourceOf(loaded->document, p.path)}});
    }
    nlohmann::ordered_json out = {{"valid", loaded->problems.empty()},
                                  {"values", leaves},
                                  {"sensitive", loaded->sensitive.size()},
                                  {"problems", problems}};
    ctx.io.out << out.dump(2) << "\n";
  } else if (loaded->problems.empty()) {
    ctx.io.out << fmt::format("valid: {} values{}, {} sensitive\n", leaves,
                              loaded->schema ? " match the schema" : " loaded (no schema given)",
                              loaded->sensitive.size());
  } else {
    ctx.io.out << fmt::format("invalid: {} problem{}\n", loaded->problems.size(),
                              loaded->problems.size() == 1 ? "" : "s");
    PrintProblems(ctx.io.out, *loaded);
  }
  return loaded->problems.empty() ? exit_code::kOk : exit_code::kProblemsFound;
}

}  // namespace

void RegisterConfigCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* config = app.add_subcommand("config", "Load, merge and validate configuration files");
  config->require_subcommand(1);

  auto load_args = std::make_shared<ConfigArgs>();
  CLI::App* load = config->add_subcommand(
      "load", "Print the merged configuration (sensitive values redacted unless --reveal)");
  AddCommonOptions(load, *load_args);
  load->add_option("--format", load_args->format, "Output format: json|yaml|toml|dotenv|env");
  load->add_flag("--reveal", load_args->reveal, "Show sensitive values in clear");
  load->add_flag("--provenance", load_args->provenance,
                 "Show, for every value, the file:line:column or variable that set it");
  load->callback([&ctx, load_args] { ctx.action = [&ctx, load_args] { return RunLoad(ctx, *load_args); }; });

  auto validate_args = std::make_shared<ConfigArgs>();
  CLI::App* validate = config->add_subcommand(
      "validate", "Validate the merged configuration; exit 1 listing every problem");
  AddCommonOptions(validate, *validate_args);
  validate->add_flag("--json", validate_args->json, "Machine-readable output");
  validate->callback([&ctx, validate_args] {
    ctx.action = [&ctx, validate_args] { return RunValidate(ctx, *validate_args); };
  });
}

}  // namespace bulwark::cli
