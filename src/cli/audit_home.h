// The audit log of a home (<home>/audit.db or a PostgreSQL database, see AuditStoreUrl; keys
// <home>/audit-log.key, HMAC key <home>/audit-hmac.key, last verified checkpoint
// <home>/audit-trusted-checkpoint), shared by the store commands (which append through
// LogAuditSink) and the audit commands.
#ifndef BULWARK_SRC_CLI_AUDIT_HOME_H_
#define BULWARK_SRC_CLI_AUDIT_HOME_H_

#include <filesystem>
#include <memory>

#include "bulwark/audit/event_store.h"
#include "bulwark/audit/log_audit.h"

namespace bulwark::cli {

struct HomeAuditLog {
  audit::LogKeys keys;
  std::shared_ptr<audit::AuditLog> log;
};

// Where the log of a home is stored: $BULWARK_AUDIT_STORE, else `audit: {store: URL}` in
// <home>/config.yaml, else sqlite:<home>/audit.db. URLs as for --store: sqlite:PATH or
// postgresql://... (tables bulwark_audit_*; may be the configuration store's database).
Result<std::string> AuditStoreUrl(const Runtime& rt, const std::filesystem::path& home);

// Opens (creating on first use) the log and its signing keys. Checkpoints every 1000 events or
// 60 seconds (BULWARK_AUDIT_CHECKPOINT_EVERY overrides the count).
Result<HomeAuditLog> OpenHomeAuditLog(const Runtime& rt, const std::filesystem::path& home);

// The LogAuditSink of a home.
Result<std::unique_ptr<service::AuditSink>> OpenHomeAuditSink(const Runtime& rt,
                                                              const std::filesystem::path& home);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_AUDIT_HOME_H_
