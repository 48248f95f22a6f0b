// Node: the one place that composes Bulwark. It opens a home (bulwark/node/home.h) and hands back
// the composed services; the CLI, the server, the Python package and embedders all start here
// (docs/node.md, docs/embedding.md).
//
//   node::NodeOptions options;                    // everything optional
//   options.passphrase = [] { return ReadMyPassphrase(); };
//   BULWARK_ASSIGN_OR_RETURN(auto node, node::Node::Open(std::move(options)));
//   BULWARK_ASSIGN_OR_RETURN(service::ConfigService* config, node->Config());
//   auto value = config->Get(node->LocalContext(), "production/app", {.reveal = true});
//   BULWARK_RETURN_IF_ERROR(node->Close());
//
// What it composes, and where each piece comes from:
//   home          options.home, else $BULWARK_HOME, else $HOME/.bulwark
//   store         options.store_url, else $BULWARK_STORE, else sqlite:<home>/store.db
//   audit log     $BULWARK_AUDIT_STORE, else audit.store in <home>/config.yaml, else
//                 sqlite:<home>/audit.db; signing keys <home>/audit-log.key (created on first use);
//                 $BULWARK_AUDIT_CHECKPOINT_EVERY overrides the checkpoint interval (1000 events)
//   keys          <home>/provider.json + keystore/token + keyring; the passphrase from
//                 options.passphrase, else $BULWARK_PASSPHRASE; the PKCS#11 PIN from options.pin,
//                 else $BULWARK_PKCS11_PIN
//   compliance    options.compliance, else the packs and gate of <home>/config.yaml (default: the
//                 baseline pack, gate off), history in <home>/compliance.db
//   authorizer    options.authorizer, else the home's access policies (access/authorizer.h:
//                 <home>/policies or `access` in config.yaml; fail closed when they are broken),
//                 else request::NewLocalAuthorizer() (local principals only); wrapped by the
//                 direct-write guard of <home>/approval-policies.yaml (change/guard.h: writes to
//                 covered namespaces only through change requests); every service asks this one
//   algorithms    <home>/home.json: standard, or FIPS (OpenSSL's FIPS provider is loaded at Open;
//                 kFailedPrecondition when the platform lacks it)
//
// Everything opens lazily, on first use, so that each caller opens only what it needs: reading
// plain configuration never asks for a passphrase (keys open on the first encryption or
// decryption), and nothing is created in the home until something is written there.
//
// Lock order: <home>/keyring.lock (held from before the keystore is read, by a node whose keys
// were opened for update, until Close) before <home>/key-usage.lock; <home>/audit-ship.lock is
// independent. A node opens its keys at most once for update; a second process that needs to
// update the keys waits for the first (notice() says so).
//
// Errors: Open fails with kInvalidArgument when no home can be resolved, kDataLoss for a malformed
// home.json, kFailedPrecondition for a FIPS home without the FIPS provider. The accessors return
// the errors of what they open (kUnavailable for an unreachable store or audit log, kNotFound for
// keys of a home without a keyring, kUnauthenticated for a wrong passphrase or PIN).
//
// Thread safety: the accessors may be called concurrently; the services they return are
// thread-safe (service/config_service.h). Close must not run concurrently with other calls.
#ifndef BULWARK_NODE_NODE_H_
#define BULWARK_NODE_NODE_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/change/change_service.h"
#include "bulwark/compliance/engine.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/crypto/policy.h"
#include "bulwark/drift/drift_service.h"
#include "bulwark/keys/unlocked_keys.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "bulwark/node/audit_trail.h"
#include "bulwark/node/home.h"
#include "bulwark/request/audit_record.h"
#include "bulwark/request/authorizer.h"
#include "bulwark/request/context.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/file_service.h"
#include "bulwark/service/key_service.h"

namespace bulwark::node {

// Asked for a secret (passphrase, PIN) only when one is needed; the CLI prompts here, the node
// never touches a terminal. An error is returned to the caller of the operation that needed it.
using SecretSource = std::function<Result<SecretBytes>()>;

struct NodeOptions {
  std::filesystem::path home;  // see the table above
  std::string store_url;
  SecretSource passphrase;
  SecretSource pin;
  // One line for a human, without a trailing newline: "waiting for <home>/keyring.lock (...)",
  // "warning: ...". Null: dropped.
  std::function<void(std::string_view)> notice;
  std::shared_ptr<const request::Authorizer> authorizer;
  // The undecorated access engine behind `authorizer` when that one wraps it (the server's
  // metrics decorator): change requests ask it for a principal's effective roles (role `members`
  // and `groups`). Null: `authorizer` itself is asked when it is an access::PolicyAuthorizer;
  // otherwise the credential's own id and roles are used.
  std::shared_ptr<const request::Authorizer> identity_authorizer;
  std::shared_ptr<const compliance::Engine> compliance;
  // The client named in LocalContext() and in audit events ("bulwark-cli/0.1.0").
  std::string client;
  Runtime runtime = Runtime::System();
  Environment environment;  // null: ProcessEnvironment()
  // Test builds only: called at the named crash points of multi-step key operations
  // (service/key_service.h); a test hook ends the process there. Null in production: the shipped
  // CLI sets none (docs/node.md section 6).
  std::function<void(std::string_view point)> crash_point;

  // A long-running node that shares its home with other processes (bulwark serve): the
  // configuration service opens the keys for reading (no keyring lock is held for the node's life,
  // so other servers and the CLI can change keys; usage counts are not saved at Close).
  bool shared_keys = false;
  // Entries of the configuration service's decrypted-value cache (service/caching_value_cipher.h);
  // 0: no cache.
  std::size_t value_cache_entries = 0;
  // Wraps the node's audit sink once at Open (for example to measure appends); every service of
  // the node and audit_sink() then use the wrapped sink. Null: the sink as it is.
  std::function<std::shared_ptr<request::AuditSink>(std::shared_ptr<request::AuditSink>)>
      wrap_audit_sink;
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> Open(NodeOptions options);
  // Closes (see Close) if that was not done; an error then goes to notice().
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const Home& home() const { return home_; }
  const Runtime& runtime() const { return options_.runtime; }
  const Environment& environment() const { return options_.environment; }
  const crypto::AlgorithmPolicy& policy() const { return policy_; }
  const std::shared_ptr<const request::Authorizer>& authorizer() const { return authorizer_; }
  // The store URL this node uses (resolved at Open).
  const std::string& store_url() const { return store_url_; }
  // The context of the current operating-system user, as options.client.
  request::RequestContext LocalContext() const;

  // The configuration service: store, audit log, the home's keys (opened for update on the first
  // encryption or decryption), compliance engine, gate and history.
  Result<service::ConfigService*> Config();
  // The same, or nullptr when the node's store is the home's default SQLite file and it does not
  // exist yet (then no namespace can hold anything: key management skips the store).
  Result<service::ConfigService*> ConfigIfStoreExists();
  // The compliance engine the configuration service uses.
  Result<std::shared_ptr<const compliance::Engine>> ComplianceEngine();

  // Encrypted files (service/file_service.h), through the node's keys, authorizer and audit log.
  Result<service::FileService*> Files();
  // The key lifecycle (service/key_service.h): init, list, rotate, rewrap, disable, enable,
  // destroy, compromised.
  Result<service::KeyService*> Keys();

  // Drift detection (drift/drift_service.h) over the configuration service: baselines in
  // <home>/drift-baselines.json, sensitive values fingerprinted under <home>/drift-fingerprint.key
  // (created on first use), encfile sources decrypted through Files() (audited as file.decrypt).
  Result<drift::DriftService*> Drift();
  // Change requests (change/change_service.h) over the configuration service, records in the
  // store's reserved namespaces .bulwark/changes/<id>, policies from
  // <home>/approval-policies.yaml.
  Result<change::ChangeService*> Changes();
  // Secret metadata, due dates and rotation (lifecycle/lifecycle.h, docs/rotation.md) over the
  // configuration service and its store: lifecycle documents in `.bulwark/lifecycle/NS`, values
  // only through Config(), authorized and audited like the other services.
  Result<lifecycle::SecretLifecycle*> Lifecycle();
  // The home's audit log and what is done with it (verification, proofs, retention, shipping).
  Result<AuditTrail*> Audit();
  // `bulwark audit rotate-key`: RotateHomeAuditKey (node/audit_trail.h) with this node's home,
  // environment and authorizer. The node's audit log and trail are reopened with the new key on
  // their next use.
  Result<RotatedAuditKey> RotateAuditKey(const request::RequestContext& ctx,
                                         const std::vector<std::string>& previous_verifiers);
  // The sink every service of this node records into (the audit log, opened on first use).
  std::shared_ptr<request::AuditSink> audit_sink() const;

  // The home's keys. kRead takes no lock; kUpdate holds <home>/keyring.lock until Close. Opened
  // once: a later call returns the same keys (a kUpdate call after kRead reopens them, with the
  // lock, so that what is saved starts from the latest keyring).
  Result<std::shared_ptr<keys::UnlockedKeys>> UnlockKeys(keys::KeyringAccess access);
  // The secrets, from the callbacks of the options or the environment.
  Result<SecretBytes> Passphrase() const;
  Result<SecretBytes> Pin() const;

  // Saves the key usage counts if the configuration service encrypted anything, and releases the
  // keyring lock. Idempotent.
  Status Close();

  // One line to the notice callback.
  void Notice(std::string_view line) const;

 private:
  class LazyCipher;
  class LazySink;
  explicit Node(NodeOptions options);
  Result<std::shared_ptr<keys::UnlockedKeys>> OpenKeysLocked(keys::KeyringAccess access);
  // KeyService::Init's part that knows the home: provider, keyring, home.json.
  Result<service::InitResult> InitializeHome(const service::InitRequest& request);

  NodeOptions options_;
  Home home_;
  std::string store_url_;
  crypto::AlgorithmPolicy policy_ = crypto::AlgorithmPolicy::Standard();
  std::shared_ptr<const request::Authorizer> authorizer_;  // the guarded one
  std::shared_ptr<const request::Authorizer> inner_authorizer_;
  std::shared_ptr<const Result<change::ApprovalPolicies>> approval_policies_;
  std::shared_ptr<LazySink> sink_;
  std::shared_ptr<request::AuditSink> service_sink_;  // sink_, wrapped by wrap_audit_sink
  std::shared_ptr<LazyCipher> cipher_;

  std::mutex mu_;  // guards what follows
  std::shared_ptr<keys::UnlockedKeys> keys_;
  std::unique_ptr<service::ConfigService> config_;
  std::shared_ptr<const compliance::Engine> engine_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<service::FileService> files_;
  std::unique_ptr<service::KeyService> keys_service_;
  std::unique_ptr<drift::DriftService> drift_;
  std::unique_ptr<change::ChangeService> changes_;
  std::shared_ptr<store::ConfigStore> store_;
  std::shared_ptr<const service::StoreMacKey> store_mac_;
  std::unique_ptr<lifecycle::SecretLifecycle> lifecycle_;
  bool closed_ = false;
};

}  // namespace bulwark::node

#endif  // BULWARK_NODE_NODE_H_
