// The CEL type checker.
//
// Given declarations of the variables an expression may use (and their types), Check() rejects
// expressions that cannot run correctly: undeclared identifiers, calls of known functions with
// argument types no overload accepts (`size(1)`, `'a'.startsWith(1)`), operators between
// incompatible types (`1 + 'a'`, `'x' == 1` is allowed: CEL equality is heterogeneous), non-bool
// conditions and predicates. `dyn` (and any unknown function) is accepted everywhere, so the
// checker never rejects a correct expression; it only catches mistakes it can prove.
//
// Types are written as strings: "int", "uint", "double", "bool", "string", "bytes", "null_type",
// "timestamp", "duration", "type", "dyn", "list(T)", "map(K, V)" and extension types ("net.IP",
// "net.CIDR", "semver.Version").
#ifndef BULWARK_EXPR_CHECKER_H_
#define BULWARK_EXPR_CHECKER_H_

#include <map>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/expr/ast.h"
#include "bulwark/expr/parser.h"

namespace bulwark::expr {

struct Declarations {
  // Variable name (possibly qualified) -> type.
  std::map<std::string, std::string, std::less<>> variables;

  Declarations& Add(std::string name, std::string type) {
    variables[std::move(name)] = std::move(type);
    return *this;
  }
};

// Returns the deduced result type, or kInvalidArgument listing the first problem with its
// line:column and caret.
Result<std::string> Check(const ParsedExpr& parsed, const Declarations& decls,
                          std::string_view container = {});

}  // namespace bulwark::expr

#endif  // BULWARK_EXPR_CHECKER_H_
