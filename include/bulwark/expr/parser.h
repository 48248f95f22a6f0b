// Parsing CEL source text into an AST.
//
// Errors are kInvalidArgument with a message of the form
//   "<line>:<column>: Syntax error: <what>\n | <source line>\n | ....^"
// (line and column are 1-based, the caret line points at the offending character).
#ifndef BULWARK_EXPR_PARSER_H_
#define BULWARK_EXPR_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/expr/ast.h"

namespace bulwark::expr {

struct ParseOptions {
  // Longest accepted source text, in bytes.
  std::size_t max_source_size = 100 * 1024;
  // Deepest accepted syntax tree (nesting of parentheses, calls, operator chains, ...).
  std::size_t max_depth = 250;
  // When false, all(), exists(), ... and has() are ordinary function calls.
  bool enable_macros = true;
};

struct ParsedExpr {
  std::string source;
  ExprPtr root;
};

Result<ParsedExpr> Parse(std::string_view source, const ParseOptions& options = {});

// "line:column" and the caret block for `offset` in `source`, as used in parse errors; also
// used by the checker and the evaluator to point at a node.
std::string DescribeLocation(std::string_view source, std::size_t offset);

}  // namespace bulwark::expr

#endif  // BULWARK_EXPR_PARSER_H_
