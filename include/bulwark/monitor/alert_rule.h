// Alert rules as data: YAML rule files (kind AlertRules, docs/monitor.md "Rule files", JSON
// Schema docs/alertrules.schema.json compiled in) and the built-in rules.
//
// Parsing validates the file against the schema, then every field (durations, severities, ids
// unique within the file) and compiles every CEL expression against the rule variables (`event`,
// `event_time`, `settings`; summaries also `group`, `count`, `rule`), so a rule that loads can be
// evaluated. Errors are kInvalidArgument "<file>:<line>:<col>: rule <id>: <path>: <what>".
//
// Thread safety: values and pure functions.
#ifndef BULWARK_MONITOR_ALERT_RULE_H_
#define BULWARK_MONITOR_ALERT_RULE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/expr/checker.h"
#include "bulwark/monitor/alert.h"

namespace bulwark::monitor {

struct AlertRule {
  std::string id, title, description;
  Severity severity = Severity::kMedium;
  std::string condition;                         // CEL bool over the rule variables
  std::optional<std::chrono::seconds> window;    // set: a windowed rule
  std::uint32_t threshold = 0;                   // with window: alert when the count exceeds it
  std::string group_by;                          // CEL; "" = one group
  std::string summary;                           // template; "" = the title
  std::vector<std::string> channels;             // empty = every channel
  std::optional<std::chrono::seconds> cooldown;  // unset = the monitor's default
  bool enabled = true;
  std::string source;  // "builtin" or "<file>:<line>:<col>" of the rule
};

// The variables a rule's condition and group_by may use; summaries add `group`, `count`,
// `rule` (SummaryDeclarations).
const expr::Declarations& RuleDeclarations();
const expr::Declarations& SummaryDeclarations();

Result<std::vector<AlertRule>> ParseAlertRules(std::string_view text, std::string source_name);
// Reads and parses a rule file (YAML, or JSON when it ends in .json).
Result<std::vector<AlertRule>> LoadAlertRulesFile(const FileSystem& fs,
                                                  const std::filesystem::path& path);

// The compiled-in rules (docs/monitor.md "Built-in rules"), source "builtin".
std::vector<AlertRule> BuiltinAlertRules();

// The JSON Schema of rule files (docs/alertrules.schema.json).
std::string_view AlertRulesSchemaText();

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_ALERT_RULE_H_
