// The compiled form of statements and conditions (internal to the access module).
#ifndef BULWARK_SRC_ACCESS_COMPILED_H_
#define BULWARK_SRC_ACCESS_COMPILED_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/access/glob.h"
#include "bulwark/access/policy.h"
#include "bulwark/access/resource.h"
#include "bulwark/expr/ast.h"
#include "bulwark/expr/program.h"

namespace bulwark::access::internal {

// An attribute a condition reads: `principal.tenant`, `request.mfa`, `context.ticket.id`.
struct AttributeRef {
  std::string root;                 // principal | resource | request | context
  std::vector<std::string> fields;  // at least one
  bool test_only = false;           // inside has(): only the parent must exist
  std::string ToString() const;
};

// Every attribute chain rooted at one of the four variables, outermost chains only, in source
// order (a chain read twice is listed once).
std::vector<AttributeRef> CollectAttributeRefs(const expr::Expr& root);

// The top-level conjuncts of a CEL condition (`a && (b || c) && d` -> a, (b || c), d), as
// views into `source`; one element when the condition is not a plain conjunction.
std::vector<std::string_view> SplitConjuncts(std::string_view source);
// The text without white space and parentheses around all of it.
std::string_view StripParens(std::string_view source);
// The top-level disjuncts (`a || b && c` -> a, b && c); one element when there are none.
std::vector<std::string_view> SplitDisjuncts(std::string_view source);

// The top-level conjuncts of a condition, compiled (empty when there are fewer than two).
struct ConjunctSet {
  std::vector<std::string> texts;
  std::vector<std::unique_ptr<expr::Program>> programs;
  std::vector<std::vector<AttributeRef>> refs;
  bool empty() const { return programs.empty(); }
  std::size_t size() const { return programs.size(); }
};

struct CompiledCondition {
  std::string source;
  std::unique_ptr<expr::Program> program;
  std::vector<AttributeRef> refs;
  // Reads no variable at all (its value is a constant).
  bool constant = false;

  // The conjuncts, compiled on first use (only explanations and analyses need them, and a large
  // policy set should not pay for them up front). Thread-safe.
  const ConjunctSet& Conjuncts() const;

  expr::EvalLimits limits;
  std::shared_ptr<FileSystem> fs;
  mutable std::once_flag conjuncts_once;
  mutable ConjunctSet conjuncts;
};

// Compiles a condition: kInvalidArgument with the CEL error (line:column and caret) otherwise.
Result<std::unique_ptr<CompiledCondition>> CompileCondition(std::string_view source,
                                                            const expr::CompileOptions& options);

struct CompiledStatement {
  const Statement* statement = nullptr;
  std::uint32_t index = 0;  // in set order
  Effect effect = Effect::kAllow;
  ActionSet actions;
  bool any_principal = false;           // principals contains "*"
  std::vector<Glob> principal_globs;    // other principal patterns ('\0' separator)
  std::vector<ResourcePattern> patterns;
  std::unique_ptr<CompiledCondition> condition;  // null when unconditional
};

}  // namespace bulwark::access::internal

#endif  // BULWARK_SRC_ACCESS_COMPILED_H_
