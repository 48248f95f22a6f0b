#include "bulwark/monitor/alert_rule.h"

#include <fmt/format.h>

#include <set>

#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "bulwark/core/duration.h"
#include "bulwark/expr/program.h"
#include "bulwark/expr/template.h"

namespace bulwark::monitor {
namespace internal {
extern const std::string_view kAlertRulesSchema;
extern const std::string_view kBuiltinAlertRules;
}  // namespace internal

namespace {

constexpr std::chrono::seconds kMaxWindow{7 * 86400};
constexpr std::chrono::seconds kMaxCooldown{30 * 86400};

class RuleReader {
 public:
  RuleReader(const config::Document& doc, std::string source)
      : doc_(doc), source_(std::move(source)) {}

  std::string Where(const config::Path& path) const {
    std::optional<config::SourceLocation> loc = doc_.LocationOf(path);
    return loc ? loc->ToString() : source_;
  }
  // "<file:line:col>: rule ID: <path>: <message>".
  std::unexpected<Error> Fail(const config::Path& path, std::string_view id,
                              std::string_view message) const {
    std::string out = Where(path) + ": ";
    if (!id.empty()) out += fmt::format("rule {}: ", id);
    if (!path.empty()) out += path.ToString() + ": ";
    out += message;
    return InvalidArgumentError(std::move(out));
  }

 private:
  const config::Document& doc_;
  std::string source_;
};

std::string StringOr(const config::Value& map, std::string_view key) {
  const config::Value* v = map.Get(key);
  const std::string* s = v != nullptr ? v->IfString() : nullptr;
  return s != nullptr ? *s : std::string();
}

Result<std::chrono::seconds> DurationField(const config::Value& v) {
  if (v.is_int()) {
    if (v.AsInt() < 0) return InvalidArgumentError("expected a duration >= 0");
    return std::chrono::seconds(v.AsInt());
  }
  return ParseDuration(v.AsString());
}

Status CompileCheck(std::string_view source, const expr::Declarations& decls) {
  expr::CompileOptions options;
  options.declarations = &decls;
  auto program = expr::Program::Compile(source, options);
  if (!program) return std::unexpected(program.error());
  return OkStatus();
}

}  // namespace

const expr::Declarations& RuleDeclarations() {
  static const expr::Declarations* decls = [] {
    auto* d = new expr::Declarations();
    d->Add("event", "map(string, dyn)")
        .Add("event_time", "timestamp")
        .Add("settings", "map(string, dyn)");
    return d;
  }();
  return *decls;
}

const expr::Declarations& SummaryDeclarations() {
  static const expr::Declarations* decls = [] {
    auto* d = new expr::Declarations(RuleDeclarations());
    d->Add("group", "string").Add("count", "int").Add("rule", "string");
    return d;
  }();
  return *decls;
}

std::string_view AlertRulesSchemaText() { return internal::kAlertRulesSchema; }

Result<std::vector<AlertRule>> ParseAlertRules(std::string_view text, std::string source_name) {
  config::ParseOptions popts;
  popts.source_name = source_name;
  popts.max_depth = 64;
  const bool json = source_name.ends_with(".json");
  auto doc =
      config::ParseDocument(text, json ? config::Format::kJson : config::Format::kYaml, popts);
  if (!doc) return std::unexpected(doc.error().WithContext("parse alert rules"));
  RuleReader reader(*doc, source_name);

  static const config::Schema* schema = [] {
    auto schema_doc = config::ParseDocument(AlertRulesSchemaText(), config::Format::kJson,
                                            {.source_name = "alertrules.schema.json"});
    if (!schema_doc) return static_cast<config::Schema*>(nullptr);
    auto s = config::Schema::Create(schema_doc->root, "alertrules.schema.json");
    return s ? s->release() : nullptr;
  }();
  if (schema == nullptr) return InternalError("alert rules: the compiled-in schema is invalid");
  std::vector<config::SchemaError> problems = schema->Validate(doc->root);
  if (!problems.empty()) {
    const config::Path& p = problems.front().path;
    std::string id;
    if (p.size() >= 2 && p.segments()[0].is_key() && p.segments()[0].key() == "rules" &&
        p.segments()[1].is_index()) {
      if (const config::Value* r =
              config::Find(doc->root, config::Path().Key("rules").Index(p.segments()[1].index()))) {
        id = StringOr(*r, "id");
      }
    }
    auto e = reader.Fail(p, id, problems.front().message);
    std::string msg = e.error().message();
    if (problems.size() > 1) msg += fmt::format(" (and {} more problems)", problems.size() - 1);
    return InvalidArgumentError("alert rules: " + msg);
  }

  std::vector<AlertRule> out;
  std::set<std::string, std::less<>> ids;
  const config::ValueList& rules = doc->root.Get("rules")->AsList();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const config::Value& r = rules[i];
    const config::Path at = config::Path().Key("rules").Index(i);
    AlertRule rule;
    rule.id = StringOr(r, "id");
    if (!ids.insert(rule.id).second) return reader.Fail(at.Key("id"), rule.id, "duplicate rule id");
    rule.title = StringOr(r, "title");
    rule.description = StringOr(r, "description");
    BULWARK_ASSIGN_OR_RETURN(rule.severity, ParseSeverity(StringOr(r, "severity")));
    rule.condition = StringOr(r, "condition");
    rule.group_by = StringOr(r, "group_by");
    rule.summary = StringOr(r, "summary");
    if (const config::Value* w = r.Get("window")) {
      auto d = DurationField(*w);
      if (!d) return reader.Fail(at.Key("window"), rule.id, d.error().message());
      if (*d < std::chrono::seconds(1) || *d > kMaxWindow) {
        return reader.Fail(at.Key("window"), rule.id, "expected a window in [1s, 1w]");
      }
      rule.window = *d;
    }
    if (const config::Value* t = r.Get("threshold")) {
      rule.threshold = static_cast<std::uint32_t>(t->AsInt());
    }
    if (const config::Value* c = r.Get("cooldown")) {
      auto d = DurationField(*c);
      if (!d) return reader.Fail(at.Key("cooldown"), rule.id, d.error().message());
      if (*d > kMaxCooldown) {
        return reader.Fail(at.Key("cooldown"), rule.id, "expected a cool-down of at most 30d");
      }
      rule.cooldown = *d;
    }
    if (const config::Value* ch = r.Get("channels")) {
      for (const config::Value& c : ch->AsList()) rule.channels.push_back(c.AsString());
    }
    if (const config::Value* en = r.Get("enabled")) rule.enabled = en->AsBool();
    rule.source = reader.Where(at);

    auto check = [&](std::string_view field, std::string_view source,
                     const expr::Declarations& decls) -> Status {
      auto s = CompileCheck(source, decls);
      if (!s) {
        return reader.Fail(at.Key(std::string(field)), rule.id,
                           "does not compile: " + s.error().message());
      }
      return OkStatus();
    };
    BULWARK_RETURN_IF_ERROR(check("condition", rule.condition, RuleDeclarations()));
    if (!rule.group_by.empty()) {
      BULWARK_RETURN_IF_ERROR(check("group_by", rule.group_by, RuleDeclarations()));
    }
    auto segments = expr::SplitTemplate(rule.summary);
    if (!segments) return reader.Fail(at.Key("summary"), rule.id, segments.error().message());
    for (const auto& seg : *segments) {
      if (seg.is_expression) {
        BULWARK_RETURN_IF_ERROR(check("summary", seg.text, SummaryDeclarations()));
      }
    }
    out.push_back(std::move(rule));
  }
  return out;
}

Result<std::vector<AlertRule>> LoadAlertRulesFile(const FileSystem& fs,
                                                  const std::filesystem::path& path) {
  auto text = fs.ReadFile(path, 16 << 20);
  if (!text) return std::unexpected(text.error().WithContext("read alert rules"));
  return ParseAlertRules(*text, path.string());
}

std::vector<AlertRule> BuiltinAlertRules() {
  auto rules = ParseAlertRules(internal::kBuiltinAlertRules, "builtin");
  // The built-in file is tested (alert_rule_test.cc); a broken one is a build defect.
  if (!rules) return {};
  for (auto& r : *rules) r.source = "builtin";
  return std::move(*rules);
}

}  // namespace bulwark::monitor
