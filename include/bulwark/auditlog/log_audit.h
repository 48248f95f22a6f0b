// The audit log as the service's AuditSink, its keys, and full verification.
//
// LogAuditSink turns every request::AuditRecord into a CloudEvents event (event.h), classifies its
// impact, canonicalizes it (RFC 8785) and appends it durably to an AuditLog (event_store.h). Fail
// closed: HealthCheck fails when the log database cannot take writes.
//
// Log keys live in a file of the home (<home>/audit-log.key, mode 0600), created on first use:
//   line 1:   "origin <origin>"                 e.g. "bulwark.local/audit/3f2a9c01"
//   lines 2+: signer keys "PRIVATE+KEY+<name>+<key id>+<base64>" (note.h), one per line, and
//             retired keys "verifier <name>+<key id>+<base64>" (verify old checkpoints, sign
//             nothing).
// Every signer signs every checkpoint. RotateLogKeys (`bulwark audit rotate-key`) replaces the
// signers by a new key and keeps the old ones as verifier lines, so every checkpoint ever signed
// still verifies. A missing key file is recreated only for a log that holds nothing
// (LoadOrCreateLogKeysFor): otherwise writing is refused until the file is restored or the key is
// rotated on purpose, and the rotation is recorded in the log. The audit HMAC key
// (AuditValueHash) is <home>/audit-hmac.key: 32 random bytes, base64, mode 0600.
//
// VerifyAuditLog recomputes everything from the stored events (see docs/audit.md, "Verification").
//
// Thread safety: LogAuditSink may be used concurrently; the functions are thread-safe.
#ifndef BULWARK_AUDITLOG_LOG_AUDIT_H_
#define BULWARK_AUDITLOG_LOG_AUDIT_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/auditlog/event.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/audit/log_verifier.h"
#include "bulwark/request/audit_record.h"

namespace bulwark::audit {

struct LogKeys {
  std::string origin;
  std::vector<std::shared_ptr<const NoteSigner>> signers;
  std::vector<NoteVerifier> retired;  // keys rotated out: they verify, they do not sign
  // The signers' verifiers, then the retired ones.
  std::vector<NoteVerifier> verifiers() const;
};

// Reads the key file, creating it (new origin, one new Ed25519 key) when missing.
Result<LogKeys> LoadOrCreateLogKeys(const Runtime& rt, const std::filesystem::path& path);
// As LoadOrCreateLogKeys for the log `log` (its options; signers ignored): a missing file is
// created only when the log holds no event and no checkpoint. Otherwise kUnavailable naming the
// file: a new key would start a new origin under which the log's checkpoints no longer verify.
Result<LogKeys> LoadOrCreateLogKeysFor(const Runtime& rt, const std::filesystem::path& path,
                                       const AuditLogOptions& log);

// How RotateLogKeys found the previous key.
enum class RotationKind { kRetired, kReplacedLost };
// Starts signing `log`'s checkpoints with a new Ed25519 key. With the key file present, its signers
// become retired (verifier lines) and the origin is kept. With the file missing (the key was
// lost), a new file keeps the log's origin (from its newest stored checkpoint) and adds
// `previous_verifiers` (verifier keys as `bulwark audit verifier-key` printed them, which must
// name that origin; kInvalidArgument otherwise) as retired keys, so that the old checkpoints
// verify. The caller records the rotation in the log and publishes a checkpoint.
Result<LogKeys> RotateLogKeys(const Runtime& rt, const std::filesystem::path& path,
                              const AuditLogOptions& log,
                              const std::vector<std::string>& previous_verifiers,
                              RotationKind* kind = nullptr);
// Reads the key file; NotFound when missing.
Result<LogKeys> LoadLogKeys(const Runtime& rt, const std::filesystem::path& path);
Result<SecretBytes> LoadOrCreateAuditHmacKey(const Runtime& rt, const std::filesystem::path& path);

// An event ready for AuditLog::Append: its leaf bytes (RFC 8785 CloudEvent) and index columns.
using PreparedEvent = std::pair<std::string, EventColumns>;

// What LogAuditSink computes in the caller's thread before the log append: a fresh event id (16
// bytes of runtime.random, as 32 lowercase hex digits), the impact (classifier), the leaf bytes
// (RecordLeaf: `source` is the CloudEvents source URI) and the index columns. Errors: the random
// source's, and InvalidArgument for a record RecordLeaf rejects (invalid UTF-8, integer beyond
// 2^53). Ids of single events come from a pool refilled 512 bytes at a time (log_audit.cc says why
// that keeps them unique, also across fork); a batch draws its ids in one call. Thread safety: may
// be used concurrently.
class EventBuilder {
 public:
  EventBuilder(ImpactClassifier classifier, std::string source, Runtime runtime);
  ~EventBuilder();
  EventBuilder(const EventBuilder&) = delete;
  EventBuilder& operator=(const EventBuilder&) = delete;

  Result<PreparedEvent> Build(const request::AuditRecord& record);
  Result<std::vector<PreparedEvent>> BuildAll(std::span<const request::AuditRecord> records);

 private:
  class IdPool;
  ImpactClassifier classifier_;
  std::string source_;
  Runtime runtime_;
  std::unique_ptr<IdPool> ids_;
};

class LogAuditSink final : public request::AuditSink {
 public:
  // `source` is the CloudEvents source URI of every event.
  LogAuditSink(std::shared_ptr<AuditLog> log, ImpactClassifier classifier, std::string source,
               Runtime runtime)
      : log_(std::move(log)),
        events_(std::move(classifier), std::move(source), std::move(runtime)) {}
  Status Append(const request::AuditRecord& record) override;
  Status HealthCheck() const override;
  // Appends and returns the event's index.
  Result<std::uint64_t> AppendRecord(const request::AuditRecord& record);
  // Appends several records in one group commit (consecutive indices); returns the first index.
  Result<std::uint64_t> AppendRecords(std::span<const request::AuditRecord> records);

 private:
  std::shared_ptr<AuditLog> log_;
  EventBuilder events_;
};

struct AuditVerification {
  LogReport report;  // the Merkle/checkpoint findings (log_verifier.h)
  // Problems found by the store-level checks (stored leaf hash, canonical form, tree state,
  // cached nodes, rollback), one sentence each.
  std::vector<std::string> problems;
  std::optional<std::uint64_t> first_bad_index;  // lowest index named by any finding
  std::optional<std::string> newest_checkpoint;  // newest valid stored checkpoint note
  std::vector<ArchiveRecord> archives;           // archived prefixes (archive.h), oldest first
  std::uint64_t pending_prune = 0;  // stored events below the archive boundary, not yet deleted
  bool clean() const { return report.clean() && problems.empty(); }
  std::string Summary() const;
};

// Verifies the whole log against the stored checkpoints, `trusted` (the last checkpoint this
// verifier accepted before, if any: the log must not have rolled back behind it) and `extra`
// checkpoint notes (e.g. --checkpoint FILE).
Result<AuditVerification> VerifyAuditLog(const AuditLog& log, const CheckpointVerifier& verifier,
                                         const std::optional<std::string>& trusted,
                                         const std::vector<std::string>& extra);

}  // namespace bulwark::audit

#endif  // BULWARK_AUDITLOG_LOG_AUDIT_H_
