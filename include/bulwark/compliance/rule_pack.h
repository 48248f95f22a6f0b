// Rule packs: security rules as data (YAML), mapped to compliance frameworks.
//
// A pack is a YAML document (format in docs/compliance.md, JSON Schema in
// docs/rulepack.schema.json, checked at load time):
//
//   apiVersion: bulwark/v1
//   kind: RulePack
//   name: baseline
//   rules:
//     - id: SEC_001
//       title: Database connections use TLS
//       severity: critical                       # critical | high | medium | low | info
//       frameworks: { pci-dss: ["4.2.1"], soc2: ["CC6.7"] }
//       foreach: config.services                 # optional CEL list (or map); element = `item`
//       when: item.environment == 'production'   # optional applicability (CEL bool)
//       check: item.database.ssl_mode != 'disable'   # CEL bool; true = compliant
//       message: "TLS disabled for {{ item.name }}"  # {{ CEL }} rendered for findings only
//       remediation: set database.ssl_mode to verify-full
//       fix: { op: replace, path: database.ssl_mode, value: verify-full }  # relative to item
//       environments: [production, staging]      # optional: only items of these environments
//       overrides: { development: { enabled: false }, production: { severity: critical } }
//
// Variables in scope of every expression: `config` (the whole document), `item` (with foreach),
// `env` (the environment of the item, a string, "" when unknown; see engine.h) and `meta` (a map
// with `namespace`, `version` and `labels`); message templates also see `name` (engine.h).
//
// Parsing is strict: the document is validated against the schema and every error names
// "<source>:<line>:<column>" and, inside a rule, the rule id. Every CEL expression (foreach, when,
// check and each {{ }} of the message) is compiled once here. An expression that does not compile
// is an error of the pack when RulePackOptions::reject_invalid_expressions is set; otherwise the
// rule is kept with its compile error and evaluates to an `error` result (the other rules run).
//
// Thread safety: a RulePack is immutable after Parse; concurrent evaluation is safe.
#ifndef BULWARK_COMPLIANCE_RULE_PACK_H_
#define BULWARK_COMPLIANCE_RULE_PACK_H_

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/compliance/severity.h"
#include "bulwark/config/document.h"
#include "bulwark/config/path.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/expr/program.h"

namespace bulwark::compliance {

// One framework a rule maps to, with its control references ("pci-dss", {"4.2.1", "8.3.6"}).
struct FrameworkRef {
  std::string framework;
  std::vector<std::string> controls;
  friend bool operator==(const FrameworkRef&, const FrameworkRef&) = default;
};

enum class FixOp : std::uint8_t { kReplace, kAdd, kRemove };
// "replace", "add", "remove".
std::string_view FixOpName(FixOp op);

// A patch that makes a finding compliant. `path` is relative to the item (foreach rules) or to
// the document root; `value` is set for replace and add.
struct FixSpec {
  FixOp op = FixOp::kReplace;
  config::Path path;
  std::optional<config::Value> value;
};

// Per-environment changes to a rule; unset fields keep the rule's own setting.
struct EnvironmentOverride {
  std::optional<bool> enabled;
  std::optional<Severity> severity;
};

struct Rule {
  std::string id;
  std::string title;
  std::string description;
  Severity severity = Severity::kMedium;
  std::vector<FrameworkRef> frameworks;  // in the order the pack lists them
  std::string foreach_expr;              // "" when the rule applies to the document once
  std::string when_expr;                 // "" = always applicable
  std::string check_expr;
  std::string message;  // template with {{ expr }}
  std::string remediation;
  // Path of the value a finding points at, relative to the item (or root). From the rule's `path`
  // field, else the fix path, else deduced from the check when it reads a single `item.a.b`
  // (`config.a.b`) chain; nullopt when unknown.
  std::optional<config::Path> target_path;
  std::optional<FixSpec> fix;
  // The environments the rule applies to (`environments: [production]`); empty = every one.
  std::vector<std::string> environments;
  bool enabled = true;
  std::map<std::string, EnvironmentOverride, std::less<>> overrides;  // by environment name
  config::SourceLocation location;  // where the rule starts in the pack

  // Whether an item of environment `env` is checked: listed in `environments` (or no list).
  bool AppliesIn(std::string_view env) const;
  bool EnabledIn(std::string_view env) const;
  Severity SeverityIn(std::string_view env) const;
};

struct RulePackOptions {
  // Budget of each single evaluation (foreach, when, check or message template).
  expr::EvalLimits limits;
  bool reject_invalid_expressions = false;
};

class RulePack {
 public:
  // Parses and compiles a pack (YAML or JSON text). kInvalidArgument with
  // "<source>:<line>:<column>: [rule ID: ]<problem>" for anything malformed.
  static Result<std::unique_ptr<RulePack>> Parse(std::string_view text, std::string source_name,
                                                 const RulePackOptions& options = {});
  static Result<std::unique_ptr<RulePack>> LoadFile(FileSystem& fs,
                                                    const std::filesystem::path& path,
                                                    const RulePackOptions& options = {});
  ~RulePack();

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const std::string& source() const { return source_; }
  const std::vector<Rule>& rules() const { return rules_; }

  // Compiled form of rule i (evaluator use). Layout in src/compliance/compiled_rule.h.
  struct CompiledRule;
  const CompiledRule& compiled(std::size_t i) const { return *compiled_[i]; }

 private:
  RulePack();
  std::string name_;
  std::string description_;
  std::string source_;
  std::vector<Rule> rules_;
  std::vector<std::unique_ptr<CompiledRule>> compiled_;
};

// The JSON Schema of the pack format (docs/rulepack.schema.json, embedded at build time).
std::string_view RulePackSchemaText();

}  // namespace bulwark::compliance

#endif  // BULWARK_COMPLIANCE_RULE_PACK_H_
