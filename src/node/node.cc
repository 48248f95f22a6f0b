#include "bulwark/node/node.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "bulwark/access/authorizer.h"
#include "bulwark/agent/client.h"
#include "bulwark/agent/server.h"
#include "bulwark/auditlog/log_audit.h"
#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/compliance/history.h"
#include "bulwark/config/format.h"
#include "bulwark/keys/local_keystore.h"
#include "bulwark/keys/pkcs11_provider.h"
#include "bulwark/service/caching_value_cipher.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/store/open.h"

namespace bulwark::node {
namespace fs = std::filesystem;

// The node's audit sink: opens the home's log on first use (so that a command that records
// nothing creates no log), and keeps it for the AuditTrail.
class Node::LazySink final : public request::AuditSink {
 public:
  LazySink(Home home, Runtime rt, Environment env)
      : home_(std::move(home)), rt_(std::move(rt)), env_(std::move(env)) {}

  Status Append(const request::AuditRecord& record) override {
    BULWARK_ASSIGN_OR_RETURN(request::AuditSink * sink, Sink());
    return sink->Append(record);
  }
  Status HealthCheck() const override {
    BULWARK_ASSIGN_OR_RETURN(request::AuditSink * sink, Sink());
    return sink->HealthCheck();
  }
  Result<HomeAuditLog> Log() const {
    BULWARK_RETURN_IF_ERROR(Sink());
    std::lock_guard lock(mu_);
    return log_;
  }
  // The next use reopens the log (its key file changed).
  void Reset() {
    std::lock_guard lock(mu_);
    sink_.reset();
    log_ = {};
  }

 private:
  Result<request::AuditSink*> Sink() const {
    std::lock_guard lock(mu_);
    if (!sink_) {
      BULWARK_ASSIGN_OR_RETURN(log_, OpenHomeAuditLog(rt_, home_, env_));
      sink_ = std::make_unique<audit::LogAuditSink>(log_.log, audit::ImpactClassifier::Default(),
                                                    EventSource(), rt_);
    }
    return sink_.get();
  }
  Home home_;
  Runtime rt_;
  Environment env_;
  mutable std::mutex mu_;
  mutable HomeAuditLog log_;
  mutable std::unique_ptr<audit::LogAuditSink> sink_;
};

// The configuration service's cipher: opens the home's keys (for update: a later encryption saves
// the usage counts at Close) on the first encryption or decryption, so that reading configuration
// without secrets never asks for a passphrase.
class Node::LazyCipher final : public service::ValueCipher {
 public:
  explicit LazyCipher(Node* node) : node_(node) {}

  Result<std::string> Encrypt(const config::Value& v, std::string_view doc,
                              const config::Path& p) const override {
    BULWARK_ASSIGN_OR_RETURN(const service::ValueCipher* c, Get());
    auto token = c->Encrypt(v, doc, p);
    dirty_ = true;
    return token;
  }
  Result<config::Value> Decrypt(std::string_view t, std::string_view doc,
                                const config::Path& p) const override {
    BULWARK_ASSIGN_OR_RETURN(const service::ValueCipher* c, Get());
    return c->Decrypt(t, doc, p);
  }
  Status DecryptMany(std::span<const service::TokenAt> tokens, std::string_view doc,
                     std::vector<config::Value>& out) const override {
    BULWARK_ASSIGN_OR_RETURN(const service::ValueCipher* c, Get());
    return c->DecryptMany(tokens, doc, out);
  }
  Status DecryptContent(std::span<const service::TokenAt> tokens, std::string_view doc,
                        std::string_view content_hash,
                        std::vector<config::Value>& out) const override {
    BULWARK_ASSIGN_OR_RETURN(const service::ValueCipher* c, Get());
    return c->DecryptContent(tokens, doc, content_hash, out);
  }
  bool dirty() const { return dirty_; }

 private:
  Result<const service::ValueCipher*> Get() const {
    std::lock_guard lock(mu_);
    if (!cipher_) {
      const NodeOptions& o = node_->options_;
      BULWARK_ASSIGN_OR_RETURN(auto keys,
                               node_->UnlockKeys(o.shared_keys ? keys::KeyringAccess::kRead
                                                               : keys::KeyringAccess::kUpdate));
      std::unique_ptr<service::ValueCipher> plain = service::NewKeyringValueCipher(keys->keyring);
      if (o.value_cache_entries > 0) {
        BULWARK_ASSIGN_OR_RETURN(
            cipher_, service::CachingValueCipher::Create(std::move(plain), keys->keyring,
                                                         {.max_entries = o.value_cache_entries}));
      } else {
        cipher_ = std::move(plain);
      }
    }
    return cipher_.get();
  }
  Node* node_;
  mutable std::mutex mu_;
  mutable std::unique_ptr<service::ValueCipher> cipher_;
  mutable std::atomic<bool> dirty_ = false;
};

Node::Node(NodeOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Node>> Node::Open(NodeOptions options) {
  if (!options.environment) options.environment = ProcessEnvironment();
  if (options.client.empty()) options.client = fmt::format("bulwark/{}", Version());
  BULWARK_ASSIGN_OR_RETURN(Home home, ResolveHome(options.home, options.environment));
  std::unique_ptr<Node> node(new Node(std::move(options)));
  node->home_ = std::move(home);
  const NodeOptions& o = node->options_;
  BULWARK_RETURN_IF_ERROR(RestrictHome(
      *o.runtime.fs, node->home_, [n = node.get()](std::string_view line) { n->Notice(line); }));
  node->store_url_ = ResolveStoreUrl(o.store_url, o.environment, node->home_);
  BULWARK_ASSIGN_OR_RETURN(HomeSettings settings, ReadHomeSettings(*o.runtime.fs, node->home_));
  if (settings.fips) {
    auto policy = crypto::AlgorithmPolicy::CreateFipsPolicy();
    if (!policy) {
      return std::unexpected(policy.error().WithContext(
          fmt::format("{} is a FIPS home ({}), but this platform cannot run in FIPS mode",
                      node->home_.dir.string(), node->home_.settings_file().string())));
    }
    node->policy_ = std::move(*policy);
  }
  // The home's access policies when it has any (fail closed on a broken one), else local only.
  node->authorizer_ = o.authorizer;
  if (!node->authorizer_)
    node->authorizer_ = access::LoadHomeAuthorizer(o.runtime, node->home_.dir);
  if (!node->authorizer_) {
    node->authorizer_ = std::shared_ptr<const request::Authorizer>(request::NewLocalAuthorizer());
  }
  // Approval policies: covered namespaces are written only through change requests (a broken
  // file refuses every write: fail closed).
  node->approval_policies_ = std::make_shared<const Result<change::ApprovalPolicies>>(
      [&]() -> Result<change::ApprovalPolicies> {
        const std::filesystem::path file = node->home_.approval_policies();
        BULWARK_ASSIGN_OR_RETURN(bool exists, o.runtime.fs->Exists(file));
        if (!exists) return change::ApprovalPolicies();
        BULWARK_ASSIGN_OR_RETURN(std::string text, o.runtime.fs->ReadFile(file));
        return change::ApprovalPolicies::Parse(text, file.string());
      }());
  node->inner_authorizer_ = node->authorizer_;
  node->authorizer_ = change::NewDirectWriteGuard(node->inner_authorizer_, node->approval_policies_);
  node->sink_ = std::make_shared<LazySink>(node->home_, o.runtime, o.environment);
  node->service_sink_ = o.wrap_audit_sink ? o.wrap_audit_sink(node->sink_) : node->sink_;
  node->cipher_ = std::make_shared<LazyCipher>(node.get());
  return node;
}

Node::~Node() {
  if (auto s = Close(); !s) Notice(fmt::format("warning: {}", s.error().message()));
}

std::shared_ptr<request::AuditSink> Node::audit_sink() const { return service_sink_; }

void Node::Notice(std::string_view line) const {
  if (options_.notice) options_.notice(line);
}

request::RequestContext Node::LocalContext() const {
  return request::LocalUserContext(options_.client);
}

namespace {

// A secret from the options' callback, else from the environment variable `var`.
Result<SecretBytes> SecretOf(const SecretSource& source, const Environment& env,
                             std::string_view var, std::string_view what) {
  if (source) return source();
  if (auto p = env(var)) {
    SecretBytes secret = SecretBytes::FromString(*p);
    SecureZero(*p);
    if (secret.empty()) return InvalidArgumentError(fmt::format("the {} is empty", what));
    return secret;
  }
  return InvalidArgumentError(fmt::format("no {}: set {}", what, var));
}

}  // namespace

Result<SecretBytes> Node::Passphrase() const {
  return SecretOf(options_.passphrase, options_.environment, "BULWARK_PASSPHRASE", "passphrase");
}

Result<SecretBytes> Node::Pin() const {
  return SecretOf(options_.pin, options_.environment, "BULWARK_PKCS11_PIN", "PKCS#11 PIN");
}

Result<std::shared_ptr<keys::UnlockedKeys>> Node::UnlockKeys(keys::KeyringAccess access) {
  std::lock_guard lock(mu_);
  if (closed_) return FailedPreconditionError("the node is closed");
  if (keys_ && (access == keys::KeyringAccess::kRead || keys_->writable())) return keys_;
  BULWARK_ASSIGN_OR_RETURN(keys_, OpenKeysLocked(access));
  return keys_;
}

namespace {

// The keys through the home's key agent (docs/agent.md), or nullopt when it cannot serve them (the
// caller then asks for the passphrase). `take_lock` takes the keyring lock when opening for update.
std::optional<std::shared_ptr<keys::UnlockedKeys>> KeysThroughAgent(
    const Home& home_, const NodeOptions& options_, const crypto::AlgorithmPolicy& policy_,
    keys::UnlockedKeys& k, const std::function<Status()>& take_lock,
    const std::function<void(std::string_view)>& Notice) {
  agent::Client client(agent::SocketPath(home_.dir));
  auto status = client.GetStatus();
  if (!status) {
    // No socket is the usual case and says nothing; anything else is worth a line.
    if (status.error().message().find("does not exist") == std::string::npos) {
      Notice(fmt::format("note: not using the key agent: {}", status.error().message()));
    }
    return std::nullopt;
  }
  if (!status->unlocked) return std::nullopt;  // locked: the passphrase, as without an agent
  std::error_code ec;
  if (!fs::equivalent(fs::path(status->home), home_.dir, ec)) {
    Notice(fmt::format("note: not using the key agent at {}: it serves {}",
                       client.socket().string(), status->home));
    return std::nullopt;
  }
  if (Status s = take_lock(); !s) return std::nullopt;
  // KEK rotation is done locally, with the passphrase (agent::AgentKeyProvider).
  auto open_local = [keystore = home_.keystore(), runtime = k.runtime, policy = policy_,
                     source = options_.passphrase, env = options_.environment,
                     notice = options_.notice]() -> Result<std::unique_ptr<keys::KeyProvider>> {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pass,
                             SecretOf(source, env, "BULWARK_PASSPHRASE", "passphrase"));
    BULWARK_ASSIGN_OR_RETURN(auto opened,
                             keys::LocalKeystoreProvider::Open(keystore, pass, runtime, policy));
    for (const std::string& w : opened.warnings) {
      if (notice) notice(fmt::format("warning: {}", w));
    }
    return std::unique_ptr<keys::KeyProvider>(std::move(opened.provider));
  };
  auto provider = std::make_unique<agent::AgentKeyProvider>(std::move(client), home_.keystore(),
                                                            std::move(open_local));
  auto data = k.runtime.fs->ReadFile(k.keyring_path);
  auto ring = data ? keys::Keyring::Load(*data, *provider, k.runtime, policy_)
                   : Result<std::unique_ptr<keys::Keyring>>(std::unexpected(data.error()));
  if (!ring) {
    k.lock.reset();  // no lock is held while the fallback asks for the passphrase
    const ErrorCode c = ring.error().code();
    if (c != ErrorCode::kUnavailable && c != ErrorCode::kFailedPrecondition) {
      // The same error would come with the passphrase (an altered keyring): say it once.
      Notice(fmt::format("note: the key agent could not open the keyring: {}",
                         ring.error().message()));
    } else {
      Notice(fmt::format("note: not using the key agent: {}", ring.error().message()));
    }
    return std::nullopt;
  }
  auto out = std::make_shared<keys::UnlockedKeys>();
  out->runtime = k.runtime;
  out->policy = k.policy;
  out->keyring_path = k.keyring_path;
  out->provider = std::move(provider);
  out->keyring = std::move(*ring);
  out->lock = std::move(k.lock);
  return out;
}

}  // namespace

Result<std::shared_ptr<keys::UnlockedKeys>> Node::OpenKeysLocked(keys::KeyringAccess access) {
  auto k = std::make_shared<keys::UnlockedKeys>();
  k->runtime = options_.runtime;
  k->policy = policy_;
  k->keyring_path = home_.keyring();
  FileSystem& files = *k->runtime.fs;
  BULWARK_ASSIGN_OR_RETURN(bool exists, files.Exists(k->keyring_path));
  if (!exists) {
    return NotFoundError(
        fmt::format("no keyring at {}: run 'bulwark init' first", k->keyring_path.string()));
  }
  BULWARK_ASSIGN_OR_RETURN(ProviderConfig config, ReadProviderConfig(files, home_));
  // Taken after the passphrase/PIN is read (no lock held while a user types) and before the
  // provider (keystore or token KEK) and the keyring are read, so that what this node saves is
  // based on the latest of both.
  auto take_lock = [&]() -> Status {
    if (access != keys::KeyringAccess::kUpdate) return OkStatus();
    const fs::path file = home_.keyring_lock();
    BULWARK_ASSIGN_OR_RETURN(FileLock held, FileLock::Acquire(file, "keyring", [&] {
                               Notice(
                                   fmt::format("waiting for {} (another bulwark process is "
                                               "updating the keyring)",
                                               file.string()));
                             }));
    k->lock.emplace(std::move(held));
    return OkStatus();
  };
  if (config.kind == "pkcs11") {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pin, Pin());
    BULWARK_RETURN_IF_ERROR(take_lock());
    keys::Pkcs11Provider::Options po;
    po.module_path = config.module;
    po.token_label = config.token_label;
    po.key_label = config.key_label;
    po.pin = std::move(pin);
    BULWARK_ASSIGN_OR_RETURN(k->provider,
                             keys::Pkcs11Provider::Open(std::move(po), k->runtime.random));
  } else {
    // The key agent first (docs/agent.md): when it answers unlocked for this home, the keyring is
    // unwrapped through it and no passphrase is asked. Any failure of the agent (none, stale,
    // locked, hung, replaced keystore) falls back to the passphrase.
    if (auto via = KeysThroughAgent(home_, options_, policy_, *k, take_lock,
                                    [this](std::string_view line) { Notice(line); })) {
      return *via;
    }
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pass, Passphrase());
    BULWARK_RETURN_IF_ERROR(take_lock());
    BULWARK_ASSIGN_OR_RETURN(auto opened, keys::LocalKeystoreProvider::Open(home_.keystore(), pass,
                                                                            k->runtime, policy_));
    for (const std::string& w : opened.warnings) Notice(fmt::format("warning: {}", w));
    k->provider = std::move(opened.provider);
  }
  BULWARK_ASSIGN_OR_RETURN(std::string data, files.ReadFile(k->keyring_path));
  BULWARK_ASSIGN_OR_RETURN(k->keyring,
                           keys::Keyring::Load(data, *k->provider, k->runtime, policy_));
  return k;
}

Result<std::shared_ptr<const compliance::Engine>> Node::ComplianceEngine() {
  std::lock_guard lock(mu_);
  if (engine_) return engine_;
  if (options_.compliance) {
    engine_ = options_.compliance;
    return engine_;
  }
  BULWARK_ASSIGN_OR_RETURN(ComplianceSettings settings,
                           ReadComplianceSettings(*options_.runtime.fs, home_));
  std::vector<std::shared_ptr<const compliance::RulePack>> packs;
  for (const std::string& spec : settings.packs) {
    BULWARK_ASSIGN_OR_RETURN(auto pack, compliance::LoadPackSpec(*options_.runtime.fs, spec));
    packs.push_back(std::move(pack));
  }
  BULWARK_ASSIGN_OR_RETURN(auto engine, compliance::Engine::Create(std::move(packs)));
  engine_ = std::move(engine);
  return engine_;
}

Result<service::ConfigService*> Node::Config() {
  {
    std::lock_guard lock(mu_);
    if (config_) return config_.get();
  }
  const Runtime& rt = options_.runtime;
  BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home_.dir, kPrivateDir));
  BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<store::ConfigStore> st,
                           store::OpenStore(store_url_, rt));
  // The key that authenticates the store's versions (created, under its lock, only for a store
  // without tagged versions; docs/store.md, "The key").
  BULWARK_ASSIGN_OR_RETURN(
      service::StoreMacKeyOpening mac,
      service::OpenStoreMacKey(*rt.fs, ResolveStoreMacKeyPath(options_.environment, home_), *st,
                               *rt.random));
  BULWARK_RETURN_IF_ERROR(sink_->HealthCheck());  // opens the audit log: fail early, and closed
  std::shared_ptr<store::ConfigStore> shared_store = std::move(st);
  service::ServiceDeps deps{rt, shared_store, cipher_, authorizer_, service_sink_, {}};
  deps.store_mac = mac.key;
  BULWARK_ASSIGN_OR_RETURN(deps.compliance, ComplianceEngine());
  if (!options_.compliance) {
    BULWARK_ASSIGN_OR_RETURN(ComplianceSettings settings, ReadComplianceSettings(*rt.fs, home_));
    if (settings.gate) deps.gate = compliance::GateOptions{.threshold = *settings.gate};
  }
  BULWARK_ASSIGN_OR_RETURN(deps.history,
                           compliance::OpenSqliteComplianceHistory(home_.compliance_db()));
  BULWARK_ASSIGN_OR_RETURN(auto svc, service::ConfigService::Create(std::move(deps)));
  if (mac.created) {
    // A store written before versions carried tags is sealed as it is now (trust on first use),
    // then the new key moves into place.
    if (mac.untagged > 0) {
      BULWARK_ASSIGN_OR_RETURN(service::SealReport sealed,
                               svc->SealUnauthenticated(LocalContext()));
      Notice(fmt::format(
          "this store was written by a Bulwark without version authentication: sealed its {} "
          "versions as they are now with a new key in {} (keep a backup of it; docs/store.md, "
          "\"Migration\")",
          sealed.versions, mac.path.string()));
    }
    BULWARK_RETURN_IF_ERROR(mac.Commit(*rt.fs));
  }
  std::lock_guard lock(mu_);
  if (!config_) {
    config_ = std::move(svc);
    store_ = std::move(shared_store);
    store_mac_ = mac.key;
  }
  return config_.get();
}

Result<change::ChangeService*> Node::Changes() {
  {
    std::lock_guard lock(mu_);
    if (changes_) return changes_.get();
  }
  BULWARK_ASSIGN_OR_RETURN(service::ConfigService * config, Config());
  change::ChangeServiceDeps deps;
  deps.runtime = options_.runtime;
  deps.config = config;
  BULWARK_ASSIGN_OR_RETURN(deps.compliance, ComplianceEngine());
  std::lock_guard lock(mu_);
  if (changes_) return changes_.get();
  deps.store = store_;
  deps.store_mac = store_mac_;
  deps.cipher = cipher_;
  deps.authorizer = inner_authorizer_;
  deps.audit = service_sink_;
  deps.policies = approval_policies_;
  deps.identify = [authz = options_.identity_authorizer ? options_.identity_authorizer
                                                         : inner_authorizer_](const request::RequestContext& ctx) {
    change::Identity who;
    if (const auto* pa = dynamic_cast<const access::PolicyAuthorizer*>(authz.get())) {
      auto [id, roles] = pa->EffectivePrincipal(ctx);
      who.id = std::move(id);
      who.roles = std::move(roles);
      return who;
    }
    who.id = ctx.principal.id;
    who.roles = ctx.principal.roles;
    std::sort(who.roles.begin(), who.roles.end());
    return who;
  };
  BULWARK_ASSIGN_OR_RETURN(changes_, change::ChangeService::Create(std::move(deps)));
  return changes_.get();
}

Result<service::ConfigService*> Node::ConfigIfStoreExists() {
  if (store_url_ == home_.default_store_url()) {
    BULWARK_ASSIGN_OR_RETURN(bool exists, options_.runtime.fs->Exists(home_.store_db()));
    if (!exists) return static_cast<service::ConfigService*>(nullptr);
  }
  return Config();
}

Result<service::FileService*> Node::Files() {
  std::lock_guard lock(mu_);
  if (!files_) {
    service::FileServiceDeps deps;
    deps.runtime = options_.runtime;
    deps.keys = [this](keys::KeyringAccess a) { return UnlockKeys(a); };
    deps.authorizer = authorizer_;
    deps.audit = service_sink_;
    deps.usage_index = home_.key_usage_index();
    deps.notice = [this](std::string_view line) { Notice(line); };
    deps.crash_point = options_.crash_point;
    BULWARK_ASSIGN_OR_RETURN(files_, service::FileService::Create(std::move(deps)));
  }
  return files_.get();
}

Result<drift::DriftService*> Node::Drift() {
  {
    std::lock_guard lock(mu_);
    if (drift_) return drift_.get();
  }
  BULWARK_ASSIGN_OR_RETURN(service::ConfigService * config, Config());
  drift::DriftServiceDeps deps;
  deps.runtime = options_.runtime;
  deps.config = config;
  deps.authorizer = authorizer_;
  deps.audit = service_sink_;
  deps.records_file = home_.drift_baselines();
  deps.lock_file = home_.drift_baselines_lock();
  deps.fingerprint_key = [rt = options_.runtime, path = home_.drift_fingerprint_key()] {
    return audit::LoadOrCreateAuditHmacKey(rt, path);
  };
  deps.decrypt_file = [this](const request::RequestContext& ctx,
                             const std::filesystem::path& file) -> Result<config::Document> {
    BULWARK_ASSIGN_OR_RETURN(service::FileService * files, Files());
    service::DecryptFileRequest req;
    req.file = file;
    BULWARK_ASSIGN_OR_RETURN(service::DecryptFileResult plain, files->Decrypt(ctx, req));
    std::optional<config::Format> format;
    switch (plain.format) {
      case secfile::FileFormat::kYaml:
        format = config::Format::kYaml;
        break;
      case secfile::FileFormat::kJson:
        format = config::Format::kJson;
        break;
      case secfile::FileFormat::kToml:
        format = config::Format::kToml;
        break;
      case secfile::FileFormat::kDotenv:
        format = config::Format::kDotenv;
        break;
      case secfile::FileFormat::kIni:
        break;
    }
    if (!format) {
      SecureZero(plain.text);
      return InvalidArgumentError(fmt::format(
          "encfile:{}: INI files cannot be compared (no configuration model)", file.string()));
    }
    auto doc = config::ParseDocument(plain.text, *format, {.source_name = file.string()});
    SecureZero(plain.text);
    return doc;
  };
  BULWARK_ASSIGN_OR_RETURN(auto svc, drift::DriftService::Create(std::move(deps)));
  std::lock_guard lock(mu_);
  if (!drift_) drift_ = std::move(svc);
  return drift_.get();
}

Result<lifecycle::SecretLifecycle*> Node::Lifecycle() {
  {
    std::lock_guard lock(mu_);
    if (lifecycle_) return lifecycle_.get();
  }
  BULWARK_ASSIGN_OR_RETURN(service::ConfigService * config, Config());
  lifecycle::LifecycleDeps deps;
  deps.runtime = options_.runtime;
  {
    std::lock_guard lock(mu_);
    deps.store = store_;
    deps.store_mac = store_mac_;
  }
  deps.authorizer = authorizer_;
  deps.audit = service_sink_;
  // Not owned: the node keeps the configuration service until Close, which drops the lifecycle
  // first.
  deps.config = std::shared_ptr<service::ConfigService>(std::shared_ptr<void>(), config);
  BULWARK_ASSIGN_OR_RETURN(auto lc, lifecycle::SecretLifecycle::Create(std::move(deps)));
  std::lock_guard lock(mu_);
  if (!lifecycle_) lifecycle_ = std::move(lc);
  return lifecycle_.get();
}

Result<service::KeyService*> Node::Keys() {
  std::lock_guard lock(mu_);
  if (!keys_service_) {
    service::KeyServiceDeps deps;
    deps.runtime = options_.runtime;
    deps.keys = [this](keys::KeyringAccess a) { return UnlockKeys(a); };
    deps.authorizer = authorizer_;
    deps.audit = service_sink_;
    deps.store = [this]() { return ConfigIfStoreExists(); };
    deps.home = home_.dir;
    deps.usage_index = home_.key_usage_index();
    deps.notice = [this](std::string_view line) { Notice(line); };
    deps.initialize = [this](const service::InitRequest& r) { return InitializeHome(r); };
    deps.crash_point = options_.crash_point;
    BULWARK_ASSIGN_OR_RETURN(keys_service_, service::KeyService::Create(std::move(deps)));
  }
  return keys_service_.get();
}

Result<service::InitResult> Node::InitializeHome(const service::InitRequest& req) {
  const Runtime& rt = options_.runtime;
  crypto::AlgorithmPolicy policy = crypto::AlgorithmPolicy::Standard();
  if (req.fips) {
    auto fips = crypto::AlgorithmPolicy::CreateFipsPolicy();
    if (!fips) {
      return std::unexpected(fips.error().WithContext(
          "init --fips: this platform cannot run in FIPS mode (OpenSSL's FIPS provider is not "
          "available); no keyring was created"));
    }
    policy = std::move(*fips);
  }
  BULWARK_RETURN_IF_ERROR(policy.CheckAead(req.algorithm));
  // Two concurrent inits of one home must not both create a keystore and a keyring (the later
  // would replace the earlier's keystore under its keyring): the keyring lock is held from the
  // existence check to the keyring write. It needs the directory; a failed init leaves at most
  // the home with its lock file and audit log, which a new init accepts.
  BULWARK_RETURN_IF_ERROR(rt.fs->CreateDirectories(home_.dir, kPrivateDir));
  // An existing directory becomes the home: the owner's alone, whatever it was.
  BULWARK_ASSIGN_OR_RETURN(fs::perms had, rt.fs->RestrictToOwner(home_.dir));
  if ((had & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    Notice(fmt::format("warning: {} was readable or writable by others (mode {:04o}); now {:04o}",
                       home_.dir.string(), static_cast<unsigned>(had & fs::perms::mask),
                       static_cast<unsigned>(had & fs::perms::owner_all)));
  }
  const fs::path lock_file = home_.keyring_lock();
  BULWARK_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_file, "keyring", [&] {
                             Notice(
                                 fmt::format("waiting for {} (another bulwark process is "
                                             "updating the keyring)",
                                             lock_file.string()));
                           }));
  BULWARK_ASSIGN_OR_RETURN(bool exists, rt.fs->Exists(home_.keyring()));
  if (exists)
    return AlreadyExistsError(fmt::format("{} already has a keyring", home_.dir.string()));
  ProviderConfig config;
  std::unique_ptr<keys::KeyProvider> provider;
  if (req.provider == "local") {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pass, Passphrase());
    BULWARK_ASSIGN_OR_RETURN(
        provider, keys::LocalKeystoreProvider::Create(home_.keystore(), pass, rt, policy));
  } else if (req.provider == "pkcs11") {
    if (req.token_label.empty()) {
      return InvalidArgumentError("--provider pkcs11 needs --token-label (the token's label)");
    }
    config.kind = "pkcs11";
    config.module = fs::absolute(req.pkcs11_module).lexically_normal().string();
    config.token_label = req.token_label;
    config.key_label = req.key_label;
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pin, Pin());
    keys::Pkcs11Provider::Options po;
    po.module_path = config.module;
    po.token_label = config.token_label;
    po.key_label = config.key_label;
    po.pin = std::move(pin);
    po.create_if_missing = true;
    BULWARK_ASSIGN_OR_RETURN(auto p11, keys::Pkcs11Provider::Open(std::move(po), rt.random));
    BULWARK_RETURN_IF_ERROR(p11->CheckKekIsNonExtractable());
    BULWARK_RETURN_IF_ERROR(p11->HealthCheck());
    provider = std::move(p11);
  } else {
    return InvalidArgumentError(
        fmt::format("unknown provider '{}' (valid: local, pkcs11)", req.provider));
  }
  BULWARK_ASSIGN_OR_RETURN(auto keyring,
                           keys::Keyring::Create(rt, policy, {.algorithm = req.algorithm}));
  BULWARK_ASSIGN_OR_RETURN(std::string data, keyring->Serialize(*provider));
  // Settings and provider file first: a keyring without them would be read as a standard, local
  // one.
  BULWARK_RETURN_IF_ERROR(WriteHomeSettings(*rt.fs, home_, HomeSettings{.fips = req.fips}));
  BULWARK_RETURN_IF_ERROR(WriteProviderConfig(*rt.fs, home_, config));
  BULWARK_RETURN_IF_ERROR(rt.fs->WriteFileAtomic(home_.keyring(), data, kPrivateFile));
  policy_ = policy;
  return service::InitResult{keyring->primary_id(), provider->Describe()};
}

Result<AuditTrail*> Node::Audit() {
  {
    std::lock_guard lock(mu_);
    if (audit_) return audit_.get();
  }
  BULWARK_ASSIGN_OR_RETURN(HomeAuditLog log, sink_->Log());
  auto trail = std::make_unique<AuditTrail>(home_, options_.runtime, std::move(log), authorizer_,
                                            service_sink_);
  std::lock_guard lock(mu_);
  if (!audit_) audit_ = std::move(trail);
  return audit_.get();
}

Result<RotatedAuditKey> Node::RotateAuditKey(const request::RequestContext& ctx,
                                             const std::vector<std::string>& previous_verifiers) {
  BULWARK_ASSIGN_OR_RETURN(RotatedAuditKey rotated,
                           RotateHomeAuditKey(options_.runtime, home_, options_.environment,
                                              *authorizer_, ctx, previous_verifiers));
  sink_->Reset();
  std::lock_guard lock(mu_);
  audit_.reset();
  return rotated;
}

Status Node::Close() {
  std::lock_guard lock(mu_);
  if (closed_) return OkStatus();
  closed_ = true;
  Status saved = OkStatus();
  if (keys_ && keys_->writable() && cipher_->dirty()) saved = keys_->Save();  // usage counts
  lifecycle_.reset();
  drift_.reset();
  keys_service_.reset();
  files_.reset();
  config_.reset();
  store_.reset();
  keys_.reset();  // releases the keyring lock
  return saved;
}

}  // namespace bulwark::node
