// Analyses of policy sets: lint, who-can and diff (docs/access.md "Analysis").
//
// who-can and diff decide symbolically: the statements that match a request on subjects, action
// and resource are found by the engine; each top-level conjunct of their conditions is an unknown
// (an "atom"), except conjuncts that read only the resource's own fields, which are evaluated; the
// decision is then a Boolean function of the atoms (no deny term holds and some allow term does),
// enumerated over every assignment (at most kMaxAtoms atoms) and printed as a minimal sum of
// products ("always" when it holds for every assignment). Atoms are treated as independent, so
// `request.mfa` and `!request.mfa` are two atoms; a condition shown may then include combinations
// that cannot happen.
//
// diff compares two sets on sample requests: every subject of either set (each role, principal,
// principal glob and group named, and "anyone"), every action, and resources drawn from the
// patterns: one example per pattern and one per overlapping pair of patterns (a witness found in
// the product of their automata), restricted to the patterns of statements that changed when
// nothing else (roles, settings, environments) changed. A change that only shows on a resource
// matched by three or more patterns in a particular way can be missed: diff is a review aid,
// `access test` is the specification.
#ifndef BULWARK_ACCESS_ANALYSIS_H_
#define BULWARK_ACCESS_ANALYSIS_H_

#include <string>
#include <vector>

#include "bulwark/access/policy_set.h"

namespace bulwark::access {

inline constexpr std::size_t kMaxAtoms = 12;

struct LintFinding {
  // "never-applies", "shadowed", "unknown-attribute", "unknown-role", "star-on-production".
  std::string kind;
  const Statement* statement = nullptr;
  std::string message;
  // "<file:line:col>: POLICY/ID: KIND: MESSAGE".
  std::string ToString() const;
};

// Findings for every statement outside the built-in policy, sorted by file and line.
std::vector<LintFinding> Lint(const PolicySet& set);

// Who a request is made as, in the analyses.
struct Subject {
  enum class Kind { kRole, kPrincipal, kPrincipalGlob, kGroup, kAnyone };
  Kind kind = Kind::kAnyone;
  std::string name;
  // "role viewer", "principal local:alice", "principals token:ci-*", "group ops", "anyone".
  std::string Describe() const;
  // A principal standing for the subject: a role subject holds only that role (and what it
  // inherits); a glob subject's id is an example the glob matches.
  Principal AsPrincipal() const;
  friend bool operator==(const Subject&, const Subject&) = default;
};

// Every subject the set names, roles first (sorted), then principals, globs, groups, anyone.
std::vector<Subject> SubjectsOf(const PolicySet& set);

// A statement that takes part in a decision, and when it holds ("always" without condition).
struct ConditionalStatement {
  std::string statement;  // "POLICY/ID", or "builtin/environment-isolation"
  std::string condition;
};

struct WhoCanEntry {
  Subject subject;
  // "always", or the condition under which the subject is allowed, as a minimal sum of products
  // (left empty when it would have more than kMaxShownProducts products: the statements below
  // say it exactly: allowed when an allow holds and no deny does).
  std::string condition;
  std::vector<ConditionalStatement> allows;  // statements that can allow it
  std::vector<ConditionalStatement> denies;  // denies that can still refuse it (conditional)
};
inline constexpr std::size_t kMaxShownProducts = 3;

// The subjects that may perform `action` on `resource` (with its attributes), and through which
// statements. Subjects that can never be allowed are left out.
std::vector<WhoCanEntry> WhoCan(const PolicySet& set, Action action, const ResourceName& resource,
                                const config::Value& resource_attributes);

struct DiffChange {
  Subject subject;
  Action action = Action::kRead;
  std::string pattern;      // where the example comes from: "P" or "P & Q"
  ResourceName example;     // a concrete resource whose decision changes
  bool now_allowed = false;  // granted by the change (true) or revoked (false)
  // "always", or when the change holds, among requests that one of the two sets allows
  // (assignments under which both deny are left to the minimization as don't-cares, so the
  // conditions of unchanged denies drop out).
  std::string condition;
  std::string before;       // deciding statement(s) before, "" for none
  std::string after;        // deciding statement(s) after
};

// The (subject, action, resource pattern) triples whose decision changes from `before` to
// `after`, sorted by subject, action and pattern.
std::vector<DiffChange> Diff(const PolicySet& before, const PolicySet& after);

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_ANALYSIS_H_
