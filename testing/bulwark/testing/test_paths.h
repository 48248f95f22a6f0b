// Where tests find the source tree, ../shared and the build tree, resolved at run time.
//
// The paths are not compiled in (no -D with absolute paths), so a test object file does not depend
// on where the repository is checked out and ccache can reuse it across clones (CI builds a fresh
// clone). Resolution: the BULWARK_SOURCE_DIR / BULWARK_BINARY_DIR environment variables when set;
// otherwise the nearest CMakeCache.txt above the running executable gives the build tree, and its
// CMAKE_HOME_DIRECTORY the source tree. ../shared is the source tree's sibling.
#ifndef BULWARK_TESTING_TEST_PATHS_H_
#define BULWARK_TESTING_TEST_PATHS_H_

namespace bulwark::testing {

const char* TestSourceDir();
const char* TestSharedDir();
const char* TestBinaryDir();

}  // namespace bulwark::testing

// Force-included into every test and benchmark (cmake/BulwarkTargets.cmake).
#define BULWARK_SOURCE_DIR (::bulwark::testing::TestSourceDir())
#define BULWARK_SHARED_DIR (::bulwark::testing::TestSharedDir())
#define BULWARK_BINARY_DIR (::bulwark::testing::TestBinaryDir())

#endif  // BULWARK_TESTING_TEST_PATHS_H_
