// The CEL abstract syntax tree produced by the parser.
//
// Operators are calls with CEL's internal names ("_+_", "_&&_", "!_", "-_", "_?_:_", "_[_]",
// "@in"). Macros are expanded by the parser into `kComprehension` nodes (all, exists, exists_one,
// map, filter) and test-only selects (has). Every node records the byte offset of its token in the
// source, for error messages, and the height of its subtree (the parser rejects trees deeper than
// ParseOptions::max_depth so that later recursive passes cannot exhaust the stack).
#ifndef BULWARK_EXPR_AST_H_
#define BULWARK_EXPR_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bulwark/expr/value.h"

namespace bulwark::expr {

enum class ExprKind : std::uint8_t {
  kConst,
  kIdent,
  kSelect,
  kCall,
  kList,
  kMap,
  kStruct,
  kComprehension,
};

// Two-variable forms (cel-go's macros2: all(i, v, p), transformList, transformMap) bind the index
// or key to `name` and the element or value to `iter_var2`.
enum class MacroKind : std::uint8_t {
  kAll,
  kExists,
  kExistsOne,
  kMap,
  kMapFilter,
  kFilter,
  kTransformList,
  kTransformListFilter,
  kTransformMap,
  kTransformMapFilter,
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kConst;
  std::uint32_t offset = 0;  // byte offset in the source
  std::uint32_t height = 1;  // 1 for leaves

  Value constant;             // kConst
  std::string name;           // kIdent name (may start with '.'), kSelect field, kCall function,
                              // kStruct type name, kComprehension iteration variable
  ExprPtr target;             // kSelect operand, kCall receiver (nullable), kComprehension range
  bool test_only = false;     // kSelect from has()
  std::vector<ExprPtr> args;  // kCall arguments, kList elements, kComprehension body
                              // ([predicate], [transform] or [filter, transform])
  // kMap: keys[i] -> args[i]; kStruct: field_names[i] -> args[i].
  std::vector<ExprPtr> keys;
  std::vector<std::string> field_names;
  MacroKind macro = MacroKind::kAll;  // kComprehension
  std::string iter_var2;              // kComprehension, two-variable forms only
};

}  // namespace bulwark::expr

#endif  // BULWARK_EXPR_AST_H_
