#include "bulwark/compliance/rule_pack.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "bulwark/expr/template.h"
#include "compliance/compiled_rule.h"

namespace bulwark::compliance {
namespace {

bool IsIdentStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// Context for error messages while reading one pack.
class PackReader {
 public:
  PackReader(const config::Document& doc, std::string source)
      : doc_(doc), source_(std::move(source)) {}

  std::string Where(const config::Path& path) const {
    std::optional<config::SourceLocation> loc = doc_.LocationOf(path);
    if (!loc) return source_;
    return loc->ToString();
  }
  // "<file:line:col>: rule ID: <message>" (the rule part when the path is inside a rule).
  std::string Message(const config::Path& path, std::string_view message) const {
    std::string out = Where(path) + ": ";
    if (path.size() >= 2 && path.segments()[0].is_key() && path.segments()[0].key() == "rules" &&
        path.segments()[1].is_index()) {
      const config::Value* id = config::Find(
          doc_.root, config::Path().Key("rules").Index(path.segments()[1].index()).Key("id"));
      if (id != nullptr && id->is_string()) out += "rule " + id->AsString() + ": ";
    }
    if (!path.empty()) out += path.ToString() + ": ";
    out += message;
    return out;
  }
  std::unexpected<Error> Fail(const config::Path& path, std::string_view message) const {
    return InvalidArgumentError(Message(path, message));
  }

 private:
  const config::Document& doc_;
  std::string source_;
};

const std::string* StringAt(const config::Value& map, std::string_view key) {
  const config::Value* v = map.Get(key);
  return v != nullptr ? v->IfString() : nullptr;
}

std::string StringOr(const config::Value& map, std::string_view key) {
  const std::string* s = StringAt(map, key);
  return s != nullptr ? *s : std::string();
}

}  // namespace

namespace internal {

std::optional<config::Path> SingleChainPath(std::string_view s, std::string_view var) {
  std::optional<config::Path> found;
  bool any = false;
  std::size_t i = 0;
  char quote = 0;
  while (i < s.size()) {
    char c = s[i];
    if (quote != 0) {
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == quote) quote = 0;
      ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      ++i;
      continue;
    }
    if (!IsIdentStart(c) || (i > 0 && (IsIdentChar(s[i - 1]) || s[i - 1] == '.'))) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < s.size() && IsIdentChar(s[i])) ++i;
    if (s.substr(start, i - start) != var) continue;
    // Read `.ident` segments; a segment followed by '(' is a method call and ends the chain.
    config::Path path;
    while (i < s.size() && s[i] == '.' && i + 1 < s.size() && IsIdentStart(s[i + 1])) {
      std::size_t b = i + 1;
      std::size_t e = b;
      while (e < s.size() && IsIdentChar(s[e])) ++e;
      if (e < s.size() && s[e] == '(') break;
      path = path.Key(std::string(s.substr(b, e - b)));
      i = e;
    }
    if (any && (!found || *found != path)) return std::nullopt;
    any = true;
    found = path;
  }
  if (!found || found->empty()) return std::nullopt;
  return found;
}

bool PlainConfigChain(std::string_view s, config::Path* path) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.starts_with("config")) return false;
  config::Path p;
  std::size_t i = 6;
  while (i < s.size()) {
    if (s[i] != '.' || i + 1 >= s.size() || !IsIdentStart(s[i + 1])) return false;
    std::size_t e = i + 1;
    while (e < s.size() && IsIdentChar(s[e])) ++e;
    p = p.Key(std::string(s.substr(i + 1, e - i - 1)));
    i = e;
  }
  *path = std::move(p);
  return true;
}

}  // namespace internal

std::string_view FixOpName(FixOp op) {
  switch (op) {
    case FixOp::kReplace:
      return "replace";
    case FixOp::kAdd:
      return "add";
    case FixOp::kRemove:
      return "remove";
  }
  return "replace";
}

bool Rule::AppliesIn(std::string_view env) const {
  return environments.empty() ||
         std::find(environments.begin(), environments.end(), env) != environments.end();
}

bool Rule::EnabledIn(std::string_view env) const {
  auto it = overrides.find(env);
  if (it != overrides.end() && it->second.enabled) return *it->second.enabled;
  return enabled;
}

Severity Rule::SeverityIn(std::string_view env) const {
  auto it = overrides.find(env);
  if (it != overrides.end() && it->second.severity) return *it->second.severity;
  return severity;
}

RulePack::RulePack() = default;
RulePack::~RulePack() = default;

Result<std::unique_ptr<RulePack>> RulePack::LoadFile(FileSystem& fs,
                                                     const std::filesystem::path& path,
                                                     const RulePackOptions& options) {
  auto text = fs.ReadFile(path, 16 << 20);
  if (!text) return std::unexpected(text.error().WithContext("read rule pack"));
  return Parse(*text, path.string(), options);
}

Result<std::unique_ptr<RulePack>> RulePack::Parse(std::string_view text, std::string source_name,
                                                  const RulePackOptions& options) {
  config::ParseOptions popts;
  popts.source_name = source_name;
  popts.max_depth = 64;
  const bool json = source_name.ends_with(".json");
  auto doc =
      config::ParseDocument(text, json ? config::Format::kJson : config::Format::kYaml, popts);
  if (!doc) return std::unexpected(doc.error().WithContext("parse rule pack"));
  PackReader reader(*doc, source_name);

  // Structure: the embedded JSON Schema.
  auto schema_doc = config::ParseDocument(RulePackSchemaText(), config::Format::kJson,
                                          {.source_name = "rulepack.schema.json"});
  if (!schema_doc) return std::unexpected(schema_doc.error());
  auto schema = config::Schema::Create(schema_doc->root, "rulepack.schema.json");
  if (!schema) return std::unexpected(schema.error());
  std::vector<config::SchemaError> problems = (*schema)->Validate(doc->root);
  if (!problems.empty()) {
    std::string msg = reader.Message(problems.front().path, problems.front().message);
    if (problems.size() > 1) msg += fmt::format(" (and {} more problems)", problems.size() - 1);
    return InvalidArgumentError("rule pack: " + msg);
  }

  std::unique_ptr<RulePack> pack(new RulePack());
  const config::Value& root = doc->root;
  pack->name_ = StringOr(root, "name");
  pack->description_ = StringOr(root, "description");
  pack->source_ = source_name;

  expr::CompileOptions copts;
  copts.limits = options.limits;

  const config::ValueList& rules = root.Get("rules")->AsList();
  std::set<std::string, std::less<>> ids;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const config::Value& r = rules[i];
    const config::Path rpath = config::Path().Key("rules").Index(i);
    Rule rule;
    rule.id = StringOr(r, "id");
    if (!ids.insert(rule.id).second) return reader.Fail(rpath.Key("id"), "duplicate rule id");
    rule.title = StringOr(r, "title");
    rule.description = StringOr(r, "description");
    BULWARK_ASSIGN_OR_RETURN(rule.severity, ParseSeverity(StringOr(r, "severity")));
    if (const config::Value* fw = r.Get("frameworks")) {
      for (const config::MapEntry& e : fw->AsMap()) {
        FrameworkRef ref{e.key, {}};
        for (const config::Value& c : e.value.AsList()) ref.controls.push_back(c.AsString());
        rule.frameworks.push_back(std::move(ref));
      }
    }
    rule.foreach_expr = StringOr(r, "foreach");
    rule.when_expr = StringOr(r, "when");
    rule.check_expr = StringOr(r, "check");
    rule.message = StringOr(r, "message");
    if (rule.message.empty()) rule.message = rule.title;
    rule.remediation = StringOr(r, "remediation");
    if (const config::Value* en = r.Get("enabled")) rule.enabled = en->AsBool();
    if (const config::Value* envs = r.Get("environments")) {
      for (const config::Value& e : envs->AsList()) rule.environments.push_back(e.AsString());
    }
    if (const config::Value* fix = r.Get("fix")) {
      FixSpec spec;
      const std::string op = StringOr(*fix, "op");
      spec.op = op == "add" ? FixOp::kAdd : op == "remove" ? FixOp::kRemove : FixOp::kReplace;
      auto p = config::Path::Parse(StringOr(*fix, "path"));
      if (!p) return reader.Fail(rpath.Key("fix").Key("path"), p.error().message());
      spec.path = std::move(*p);
      if (const config::Value* v = fix->Get("value")) spec.value = *v;
      if (spec.op != FixOp::kRemove && !spec.value) {
        return reader.Fail(rpath.Key("fix"), "fix op " + op + " needs a value");
      }
      rule.fix = std::move(spec);
    }
    if (const config::Value* p = r.Get("path")) {
      auto parsed = config::Path::Parse(p->AsString());
      if (!parsed) return reader.Fail(rpath.Key("path"), parsed.error().message());
      rule.target_path = std::move(*parsed);
    } else if (rule.fix) {
      rule.target_path = rule.fix->path;
    } else {
      rule.target_path =
          internal::SingleChainPath(rule.check_expr, rule.foreach_expr.empty() ? "config" : "item");
    }
    if (const config::Value* ov = r.Get("overrides")) {
      for (const config::MapEntry& e : ov->AsMap()) {
        EnvironmentOverride o;
        if (const config::Value* en = e.value.Get("enabled")) o.enabled = en->AsBool();
        if (const std::string* sev = StringAt(e.value, "severity")) {
          BULWARK_ASSIGN_OR_RETURN(o.severity, ParseSeverity(*sev));
        }
        rule.overrides.emplace(e.key, o);
      }
    }
    if (auto loc = doc->LocationOf(rpath)) rule.location = std::move(*loc);

    // Compile every expression once.
    auto compiled = std::make_unique<CompiledRule>();
    auto compile = [&](std::string_view field, const std::string& source,
                       std::unique_ptr<expr::Program>* out) -> Status {
      auto program = expr::Program::Compile(source, copts);
      if (!program) {
        std::string msg = reader.Message(rpath.Key(std::string(field)),
                                         "does not compile: " + program.error().message());
        if (options.reject_invalid_expressions) return InvalidArgumentError(msg);
        if (!compiled->compile_error) compiled->compile_error = msg;
        return {};
      }
      *out = std::move(*program);
      return {};
    };
    if (!rule.foreach_expr.empty()) {
      BULWARK_RETURN_IF_ERROR(compile("foreach", rule.foreach_expr, &compiled->foreach_program));
      config::Path fp;
      if (internal::PlainConfigChain(rule.foreach_expr, &fp)) compiled->foreach_path = fp;
    }
    if (!rule.when_expr.empty()) {
      BULWARK_RETURN_IF_ERROR(compile("when", rule.when_expr, &compiled->when_program));
    }
    BULWARK_RETURN_IF_ERROR(compile("check", rule.check_expr, &compiled->check_program));
    auto segments = expr::SplitTemplate(rule.message);
    if (!segments) {
      std::string msg = reader.Message(rpath.Key("message"), segments.error().message());
      if (options.reject_invalid_expressions) return InvalidArgumentError(msg);
      if (!compiled->compile_error) compiled->compile_error = msg;
    } else {
      for (auto& [is_expr, text] : *segments) {
        CompiledRule::Segment seg;
        if (is_expr) {
          BULWARK_RETURN_IF_ERROR(compile("message", text, &seg.program));
          if (!seg.program) seg.literal = "{{ " + text + " }}";
        } else {
          seg.literal = std::move(text);
        }
        compiled->message.push_back(std::move(seg));
      }
    }
    pack->rules_.push_back(std::move(rule));
    pack->compiled_.push_back(std::move(compiled));
  }
  return pack;
}

}  // namespace bulwark::compliance
