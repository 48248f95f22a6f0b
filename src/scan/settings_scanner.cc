#include "bulwark/scan/settings_scanner.h"

#include <fmt/format.h>

#include <cctype>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/config/format.h"
#include "bulwark/config/path.h"

namespace bulwark::scan {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The nearest key at or above `p` ("" at the root), and the key above that.
std::pair<std::string, std::string> Keys(const config::Path& p) {
  std::vector<std::string> keys;
  for (const auto& seg : p.segments()) {
    if (seg.is_key()) keys.push_back(seg.key());
  }
  std::string k = keys.empty() ? "" : keys.back();
  std::string pk = keys.size() < 2 ? "" : keys[keys.size() - 2];
  return {k, pk};
}

std::string Text(const config::Value& v, std::string& kind) {
  switch (v.type()) {
    case config::ValueType::kBool: kind = "bool"; return v.AsBool() ? "true" : "false";
    case config::ValueType::kInt: kind = "int"; return std::to_string(v.AsInt());
    case config::ValueType::kDouble: kind = "double"; return fmt::format("{}", v.AsDouble());
    case config::ValueType::kString: kind = "string"; return Lower(v.AsString());
    case config::ValueType::kNull: kind = "null"; return "";
    default: kind = "other"; return "";
  }
}

}  // namespace

config::Value LeavesView(const config::Value& root, std::vector<std::string>& paths) {
  config::ValueList leaves;
  config::WalkLeaves(root, [&](const config::Path& p, const config::Value& v) {
    if (v.is_container() || v.is_bytes()) return;
    std::string kind;
    std::string text = Text(v, kind);
    auto [key, pkey] = Keys(p);
    config::ValueMap m;
    m.Set("path", config::Value(p.ToString()));
    m.Set("key", config::Value(key));
    m.Set("parent", config::Value(p.Parent().ToString()));
    m.Set("pkey", config::Value(pkey));
    m.Set("kind", config::Value(kind));
    m.Set("text", config::Value(std::move(text)));
    leaves.emplace_back(std::move(m));
    paths.push_back(p.ToString());
  });
  config::ValueMap view;
  view.Set("leaves", config::Value(std::move(leaves)));
  return config::Value(std::move(view));
}

Result<std::unique_ptr<SettingsScanner>> SettingsScanner::Create(
    std::vector<std::shared_ptr<const compliance::RulePack>> packs, std::string environment) {
  BULWARK_ASSIGN_OR_RETURN(auto engine, compliance::Engine::Create(std::move(packs)));
  return std::unique_ptr<SettingsScanner>(new SettingsScanner(
      std::shared_ptr<const compliance::Engine>(std::move(engine)), std::move(environment)));
}

Result<std::unique_ptr<SettingsScanner>> SettingsScanner::CreateBuiltin(std::string environment) {
  BULWARK_ASSIGN_OR_RETURN(auto pack, compliance::LoadBuiltinPack("security"));
  return Create({std::shared_ptr<const compliance::RulePack>(std::move(pack))}, std::move(environment));
}

Status SettingsScanner::Scan(const Target& target, std::vector<Finding>& out) const {
  std::optional<config::Format> format;
  if (!target.format.empty()) {
    if (auto f = config::ParseFormatName(target.format)) format = *f;
  } else if (target.kind == Target::Kind::kFile) {
    if (auto f = config::FormatFromPath(target.path)) format = *f;
  }
  if (!format) return OkStatus();
  std::string text;
  if (target.kind == Target::Kind::kFile) {
    auto fs = NewLocalFileSystem();
    auto read = fs->ReadFile(target.path, std::size_t{64} << 20);
    if (!read) return OkStatus();  // too large or unreadable: the secret scanner reports it
    text = std::move(*read);
  } else {
    text = target.content;
  }
  auto doc = config::ParseDocument(text, *format, {.source_name = target.name});
  if (!doc) return OkStatus();
  ScanDocument(*doc, target.name, out);
  return OkStatus();
}

void SettingsScanner::ScanDocument(const config::Document& doc, const std::string& target_name,
                                   std::vector<Finding>& out) const {
  std::vector<std::string> paths;
  config::Document view;
  view.root = LeavesView(doc.root, paths);
  compliance::Report report =
      engine_->Evaluate(view, {.target = target_name, .environment = environment_});
  for (const compliance::Finding& cf : report.findings) {
    const compliance::RuleResult& rule = report.RuleOf(cf);
    // "leaves[N]..." -> the leaf's own path.
    std::string path = cf.path;
    if (path.starts_with("leaves[")) {
      const std::size_t close = path.find(']');
      const std::size_t n = std::stoul(path.substr(7, close - 7));
      if (n < paths.size()) path = paths[n];
    }
    Finding f;
    f.kind = FindingKind::kSetting;
    f.rule = rule.id;
    f.description = rule.title;
    f.severity = cf.severity;
    f.target = target_name;
    f.path = path;
    if (auto p = config::Path::Parse(path)) {
      if (auto loc = doc.LocationOf(*p); loc && loc->line > 0) {
        f.line = f.end_line = loc->line;
        f.column = f.end_column = loc->column;
      }
    }
    f.message = cf.message;
    f.remediation = rule.remediation;
    const config::Value* leaf = nullptr;
    if (auto p = config::Path::Parse(path)) leaf = config::Find(doc.root, *p);
    std::string kind;
    f.fingerprint = Fingerprint(f.rule, target_name, path, leaf ? Text(*leaf, kind) : "");
    f.fixable = cf.fix.has_value();
    out.push_back(std::move(f));
  }
}

}  // namespace bulwark::scan
