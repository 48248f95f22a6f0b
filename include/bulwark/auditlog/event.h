// Audit events: the CloudEvents 1.0 JSON document recorded for every service operation, the
// security impact classifier that annotates it, and the keyed value hash used wherever a
// sensitive value must be referenced (see docs/audit.md for the format and the default rules).
//
// An event is built from a request::AuditRecord:
//   {"specversion": "1.0", "id": <32 hex random>, "source": <source URI>,
//    "type": "dev.bulwark." + operation (e.g. "dev.bulwark.config.put"), "time": RFC 3339 UTC,
//    "subject": namespace, "datacontenttype": "application/json",
//    "data": {"actor": {"id", "kind", "roles"}, "operation", "action", "namespace", "paths",
//             "sensitive_paths", "revealed", "outcome", "reason"?, "version_before"?,
//             "version_after"?, "request": {"source_address", "client", "request_id"},
//             "impact": {"level": "critical"|"high"|"medium"|"low", "reasons": [...]}}}
// The leaf bytes of the Merkle log are the RFC 8785 canonical form of that document (jcs.h).
// Records carry no values, so events never contain one; AuditValueHash gives the only form in
// which a value may be referenced.
//
// Classifier rules are data (JSON): {"rules": [{"name", "level", "reason", "when": {...}}]}.
// A rule matches when every condition in "when" holds; conditions (all optional):
//   "actions":     action names, any of            "outcomes":   outcome names, any of
//   "operations":  globs over the operation name   "namespaces": globs over the namespace
//   "paths":       globs, some touched path matches
//   "sensitive":   true = some sensitive path was touched
//   "revealed":    true/false = plaintext of sensitive values was (not) returned
// Globs use fnmatch(3) without flags: "*" matches any characters, including ".".
// The event's level is the highest level of the matching rules ("low" when none matches); its
// reasons are the matching rules' reasons in rule order.
//
// Thread safety: ImpactClassifier is immutable after creation; functions are thread-safe.
#ifndef BULWARK_AUDITLOG_EVENT_H_
#define BULWARK_AUDITLOG_EVENT_H_

#include <bitset>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/request/audit_record.h"

namespace bulwark::audit {

enum class ImpactLevel : std::uint8_t { kLow = 0, kMedium = 1, kHigh = 2, kCritical = 3 };
std::string_view ImpactLevelName(ImpactLevel level);
Result<ImpactLevel> ParseImpactLevel(std::string_view name);

struct Impact {
  ImpactLevel level = ImpactLevel::kLow;
  std::vector<std::string> reasons;
};

// The rules compiled into Bulwark (docs/audit.md lists them).
std::string_view DefaultImpactRules();

class ImpactClassifier {
 public:
  // Parses a rules document; InvalidArgument naming the rule index and field otherwise.
  static Result<ImpactClassifier> FromJson(std::string_view text);
  static ImpactClassifier Default();

  Impact Classify(const request::AuditRecord& record) const;

  // A glob of a rule, prepared for matching (event.cc).
  struct Pattern {
    std::string text;
    bool star_only = false;  // only '*' and literal characters
  };

 private:
  struct Rule {
    std::string name;
    ImpactLevel level;
    std::string reason;
    std::vector<std::string> actions, outcomes, operations, namespaces, paths;
    std::optional<bool> sensitive, revealed;
    // Compiled when parsed: the enum values named by actions/outcomes, and the globs.
    std::bitset<256> action_set, outcome_set;
    std::vector<Pattern> operation_globs, namespace_globs, path_globs;
  };
  std::vector<Rule> rules_;
};

// The CloudEvents document of `record`. `id` is the event id, `source` its source URI.
nlohmann::json BuildEvent(const request::AuditRecord& record, const Impact& impact,
                          std::string_view id, std::string_view source);

// Canonical leaf bytes (RFC 8785) of an event document.
Result<std::string> EventLeaf(const nlohmann::json& event);

// The same bytes as EventLeaf(BuildEvent(record, impact, id, source)), written directly without
// building the JSON document (the append path: about 20x less CPU; strings are validated and
// escaped in one pass). Same errors (invalid UTF-8, an integer beyond 2^53).
Result<std::string> RecordLeaf(const request::AuditRecord& record, const Impact& impact,
                               std::string_view id, std::string_view source);

// "hmac-sha256:" + hex(HMAC-SHA256(key, namespace || 0x00 || path || 0x00 || value)): the form
// in which a value may be referenced in audit output, and what `bulwark audit hash` prints.
Result<std::string> AuditValueHash(const SecretBytes& key, std::string_view namespace_name,
                                   std::string_view path, std::string_view value);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDITLOG_EVENT_H_
