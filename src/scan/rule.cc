// Rule files: Bulwark's YAML/JSON format and gitleaks TOML (docs/scan.md sections 2 and 3).
#include "bulwark/scan/rule.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "scan/embedded_rules.h"

namespace bulwark::scan {
namespace {

using config::Path;
using config::Value;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Names the file, position and field of a problem.
class Reader {
 public:
  Reader(const config::Document* doc, std::string source) : doc_(doc), source_(std::move(source)) {}
  std::string Where(const Path& path) const {
    std::string where = source_;
    if (doc_ != nullptr) {
      if (auto loc = doc_->LocationOf(path); loc && loc->line > 0) {
        where = fmt::format("{}:{}:{}", source_, loc->line, loc->column);
      }
    }
    return path.empty() ? where : where + ": " + path.ToString();
  }
  std::unexpected<Error> Fail(const Path& path, std::string_view what) const {
    return InvalidArgumentError(Where(path) + ": " + std::string(what));
  }

 private:
  const config::Document* doc_;
  std::string source_;
};

Result<std::shared_ptr<const re2::RE2>> CompileRegex(const Reader& reader, const Path& path,
                                                     const std::string& pattern) {
  RE2::Options opts;
  opts.set_encoding(RE2::Options::EncodingLatin1);
  opts.set_log_errors(false);
  opts.set_max_mem(std::int64_t{64} << 20);
  auto re = std::make_shared<const re2::RE2>(pattern, opts);
  if (!re->ok()) return reader.Fail(path, "invalid regular expression: " + re->error());
  return std::shared_ptr<const re2::RE2>(std::move(re));
}

Result<std::vector<std::string>> Strings(const Reader& reader, const Value& node, const Path& path,
                                         bool lower) {
  std::vector<std::string> out;
  if (node.is_null()) return out;
  const config::ValueList* list = node.IfList();
  if (list == nullptr) return reader.Fail(path, "expected a list of strings");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string* s = (*list)[i].IfString();
    if (s == nullptr) return reader.Fail(path.Index(i), "expected a string");
    out.push_back(lower ? Lower(*s) : *s);
  }
  return out;
}

// The allowlist at `node` (Bulwark keys, or gitleaks' when `gitleaks`), merged into `out`.
Status ReadAllowlist(const Reader& reader, const Value& node, const Path& path, bool gitleaks,
                     Allowlist& out) {
  const config::ValueMap* map = node.IfMap();
  if (map == nullptr) return reader.Fail(path, "expected a table of paths, regexes, stopwords");
  for (const config::MapEntry& e : *map) {
    const Path p = path.Key(e.key);
    if (e.key == "paths" || e.key == "regexes") {
      BULWARK_ASSIGN_OR_RETURN(auto list, Strings(reader, e.value, p, false));
      for (std::size_t i = 0; i < list.size(); ++i) {
        BULWARK_ASSIGN_OR_RETURN(auto re, CompileRegex(reader, p.Index(i), list[i]));
        (e.key == "paths" ? out.paths : out.regexes).push_back(std::move(re));
      }
    } else if (e.key == "stopwords") {
      BULWARK_ASSIGN_OR_RETURN(auto list, Strings(reader, e.value, p, true));
      out.stopwords.insert(out.stopwords.end(), list.begin(), list.end());
    } else if (e.key == (gitleaks ? "regexTarget" : "regex_target")) {
      const std::string* t = e.value.IfString();
      if (t == nullptr || (*t != "secret" && *t != "match" && *t != "line")) {
        return reader.Fail(p, "expected secret, match or line");
      }
      out.regex_target = *t == "secret"  ? Allowlist::RegexTarget::kSecret
                         : *t == "match" ? Allowlist::RegexTarget::kMatch
                                         : Allowlist::RegexTarget::kLine;
    } else if (gitleaks && (e.key == "commits" || e.key == "description" ||
                            e.key == "condition")) {
      // commits: Bulwark scans no git history. condition: only OR is supported (the default).
      if (e.key == "condition") {
        const std::string* c = e.value.IfString();
        if (c == nullptr || Lower(*c) != "or") {
          return reader.Fail(p, "only condition = \"OR\" is supported");
        }
      }
    } else {
      return reader.Fail(p, "unknown allowlist field");
    }
  }
  return OkStatus();
}

struct FieldNames {
  const char* secret_group;
  bool gitleaks;
};

// Builds one rule from `node`, validating what the schema cannot (groups, regexes).
Result<Rule> ReadRule(const Reader& reader, const Value& node, const Path& path, bool gitleaks) {
  const config::ValueMap* map = node.IfMap();
  if (map == nullptr) return reader.Fail(path, "expected a table");
  Rule rule;
  std::string path_regex;
  bool has_secret_group = false;
  for (const config::MapEntry& e : *map) {
    const Path p = path.Key(e.key);
    const std::string& k = e.key;
    auto str = [&]() -> Result<std::string> {
      const std::string* s = e.value.IfString();
      if (s == nullptr) return reader.Fail(p, "expected a string");
      return *s;
    };
    auto integer = [&]() -> Result<int> {
      if (!e.value.is_int() || e.value.AsInt() < 0 || e.value.AsInt() > 99) {
        return reader.Fail(p, "expected an integer from 0 to 99");
      }
      return static_cast<int>(e.value.AsInt());
    };
    if (k == "id") {
      BULWARK_ASSIGN_OR_RETURN(rule.id, str());
    } else if (k == "description") {
      BULWARK_ASSIGN_OR_RETURN(rule.description, str());
    } else if (k == "regex") {
      BULWARK_ASSIGN_OR_RETURN(rule.regex, str());
    } else if (k == "path") {
      BULWARK_ASSIGN_OR_RETURN(path_regex, str());
    } else if (!gitleaks && k == "prefilter") {
      BULWARK_ASSIGN_OR_RETURN(rule.prefilter, str());
    } else if (k == (gitleaks ? "secretGroup" : "secret_group")) {
      BULWARK_ASSIGN_OR_RETURN(rule.secret_group, integer());
      has_secret_group = true;
    } else if (!gitleaks && k == "key_group") {
      BULWARK_ASSIGN_OR_RETURN(rule.key_group, integer());
    } else if (!gitleaks && (k == "key_words" || k == "key_exclude_words")) {
      BULWARK_ASSIGN_OR_RETURN(auto words, Strings(reader, e.value, p, true));
      (k == "key_words" ? rule.key_words : rule.key_exclude_words) = std::move(words);
    } else if (k == "keywords") {
      BULWARK_ASSIGN_OR_RETURN(rule.keywords, Strings(reader, e.value, p, true));
    } else if (k == "tags") {
      BULWARK_ASSIGN_OR_RETURN(rule.tags, Strings(reader, e.value, p, false));
    } else if (k == "entropy") {
      if (!e.value.is_number() || e.value.AsNumber() < 0 || e.value.AsNumber() > 8) {
        return reader.Fail(p, "expected a number from 0 to 8");
      }
      rule.entropy = e.value.AsNumber();
    } else if (!gitleaks && k == "min_length") {
      if (!e.value.is_int() || e.value.AsInt() < 1) return reader.Fail(p, "expected a positive integer");
      rule.min_length = static_cast<std::size_t>(e.value.AsInt());
    } else if (!gitleaks && k == "multiline") {
      if (!e.value.is_bool()) return reader.Fail(p, "expected true or false");
      rule.multiline = e.value.AsBool();
    } else if (!gitleaks && k == "severity") {
      BULWARK_ASSIGN_OR_RETURN(std::string s, str());
      auto sev = compliance::ParseSeverity(s);
      if (!sev) return reader.Fail(p, sev.error().message());
      rule.severity = *sev;
    } else if (!gitleaks && k == "remediation") {
      BULWARK_ASSIGN_OR_RETURN(rule.remediation, str());
    } else if (k == "allowlist") {
      BULWARK_RETURN_IF_ERROR(ReadAllowlist(reader, e.value, p, gitleaks, rule.allowlist));
    } else if (gitleaks && k == "allowlists") {
      const config::ValueList* list = e.value.IfList();
      if (list == nullptr) return reader.Fail(p, "expected an array of tables");
      for (std::size_t i = 0; i < list->size(); ++i) {
        BULWARK_RETURN_IF_ERROR(
            ReadAllowlist(reader, (*list)[i], p.Index(i), true, rule.allowlist));
      }
    } else {
      return reader.Fail(p, "unknown rule field");
    }
  }
  if (rule.id.empty()) return reader.Fail(path.Key("id"), "a rule needs an id");
  const Path where = path;
  if (rule.regex.empty() && path_regex.empty()) {
    return reader.Fail(where, "rule '" + rule.id + "' needs a regex or a path");
  }
  if (rule.description.empty()) rule.description = rule.id;
  if (!path_regex.empty()) {
    BULWARK_ASSIGN_OR_RETURN(rule.path, CompileRegex(reader, where.Key("path"), path_regex));
  }
  if (!rule.regex.empty()) {
    BULWARK_ASSIGN_OR_RETURN(rule.re, CompileRegex(reader, where.Key("regex"), rule.regex));
    const int groups = rule.re->NumberOfCapturingGroups();
    if (!has_secret_group) rule.secret_group = groups > 0 ? 1 : 0;
    if (rule.secret_group > groups) {
      return reader.Fail(where.Key(gitleaks ? "secretGroup" : "secret_group"),
                         fmt::format("group {} but the regex has {} groups", rule.secret_group,
                                     groups));
    }
    if (rule.key_group > groups) {
      return reader.Fail(where.Key("key_group"),
                         fmt::format("group {} but the regex has {} groups", rule.key_group, groups));
    }
  }
  rule.generic = rule.key_group >= 0;
  if (rule.remediation.empty()) {
    rule.remediation =
        "Revoke or rotate this credential at its issuer, then keep the new one encrypted "
        "(bulwark encrypt, or bulwark scan --fix) or in the store.";
  }
  return rule;
}

Result<std::shared_ptr<const RuleSet>> ParseBulwark(std::string_view text,
                                                    const std::string& source_name) {
  config::ParseOptions popts;
  popts.source_name = source_name;
  popts.max_depth = 32;
  const bool json = source_name.ends_with(".json");
  auto doc = config::ParseDocument(text, json ? config::Format::kJson : config::Format::kYaml, popts);
  if (!doc) return std::unexpected(doc.error().WithContext("parse scan rules"));
  Reader reader(&*doc, source_name);

  static const std::shared_ptr<const config::Schema> schema = [] {
    auto schema_doc = config::ParseDocument(RulesSchemaText(), config::Format::kJson,
                                            {.source_name = "scanrules.schema.json"});
    auto s = config::Schema::Create(schema_doc->root, "scanrules.schema.json");
    return std::shared_ptr<const config::Schema>(std::move(*s));
  }();
  std::vector<config::SchemaError> problems = schema->Validate(doc->root);
  if (!problems.empty()) {
    std::string msg = reader.Where(problems.front().path) + ": " + problems.front().message;
    if (problems.size() > 1) msg += fmt::format(" (and {} more problems)", problems.size() - 1);
    return InvalidArgumentError("scan rules: " + msg);
  }
  std::vector<Rule> rules;
  std::set<std::string, std::less<>> ids;
  const config::ValueList& list = doc->root.Get("rules")->AsList();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Path p = Path().Key("rules").Index(i);
    BULWARK_ASSIGN_OR_RETURN(Rule rule, ReadRule(reader, list[i], p, false));
    if (!ids.insert(rule.id).second) return reader.Fail(p.Key("id"), "duplicate rule id '" + rule.id + "'");
    rules.push_back(std::move(rule));
  }
  Allowlist allow;
  if (const Value* a = doc->root.Get("allowlist")) {
    BULWARK_RETURN_IF_ERROR(ReadAllowlist(reader, *a, Path().Key("allowlist"), false, allow));
  }
  return std::make_shared<const RuleSet>(std::move(rules), std::move(allow));
}

// gitleaks configuration (TOML): [[rules]], [allowlist] / [[allowlists]], title, [extend].
Result<std::shared_ptr<const RuleSet>> ParseGitleaks(std::string_view text,
                                                     const std::string& source_name) {
  config::ParseOptions popts;
  popts.source_name = source_name;
  popts.max_depth = 32;
  auto doc = config::ParseDocument(text, config::Format::kToml, popts);
  if (!doc) return std::unexpected(doc.error().WithContext("parse gitleaks rules"));
  Reader reader(&*doc, source_name);
  const config::ValueMap* root = doc->root.IfMap();
  if (root == nullptr) return reader.Fail(Path(), "expected a table");
  std::vector<Rule> rules;
  Allowlist allow;
  std::set<std::string, std::less<>> ids;
  for (const config::MapEntry& e : *root) {
    const Path p = Path().Key(e.key);
    if (e.key == "title" || e.key == "description" || e.key == "extend") {
      continue;  // Bulwark's built-in rules stay loaded unless --no-builtin-rules
    }
    if (e.key == "allowlist") {
      BULWARK_RETURN_IF_ERROR(ReadAllowlist(reader, e.value, p, true, allow));
    } else if (e.key == "allowlists" && e.value.is_list()) {
      for (std::size_t i = 0; i < e.value.AsList().size(); ++i) {
        BULWARK_RETURN_IF_ERROR(ReadAllowlist(reader, e.value.AsList()[i], p.Index(i), true, allow));
      }
    } else if (e.key == "rules" && e.value.is_list()) {
      for (std::size_t i = 0; i < e.value.AsList().size(); ++i) {
        BULWARK_ASSIGN_OR_RETURN(Rule rule, ReadRule(reader, e.value.AsList()[i], p.Index(i), true));
        if (!ids.insert(rule.id).second) {
          return reader.Fail(p.Index(i).Key("id"), "duplicate rule id '" + rule.id + "'");
        }
        rules.push_back(std::move(rule));
      }
    } else {
      return reader.Fail(p, "unknown gitleaks configuration field");
    }
  }
  return std::make_shared<const RuleSet>(std::move(rules), std::move(allow));
}

bool ContainsStopword(std::string_view secret, const std::vector<std::string>& stopwords) {
  if (stopwords.empty()) return false;
  const std::string lower = Lower(secret);
  return std::any_of(stopwords.begin(), stopwords.end(),
                     [&](const std::string& w) { return lower.find(w) != std::string::npos; });
}

}  // namespace

bool Allowlist::AllowsPath(std::string_view target) const {
  return std::any_of(paths.begin(), paths.end(), [&](const auto& re) {
    return RE2::PartialMatch(re2::StringPiece(target.data(), target.size()), *re);
  });
}

bool Allowlist::AllowsSecret(std::string_view secret, std::string_view match,
                             std::string_view line) const {
  if (ContainsStopword(secret, stopwords)) return true;
  const std::string_view subject = regex_target == RegexTarget::kSecret  ? secret
                                   : regex_target == RegexTarget::kMatch ? match
                                                                         : line;
  return std::any_of(regexes.begin(), regexes.end(), [&](const auto& re) {
    return RE2::PartialMatch(re2::StringPiece(subject.data(), subject.size()), *re);
  });
}

Result<std::shared_ptr<const RuleSet>> RuleSet::Parse(std::string_view text,
                                                      const std::string& source_name) {
  if (source_name.ends_with(".toml")) return ParseGitleaks(text, source_name);
  return ParseBulwark(text, source_name);
}

Result<std::shared_ptr<const RuleSet>> RuleSet::Builtin() {
  static const Result<std::shared_ptr<const RuleSet>> builtin =
      Parse(BuiltinRulesText(), "builtin:secrets.yaml");
  return builtin;
}

Result<std::shared_ptr<const RuleSet>> RuleSet::Merge(
    const std::vector<std::shared_ptr<const RuleSet>>& sets) {
  std::vector<Rule> rules;
  Allowlist allow;
  std::set<std::string, std::less<>> ids;
  for (const auto& set : sets) {
    for (const Rule& r : set->rules()) {
      if (!ids.insert(r.id).second) {
        return InvalidArgumentError("scan rules: rule id '" + r.id +
                                    "' is defined twice (rename one of them)");
      }
      rules.push_back(r);
    }
    const Allowlist& a = set->allowlist();
    allow.paths.insert(allow.paths.end(), a.paths.begin(), a.paths.end());
    allow.regexes.insert(allow.regexes.end(), a.regexes.begin(), a.regexes.end());
    allow.stopwords.insert(allow.stopwords.end(), a.stopwords.begin(), a.stopwords.end());
  }
  return std::make_shared<const RuleSet>(std::move(rules), std::move(allow));
}

std::string_view BuiltinRulesText() { return internal::kBuiltinRules; }
std::string_view RulesSchemaText() { return internal::kRulesSchema; }

}  // namespace bulwark::scan
