// SecretLifecycle: secret metadata, due dates and rotation (docs/rotation.md), as service-layer
// operations: each one is authorized by the service's Authorizer and audited through its
// AuditSink (exactly one record per operation, and one per rotation phase), and values are read
// and written only through the ConfigService (encryption, validation, compliance gate and the
// config.* audit records apply to them too).
//
//   SetMetadata   admin    secret.meta            metadata of a sensitive path (hooks included)
//   Show          read     secret.show            metadata, state and history (no values)
//   Secrets       list     secret.list            every tracked secret with its due status
//   Get           read     (config.get)           current, or during grace the previous value
//   Rotate        rotate   secret.rotation.*      one rotation (six phases, journal, rollback)
//   RunDue        rotate   secret.rotation.*, secret.rotation.upcoming, secret.overdue
//   MoveNamespace admin    secret.meta.move       (and the service's namespace.move)
//
// Rotation journal and crash safety: docs/rotation.md section 5. `step_hook` (tests) is called
// after every journal write; an error it returns stops the run there as a crash would.
//
// Errors: kNotFound (no metadata for the path, no previous value), kInvalidArgument (a path that
// is not sensitive, bad metadata), kPermissionDenied, kFailedPrecondition (a rotation without a
// strategy, max_retries exhausted without --force), kConflict (another process changed the
// lifecycle document concurrently: run again to resume), and those of the store, the
// ConfigService and the hooks. The lifecycle document of a namespace (it holds the hook commands
// a rotation runs) is sealed under the store's MAC key like change requests
// (service/record_seal.h); a document whose tag does not verify (altered in the database, or
// written without the key) is refused with kDataLoss naming the namespace, before anything runs.
//
// Thread safety: safe for concurrent use; two rotations of one secret never run both (the
// journal's compare-and-set lets one of them start).
#ifndef BULWARK_LIFECYCLE_LIFECYCLE_H_
#define BULWARK_LIFECYCLE_LIFECYCLE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/path.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/lifecycle/metadata.h"
#include "bulwark/service/audit_sink.h"
#include "bulwark/service/authorizer.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/store/config_store.h"

namespace bulwark::lifecycle {

struct LifecycleDeps {
  Runtime runtime = Runtime::System();
  std::shared_ptr<store::ConfigStore> store;
  std::shared_ptr<const service::Authorizer> authorizer;
  std::shared_ptr<service::AuditSink> audit;
  std::shared_ptr<service::ConfigService> config;
  std::shared_ptr<const service::StoreMacKey> store_mac;  // seals the lifecycle documents
  std::function<void(Seconds)> sleep;  // between verification attempts; default: sleeps
  std::function<Status(std::string_view phase, std::string_view step)> step_hook;
};

struct RotateOptions {
  bool emergency = false;  // now, grace 0; needs a reason
  std::string reason;
  bool force = false;  // also when max_retries is exhausted
};

struct RotationOutcome {
  std::string id;
  // done | in_grace (waiting for the revoke at grace_until) | rolled_back
  std::string state;
  bool resumed = false;
  std::optional<Version> old_version, new_version;
  std::optional<TimePoint> grace_until;
  std::string error;  // why it rolled back
};

struct SecretStatus {
  std::string ns, path;
  SecretRecord record;
  // ok | upcoming (due within notify_before or the window) | due | overdue | expiring | expired |
  // rotating | failed
  std::string status;
  std::optional<TimePoint> when;  // the date that decides the status (next_due or expires_at)
};

struct DueItem {
  std::string ns, path;
  std::string action;   // resumed, rotated, noticed, overdue
  std::string outcome;  // done, in_grace, rolled_back, failed, recorded, would (dry run)
  std::string detail;   // error or note (never a value)
};

struct DueReport {
  std::vector<DueItem> items;
  // Anything overdue, failed or rolled back.
  bool problems() const;
};

class SecretLifecycle {
 public:
  static Result<std::unique_ptr<SecretLifecycle>> Create(LifecycleDeps deps);
  ~SecretLifecycle();

  // Applies the patch at `at` in `patch` (ApplyMetadataPatch) to the record of `path`, creating it
  // (type defaults) when absent. The path must be a sensitive value of `ns` or not exist yet.
  Result<SecretRecord> SetMetadata(const service::RequestContext& ctx, std::string_view ns,
                                   const config::Path& path, const config::Document& patch,
                                   const config::Path& at);
  Result<SecretRecord> Show(const service::RequestContext& ctx, std::string_view ns,
                            const config::Path& path);
  // Every tracked secret (all namespaces), soonest first; with `within`, only those whose status
  // is not ok or whose date falls within it.
  Result<std::vector<SecretStatus>> Secrets(const service::RequestContext& ctx,
                                            std::optional<Seconds> within);
  // The current value, or with `previous` the one served during grace (kNotFound otherwise).
  Result<service::ReadResult> Get(const service::RequestContext& ctx, std::string_view ns,
                                  const config::Path& path, bool previous, bool reveal);
  Result<RotationOutcome> Rotate(const service::RequestContext& ctx, std::string_view ns,
                                 const config::Path& path, const RotateOptions& options);
  Result<DueReport> RunDue(const service::RequestContext& ctx, bool dry_run);

  // `bulwark mv FROM TO` with FROM's lifecycle metadata (docs/rotation.md section 1): the
  // namespace moves through ConfigService::Move (its authorization and namespace.move record)
  // and, when FROM has metadata, one more record `secret.meta.move` (admin on FROM): the document
  // is rewritten, sealed, under TO, then FROM's is emptied; if the move fails TO's is emptied
  // again. Refused (kFailedPrecondition, nothing changed) while a rotation of FROM is in progress
  // or when TO already has metadata; kDataLoss when either document does not verify.
  Status MoveNamespace(const service::RequestContext& ctx, std::string_view from,
                       std::string_view to);

  struct Impl;

 private:
  explicit SecretLifecycle(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::lifecycle

#endif  // BULWARK_LIFECYCLE_LIFECYCLE_H_
