// Helpers for the expression engine tests.
#ifndef BULWARK_SRC_EXPR_TEST_UTIL_H_
#define BULWARK_SRC_EXPR_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>

#include "bulwark/expr/program.h"

namespace bulwark::expr::testing {

// Compiles and evaluates `source`; the result (or error) as a Result.
inline Result<Value> RunExpr(const std::string& source, const Activation& vars = {},
                             const CompileOptions& options = {}) {
  BULWARK_ASSIGN_OR_RETURN(auto program, Program::Compile(source, options));
  return program->Evaluate(vars);
}

// The result rendered with Value::DebugString, or "error: <message>".
inline std::string Show(const std::string& source, const Activation& vars = {},
                        const CompileOptions& options = {}) {
  auto r = RunExpr(source, vars, options);
  if (!r) return "error: " + r.error().message();
  return r->DebugString();
}

}  // namespace bulwark::expr::testing

#endif  // BULWARK_SRC_EXPR_TEST_UTIL_H_
