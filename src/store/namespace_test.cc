#include "bulwark/store/namespace.h"

#include <gtest/gtest.h>

namespace bulwark::store {
namespace {

TEST(NamespaceTest, AcceptsLowercaseSegments) {
  for (const char* ns :
       {"a", "production/orchestrator", "production/payments/api", "x.y_z-1/2", "a/b/c/d/e"}) {
    EXPECT_TRUE(ValidateNamespace(ns).has_value()) << ns;
  }
  EXPECT_TRUE(ValidateNamespace(std::string(kMaxNamespaceLength, 'a')).has_value());
}

TEST(NamespaceTest, RejectsBadNamesAndNamesThem) {
  for (const char* ns : {"", "/a", "a/", "a//b", "Prod", "a b", "a/./b", "..", "a\\b", "é"}) {
    auto st = ValidateNamespace(ns);
    ASSERT_FALSE(st.has_value()) << ns;
    EXPECT_EQ(st.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(st.error().message().find("invalid namespace"), std::string::npos);
  }
  EXPECT_NE(ValidateNamespace("Prod/x").error().message().find("'Prod/x'"), std::string::npos);
  EXPECT_FALSE(ValidateNamespace(std::string(kMaxNamespaceLength + 1, 'a')).has_value());
  // Control characters are escaped in the message.
  EXPECT_NE(ValidateNamespace("a\nb").error().message().find("\\x0a"), std::string::npos);
}

TEST(NamespaceTest, PrefixMayEndWithASlashOrBeEmpty) {
  EXPECT_TRUE(ValidateNamespacePrefix("").has_value());
  EXPECT_TRUE(ValidateNamespacePrefix("production/").has_value());
  EXPECT_TRUE(ValidateNamespacePrefix("production").has_value());
  EXPECT_FALSE(ValidateNamespacePrefix("/").has_value());
  EXPECT_FALSE(ValidateNamespacePrefix("production//").has_value());
}

}  // namespace
}  // namespace bulwark::store
