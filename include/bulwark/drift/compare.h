// Drift: the comparison of an approved baseline document with a live one.
//
// Both documents are cut into units: every sensitive node (outermost, from the union of the
// sensitive paths known on either side) is one unit, every other leaf (scalar or empty container)
// is one unit. Units present only in the baseline are `removed`, only live `added`, present on
// both sides with different values `changed`.
//
// Values compare by type, except that numbers compare by value (5 equals 5.0) and a string equals
// a scalar of another type on the other side when it coerces to it the way environment variables
// do (config/environment.h: "5432" equals 5432, "on" equals true), so a dotenv file or the
// environment does not drift only by its typing. The rule is symmetric.
//
// Sensitive units are compared through keyed fingerprints (HMAC-SHA256 under the home's drift key,
// over the value's canonical text: a string's bytes, a number's or bool's canonical text, JSON
// for containers), in constant time; a report entry for a sensitive unit carries no value, and only
// the live side's fingerprint (for telling drifts apart; never shown). A baseline may carry fingerprints instead of values for its sensitive units (the
// stored baseline record keeps only those).
//
// Thread safety: the functions are thread-safe; a Fingerprinter may be shared.
#ifndef BULWARK_DRIFT_COMPARE_H_
#define BULWARK_DRIFT_COMPARE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/path.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/drift/ignore.h"

namespace bulwark::drift {

// HMAC-SHA256 fingerprints of values under one key (32 bytes or more).
class Fingerprinter {
 public:
  // kInvalidArgument for a key shorter than 32 bytes.
  static Result<Fingerprinter> Create(SecretBytes key);
  // Lower-case hex of HMAC-SHA256(key, "bulwark-drift/v1\0" + CanonicalText(value)).
  std::string Of(const config::Value& value) const;

 private:
  explicit Fingerprinter(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

// The text a value is fingerprinted over (see above).
std::string CanonicalText(const config::Value& value);

// Whether a live value equals a baseline value (the rule above; symmetric).
bool SameValue(const config::Value& baseline, const config::Value& live);

enum class ChangeKind { kAdded, kRemoved, kChanged };
// "added", "removed", "changed".
std::string_view ChangeKindName(ChangeKind kind);

struct DriftEntry {
  ChangeKind kind = ChangeKind::kChanged;
  config::Path path;
  bool sensitive = false;
  // The values, for non-sensitive units only (absent on the side that lacks the unit).
  std::optional<config::Value> baseline;
  std::optional<config::Value> live;
  // Where the live value comes from: "file:line:column", "env:NAME", the URL; for a removed unit,
  // the source as a whole.
  std::string provenance;
  // A sensitive unit present on the live side: its keyed fingerprint, so that a secret that drifts
  // again to yet another value is a new drift (DriftService::Digest). Never printed or sent.
  std::string live_fingerprint;
};

struct DriftReport {
  std::vector<DriftEntry> entries;  // in path order
  std::size_t compared = 0;         // units on either side
  std::size_t ignored = 0;          // differences dropped by the ignore rules
  bool drifted() const { return !entries.empty(); }
};

struct Baseline {
  config::Value document;  // sensitive nodes may hold anything (e.g. "[redacted]")
  // Sensitive nodes of `document`, outermost.
  std::vector<config::Path> sensitive;
  // Fingerprints of sensitive nodes whose value `document` does not hold; a sensitive node
  // without one is fingerprinted from `document`.
  std::map<config::Path, std::string> fingerprints;
};

struct Live {
  config::Document document;
  std::vector<config::Path> sensitive;  // as the live side's classifier sees it
  std::string source;                   // "env:APP_", "file:/etc/app.yaml", the URL
};

// The fingerprints of a document's sensitive nodes (for a baseline record).
std::map<config::Path, std::string> FingerprintSensitive(const config::Value& document,
                                                         const std::vector<config::Path>& sensitive,
                                                         const Fingerprinter& fingerprinter);

// The drift of `live` from `baseline`. Total: any two documents compare.
DriftReport Compare(const Baseline& baseline, const Live& live, const IgnoreRules& ignore,
                            const Fingerprinter& fingerprinter);

}  // namespace bulwark::drift

#endif  // BULWARK_DRIFT_COMPARE_H_
