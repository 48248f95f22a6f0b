// AuditTrail: the audit log of a home and everything done with it besides appending (which the
// services do through their AuditSink): search, verification against the trusted checkpoint,
// checkpoints, inclusion and consistency proofs, export, value hashes, retention (archives,
// capped at what the SIEM sinks acknowledged) and shipping to sinks (docs/audit.md).
//
// Authorization: every call asks the node's Authorizer, `audit.read` on resource kind `audit`
// (named by the log's origin); Archive asks `admin`. A denial is recorded in the log (operation
// "audit.<call>", outcome denied) and returned as kPermissionDenied; successful reads are not
// recorded (reading the log would otherwise grow it without end).
//
// Files of the home it uses (bulwark/node/home.h): audit-log.key (signing keys, created on first
// use while the log is empty; RotateHomeAuditKey replaces a lost one on purpose), audit-hmac.key (value-hash key), audit-trusted-checkpoint (the newest checkpoint a clean
// Verify accepted: a later log must extend it), config.yaml (audit.sinks), audit-sinks.db
// (cursors), audit-ship.lock (one shipper per home).
//
// Thread safety: the methods may be called concurrently, except Verify with Verify (both write the
// trusted checkpoint; the last writer wins, and both wrote a checkpoint they verified).
#ifndef BULWARK_NODE_AUDIT_TRAIL_H_
#define BULWARK_NODE_AUDIT_TRAIL_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/audit/merkle_hash.h"
#include "bulwark/auditlog/archive.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/auditlog/log_audit.h"
#include "bulwark/auditship/format.h"
#include "bulwark/auditship/shipper.h"
#include "bulwark/core/error.h"
#include "bulwark/core/file_lock.h"
#include "bulwark/core/runtime.h"
#include "bulwark/node/home.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"

namespace bulwark::node {

// The version of this Bulwark build ("0.1.0").
std::string_view Version();

// A home's log and its signing keys.
struct HomeAuditLog {
  audit::LogKeys keys;
  std::shared_ptr<audit::AuditLog> log;
};

// Opens (creating on first use: the directory, the keys, the database) the log of `home` at
// ResolveAuditStoreUrl; $BULWARK_AUDIT_CHECKPOINT_EVERY overrides the checkpoint count. A missing
// audit-log.key is created only while the log holds nothing (audit::LoadOrCreateLogKeysFor);
// otherwise kUnavailable naming the file, until it is restored or RotateHomeAuditKey runs.
Result<HomeAuditLog> OpenHomeAuditLog(const Runtime& rt, const Home& home, const Environment& env);

struct RotatedAuditKey {
  std::string origin;
  std::string verifier_key;  // the new signer's verifier key
  audit::RotationKind kind = audit::RotationKind::kRetired;
};

// `bulwark audit rotate-key`: the home's log signs with a new key from here on
// (audit::RotateLogKeys: the previous signers stay as verifiers; after a lost key file,
// `previous_verifiers` restore verification of the old checkpoints). Authorization: `admin` on the
// audit resource; a denial is returned as kPermissionDenied (and recorded when the log can be
// opened). On success, the rotation is recorded in the log (operation "audit.rotate_key", the new
// verifier key as its resource) under the new key, and a checkpoint is published.
Result<RotatedAuditKey> RotateHomeAuditKey(const Runtime& rt, const Home& home,
                                           const Environment& env,
                                           const request::Authorizer& authorizer,
                                           const request::RequestContext& ctx,
                                           const std::vector<std::string>& previous_verifiers);

// The CloudEvents source of this host's events ("bulwark://<hostname>/config").
std::string EventSource();
// Host name and product version for exported and shipped events.
auditship::FormatContext ExportFormatContext();

struct VerifyRequest {
  std::optional<std::string> checkpoint;  // a signed checkpoint the log must match (its text)
  std::vector<std::filesystem::path> archives;  // archive files to verify with the log
};

struct VerifyOutcome {
  audit::AuditVerification log;
  std::vector<audit::ArchiveVerification> archives;
  // Why the verification's own audit.verify event could not be appended (the verification
  // itself stands; a command reports this as a warning).
  std::optional<Error> record_error;
  bool clean() const;
  // log.Summary() and each archive's, as `bulwark audit verify` prints them.
  std::string Summary() const;
};

struct InclusionProof {
  std::uint64_t index = 0;
  std::uint64_t tree_size = 0;
  audit::Hash leaf_hash;
  std::vector<audit::Hash> proof;
  std::string checkpoint;  // the signed note of tree_size the proof leads to
};

struct ConsistencyProof {
  std::uint64_t old_size = 0, new_size = 0;
  audit::Hash old_root, new_root;
  std::vector<audit::Hash> proof;
};

struct ArchiveOutcome {
  audit::ArchiveResult result;
  std::optional<std::uint64_t> cap;  // the lowest sink cursor, when pruning was capped by it
  std::string cap_sink;              // the sink at that cursor
};

struct AuditStatus {
  std::string database;  // DisplayUrl of the log's store
  std::string origin;
  audit::TreeState state;
  std::optional<audit::StoredCheckpoint> latest_checkpoint;
  std::uint64_t unsigned_events = 0;  // events after the newest checkpoint
  std::vector<std::string> verifier_keys;
  bool writable = false;
  std::vector<auditship::SinkStatus> sinks;
  std::int64_t now_us = 0;
  // Age of a sink's oldest unshipped event (0 when caught up).
  double OldestUnshippedAgeSeconds(const auditship::SinkStatus& s) const;
  // The JSON document of `bulwark audit status`.
  std::string Json() const;
  // The Prometheus text exposition of the same figures.
  std::string Prometheus() const;
};

// The shipper of a home, and the lock that makes it the only one running.
struct HomeShipper {
  std::filesystem::path config_file;
  std::unique_ptr<auditship::Shipper> shipper;
};

class AuditTrail {
 public:
  AuditTrail(Home home, Runtime runtime, HomeAuditLog log,
             std::shared_ptr<const request::Authorizer> authorizer,
             std::shared_ptr<request::AuditSink> sink);

  const audit::LogKeys& keys() const { return log_.keys; }
  // The log itself, for callers that were authorized through one of the calls below.
  const std::shared_ptr<audit::AuditLog>& log() const { return log_.log; }
  Result<audit::CheckpointVerifier> Verifier() const;

  // Events matching `filter`, in index order (AuditLog::Query).
  Status Search(const request::RequestContext& ctx, const audit::EventFilter& filter,
                const std::function<Status(const audit::StoredEvent&)>& fn) const;
  // The number of events (for following the log).
  Result<std::uint64_t> Size(const request::RequestContext& ctx) const;

  // Recomputes the whole log against its checkpoints, `request.checkpoint`, and the trusted
  // checkpoint; verifies `request.archives` too (each must be an archive the log recorded). When
  // everything is clean, the newest checkpoint becomes the trusted one. The result is itself
  // appended as an audit.verify event (outcome failure, with the number of findings, when
  // anything was found) so that monitoring can alert on tampering (docs/monitor.md).
  Result<VerifyOutcome> Verify(const request::RequestContext& ctx, const VerifyRequest& request);
  // Verifies archive files on their own (chain, and against the log's records where it has them).
  Result<std::vector<audit::ArchiveVerification>> VerifyArchives(
      const request::RequestContext& ctx, const std::vector<std::filesystem::path>& files) const;

  // Signs a checkpoint of the current log (if the newest one does not cover it) and returns it.
  Result<std::string> PublishCheckpoint(const request::RequestContext& ctx);
  // Inclusion proof of event `index` in a fresh checkpoint; kNotFound beyond the log,
  // kFailedPrecondition naming the archive file for an archived event.
  Result<InclusionProof> Prove(const request::RequestContext& ctx, std::uint64_t index);
  Result<ConsistencyProof> Consistency(const request::RequestContext& ctx, std::uint64_t old_size,
                                       std::uint64_t new_size) const;
  // "hmac-sha256:<hex>" of a value as audit output references it (audit-hmac.key).
  Result<std::string> HashValue(const request::RequestContext& ctx, std::string_view ns,
                                std::string_view path, std::string_view value) const;
  Result<AuditStatus> StatusReport(const request::RequestContext& ctx) const;

  // Moves the oldest events into an archive file (audit.admin). When pruning, the boundary is
  // capped at the lowest cursor of the sinks in config.yaml: the log is their spool.
  Result<ArchiveOutcome> Archive(const request::RequestContext& ctx,
                                 audit::ArchiveOptions options);

  // The shipper over the sinks of config.yaml (only `only` when not empty: kNotFound if no such
  // sink).
  Result<HomeShipper> OpenShipper(const request::RequestContext& ctx, const std::string& only,
                                  auditship::ShipperOptions options = {}) const;
  // <home>/audit-ship.lock, held while shipping: kFailedPrecondition when another shipper of this
  // home holds it.
  Result<FileLock> LockShipping(const request::RequestContext& ctx) const;

 private:
  Status Authorize(const request::RequestContext& ctx, std::string_view call,
                   request::Action action) const;
  Home home_;
  Runtime rt_;
  HomeAuditLog log_;
  std::shared_ptr<const request::Authorizer> authorizer_;
  std::shared_ptr<request::AuditSink> sink_;
};

}  // namespace bulwark::node

#endif  // BULWARK_NODE_AUDIT_TRAIL_H_
