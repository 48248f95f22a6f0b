#include "bulwark/core/stop_signal.h"

#include <pthread.h>
#include <signal.h>

#include <thread>

namespace bulwark {

void RunUntilStopSignal(const std::function<void(std::stop_token)>& work,
                        const std::function<void()>& started) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  {
    std::jthread worker([&work](std::stop_token st) { work(st); });
    if (started) started();
    int sig = 0;
    sigwait(&set, &sig);
    worker.request_stop();
  }  // joins
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace bulwark
