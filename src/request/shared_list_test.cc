#include "bulwark/request/shared_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulwark::request {
namespace {

TEST(SharedList, CopiesShareTheElementsUntilOneIsWritten) {
  SharedList<std::string> a = std::vector<std::string>{"x", "y"};
  SharedList<std::string> b = a;
  EXPECT_TRUE(a.SharesWith(b));
  EXPECT_EQ(&a[0], &b[0]);  // one copy of the elements
  b.push_back("z");
  EXPECT_FALSE(a.SharesWith(b));
  EXPECT_EQ(a, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(b, (std::vector<std::string>{"x", "y", "z"}));
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.size(), 3u);
}

TEST(SharedList, AnUnsharedListIsWrittenInPlace) {
  SharedList<std::string> a;
  a.reserve(4);
  a.push_back("x");
  const std::string* first = &a[0];
  a.push_back("y");
  EXPECT_EQ(&a[0], first);  // no copy: reserved and not shared
  EXPECT_EQ(a.get(), (std::vector<std::string>{"x", "y"}));
}

TEST(SharedList, ReadsLikeAVector) {
  const SharedList<int> empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.begin(), empty.end());
  EXPECT_EQ(empty, std::vector<int>{});
  const SharedList<int> list = {3, 1, 2};
  const std::vector<int>& v = list;  // implicit view as a vector
  EXPECT_EQ(v, (std::vector<int>{3, 1, 2}));
  int sum = 0;
  for (int x : list) sum += x;
  EXPECT_EQ(sum, 6);
  EXPECT_EQ(list.front(), 3);
  EXPECT_EQ(list.back(), 2);
  EXPECT_EQ(list, (SharedList<int>{3, 1, 2}));  // equal elements, not shared
  EXPECT_FALSE(list == (SharedList<int>{3, 1}));
}

}  // namespace
}  // namespace bulwark::request
