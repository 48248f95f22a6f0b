// The ConfigStore conformance suite: every backend instantiates it with
// INSTANTIATE_TEST_SUITE_P(Name, StoreConformanceTest, ::testing::Values(Backend{...})).
#ifndef BULWARK_SRC_STORE_STORE_CONFORMANCE_H_
#define BULWARK_SRC_STORE_STORE_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "bulwark/store/config_store.h"
#include "bulwark/testing/fake_runtime.h"
#include "store/test_database.h"

namespace bulwark::store::testing {

struct Backend {
  const char* name;
  Result<std::unique_ptr<TestDatabase>> (*make)();
};
inline void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }
inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  Runtime runtime() const;

  std::shared_ptr<bulwark::testing::FakeClock> clock_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ConfigStore> store_;
};

}  // namespace bulwark::store::testing

#endif  // BULWARK_SRC_STORE_STORE_CONFORMANCE_H_
