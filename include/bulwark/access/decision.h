// What a decision says, and the explanation that may come with it.
#ifndef BULWARK_ACCESS_DECISION_H_
#define BULWARK_ACCESS_DECISION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/access/policy.h"

namespace bulwark::access {

enum class Reason : std::uint8_t {
  kAllowed,               // an allow statement held and no deny did
  kDenied,                // an explicit deny held (or its condition could not be evaluated)
  kNoAllow,               // nothing allowed the request (default deny)
  kEnvironmentIsolation,  // the principal's environments exclude the resource's environment
  kInvalidPolicy,         // the policy set could not be loaded: everything is denied
};
// "allowed", "denied", "no-allow", "environment-isolation", "invalid-policy".
std::string_view ReasonName(Reason reason);

struct Decision {
  bool allowed = false;
  Reason reason = Reason::kNoAllow;
  // The deciding statement: the first deny that held, or the first allow that held; null for
  // kNoAllow, kEnvironmentIsolation and kInvalidPolicy. Points into the PolicySet, which must
  // outlive it.
  const Statement* statement = nullptr;

  // One line for logs and denial messages, e.g. "denied by statement prod/no-reveal
  // (prod.yaml:12:5)" or "denied: no statement allows read on config:a:b".
  std::string Describe() const;
};

// How the condition of a candidate statement came out.
enum class ConditionOutcome : std::uint8_t {
  kNone,   // no condition
  kTrue,
  kFalse,
  kError,  // could not be evaluated (missing attribute, type error, budget)
};
std::string_view ConditionOutcomeName(ConditionOutcome outcome);

// A statement whose subjects, action and resource matched the request.
struct Candidate {
  const Statement* statement = nullptr;
  std::string pattern;  // the resource pattern that matched
  ConditionOutcome condition = ConditionOutcome::kNone;
  bool holds = false;   // whether it takes effect (true/none; and error for a deny)
  // kFalse: the first top-level conjunct that was false ("" when the condition is one conjunct).
  // kError: the attribute that was missing ("request.mfa"), and the evaluation error.
  std::string failed_conjunct;
  std::string missing_attribute;
  std::string error;
};

struct Explanation {
  Decision decision;
  // Every statement that decided: all denies that held (kDenied), all allows that held
  // (kAllowed); empty otherwise.
  std::vector<const Statement*> deciding;
  // Every candidate, in policy-set order.
  std::vector<Candidate> candidates;
  std::vector<std::string> effective_roles;  // sorted
  std::string resource_environment;          // "" when unknown
  std::string isolation;                     // kEnvironmentIsolation: why

  // Several lines: the decision, the deciding statements, then each candidate with its outcome
  // and, for a denial by default, the allows whose conditions failed and why.
  std::string ToText() const;
};

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_DECISION_H_
