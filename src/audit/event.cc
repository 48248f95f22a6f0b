#include "bulwark/audit/event.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>

#include "bulwark/audit/jcs.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::audit {
namespace {

// The default rules. Keep docs/audit.md ("Impact rules") in sync.
constexpr std::string_view kDefaultRules = R"json({
  "rules": [
    {"name": "tls-weakened", "level": "critical",
     "reason": "TLS or encryption setting changed",
     "when": {"actions": ["write", "delete"], "outcomes": ["success"],
              "paths": ["ssl_mode", "*.ssl_mode", "sslmode", "*.sslmode", "tls", "tls.*", "*.tls",
                        "*.tls.*", "verify", "*.verify", "*.verify_*", "encryption", "encryption.*",
                        "*.encryption", "*.encryption.*", "*.insecure*", "insecure*"]}},
    {"name": "access-policy-changed", "level": "high",
     "reason": "access policy changed",
     "when": {"actions": ["write", "delete", "admin"], "outcomes": ["success"],
              "paths": ["policy", "policy.*", "*.policy", "*.policy.*", "acl", "acl.*", "*.acl",
                        "*.acl.*", "access.*", "*.access.*", "roles.*", "*.roles.*"]}},
    {"name": "access-policy-operation", "level": "high",
     "reason": "access policy changed",
     "when": {"operations": ["policy.*", "*.policy.*", "acl.*"], "outcomes": ["success"]}},
    {"name": "sensitive-value-changed", "level": "high",
     "reason": "a sensitive value changed",
     "when": {"actions": ["write", "delete", "rotate"], "outcomes": ["success"], "sensitive": true}},
    {"name": "production-changed", "level": "high",
     "reason": "production changed",
     "when": {"actions": ["write", "delete", "rotate", "admin"], "outcomes": ["success"],
              "namespaces": ["production", "production/*", "prod", "prod/*", "*/production",
                             "*/production/*", "*/prod", "*/prod/*"]}},
    {"name": "emergency-approval", "level": "high",
     "reason": "emergency approval used",
     "when": {"actions": ["approve"], "outcomes": ["success"]}},
    {"name": "sensitive-revealed", "level": "medium",
     "reason": "sensitive values revealed",
     "when": {"revealed": true, "outcomes": ["success"]}},
    {"name": "denied", "level": "medium",
     "reason": "operation denied",
     "when": {"outcomes": ["denied"]}},
    {"name": "failed-write", "level": "low",
     "reason": "operation failed",
     "when": {"outcomes": ["failure"]}}
  ]
})json";

bool Glob(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool AnyGlob(const std::vector<std::string>& patterns, const std::string& text) {
  for (const auto& p : patterns) {
    if (Glob(p, text)) return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& list, std::string_view v) {
  for (const auto& s : list) {
    if (s == v) return true;
  }
  return false;
}

}  // namespace

std::string_view ImpactLevelName(ImpactLevel level) {
  switch (level) {
    case ImpactLevel::kLow:
      return "low";
    case ImpactLevel::kMedium:
      return "medium";
    case ImpactLevel::kHigh:
      return "high";
    case ImpactLevel::kCritical:
      return "critical";
  }
  return "low";
}

Result<ImpactLevel> ParseImpactLevel(std::string_view name) {
  if (name == "low") return ImpactLevel::kLow;
  if (name == "medium") return ImpactLevel::kMedium;
  if (name == "high") return ImpactLevel::kHigh;
  if (name == "critical") return ImpactLevel::kCritical;
  return InvalidArgumentError(
      fmt::format("impact level '{}': expected critical, high, medium or low", name));
}

std::string_view DefaultImpactRules() { return kDefaultRules; }

Result<ImpactClassifier> ImpactClassifier::FromJson(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("rules") ||
      !doc["rules"].is_array()) {
    return InvalidArgumentError("impact rules: expected a JSON object with a \"rules\" array");
  }
  ImpactClassifier c;
  std::size_t i = 0;
  for (const auto& r : doc["rules"]) {
    auto bad = [&](std::string_view field) {
      return InvalidArgumentError(
          fmt::format("impact rules: rule {}: bad or missing '{}'", i, field));
    };
    if (!r.is_object()) return bad("rule");
    Rule rule;
    if (!r.contains("name") || !r["name"].is_string()) return bad("name");
    rule.name = r["name"].get<std::string>();
    if (!r.contains("level") || !r["level"].is_string()) return bad("level");
    auto level = ParseImpactLevel(r["level"].get<std::string>());
    if (!level) return bad("level");
    rule.level = *level;
    if (!r.contains("reason") || !r["reason"].is_string()) return bad("reason");
    rule.reason = r["reason"].get<std::string>();
    if (r.contains("when")) {
      const auto& w = r["when"];
      if (!w.is_object()) return bad("when");
      for (auto it = w.begin(); it != w.end(); ++it) {
        const std::string& key = it.key();
        std::vector<std::string>* list = nullptr;
        if (key == "actions")
          list = &rule.actions;
        else if (key == "outcomes")
          list = &rule.outcomes;
        else if (key == "operations")
          list = &rule.operations;
        else if (key == "namespaces")
          list = &rule.namespaces;
        else if (key == "paths")
          list = &rule.paths;
        if (list != nullptr) {
          if (!it->is_array()) return bad(key);
          for (const auto& s : *it) {
            if (!s.is_string()) return bad(key);
            list->push_back(s.get<std::string>());
          }
        } else if (key == "sensitive" || key == "revealed") {
          if (!it->is_boolean()) return bad(key);
          (key == "sensitive" ? rule.sensitive : rule.revealed) = it->get<bool>();
        } else {
          return bad(fmt::format("when.{}", key));
        }
      }
    }
    c.rules_.push_back(std::move(rule));
    ++i;
  }
  return c;
}

ImpactClassifier ImpactClassifier::Default() {
  auto c = FromJson(kDefaultRules);
  return std::move(*c);  // the embedded rules are tested to parse
}

Impact ImpactClassifier::Classify(const service::AuditRecord& rec) const {
  Impact impact;
  const std::string action(service::ActionName(rec.action));
  const std::string outcome(service::OutcomeName(rec.outcome));
  for (const Rule& r : rules_) {
    if (!r.actions.empty() && !Contains(r.actions, action)) continue;
    if (!r.outcomes.empty() && !Contains(r.outcomes, outcome)) continue;
    if (!r.operations.empty() && !AnyGlob(r.operations, rec.operation)) continue;
    if (!r.namespaces.empty() && !AnyGlob(r.namespaces, rec.namespace_name)) continue;
    if (!r.paths.empty()) {
      bool any = false;
      for (const auto& p : rec.paths) any = any || AnyGlob(r.paths, p);
      for (const auto& p : rec.sensitive_paths) any = any || AnyGlob(r.paths, p);
      if (!any) continue;
    }
    if (r.sensitive && *r.sensitive != !rec.sensitive_paths.empty()) continue;
    if (r.revealed && *r.revealed != rec.revealed) continue;
    if (r.level > impact.level) impact.level = r.level;
    if (!Contains(impact.reasons, r.reason)) impact.reasons.push_back(r.reason);
  }
  return impact;
}

nlohmann::json BuildEvent(const service::AuditRecord& r, const Impact& impact, std::string_view id,
                          std::string_view source) {
  nlohmann::json data;
  data["actor"] = {{"id", r.context.principal.id},
                   {"kind", r.context.principal.kind},
                   {"roles", r.context.principal.roles}};
  data["operation"] = r.operation;
  data["action"] = std::string(service::ActionName(r.action));
  data["namespace"] = r.namespace_name;
  data["paths"] = r.paths;
  data["sensitive_paths"] = r.sensitive_paths;
  data["revealed"] = r.revealed;
  data["outcome"] = std::string(service::OutcomeName(r.outcome));
  if (!r.reason.empty()) data["reason"] = r.reason;
  if (r.version_before) data["version_before"] = *r.version_before;
  if (r.version_after) data["version_after"] = *r.version_after;
  data["request"] = {{"source_address", r.context.source_address},
                     {"client", r.context.client},
                     {"request_id", r.context.request_id}};
  data["impact"] = {{"level", std::string(ImpactLevelName(impact.level))},
                    {"reasons", impact.reasons}};
  nlohmann::json ev;
  ev["specversion"] = "1.0";
  ev["id"] = std::string(id);
  ev["source"] = std::string(source);
  ev["type"] = "dev.bulwark." + r.operation;
  ev["time"] = FormatRfc3339(r.time);
  if (!r.namespace_name.empty()) ev["subject"] = r.namespace_name;
  ev["datacontenttype"] = "application/json";
  ev["data"] = std::move(data);
  return ev;
}

Result<std::string> EventLeaf(const nlohmann::json& event) { return CanonicalizeJson(event); }

namespace {

// RFC 8785 string: only '"', '\\' and control characters are escaped (ECMAScript JSON.stringify).
void PutString(std::string& out, std::string_view s) { AppendJcsString(out, s); }

void PutStrings(std::string& out, const std::vector<std::string>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    PutString(out, v[i]);
  }
  out += ']';
}

bool AllValidUtf8(const service::AuditRecord& r, const Impact& impact, std::string_view id,
                  std::string_view source) {
  auto all = [](const std::vector<std::string>& v) {
    return std::all_of(v.begin(), v.end(), [](const std::string& s) { return IsValidUtf8(s); });
  };
  return IsValidUtf8(r.context.principal.id) && IsValidUtf8(r.context.principal.kind) &&
         all(r.context.principal.roles) && IsValidUtf8(r.operation) &&
         IsValidUtf8(r.namespace_name) && all(r.paths) && all(r.sensitive_paths) &&
         IsValidUtf8(r.reason) && IsValidUtf8(r.context.source_address) &&
         IsValidUtf8(r.context.client) && IsValidUtf8(r.context.request_id) &&
         all(impact.reasons) && IsValidUtf8(id) && IsValidUtf8(source);
}

bool ExactInteger(std::optional<std::int64_t> v) {
  constexpr std::int64_t kMax = std::int64_t{1} << 53;
  return !v || (*v <= kMax && *v >= -kMax);
}

}  // namespace

Result<std::string> RecordLeaf(const service::AuditRecord& r, const Impact& impact,
                               std::string_view id, std::string_view source) {
  if (!AllValidUtf8(r, impact, id, source) || !ExactInteger(r.version_before) ||
      !ExactInteger(r.version_after)) {
    return EventLeaf(BuildEvent(r, impact, id, source));  // the reference path reports it
  }
  // Keys in RFC 8785 order (all ASCII, so byte order).
  std::string out;
  out.reserve(768);
  out += "{\"data\":{\"action\":";
  PutString(out, service::ActionName(r.action));
  out += ",\"actor\":{\"id\":";
  PutString(out, r.context.principal.id);
  out += ",\"kind\":";
  PutString(out, r.context.principal.kind);
  out += ",\"roles\":";
  PutStrings(out, r.context.principal.roles);
  out += "},\"impact\":{\"level\":";
  PutString(out, ImpactLevelName(impact.level));
  out += ",\"reasons\":";
  PutStrings(out, impact.reasons);
  out += "},\"namespace\":";
  PutString(out, r.namespace_name);
  out += ",\"operation\":";
  PutString(out, r.operation);
  out += ",\"outcome\":";
  PutString(out, service::OutcomeName(r.outcome));
  out += ",\"paths\":";
  PutStrings(out, r.paths);
  if (!r.reason.empty()) {
    out += ",\"reason\":";
    PutString(out, r.reason);
  }
  out += ",\"request\":{\"client\":";
  PutString(out, r.context.client);
  out += ",\"request_id\":";
  PutString(out, r.context.request_id);
  out += ",\"source_address\":";
  PutString(out, r.context.source_address);
  out += "},\"revealed\":";
  out += r.revealed ? "true" : "false";
  out += ",\"sensitive_paths\":";
  PutStrings(out, r.sensitive_paths);
  if (r.version_after) out += fmt::format(",\"version_after\":{}", *r.version_after);
  if (r.version_before) out += fmt::format(",\"version_before\":{}", *r.version_before);
  out += "},\"datacontenttype\":\"application/json\",\"id\":";
  PutString(out, id);
  out += ",\"source\":";
  PutString(out, source);
  out += ",\"specversion\":\"1.0\"";
  if (!r.namespace_name.empty()) {
    out += ",\"subject\":";
    PutString(out, r.namespace_name);
  }
  out += ",\"time\":";
  PutString(out, FormatRfc3339(r.time));
  out += ",\"type\":";
  PutString(out, "dev.bulwark." + r.operation);
  out += '}';
  return out;
}

Result<std::string> AuditValueHash(const SecretBytes& key, std::string_view ns,
                                   std::string_view path, std::string_view value) {
  std::string msg;
  msg.reserve(ns.size() + path.size() + value.size() + 2);
  msg.append(ns).push_back('\0');
  msg.append(path).push_back('\0');
  msg.append(value);
  auto tag = crypto::HmacSha256(
      key, std::span(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()));
  SecureZero(msg);
  if (!tag) return std::unexpected(tag.error());
  return "hmac-sha256:" + HexEncode(*tag);
}

}  // namespace bulwark::audit
