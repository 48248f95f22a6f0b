#include "bulwark/core/error.h"

#include <gtest/gtest.h>

namespace bulwark {
namespace {

Result<int> Parse(int v) {
  if (v < 0) return InvalidArgumentError("parse: negative");
  return v * 2;
}

Result<int> Chain(int v) {
  BULWARK_ASSIGN_OR_RETURN(int doubled, Parse(v));
  return doubled + 1;
}

Status ChainStatus(int v) {
  BULWARK_RETURN_IF_ERROR(Parse(v));
  return OkStatus();
}

TEST(ErrorTest, AssignOrReturnPropagatesValueAndError) {
  EXPECT_EQ(Chain(2).value(), 5);
  auto r = Chain(-1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "parse: negative");
  EXPECT_TRUE(ChainStatus(1).has_value());
  EXPECT_FALSE(ChainStatus(-1).has_value());
}

TEST(ErrorTest, WithContextPrefixesTheMessage) {
  Error e(ErrorCode::kNotFound, "no such key");
  EXPECT_EQ(e.WithContext("get app.port").message(), "get app.port: no such key");
  EXPECT_EQ(e.WithContext("x").code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(), "not found: no such key");
}

TEST(ErrorTest, ExitCodesFollowTheProductContract) {
  EXPECT_EQ(ExitCodeFor(ErrorCode::kInvalidArgument), 2);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kPermissionDenied), 3);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnauthenticated), 3);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kNotFound), 4);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnavailable), 5);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kInternal), 5);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kDataLoss), 1);
}

}  // namespace
}  // namespace bulwark
