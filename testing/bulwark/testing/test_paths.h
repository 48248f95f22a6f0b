// Where tests find the source tree, its data folders and the build tree, resolved at run time.
//
// The paths are not compiled in (no -D with absolute paths), so a test object file does not depend
// on where the repository is checked out and ccache can reuse it across clones (CI builds a fresh
// clone). Resolution: the BULWARK_SOURCE_DIR / BULWARK_BINARY_DIR environment variables when set;
// otherwise the nearest CMakeCache.txt above the running executable gives the build tree, and its
// CMAKE_HOME_DIRECTORY the source tree.
//
// Everything a test or benchmark reads lives inside the source tree: external test vectors in
// testdata/ (testdata/README.md names each folder's origin and licence) and benchmark workloads
// in bench/workloads/. Nothing reads outside the clone. To read one of those files with an error
// that names it when it is missing, use bulwark/testing/test_data.h.
#ifndef BULWARK_TESTING_TEST_PATHS_H_
#define BULWARK_TESTING_TEST_PATHS_H_

namespace bulwark::testing {

const char* TestSourceDir();
const char* TestDataDir();       // <source>/testdata
const char* TestWorkloadsDir();  // <source>/bench/workloads
const char* TestBinaryDir();

}  // namespace bulwark::testing

// Force-included into every test and benchmark (cmake/BulwarkTargets.cmake).
#define BULWARK_SOURCE_DIR (::bulwark::testing::TestSourceDir())
#define BULWARK_TESTDATA_DIR (::bulwark::testing::TestDataDir())
#define BULWARK_WORKLOADS_DIR (::bulwark::testing::TestWorkloadsDir())
#define BULWARK_BINARY_DIR (::bulwark::testing::TestBinaryDir())

#endif  // BULWARK_TESTING_TEST_PATHS_H_
