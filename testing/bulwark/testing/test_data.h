// The data files tests and benchmarks read: external vectors under testdata/ and benchmark
// workloads under bench/workloads/, both inside the repository (testdata/README.md).
//
// A missing or unreadable data file must fail the test with a message naming the file, never
// crash it: read through ReadDataFile and stop on its error, e.g.
//   auto text = testing::ReadDataFile(testing::TestDataPath("sarif/sarif-schema-2.1.0.json"));
//   ASSERT_TRUE(text) << text.error();
#ifndef BULWARK_TESTING_TEST_DATA_H_
#define BULWARK_TESTING_TEST_DATA_H_

#include <string>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::testing {

// <source>/testdata/<relative> and <source>/bench/workloads/<relative>.
std::string TestDataPath(std::string_view relative);
std::string WorkloadPath(std::string_view relative);

// The whole content of `path`. kNotFound when it does not exist, kUnavailable when it cannot be
// read; both messages name the file and say that it belongs to the repository.
Result<std::string> ReadDataFile(const std::string& path);

}  // namespace bulwark::testing

#endif  // BULWARK_TESTING_TEST_DATA_H_
