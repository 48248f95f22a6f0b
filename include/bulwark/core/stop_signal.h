// Running a daemon's work until SIGINT or SIGTERM (`bulwark audit ship`, `bulwark monitor`).
//
// RunUntilStopSignal blocks SIGINT and SIGTERM in the calling thread (so every thread started
// from here on inherits the mask and no handler ever runs concurrently with the work), starts
// `work` on a std::jthread, calls `started` (a banner), waits for one of the signals with
// sigwait, requests stop, joins the worker and restores the signal mask. `work` must return
// soon after its stop_token is triggered.
//
// Thread safety: call from the thread that owns the process's signal handling (the main one).
#ifndef BULWARK_CORE_STOP_SIGNAL_H_
#define BULWARK_CORE_STOP_SIGNAL_H_

#include <functional>
#include <stop_token>

namespace bulwark {

void RunUntilStopSignal(const std::function<void(std::stop_token)>& work,
                        const std::function<void()>& started = {});

}  // namespace bulwark

#endif  // BULWARK_CORE_STOP_SIGNAL_H_
