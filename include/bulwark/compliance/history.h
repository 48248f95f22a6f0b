// Compliance over time: the status of every stored version of a namespace, and when each finding
// appeared and disappeared.
//
// The service records one VersionStatus per stored version (after the write gate passed):
//
//   history->Record(SummarizeForHistory("production/api", version, report, clock.NowUnix()));
//   auto versions = history->List("production/api");
//   std::vector<FindingLifetime> timeline = FindingTimeline(*versions);
//
// A finding is identified across versions by (rule id, path). Findings carry their rendered
// message as evaluated; rule authors must not render secret values into messages.
//
// Implementations: in memory (tests, one process) and SQLite (a file, or ":memory:"). Both are
// thread-safe; one conformance test runs against each.
#ifndef BULWARK_COMPLIANCE_HISTORY_H_
#define BULWARK_COMPLIANCE_HISTORY_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/compliance/report.h"
#include "bulwark/core/error.h"

namespace bulwark::compliance {

struct StoredFinding {
  std::string rule_id;
  std::string path;
  Severity severity = Severity::kMedium;
  std::string message;
  friend bool operator==(const StoredFinding&, const StoredFinding&) = default;
};

struct VersionStatus {
  std::string ns;
  std::int64_t version = 0;
  std::int64_t recorded_at = 0;  // Unix seconds
  bool partial = false;
  std::array<std::size_t, 5> by_severity{};  // indexed by Severity
  std::vector<StoredFinding> findings;       // in report order
  friend bool operator==(const VersionStatus&, const VersionStatus&) = default;
};

VersionStatus SummarizeForHistory(std::string ns, std::int64_t version, const Report& report,
                                  std::int64_t recorded_at);

class ComplianceHistory {
 public:
  virtual ~ComplianceHistory() = default;
  // Stores the status of (ns, version), replacing an earlier record of the same version.
  // kUnavailable when the backing store fails.
  virtual Status Record(const VersionStatus& status) = 0;
  // Every recorded version of `ns`, by ascending version; empty when none.
  virtual Result<std::vector<VersionStatus>> List(std::string_view ns) const = 0;
};

std::unique_ptr<ComplianceHistory> NewInMemoryComplianceHistory();
// Opens a SQLite database (created 0600 if missing); ":memory:" for a private one. Opening and
// List never write (a database without tables lists nothing); the first Record creates the
// tables and switches the file to WAL. Every statement waits up to `busy_timeout` for another
// process's lock, then fails with kUnavailable. kUnavailable when the database cannot be opened.
Result<std::unique_ptr<ComplianceHistory>> OpenSqliteComplianceHistory(
    const std::filesystem::path& path,
    std::chrono::milliseconds busy_timeout = std::chrono::seconds(10));

// One stretch of versions during which a finding existed.
struct FindingLifetime {
  std::string rule_id;
  std::string path;
  Severity severity = Severity::kMedium;
  std::string message;                         // as of the last version that had it
  std::int64_t appeared_in = 0;                // first version with the finding
  std::optional<std::int64_t> disappeared_in;  // first later version without it; unset = open
};

// Lifetimes from versions sorted by ascending version, ordered by appearance (then rule, path).
std::vector<FindingLifetime> FindingTimeline(const std::vector<VersionStatus>& versions);

// "v3  +critical SEC_001 services[1].database.ssl_mode: ..." lines, oldest first, then the
// findings still open.
std::string RenderHistoryText(std::string_view ns, const std::vector<VersionStatus>& versions);

}  // namespace bulwark::compliance

#endif  // BULWARK_COMPLIANCE_HISTORY_H_
