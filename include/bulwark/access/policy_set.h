// A compiled, indexed set of access policies, and the decisions it makes.
//
//   BULWARK_ASSIGN_OR_RETURN(auto set, access::PolicySet::LoadDirectory(fs, home / "policies"));
//   access::Principal alice{.id = "local:alice", .roles = {"operator"}};
//   access::Request req{.principal = &alice, .action = access::Action::kReveal,
//                       .resource = name.ref(&attributes), .facts = {.time_seconds = now}};
//   access::Decision d = set->Decide(req);          // hot path: no explanation, no allocation
//   access::Explanation e = set->Explain(req);      // every candidate and why
//
// Create adds the built-in policy (unless a policy sets settings.builtin: false), sorts the
// policies by name, resolves the role hierarchy, compiles every resource pattern and condition
// once, and indexes the statements by subject (role, group, exact principal id, principal glob,
// anyone), action and, in large buckets, resource prefix (docs/access.md "Evaluation"). Errors
// are kInvalidArgument naming the file, line, policy and statement: duplicate policy names,
// conflicting settings, inheritance cycles, conditions that do not compile.
//
// The decision procedure is docs/access.md "Decisions": environment isolation, then any deny that
// holds (a condition that cannot be evaluated holds: fail closed), then any allow that holds,
// else no-allow. DecideNaive checks every statement one by one, with none of the index; it is the
// reference the index is tested against and what the analyses use.
//
// Thread safety: a PolicySet is immutable; Decide and Explain may run from any number of threads.
// Decisions and explanations point at statements of the set, which must outlive them.
#ifndef BULWARK_ACCESS_POLICY_SET_H_
#define BULWARK_ACCESS_POLICY_SET_H_

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/access/decision.h"
#include "bulwark/access/policy.h"
#include "bulwark/access/request.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/expr/program.h"

namespace bulwark::access {

namespace internal {
struct CompiledStatement;
struct Index;
}  // namespace internal

struct PolicySetOptions {
  // Limits of one condition evaluation (exceeding them is an evaluation error).
  expr::EvalLimits limits{.cost_budget = 100'000, .max_list_size = 10'000,
                          .max_string_size = 64 * 1024};
  // File access for the time-zone database; the local file system when null.
  std::shared_ptr<FileSystem> fs;
};

class PolicySet {
 public:
  static Result<std::shared_ptr<const PolicySet>> Create(std::vector<Policy> policies,
                                                         const PolicySetOptions& options = {});
  // LoadPolicyDirectory + Create.
  static Result<std::shared_ptr<const PolicySet>> LoadDirectory(
      FileSystem& fs, const std::filesystem::path& dir, const PolicySetOptions& options = {});
  ~PolicySet();

  Decision Decide(const Request& request) const;
  Explanation Explain(const Request& request) const;
  Decision DecideNaive(const Request& request) const;
  // The statements (indices into statements()) whose subjects, action and resource match the
  // request, in set order, conditions not evaluated: the candidates of Explain.
  std::vector<std::size_t> MatchingStatements(const Request& request) const;

  // The policies, sorted by name (the built-in one included when active).
  const std::vector<Policy>& policies() const { return policies_; }
  // Every statement in set order.
  std::span<const Statement* const> statements() const { return statements_; }
  const Statement* FindStatement(std::string_view qualified_id) const;
  bool builtin_included() const { return builtin_; }
  bool environment_isolation() const { return isolation_; }

  // The resource's `environment` attribute, else the environment of the first `environments:`
  // pattern that matches it; "" when unknown.
  std::string_view EnvironmentOf(const ResourceRef& resource) const;
  // The environments a principal is bound to (its `environment` attribute); empty when unbound.
  static std::vector<std::string_view> PrincipalEnvironments(const Principal& principal);

  // Every role the set knows (built in, defined, inherited or named by a statement), sorted.
  std::vector<std::string> RoleNames() const;
  // The role and every role it inherits, transitively, sorted; empty for an unknown role.
  std::vector<std::string> RoleClosure(std::string_view role) const;
  bool IsDefinedRole(std::string_view role) const;
  // The principal's effective roles (docs/access.md), sorted.
  std::vector<std::string> EffectiveRoles(const Principal& principal) const;
  // The attribute names declared under `attributes:` of all policies.
  const AttributeDeclarations& declared_attributes() const { return declared_; }
  // environment -> patterns, in set order.
  const std::vector<std::pair<std::string, std::string>>& environment_patterns() const {
    return environment_texts_;
  }

  // Compiled form of statements()[i] (used by the analyses).
  const internal::CompiledStatement& compiled(std::size_t i) const { return *compiled_[i]; }

 private:
  PolicySet();
  friend struct PolicySetBuilder;

  std::vector<Policy> policies_;
  std::vector<const Statement*> statements_;
  std::vector<std::unique_ptr<internal::CompiledStatement>> compiled_;
  std::unique_ptr<internal::Index> index_;
  bool builtin_ = true;
  bool isolation_ = true;
  AttributeDeclarations declared_;
  std::vector<std::pair<std::string, std::string>> environment_texts_;
  std::vector<std::pair<std::string, ResourcePattern>> environments_;
};

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_POLICY_SET_H_
