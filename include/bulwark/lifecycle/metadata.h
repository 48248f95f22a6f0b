// Secret metadata and rotation state (docs/rotation.md sections 1 and 5): what Bulwark knows about
// one sensitive path of a namespace besides its value, kept in the reserved namespace
// `.bulwark/lifecycle/NS` as {"version": 1, "secrets": {"<path>": {...}}}.
//
// A record never holds a value: only metadata, versions of the namespace, times and hook
// definitions. ParseLifecycleDocument checks every field (kDataLoss naming the namespace, path
// and field: the document is written only by Bulwark); ApplyMetadataPatch reads what a user gives
// (`secret meta --from FILE`, flags) with kInvalidArgument naming the file, line and field.
//
// Thread safety: values and pure functions.
#ifndef BULWARK_LIFECYCLE_METADATA_H_
#define BULWARK_LIFECYCLE_METADATA_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::lifecycle {

using Seconds = std::chrono::seconds;
using Version = std::int64_t;

enum class SecretType : std::uint8_t {
  kPassword,
  kApiKey,
  kCertificate,
  kEncryptionKey,
  kConnectionString,
  kGeneric
};
// "password", "api_key", "certificate", "encryption_key", "connection_string", "generic".
std::string_view SecretTypeName(SecretType t);
Result<SecretType> ParseSecretType(std::string_view name);

// A command run at a rotation step: argv (no shell), deadline, extra (non-secret) environment.
struct HookSpec {
  std::vector<std::string> command;
  Seconds timeout{30};
  std::vector<std::pair<std::string, std::string>> env;
  friend bool operator==(const HookSpec&, const HookSpec&) = default;
};

struct HttpCheck {
  std::string url;                   // http:// or https://, no credentials
  std::vector<unsigned> expect;      // empty: any 2xx
  Seconds timeout{10};
  friend bool operator==(const HttpCheck&, const HttpCheck&) = default;
};

struct VerifySpec {
  std::optional<HookSpec> command;  // exactly one of command / http
  std::optional<HttpCheck> http;
  std::uint32_t attempts = 3;
  Seconds interval{5};
  friend bool operator==(const VerifySpec&, const VerifySpec&) = default;
};

enum class StrategyKind : std::uint8_t { kNone, kPassword, kRandomBytes, kEd25519, kRsa, kCommand };
// "none", "password", "random_bytes", "ed25519", "rsa", "command".
std::string_view StrategyKindName(StrategyKind k);

struct Strategy {
  StrategyKind kind = StrategyKind::kNone;
  // password
  std::uint32_t length = 32;
  std::vector<std::string> classes = {"lower", "upper", "digit", "symbol"};
  std::string symbols = "!#%+,-.:=@^_~";
  // random_bytes
  std::uint32_t bytes = 32;
  std::string encoding = "base64url";  // base64url | base64 | hex
  // rsa
  std::uint32_t bits = 3072;
  // ed25519, rsa: where the public key goes (not sensitive); "" = nowhere
  std::string public_path;
  // command
  HookSpec command;
  friend bool operator==(const Strategy&, const Strategy&) = default;
};

struct RotationPolicy {
  std::optional<Seconds> interval;  // unset: no schedule
  Seconds grace{0};
  std::uint32_t max_retries = 3;
  Seconds notify_before{7 * 86400};
  Strategy strategy;
  std::optional<HookSpec> apply, revoke, notify;
  std::optional<VerifySpec> verify;
  friend bool operator==(const RotationPolicy&, const RotationPolicy&) = default;
};

// The journal of a rotation in progress (docs/rotation.md section 5).
struct RotationJournal {
  std::string id;     // 16 hex
  std::string phase;  // pre_rotation, generate, grace, verification, rollback, revoke, post_rotation
  std::string step;   // started, done
  bool emergency = false;
  std::string reason;  // emergency reason (no values)
  std::string by;      // principal id
  TimePoint started;
  std::optional<Version> old_version, new_version;
  std::optional<TimePoint> grace_until;
  std::uint32_t attempts = 0;
  std::string error;
  friend bool operator==(const RotationJournal&, const RotationJournal&) = default;
};

struct HistoryEntry {
  std::string id;
  TimePoint started, finished;
  std::string outcome;  // rotated, rolled_back, failed
  std::optional<Version> old_version, new_version;
  bool emergency = false;
  std::string reason, by, error;
  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

inline constexpr std::size_t kMaxHistory = 50;

struct SecretRecord {
  SecretType type = SecretType::kGeneric;
  std::string owner, description;
  std::vector<std::string> tags;
  TimePoint created, updated;
  std::optional<TimePoint> expires_at;
  RotationPolicy rotation;
  // State.
  std::optional<TimePoint> last_rotated, next_due;
  std::optional<Version> previous_version;  // served as `previous` until it is revoked
  std::uint32_t failures = 0;               // consecutive failed scheduled rotations
  std::optional<TimePoint> notified_for;    // the next_due whose upcoming notice was recorded
  std::optional<TimePoint> overdue_noted;   // when `secret.overdue` was last recorded
  std::optional<RotationJournal> in_progress;
  std::vector<HistoryEntry> history;  // oldest first, at most kMaxHistory
  friend bool operator==(const SecretRecord&, const SecretRecord&) = default;
};

struct LifecycleDocument {
  std::map<std::string, SecretRecord> secrets;  // by canonical dotted path
};

// The reserved namespace of NS's lifecycle document.
std::string LifecycleNamespace(std::string_view ns);

// A duration of a schedule as people write one: days as the largest unit, then h, m, s, zero
// terms left out ("30d", "90d", "365d", "1d12h", "0s"; never "4w2d"). ParseDuration reads it back
// to the same value; used for every duration the lifecycle prints or stores.
std::string FormatScheduleDuration(Seconds d);

// kDataLoss naming `ns`, the path and the field when the document is malformed.
Result<LifecycleDocument> ParseLifecycleDocument(const config::Value& doc, std::string_view ns);
config::Value LifecycleDocumentValue(const LifecycleDocument& doc);

// The schedule and strategy defaults of a type (docs/rotation.md section 1).
RotationPolicy DefaultPolicy(SecretType type);

// Applies the fields present in `patch` (a map: type, owner, description, tags, expires_at,
// rotation {interval, grace, max_retries, notify_before, strategy, apply, verify, revoke,
// notify}) to `record`. A changed `type` first resets the rotation policy to that type's
// defaults (fields given in the patch then override them). `at` is the patch's path in `doc`
// (errors name doc's location of the field). kInvalidArgument for unknown fields and bad values.
Status ApplyMetadataPatch(SecretRecord& record, const config::Document& doc,
                          const config::Path& at);

// Whether `record` has anything to hook or run: an `admin` action to set.
bool HasHooks(const RotationPolicy& p);

}  // namespace bulwark::lifecycle

#endif  // BULWARK_LIFECYCLE_METADATA_H_
