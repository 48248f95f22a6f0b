#include "bulwark/core/secret_bytes.h"

#include <gtest/gtest.h>

#include <sstream>

namespace bulwark {
namespace {

TEST(SecretBytesTest, PrintsRedacted) {
  auto s = SecretBytes::FromString("hunter2");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted]");
  EXPECT_EQ(os.str().find("hunter2"), std::string::npos);
}

TEST(SecretBytesTest, EqualityComparesContents) {
  EXPECT_EQ(SecretBytes::FromString("abc"), SecretBytes::FromString("abc"));
  EXPECT_FALSE(SecretBytes::FromString("abc") == SecretBytes::FromString("abd"));
  EXPECT_FALSE(SecretBytes::FromString("abc") == SecretBytes::FromString("abcd"));
  EXPECT_EQ(SecretBytes(), SecretBytes());
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  auto a = SecretBytes::FromString("key material");
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(b.RevealAsString(), "key material");
  SecretBytes c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.RevealAsString(), "key material");
}

TEST(SecretBytesTest, ClearZeroesBeforeFreeing) {
  auto s = SecretBytes::FromString("0123456789");
  auto view = s.MutableReveal();
  // Clone keeps its own copy; the original is wiped by Clear.
  SecretBytes copy = s.Clone();
  s.Clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(copy.RevealAsString(), "0123456789");
  (void)view;
}

TEST(SecretBytesTest, ConstantTimeEqualsHandlesLengths) {
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("mac"), std::string_view("mac")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("mac"), std::string_view("ma")));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view(""), std::string_view("")));
}

}  // namespace
}  // namespace bulwark
