// What a scan reports: findings and the errors met on the way (docs/scan.md section 6).
//
// A Finding never holds a secret: `redacted` keeps at most four leading characters of a secret of
// sixteen or more and its length, and `fingerprint` is a hash (docs/scan.md section 4).
//
// Thread safety: value types.
#ifndef BULWARK_SCAN_FINDING_H_
#define BULWARK_SCAN_FINDING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/compliance/severity.h"

namespace bulwark::scan {

using compliance::Severity;

enum class FindingKind : std::uint8_t { kSecret, kSetting, kVulnerability };
std::string_view FindingKindName(FindingKind kind);  // "secret", "setting", "vulnerability"

// Tracking and baseline state of a finding.
enum class FindingStatus : std::uint8_t { kNew, kOpen, kFixed, kBaselined };
std::string_view FindingStatusName(FindingStatus status);  // "new", "open", "fixed", "baselined"

struct Finding {
  FindingKind kind = FindingKind::kSecret;
  std::string rule;
  std::string description;
  Severity severity = Severity::kHigh;
  std::string target;  // file path as given, "env:NAME", "ns:NAME@VERSION"
  std::uint64_t line = 0, column = 0;          // 1-based; 0 when unknown
  std::uint64_t end_line = 0, end_column = 0;  // of the last byte of the secret
  std::uint64_t offset = 0, length = 0;        // byte span of the secret in the target
  std::string key;                             // key on the line, when known
  std::string path;                            // config path (settings, versions), when known
  std::string redacted;
  double entropy = 0;
  std::string decoded;  // "", "base64", "hex", "percent"
  std::string fingerprint;
  std::string message;  // settings and vulnerabilities: what is wrong
  std::string remediation;
  bool fixable = false;
  FindingStatus status = FindingStatus::kNew;
};

// An error met while scanning one target (unreadable file, failing plugin); the scan goes on.
struct ScanError {
  std::string target;
  std::string message;  // never contains a secret
  int exit_code = 2;    // what it means for the process if nothing else failed
};

// Redacts a secret: "AKIA…[20]" for a secret of 16 or more bytes when `show_prefix` (token
// formats, whose first characters are the format's public prefix), "…[7]" otherwise.
std::string Redact(std::string_view secret, bool show_prefix = true);

// Shannon entropy of the bytes of `s`, in bits per byte (0 for an empty string).
double ShannonEntropy(std::string_view s);

// docs/scan.md section 4: hex of the first 16 bytes of
// SHA-256("bulwark-scan-fingerprint/v1\0" rule \0 target \0 key \0 SHA-256(secret)).
std::string Fingerprint(std::string_view rule, std::string_view target, std::string_view key,
                        std::string_view secret);

// Sorts by target, offset, rule, then kind: the order every report uses.
void SortFindings(std::vector<Finding>& findings);

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_FINDING_H_
