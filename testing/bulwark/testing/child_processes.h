// RunInChildProcesses: runs the same body in several forked processes at once, for tests of
// cross-process races (file locks around read-modify-write).
//
// Forks `count` children; child i runs body(i) and exits with its return value (0 = success;
// nonzero says which step failed, since a child cannot report through the test framework), never
// returning into the test. The parent waits for every child and returns one description per
// child that did not exit with 0 ("child 2: exit 3", "child 0: killed by signal 6"): an empty
// vector means all succeeded. A failed fork is reported the same way.
//
// Call it before the test starts threads (fork copies only the calling thread).
#ifndef BULWARK_TESTING_CHILD_PROCESSES_H_
#define BULWARK_TESTING_CHILD_PROCESSES_H_

#include <functional>
#include <string>
#include <vector>

namespace bulwark::testing {

std::vector<std::string> RunInChildProcesses(int count, const std::function<int(int)>& body);

}  // namespace bulwark::testing

#endif  // BULWARK_TESTING_CHILD_PROCESSES_H_
