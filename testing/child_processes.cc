#include "bulwark/testing/child_processes.h"

#include <sys/wait.h>
#include <unistd.h>

#include <utility>

namespace bulwark::testing {

std::vector<std::string> RunInChildProcesses(int count, const std::function<int(int)>& body) {
  std::vector<std::string> failures;
  std::vector<std::pair<int, pid_t>> children;
  for (int i = 0; i < count; ++i) {
    const pid_t child = ::fork();
    if (child < 0) {
      failures.push_back("child " + std::to_string(i) + ": fork failed");
      continue;
    }
    if (child == 0) ::_exit(body(i));
    children.emplace_back(i, child);
  }
  for (const auto& [i, child] : children) {
    int status = 0;
    const std::string name = "child " + std::to_string(i) + ": ";
    if (::waitpid(child, &status, 0) != child) {
      failures.push_back(name + "waitpid failed");
    } else if (WIFSIGNALED(status)) {
      failures.push_back(name + "killed by signal " + std::to_string(WTERMSIG(status)));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      failures.push_back(name + "exit " + std::to_string(WEXITSTATUS(status)));
    }
  }
  return failures;
}

}  // namespace bulwark::testing
