// Test predicate for the outcome of a verification (AuditVerification, ArchiveVerification):
//   EXPECT_TRUE(IsClean(VerifyFile("a.jsonl")));
// fails with the error when the verification could not run, and with its Summary() when it ran
// and found problems; nothing is dereferenced unless it holds a value.
#ifndef BULWARK_SRC_AUDIT_VERIFICATION_FOR_TEST_H_
#define BULWARK_SRC_AUDIT_VERIFICATION_FOR_TEST_H_

#include <gtest/gtest.h>

#include "bulwark/core/error.h"

namespace bulwark::audit {

template <typename Verification>
::testing::AssertionResult IsClean(const Result<Verification>& v) {
  if (!v.has_value()) return ::testing::AssertionFailure() << "did not run: " << v.error();
  if (!v->clean()) return ::testing::AssertionFailure() << v->Summary();
  return ::testing::AssertionSuccess();
}

}  // namespace bulwark::audit

#endif  // BULWARK_SRC_AUDIT_VERIFICATION_FOR_TEST_H_
