#include "bulwark/access/decision.h"

#include <fmt/format.h>

namespace bulwark::access {
namespace {

std::string Where(const Statement& s) {
  std::string loc = s.location.ToString();
  return loc.empty() ? s.QualifiedId() : fmt::format("{} ({})", s.QualifiedId(), loc);
}

}  // namespace

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kAllowed:
      return "allowed";
    case Reason::kDenied:
      return "denied";
    case Reason::kNoAllow:
      return "no-allow";
    case Reason::kEnvironmentIsolation:
      return "environment-isolation";
    case Reason::kInvalidPolicy:
      return "invalid-policy";
  }
  return "unknown";
}

std::string_view ConditionOutcomeName(ConditionOutcome outcome) {
  switch (outcome) {
    case ConditionOutcome::kNone:
      return "unconditional";
    case ConditionOutcome::kTrue:
      return "true";
    case ConditionOutcome::kFalse:
      return "false";
    case ConditionOutcome::kError:
      return "error";
  }
  return "unknown";
}

std::string Decision::Describe() const {
  switch (reason) {
    case Reason::kAllowed:
      return statement != nullptr ? "allowed by statement " + Where(*statement) : "allowed";
    case Reason::kDenied:
      return statement != nullptr ? "denied by statement " + Where(*statement) : "denied";
    case Reason::kNoAllow:
      return "denied: no statement allows it";
    case Reason::kEnvironmentIsolation:
      return "denied by environment isolation (builtin/environment-isolation)";
    case Reason::kInvalidPolicy:
      return "denied: the access policy is invalid or unreadable";
  }
  return "denied";
}

std::string Explanation::ToText() const {
  std::string out = fmt::format("decision: {} ({})\n", decision.allowed ? "allow" : "deny",
                                ReasonName(decision.reason));
  if (decision.reason == Reason::kEnvironmentIsolation) {
    out += "  environment isolation: " + isolation + "\n";
  }
  for (const Statement* s : deciding) {
    out += fmt::format("  {} by {}\n", s->effect == Effect::kDeny ? "denied" : "allowed", Where(*s));
  }
  if (decision.reason == Reason::kNoAllow) out += "  no statement allows this request\n";
  out += fmt::format("effective roles: {}\n",
                     effective_roles.empty() ? std::string("(none)")
                                             : fmt::format("{}", fmt::join(effective_roles, ", ")));
  if (!resource_environment.empty()) {
    out += fmt::format("resource environment: {}\n", resource_environment);
  }
  out += fmt::format("candidate statements: {}\n", candidates.size());
  for (const Candidate& c : candidates) {
    const Statement& s = *c.statement;
    out += fmt::format("  {} {} on {}", EffectName(s.effect), Where(s), c.pattern);
    if (c.condition == ConditionOutcome::kNone) {
      out += ": unconditional";
    } else {
      out += fmt::format(": condition {}", ConditionOutcomeName(c.condition));
    }
    out += c.holds ? " (holds)\n" : " (does not hold)\n";
    if (c.condition == ConditionOutcome::kFalse || c.condition == ConditionOutcome::kError) {
      out += fmt::format("    when: {}\n", s.when);
      if (!c.failed_conjunct.empty()) out += fmt::format("    failed: {}\n", c.failed_conjunct);
      if (!c.missing_attribute.empty()) {
        out += fmt::format("    missing attribute: {}\n", c.missing_attribute);
      } else if (!c.error.empty()) {
        out += fmt::format("    error: {}\n", c.error);
      }
    }
  }
  return out;
}

}  // namespace bulwark::access
