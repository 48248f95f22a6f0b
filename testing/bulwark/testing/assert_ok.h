// ASSERT_OK_AND_ASSIGN: the way a test takes the value out of a bulwark::Result.
//
//   ASSERT_OK_AND_ASSIGN(config::Document doc, config::LoadFile(fs, path));
//
// evaluates the Result once; on an error it records a fatal failure carrying the error (code and
// message) and returns from the enclosing function, so nothing after it runs on a missing value;
// otherwise it moves the value into the declaration or lvalue on the left. As with ASSERT_*, the
// enclosing function must return void: a helper that produces a value returns a Result of it and
// the test asserts on that (helpers never EXPECT a result and then use it).
#ifndef BULWARK_TESTING_ASSERT_OK_H_
#define BULWARK_TESTING_ASSERT_OK_H_

#include <gtest/gtest.h>

#include <ostream>
#include <type_traits>
#include <utility>

#include "bulwark/core/error.h"

#define BULWARK_ASSERT_OK_CONCAT_INNER_(a, b) a##b
#define BULWARK_ASSERT_OK_CONCAT_(a, b) BULWARK_ASSERT_OK_CONCAT_INNER_(a, b)

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                                          \
  BULWARK_ASSERT_OK_AND_ASSIGN_IMPL_(BULWARK_ASSERT_OK_CONCAT_(bulwark_assert_result_, __LINE__), \
                                     lhs, rexpr)

#define BULWARK_ASSERT_OK_AND_ASSIGN_IMPL_(result, lhs, rexpr) \
  auto result = (rexpr);                                       \
  ASSERT_TRUE(result.has_value()) << result.error();           \
  lhs = std::move(*result)

// ASSERT_OK(status_or_result): fails fatally with the error when it holds one.
#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    const auto& bulwark_status_ = (expr);                                \
    ASSERT_TRUE(bulwark_status_.has_value()) << bulwark_status_.error(); \
  } while (false)

namespace bulwark {

// gtest printer for a Result, so that EXPECT_EQ(result, value) shows the value or the error.
template <typename T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  if constexpr (std::is_void_v<T>) {
    if (r.has_value()) *os << "ok";
  } else if (r.has_value()) {
    *os << ::testing::PrintToString(*r);
  }
  if (!r.has_value()) *os << "error: " << r.error();
}

}  // namespace bulwark

#endif  // BULWARK_TESTING_ASSERT_OK_H_
