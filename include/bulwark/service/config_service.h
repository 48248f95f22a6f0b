// The one place that composes Bulwark's modules: every configuration operation, from any surface
// (library, CLI, server), runs the same pipeline here.
//
//   writes: authenticate -> authorize -> validate -> encrypt -> store -> audit -> notify
//   reads:  authenticate -> authorize -> load -> decrypt -> audit
//
// Authentication happened before the call (the RequestContext carries the principal). Each
// operation produces exactly one audit record, also when it is denied or fails.
//
// Namespace metadata. Each namespace NS has a companion document in the reserved namespace
// `.bulwark/meta/NS` holding its identity (a random id) and, optionally, its JSON Schema. Encrypted
// values are bound to the identity, not the name, so a namespace can be renamed without
// re-encryption while a token copied into another namespace still fails to decrypt. Reserved
// namespaces are hidden from List and cannot be written directly.
//
// Validation on write: a namespace that carries a schema refuses any write whose resulting
// document violates it (kInvalidArgument listing every error with its path).
//
// Sensitive values: schema `x-sensitive`, the key-name heuristic (config/sensitivity.h), or an
// explicit `secret` flag on Set. They are stored only as tokens; reads return "[redacted]" unless
// the caller asks to reveal (a separately authorized action).
//
// Thread safety: a ConfigService is safe for concurrent use if its store, cipher, authorizer and
// sinks are (all Bulwark implementations are).
#ifndef BULWARK_SERVICE_CONFIG_SERVICE_H_
#define BULWARK_SERVICE_CONFIG_SERVICE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bulwark/compliance/engine.h"
#include "bulwark/compliance/history.h"
#include "bulwark/compliance/report.h"
#include "bulwark/config/path.h"
#include "bulwark/config/schema.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/service/audit_sink.h"
#include "bulwark/service/authorizer.h"
#include "bulwark/service/notifier.h"
#include "bulwark/service/request_context.h"
#include "bulwark/service/shared_list.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/service/value_cipher.h"
#include "bulwark/store/config_store.h"

namespace bulwark::service {

struct ServiceDeps {
  Runtime runtime;
  std::shared_ptr<store::ConfigStore> store;
  std::shared_ptr<const ValueCipher> cipher;
  std::shared_ptr<const Authorizer> authorizer;
  std::shared_ptr<AuditSink> audit;
  std::vector<std::shared_ptr<Notifier>> notifiers;
  // Compliance (optional). With `compliance` set, every write is evaluated; with `gate` also set, a
  // write that would introduce a finding at or above gate->threshold (or make such a rule
  // unevaluable) is refused with kFailedPrecondition listing the findings. With `history` set,
  // the status of every new version is recorded.
  std::shared_ptr<const compliance::Engine> compliance;
  std::optional<compliance::GateOptions> gate;
  std::shared_ptr<compliance::ComplianceHistory> history;
  // Authenticates every stored version (required; docs/store.md, "Authenticated versions").
  std::shared_ptr<const StoreMacKey> store_mac;
};

struct WriteRequest {
  std::string message;
  std::vector<std::string> tags;
  std::optional<store::Version> expected_version;  // compare-and-set
};

struct PutRequest : WriteRequest {
  // Attaches (or replaces) the namespace's JSON Schema before validating this document.
  std::optional<config::Value> schema;
};

struct SetRequest : WriteRequest {
  bool secret = false;  // encrypt even if neither schema nor heuristic says so
};

struct ReadRequest {
  store::VersionRef version = store::VersionRef::Latest();
  std::optional<config::Path> path;  // a subtree; the whole document when absent
  bool reveal = false;               // decrypt sensitive values (needs Action::kReveal)
};

struct ReadResult {
  store::VersionInfo info;
  config::Value value;  // the document or subtree, redacted unless revealed
  // Sensitive nodes within `value`, relative to it, in document order. For a whole-document read
  // of a content read before, these are the read plan's own paths, shared with every such read
  // (service/shared_list.h: copying it copies a pointer); reads like a std::vector<config::Path>.
  SharedList<config::Path> sensitive;
};

// An encrypted value as stored: its path and its ENC[...] token (ciphertext, never plaintext).
struct StoredToken {
  config::Path path;
  std::string token;
};

struct ReencryptResult {
  std::optional<store::VersionInfo> info;  // the new version; unset when nothing was selected
  std::vector<config::Path> moved;         // the paths re-encrypted, in document order
};

// What VerifyStore found: every namespace checked, and the first bad version of each bad one.
struct VersionProblem {
  std::string ns;
  store::Version version = 0;  // 0: the namespace as a whole (e.g. its metadata is unreadable)
  std::string reason;          // one sentence (the error's message)
};
struct StoreVerification {
  std::size_t namespaces = 0;  // namespaces checked (with their metadata)
  std::size_t versions = 0;    // versions that verified
  std::vector<VersionProblem> problems;
  bool clean() const { return problems.empty(); }
};

// What SealUnauthenticated did.
struct SealReport {
  std::size_t versions = 0;    // versions that were given a tag
  std::size_t namespaces = 0;  // namespaces whose metadata now names them
};

class ConfigService {
 public:
  static Result<std::unique_ptr<ConfigService>> Create(ServiceDeps deps);

  Result<store::VersionInfo> Put(const RequestContext& ctx, std::string_view ns,
                                 const config::Value& document, const PutRequest& request);
  Result<store::VersionInfo> Set(const RequestContext& ctx, std::string_view ns,
                                 const config::Path& path, const config::Value& value,
                                 const SetRequest& request);
  Result<store::VersionInfo> Unset(const RequestContext& ctx, std::string_view ns,
                                   const config::Path& path, const WriteRequest& request);
  Result<ReadResult> Get(const RequestContext& ctx, std::string_view ns, const ReadRequest& request);
  Result<std::vector<store::VersionInfo>> History(const RequestContext& ctx, std::string_view ns);
  // A cheap query that tells whether the store answers (readiness probes): reads no namespace, so
  // it is neither authorized nor audited. kUnavailable (or the store's error) when it does not.
  Status CheckStore() const;
  // Path-level diff; sensitive values are reported as changed/unchanged only.
  Result<std::vector<store::DiffEntry>> Diff(const RequestContext& ctx, std::string_view ns,
                                             store::Version from, store::Version to);
  Result<store::VersionInfo> Rollback(const RequestContext& ctx, std::string_view ns,
                                      store::Version to, std::string_view reason);
  Result<std::vector<store::NamespaceInfo>> List(const RequestContext& ctx, std::string_view prefix);
  Status Move(const RequestContext& ctx, std::string_view from, std::string_view to);

  // Evaluates the compliance rules over a stored version (decrypted inside the service; finding
  // messages never contain sensitive values). kFailedPrecondition when no engine is configured.
  Result<compliance::Report> Check(const RequestContext& ctx, std::string_view ns,
                                   store::VersionRef version);
  // The recorded compliance status of every version of `ns` (kFailedPrecondition without history).
  Result<std::vector<compliance::VersionStatus>> ComplianceHistory(const RequestContext& ctx,
                                                                   std::string_view ns);

  // Key management. The encrypted values of a stored version as tokens, nothing decrypted (which
  // keys protect which paths). Authorized as kRead; audited like a read.
  Result<std::vector<StoredToken>> Tokens(const RequestContext& ctx, std::string_view ns,
                                          store::VersionRef version);
  // Writes a new version of `ns` in which every token of the latest version for which `select`
  // returns true is decrypted with `decrypt_with` (a cipher that may accept keys the service's own
  // refuses, e.g. compromised ones) and encrypted again with the service's cipher (its current
  // key). Every other value is unchanged. Compare-and-set against the version read: kConflict if
  // another writer got in between. No version is written when nothing is selected. Authorized as
  // kRotate; audited with the paths moved (never values).
  Result<ReencryptResult> Reencrypt(const RequestContext& ctx, std::string_view ns,
                                    const std::function<bool(std::string_view token)>& select,
                                    const ValueCipher& decrypt_with, const WriteRequest& request);

  // The namespace's schema, if it carries one.
  Result<std::optional<config::Value>> SchemaOf(const RequestContext& ctx, std::string_view ns);

  // ---- Integrity (docs/store.md, "Authenticated versions") ----
  // Every read verifies the tag of what it serves and refuses a version whose sensitive paths
  // hold anything but well-formed ENC tokens: kDataLoss naming the namespace and version.
  //
  // Reads every version of every namespace under `prefix` (all when empty) and its metadata,
  // verifying tags, chain and stored secrets; names the first bad version of each namespace.
  // Authorized as kRead on each namespace; one audit record for the whole check.
  Result<StoreVerification> VerifyStore(const RequestContext& ctx, std::string_view prefix);
  // Migration of a store written before versions carried tags: gives every version without one
  // its tag, in order, trusting the stored content as it is (trust on first use), then writes a
  // metadata version naming each namespace. Authorized as kAdmin; audited as store.seal.
  Result<SealReport> SealUnauthenticated(const RequestContext& ctx);
  // Writes a new version of `ns` in which every sensitive value stored in clear in the latest
  // version (written before it was classified sensitive) is encrypted; the latest version's tag
  // is verified first. No version is written when there is none. Authorized as kWrite.
  Result<ReencryptResult> EncryptStoredPlaintext(const RequestContext& ctx, std::string_view ns,
                                                 const WriteRequest& request);

  ~ConfigService();

  struct Op;  // internal: one operation in flight (guarantees its single audit record)
  struct ReadPlan;  // internal: where the tokens of one stored content are (config_service.cc)
  // How much a read checks (config_service_integrity.cc): the tag only (a write's base, key
  // management), or also the stored secrets (what is served).
  enum class ReadCheck { kTag, kFull };
  struct Verified;   // internal: a snapshot whose tag verified, with its metadata
  struct MetaEntry;  // internal: a verified metadata version with its compiled schema
  struct MetaCache;  // internal: verified metadata by namespace, contents already checked

 private:
  explicit ConfigService(ServiceDeps deps);
  // The document identity its tokens are bound to ("bulwark-store/v1/<namespace id>"; cached: it
  // never changes while the name maps to it; a stale entry after a rename by another process shows
  // up as a decryption failure and is reloaded once). Shared, not copied: a reveal takes a
  // reference count instead of allocating a copy of the string.
  Result<std::shared_ptr<const std::string>> DocumentIdOf(std::string_view ns, bool reload);
  // Integrity (config_service_integrity.cc; the types in service/namespace_meta.h).
  // A version of `ns` read, its tag verified against its metadata, and with kFull its stored
  // secrets checked.
  Result<Verified> LoadVerified(std::string_view ns, store::VersionRef ref, ReadCheck check);
  // The verified metadata version `version` of `ns` (0: the latest); cached, and the latest is
  // reloaded when a version names a newer one or `reload` is set.
  Result<std::shared_ptr<const MetaEntry>> MetaAt(std::string_view ns, store::Version version,
                                                  bool reload);
  void ForgetMeta(std::string_view ns);
  Status CheckStoredSecrets(const store::Snapshot& snap, const MetaEntry& meta);
  // The tag of one version (from History) against its metadata.
  Status VerifyInfo(const store::VersionInfo& info);
  ServiceDeps deps_;
  std::mutex ids_mu_;
  std::unique_ptr<MetaCache> metas_;  // guarded by ids_mu_
  // Random bytes for request ids, drawn 512 at a time (one RAND_bytes call per 64 requests instead
  // of one per request, which cost about 1.5 µs, 3% of a read).
  std::string NewRequestId();
  // Where the tokens of a stored content are, by content hash.
  std::shared_ptr<const ReadPlan> FindPlan(const std::string& content_hash);
  void KeepPlan(const std::string& content_hash, std::shared_ptr<const ReadPlan> plan);
  std::mutex plans_mu_;
  std::unordered_map<std::string, std::shared_ptr<const ReadPlan>> plans_;
  std::size_t planned_tokens_ = 0;  // over all plans_
  std::mutex rid_mu_;
  std::array<std::uint8_t, 512> rid_pool_{};
  std::size_t rid_used_ = 512;
};

// The environment a namespace belongs to, for environment-specific rules: its first segment
// ("production/payments" -> "production").
std::string EnvironmentOf(std::string_view ns);

// The reserved namespace holding NS's metadata.
std::string MetaNamespace(std::string_view ns);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_CONFIG_SERVICE_H_
