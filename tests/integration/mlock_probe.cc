// bulwark-mlock-probe: asks the kernel for mlockall(MCL_CURRENT | MCL_FUTURE) under whatever
// limits and capabilities the caller set up, and says whether it was granted. The agent tests use
// it to learn whether the environment enforces the memory-lock limit at all (some sandboxes grant
// every mlockall) before asserting how the agent behaves when it cannot lock its memory.
// Exit 0: granted; exit 1: refused (errno printed); nothing else is done.
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main() {
  if (::mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
    std::puts("mlockall: granted");
    return 0;
  }
  std::printf("mlockall: %s\n", std::strerror(errno));
  return 1;
}
