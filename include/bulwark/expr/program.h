// Compiling and evaluating CEL expressions.
//
//   BULWARK_ASSIGN_OR_RETURN(auto program, expr::Program::Compile("item.port > 1024", {}));
//   expr::Activation vars;
//   vars.Bind("item", expr::Value::Borrow(service));   // no copy of the document
//   Result<expr::Value> r = program->Evaluate(vars);
//
// Compile parses, type-checks when declarations are given (CompileOptions::declarations), resolves
// names and builds an evaluation plan: field names are resolved once, constant subexpressions are
// folded, `x in [constant list]` uses a prebuilt set, common shapes (field == 'literal',
// x.startsWith('lit'), size(x) >= n, comprehensions over borrowed lists) run without allocating.
//
// Evaluate returns the value or the CEL evaluation error as kInvalidArgument (message as CEL
// reports it, e.g. "no such key: port"); exceeding the cost budget is kResourceExhausted for that
// evaluation only. A Program is immutable after Compile and may be evaluated from several threads
// at once, each with its own Activation.
#ifndef BULWARK_EXPR_PROGRAM_H_
#define BULWARK_EXPR_PROGRAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/expr/ast.h"
#include "bulwark/expr/checker.h"
#include "bulwark/expr/parser.h"
#include "bulwark/expr/value.h"

namespace bulwark::expr {

// Variable bindings for one evaluation. Names may be qualified ("x.y"); binding a name again
// replaces its value. Values borrowed from documents must outlive the evaluation.
class Activation {
 public:
  void Bind(std::string_view name, Value value);
  void BindNode(std::string_view name, const config::Value& node) {
    Bind(name, Value::Borrow(node));
  }
  // nullptr when unbound.
  const Value* Find(std::string_view name) const;
  bool has_qualified_names() const { return has_qualified_; }

 private:
  std::vector<std::pair<std::string, Value>> vars_;
  bool has_qualified_ = false;
};

// Resource limits of one evaluation. Cost units (as in Kubernetes' CEL cost model): 1 per function
// or operator call, 1 per comprehension iteration, 1 per list/map element created, plus 1 per 10
// characters scanned by string functions and 1 per element scanned by `in` and equality on lists.
struct EvalLimits {
  std::uint64_t cost_budget = 1'000'000;
  std::size_t max_list_size = 100'000;        // elements in a list or map built by the expression
  std::size_t max_string_size = 1024 * 1024;  // bytes in a string or bytes value built
};

struct CompileOptions {
  ParseOptions parse;
  // Namespace for name resolution (CEL "container"), e.g. "com.example".
  std::string container;
  // When set, the expression is type-checked against these declarations before it is planned.
  const Declarations* declarations = nullptr;
  EvalLimits limits;
  // File access for the time-zone database (/usr/share/zoneinfo); the local file system when null.
  std::shared_ptr<FileSystem> fs;
};

struct EvalStats {
  std::uint64_t cost = 0;
};

class Program {
 public:
  static Result<std::unique_ptr<Program>> Compile(std::string_view source,
                                                  const CompileOptions& options = {});
  static Result<std::unique_ptr<Program>> Compile(ParsedExpr parsed,
                                                  const CompileOptions& options = {});
  ~Program();

  Result<Value> Evaluate(const Activation& vars, EvalStats* stats = nullptr) const;
  // As Evaluate, but with an error *value* instead of an Error (the conformance runner uses it).
  Value EvaluateValue(const Activation& vars, EvalStats* stats = nullptr) const;
  // Shortcut for the common boolean rule: true/false, or an error when the result is not a bool.
  Result<bool> EvaluateBool(const Activation& vars) const;

  const std::string& source() const { return source_; }
  // Type deduced by the checker ("dyn" when no declarations were given).
  const std::string& result_type() const { return result_type_; }

  struct Impl;

 private:
  Program();
  std::string source_;
  std::string result_type_ = "dyn";
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::expr

#endif  // BULWARK_EXPR_PROGRAM_H_
