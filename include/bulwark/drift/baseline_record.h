// Which version of each namespace is the approved drift baseline: <home>/drift-baselines.json.
//
//   {"format": "bulwark-drift-baselines/v1",
//    "baselines": {"production/app": {"version": 7, "content_hash": "<the version's hash>",
//                  "recorded_at": "2026-12-07T16:00:00Z", "recorded_by": "local:alice",
//                  "fingerprints": {"database.password": "<hex HMAC-SHA256>"}}}}
//
// The fingerprints are keyed (drift/compare.h; the key is <home>/drift-fingerprint.key), so a
// `drift check` compares sensitive values without decrypting the baseline. The file is written
// atomically (0600) under the exclusive lock <home>/drift-baselines.lock (drift/drift_service.h).
//
// Errors: ParseBaselineRecords is kDataLoss naming the file and what is wrong for a file that is
// not this format (it is never silently replaced).
#ifndef BULWARK_DRIFT_BASELINE_RECORD_H_
#define BULWARK_DRIFT_BASELINE_RECORD_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "bulwark/config/path.h"
#include "bulwark/core/error.h"

namespace bulwark::drift {

struct BaselineRecord {
  std::int64_t version = 0;
  std::string content_hash;
  std::string recorded_at;  // RFC 3339, UTC
  std::string recorded_by;  // principal id
  std::map<config::Path, std::string> fingerprints;
};

using BaselineRecords = std::map<std::string, BaselineRecord, std::less<>>;

Result<BaselineRecords> ParseBaselineRecords(std::string_view text, std::string_view source);
std::string SerializeBaselineRecords(const BaselineRecords& records);

}  // namespace bulwark::drift

#endif  // BULWARK_DRIFT_BASELINE_RECORD_H_
