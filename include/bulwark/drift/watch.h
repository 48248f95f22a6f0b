// drift watch: many targets checked at an interval; each target's state change is audited once
// (not every tick), and the monitor's alert channels deliver it (docs/drift.md section 7).
//
// Targets file (YAML or JSON, by extension):
//
//   targets:
//     - name: api-env                 # unique; default "<namespace> <against>"
//       namespace: production/api
//       against: env:VOICEHIVE_       # any SOURCE of drift check (relative file: and encfile:
//                                     # paths are relative to the targets file)
//       ignore: ["build.*"]           # optional globs
//       ignore_file: drift.ignore     # optional, relative to the targets file
//       token_file: /run/secrets/tok  # url: only
//       ca_file: /etc/pki/ca.pem      # url: only
//       timeout: 5s                   # url: only (default 10s)
//
// A target's state is "ok", "drift:<keyed digest of the report>", "unreachable:<error code>" (the
// live side cannot be read) or "failed:<error code>" (no baseline, a live file that does not
// parse, ...);
// the last state of each target is kept in <home>/drift-watch-state.json so that `--once` from
// cron also audits changes only. On a change the watcher records one event:
//   drift.detected    the target drifts, or drifts differently (paths = drifted paths; outcome
//                     failure, so the monitor's built-in `drift-detected` rule alerts on it)
//   drift.resolved    the target matches its baseline again
//   drift.unreachable the live side cannot be read (outcome failure, the error as reason)
//   drift.failed      the check failed otherwise (outcome failure, the error as reason)
// The baseline of each namespace is read once (one audited config.get) and again only when its
// record changes.
//
// Errors: ParseWatchTargets is kInvalidArgument naming file:line:column and field. Tick returns
// the audit sink's error if a change could not be recorded (the state is then not advanced, so
// the change is recorded on a later tick).
//
// Thread safety: a DriftWatcher is used by one thread.
#ifndef BULWARK_DRIFT_WATCH_H_
#define BULWARK_DRIFT_WATCH_H_

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/drift/drift_service.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/context.h"

namespace bulwark::drift {

struct WatchTarget {
  std::string name;
  std::string namespace_name;
  CheckRequest request;
};

Result<std::vector<WatchTarget>> ParseWatchTargets(FileSystem& fs, const std::filesystem::path& file);

// One target's outcome in a tick.
struct WatchOutcome {
  std::string target;
  std::string state;      // "ok", "drift:...", "unreachable:...", "failed:..."
  bool changed = false;   // differs from the previous state (and was audited)
  std::optional<CheckResult> result;  // absent when unreachable
  std::string error;                  // when unreachable or failed
};

struct WatchDeps {
  Runtime runtime;
  DriftService* drift = nullptr;  // not owned
  std::shared_ptr<request::AuditSink> audit;
  request::RequestContext context;
  std::filesystem::path state_file;  // <home>/drift-watch-state.json
};

class DriftWatcher {
 public:
  static Result<std::unique_ptr<DriftWatcher>> Create(WatchDeps deps,
                                                      std::vector<WatchTarget> targets);
  // Checks every target once.
  Result<std::vector<WatchOutcome>> Tick();

 private:
  DriftWatcher(WatchDeps deps, std::vector<WatchTarget> targets)
      : deps_(std::move(deps)), targets_(std::move(targets)) {}
  Result<std::shared_ptr<const PreparedBaseline>> BaselineFor(const std::string& ns);
  WatchDeps deps_;
  std::vector<WatchTarget> targets_;
  std::map<std::string, std::shared_ptr<const PreparedBaseline>> baselines_;
};

}  // namespace bulwark::drift

#endif  // BULWARK_DRIFT_WATCH_H_
