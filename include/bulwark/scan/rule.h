// Secret-detection rules and rule sets (docs/scan.md sections 2 and 3).
//
// A RuleSet is the validated, immutable list of rules plus the global allowlist. It is built from
// Bulwark's rule files (YAML or JSON, docs/scanrules.schema.json), from gitleaks TOML
// configurations, or from the built-in rules embedded in the library. Every regular expression is
// RE2 syntax and is compiled once here; a rule that does not compile is rejected with an error
// naming the file, the rule and the field (kInvalidArgument).
//
// Thread safety: a RuleSet is immutable after creation and may be shared between threads.
#ifndef BULWARK_SCAN_RULE_H_
#define BULWARK_SCAN_RULE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/scan/finding.h"

namespace re2 {
class RE2;
}

namespace bulwark::scan {

// Paths, secret regexes and stop words that suppress candidates.
struct Allowlist {
  std::vector<std::shared_ptr<const re2::RE2>> paths;    // against the target name
  std::vector<std::shared_ptr<const re2::RE2>> regexes;  // against the secret (or line/match)
  std::vector<std::string> stopwords;                    // lowercase; contained in the secret
  enum class RegexTarget { kSecret, kMatch, kLine } regex_target = RegexTarget::kSecret;
  bool empty() const { return paths.empty() && regexes.empty() && stopwords.empty(); }
  // True when `target` matches a path pattern.
  bool AllowsPath(std::string_view target) const;
  // True when the secret (or the match or line, per regex_target) is allowed.
  bool AllowsSecret(std::string_view secret, std::string_view match, std::string_view line) const;
};

struct Rule {
  std::string id;
  std::string description;
  std::string regex;  // RE2 syntax; empty for a path-only rule (gitleaks `path`)
  std::shared_ptr<const re2::RE2> re;  // compiled, Latin-1; null for a path-only rule
  // Optional Hyperscan pattern used instead of the regex to find candidate lines; it must match
  // (within the line) wherever the regex does. Empty: derived from the regex.
  std::string prefilter;
  int secret_group = 0;
  int key_group = -1;                     // -1: none
  std::vector<std::string> key_words;          // lowercase; the key must contain one as words
  std::vector<std::string> key_exclude_words;  // lowercase; a key containing one is not a secret
  std::shared_ptr<const re2::RE2> path;         // gitleaks `path`: target must match; may be null
  std::vector<std::string> keywords;            // lowercase literals
  double entropy = 0;
  std::size_t min_length = 1;
  bool multiline = false;
  bool generic = false;  // has a key_group: skipped on decoded text, yields to token rules
  Severity severity = Severity::kHigh;
  std::vector<std::string> tags;
  std::string remediation;
  Allowlist allowlist;
};

class RuleSet {
 public:
  // Parses a Bulwark rule file (YAML or JSON by `source_name`'s extension; YAML otherwise), or a
  // gitleaks TOML configuration when `source_name` ends in ".toml". kInvalidArgument naming
  // source_name, the rule and the field on any problem.
  static Result<std::shared_ptr<const RuleSet>> Parse(std::string_view text,
                                                      const std::string& source_name);
  // The rules embedded in the library (src/scan/rules/secrets.yaml).
  static Result<std::shared_ptr<const RuleSet>> Builtin();
  // Concatenates rule sets; kInvalidArgument on a duplicate rule id. Allowlists are merged.
  static Result<std::shared_ptr<const RuleSet>> Merge(
      const std::vector<std::shared_ptr<const RuleSet>>& sets);

  const std::vector<Rule>& rules() const { return rules_; }
  const Allowlist& allowlist() const { return allowlist_; }

  RuleSet(std::vector<Rule> rules, Allowlist allowlist)
      : rules_(std::move(rules)), allowlist_(std::move(allowlist)) {}

 private:
  std::vector<Rule> rules_;
  Allowlist allowlist_;
};

// The text of the built-in rule file and of docs/scanrules.schema.json.
std::string_view BuiltinRulesText();
std::string_view RulesSchemaText();

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_RULE_H_
