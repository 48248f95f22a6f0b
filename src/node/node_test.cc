#include "bulwark/node/node.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <nlohmann/json.hpp>

#include "bulwark/agent/client.h"
#include "bulwark/agent/server.h"
#include "bulwark/access/authorizer.h"
#include "bulwark/access/policy_set.h"
#include "bulwark/keys/local_keystore.h"
#include "bulwark/node/health.h"
#include "bulwark/node/key_agent.h"
#include "bulwark/testing/temp_dir.h"
#include "keys/fast_kdf_for_test.h"

namespace bulwark::node {
namespace {

namespace fs = std::filesystem;

Environment EnvOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(HomeTest, TheFlagWinsOverBulwarkHomeWhichWinsOverHome) {
  auto env = EnvOf({{"BULWARK_HOME", "/b"}, {"HOME", "/u"}});
  EXPECT_EQ(ResolveHome("/flag", env)->dir, fs::path("/flag"));
  EXPECT_EQ(ResolveHome("", env)->dir, fs::path("/b"));
  EXPECT_EQ(ResolveHome("", EnvOf({{"HOME", "/u"}}))->dir, fs::path("/u/.bulwark"));
  auto none = ResolveHome("", EnvOf({}));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kInvalidArgument);
}

TEST(HomeTest, StoreUrlIsTheFlagThenBulwarkStoreThenTheHomesSqliteFile) {
  const Home home{"/h"};
  EXPECT_EQ(ResolveStoreUrl("sqlite:/x.db", EnvOf({{"BULWARK_STORE", "sqlite:/y.db"}}), home),
            "sqlite:/x.db");
  EXPECT_EQ(ResolveStoreUrl("", EnvOf({{"BULWARK_STORE", "sqlite:/y.db"}}), home), "sqlite:/y.db");
  EXPECT_EQ(ResolveStoreUrl("", EnvOf({{"BULWARK_STORE", ""}}), home), "sqlite:/h/store.db");
}

TEST(HomeTest, DisplayUrlHidesAPostgresPasswordAndDropsTheSqliteScheme) {
  EXPECT_EQ(DisplayUrl("postgresql://u:secret@db:5432/x"), "postgresql://***@db:5432/x");
  EXPECT_EQ(DisplayUrl("sqlite:/h/audit.db"), "/h/audit.db");
}

class NodeTest : public ::testing::Test {
 protected:
  // A home with a local keystore (cheap KDF) and a keyring.
  void InitKeys() {
    auto rt = Runtime::System();
    ASSERT_TRUE(rt.fs->CreateDirectories(home_, kPrivateDir));
    const SecretBytes pass = SecretBytes::FromString("correct horse");
    auto provider = keys::LocalKeystoreProvider::Create(home_ / "keystore", pass, rt,
                                                        crypto::AlgorithmPolicy::Standard(),
                                                        keys::test_support::FastKdf());
    ASSERT_TRUE(provider) << provider.error();
    auto keyring = keys::Keyring::Create(rt, crypto::AlgorithmPolicy::Standard());
    ASSERT_TRUE(keyring) << keyring.error();
    auto data = (*keyring)->Serialize(**provider);
    ASSERT_TRUE(data) << data.error();
    ASSERT_TRUE(rt.fs->WriteFileAtomic(home_ / "keyring", *data, kPrivateFile));
  }

  NodeOptions Options() {
    NodeOptions o;
    o.home = home_;
    o.environment = EnvOf({});
    o.client = "node-test";
    o.passphrase = [this]() -> Result<SecretBytes> {
      ++passphrase_asked_;
      return SecretBytes::FromString("correct horse");
    };
    return o;
  }

  std::vector<nlohmann::json> Events(Node& node) {
    std::vector<nlohmann::json> out;
    auto trail = node.Audit();
    EXPECT_TRUE(trail) << trail.error();
    if (!trail) return out;
    auto s = (*trail)->Search(node.LocalContext(), {}, [&](const audit::StoredEvent& e) {
      out.push_back(nlohmann::json::parse(e.leaf));
      return OkStatus();
    });
    EXPECT_TRUE(s) << s.error();
    return out;
  }

  testing::TempDir tmp_{"bulwark-node"};
  const fs::path home_ = tmp_.path() / "home";
  int passphrase_asked_ = 0;
};

TEST_F(NodeTest, PlainConfigurationIsReadAndWrittenWithoutAskingForThePassphrase) {
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  auto config = (*node)->Config();
  ASSERT_TRUE(config) << config.error();
  const auto ctx = (*node)->LocalContext();
  config::Value doc = config::Value::EmptyMap();
  doc.AsMap().Set("port", config::Value(std::int64_t{8080}));
  auto put = (*config)->Put(ctx, "dev/app", doc, {});
  ASSERT_TRUE(put) << put.error();
  auto got = (*config)->Get(ctx, "dev/app", {});
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(passphrase_asked_, 0);
  EXPECT_FALSE(fs::exists(home_ / "keyring"));
  ASSERT_TRUE((*node)->Close());
  auto events = Events(**node);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "dev.bulwark.config.put");
  EXPECT_EQ(events[1]["data"]["request"]["client"], "node-test");
}

TEST_F(NodeTest, ASecretAsksForThePassphraseOnceAndIsRevealedThroughTheService) {
  InitKeys();
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  auto config = (*node)->Config();
  ASSERT_TRUE(config) << config.error();
  const auto ctx = (*node)->LocalContext();
  auto set = (*config)->Set(ctx, "dev/app", config::Path::Parse("db.password").value(),
                            config::Value("s3cret"), {});
  ASSERT_TRUE(set) << set.error();
  auto got = (*config)->Get(ctx, "dev/app", {.reveal = true});
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->value.Get("db")->Get("password")->AsString(), "s3cret");
  EXPECT_EQ(passphrase_asked_, 1);
  ASSERT_TRUE((*node)->Close());
  // The keyring lock was released by Close: another node can update the keys at once.
  auto other = Node::Open(Options());
  ASSERT_TRUE(other) << other.error();
  auto keys = (*other)->UnlockKeys(keys::KeyringAccess::kUpdate);
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_TRUE((*keys)->writable());
  EXPECT_GE((*keys)->keyring->List().front().usage, 1u);  // the usage count was saved
}

TEST_F(NodeTest, KeysOfAHomeWithoutKeyringAreNotFoundNamingInit) {
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  auto keys = (*node)->UnlockKeys(keys::KeyringAccess::kRead);
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(keys.error().message().find("bulwark init"), std::string::npos);
}

TEST_F(NodeTest, WithoutAPassphraseCallbackTheEnvironmentVariableIsUsed) {
  InitKeys();
  NodeOptions o = Options();
  o.passphrase = nullptr;
  o.environment = EnvOf({{"BULWARK_PASSPHRASE", "correct horse"}});
  auto node = Node::Open(std::move(o));
  ASSERT_TRUE(node) << node.error();
  auto keys = (*node)->UnlockKeys(keys::KeyringAccess::kRead);
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_FALSE((*keys)->writable());
  EXPECT_FALSE((*keys)->Save());  // read-only keys refuse to save
}

TEST_F(NodeTest, ReadKeysAreReopenedWithTheLockForAnUpdate) {
  InitKeys();
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  auto read = (*node)->UnlockKeys(keys::KeyringAccess::kRead);
  ASSERT_TRUE(read) << read.error();
  auto update = (*node)->UnlockKeys(keys::KeyringAccess::kUpdate);
  ASSERT_TRUE(update) << update.error();
  EXPECT_TRUE((*update)->writable());
  auto again = (*node)->UnlockKeys(keys::KeyringAccess::kRead);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->get(), update->get());
}

TEST_F(NodeTest, AHomeOthersCouldReadIsMadePrivateWithAWarningNamingEachEntry) {
  InitKeys();
  ASSERT_TRUE(Runtime::System().fs->WriteFileAtomic(home_ / "store.db", "", kPrivateFile));
  fs::permissions(home_, static_cast<fs::perms>(0755));
  fs::permissions(home_ / "keyring", static_cast<fs::perms>(0644));
  fs::permissions(home_ / "store.db", static_cast<fs::perms>(0660));
  std::vector<std::string> notices;
  NodeOptions o = Options();
  o.notice = [&](std::string_view line) { notices.emplace_back(line); };
  auto node = Node::Open(std::move(o));
  ASSERT_TRUE(node) << node.error();
  EXPECT_EQ(static_cast<unsigned>(fs::status(home_).permissions()), 0700u);
  EXPECT_EQ(static_cast<unsigned>(fs::status(home_ / "keyring").permissions()), 0600u);
  EXPECT_EQ(static_cast<unsigned>(fs::status(home_ / "store.db").permissions()), 0600u);
  EXPECT_EQ(static_cast<unsigned>(fs::status(home_ / "keystore").permissions()), 0600u);
  ASSERT_EQ(notices.size(), 3u) << ::testing::PrintToString(notices);
  EXPECT_NE(notices[0].find(home_.string() + " was readable or writable by others (mode 0755); now 0700"),
            std::string::npos);
  EXPECT_NE(notices[1].find("keyring was readable or writable by others (mode 0644); now 0600"),
            std::string::npos);
  EXPECT_NE(notices[2].find("store.db was readable or writable by others (mode 0660); now 0600"),
            std::string::npos);
}

TEST_F(NodeTest, ADirectoryWithoutAHomesFilesIsNotTouched) {
  // BULWARK_HOME pointed at some other directory: its files are not ours to change.
  ASSERT_TRUE(fs::create_directories(home_));
  ASSERT_TRUE(Runtime::System().fs->WriteFileAtomic(home_ / "notes.txt", "hi", kPrivateFile));
  fs::permissions(home_, static_cast<fs::perms>(0755));
  fs::permissions(home_ / "notes.txt", static_cast<fs::perms>(0644));
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  EXPECT_EQ(static_cast<unsigned>(fs::status(home_).permissions()), 0755u);
  EXPECT_EQ(static_cast<unsigned>(fs::status(home_ / "notes.txt").permissions()), 0644u);
}

TEST_F(NodeTest, AMalformedHomeSettingsFileIsDataLossNamingIt) {
  ASSERT_TRUE(fs::create_directories(home_));
  auto rt = Runtime::System();
  ASSERT_TRUE(rt.fs->WriteFileAtomic(home_ / "home.json", R"({"algorithm_policy": "weak"})",
                                     kPrivateFile));
  auto node = Node::Open(Options());
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(node.error().message().find("home.json"), std::string::npos);
}

TEST_F(NodeTest, AnInjectedAuthorizerDecidesForTheAuditTrailAndDenialsAreRecorded) {
  class DenyAudit final : public request::Authorizer {
   public:
    request::Decision Authorize(const request::RequestContext&, request::Action action,
                                const request::Resource& r) const override {
      if (action == request::Action::kAuditRead && r.kind == request::ResourceKind::kAudit) {
        return {false, "auditors only"};
      }
      return {true, "ok"};
    }
  };
  NodeOptions o = Options();
  o.authorizer = std::make_shared<DenyAudit>();
  auto node = Node::Open(std::move(o));
  ASSERT_TRUE(node) << node.error();
  auto trail = (*node)->Audit();
  ASSERT_TRUE(trail) << trail.error();
  auto status = (*trail)->StatusReport((*node)->LocalContext());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(status.error().message().find("auditors only"), std::string::npos);
  // The denial is in the log (read here past the authorizer).
  std::vector<std::string> types;
  ASSERT_TRUE((*trail)->log()->Query({}, [&](const audit::StoredEvent& e) {
    auto ev = nlohmann::json::parse(e.leaf);
    types.push_back(ev["type"]);
    EXPECT_EQ(ev["data"]["outcome"], "denied");
    EXPECT_EQ(ev["data"]["resource"]["kind"], "audit");
    return OkStatus();
  }));
  EXPECT_EQ(types, std::vector<std::string>{"dev.bulwark.audit.status"});
}

TEST_F(NodeTest, VerifyRecordsItsResultSoMonitoringCanAlertOnTampering) {
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  auto config = (*node)->Config();
  ASSERT_TRUE(config) << config.error();
  const auto ctx = (*node)->LocalContext();
  ASSERT_TRUE((*config)->Put(ctx, "dev/app", config::Value::EmptyMap(), {}));
  auto trail = (*node)->Audit();
  ASSERT_TRUE(trail) << trail.error();
  auto clean = (*trail)->Verify(ctx, {});
  ASSERT_TRUE(clean) << clean.error();
  EXPECT_TRUE(clean->clean());
  EXPECT_FALSE(clean->record_error);
  // A checkpoint the log does not match is a finding: the verification fails and says so.
  VerifyRequest bad;
  bad.checkpoint = "not a signed note\n";
  auto failed = (*trail)->Verify(ctx, bad);
  ASSERT_TRUE(failed) << failed.error();
  EXPECT_FALSE(failed->clean());
  std::vector<nlohmann::json> verifies;
  for (const auto& e : Events(**node)) {
    if (e["data"]["operation"] == "audit.verify") verifies.push_back(e);
  }
  ASSERT_EQ(verifies.size(), 2u);
  EXPECT_EQ(verifies[0]["data"]["outcome"], "success");
  EXPECT_EQ(verifies[0]["data"]["resource"]["kind"], "audit");
  EXPECT_EQ(verifies[1]["data"]["outcome"], "failure");
  EXPECT_NE(verifies[1]["data"]["reason"].get<std::string>().find("finding(s)"),
            std::string::npos);
}

TEST_F(NodeTest, TheConfigurationServiceIsAbsentUntilTheHomesStoreExists) {
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  auto none = (*node)->ConfigIfStoreExists();
  ASSERT_TRUE(none) << none.error();
  EXPECT_EQ(*none, nullptr);
  EXPECT_FALSE(fs::exists(home_ / "store.db"));
  ASSERT_TRUE((*node)->Config());
  auto some = (*node)->ConfigIfStoreExists();
  ASSERT_TRUE(some) << some.error();
  EXPECT_NE(*some, nullptr);
}

// Denies reveals of files; allows everything else.
class NoFileReveal final : public request::Authorizer {
 public:
  request::Decision Authorize(const request::RequestContext&, request::Action action,
                              const request::Resource& r) const override {
    if (action == request::Action::kReveal && r.kind == request::ResourceKind::kFile) {
      return {false, "files stay sealed"};
    }
    return {true, "ok"};
  }
};

TEST_F(NodeTest, AFileDecryptionIsAuthorizedBeforeAnyKeyIsOpenedAndTheDenialIsAudited) {
  InitKeys();
  const fs::path file = tmp_.path() / "app.yaml";
  ASSERT_TRUE(Runtime::System().fs->WriteFileAtomic(file, "password: p1-secret\nhost: h\n",
                                                    kPrivateFile));
  {
    auto node = Node::Open(Options());
    ASSERT_TRUE(node) << node.error();
    auto files = (*node)->Files();
    ASSERT_TRUE(files) << files.error();
    service::EncryptFileRequest enc;
    enc.file = file;
    enc.output = file;
    auto r = (*files)->Encrypt((*node)->LocalContext(), enc);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->encrypted.size(), 1u);
  }
  passphrase_asked_ = 0;
  NodeOptions o = Options();
  o.authorizer = std::make_shared<NoFileReveal>();
  auto node = Node::Open(std::move(o));
  ASSERT_TRUE(node) << node.error();
  auto files = (*node)->Files();
  ASSERT_TRUE(files) << files.error();
  service::DecryptFileRequest dec;
  dec.file = file;
  auto denied = (*files)->Decrypt((*node)->LocalContext(), dec);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(passphrase_asked_, 0);
  auto events = Events(**node);
  ASSERT_FALSE(events.empty());
  const auto& last = events.back();
  EXPECT_EQ(last["type"], "dev.bulwark.file.decrypt");
  EXPECT_EQ(last["data"]["outcome"], "denied");
  EXPECT_EQ(last["subject"], file.lexically_normal().string());
  EXPECT_EQ(last["data"]["paths"], nlohmann::json::array({"password"}));
  EXPECT_EQ(last.dump().find("p1-secret"), std::string::npos);
}

TEST_F(NodeTest, KeyLifecycleOperationsAreAuditedWithTheirImpact) {
  auto node = Node::Open(Options());
  ASSERT_TRUE(node) << node.error();
  auto keys = (*node)->Keys();
  ASSERT_TRUE(keys) << keys.error();
  const auto ctx = (*node)->LocalContext();
  auto init = (*keys)->Init(ctx, {});
  ASSERT_TRUE(init) << init.error();
  auto rotated = (*keys)->Rotate(ctx);
  ASSERT_TRUE(rotated) << rotated.error();
  ASSERT_TRUE((*keys)->Disable(ctx, rotated->previous));
  auto destroyed = (*keys)->Destroy(ctx, {.key = rotated->previous});
  ASSERT_TRUE(destroyed) << destroyed.error();
  EXPECT_FALSE(destroyed->already_destroyed);
  // The primary cannot be destroyed: a failure, audited as such.
  auto refused = (*keys)->Destroy(ctx, {.key = rotated->primary});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE((*node)->Close());
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& ev : Events(**node)) {
    seen.emplace_back(ev["type"].get<std::string>().substr(12),
                      ev["data"]["impact"]["level"].get<std::string>());
  }
  const std::vector<std::pair<std::string, std::string>> want = {
      {"key.init", "medium"},     {"key.rotate", "medium"},   {"key.disable", "high"},
      {"key.destroy", "critical"}, {"key.destroy", "low"}};
  EXPECT_EQ(seen, want);
}

TEST_F(NodeTest, KeysOpenThroughARunningAgentWithoutThePassphraseAndFallBackWhenItIsLocked) {
  InitKeys();
  auto opened = keys::LocalKeystoreProvider::Open(home_ / "keystore",
                                                  SecretBytes::FromString("correct horse"),
                                                  Runtime::System(),
                                                  crypto::AlgorithmPolicy::Standard());
  ASSERT_TRUE(opened) << opened.error();
  auto server = agent::Server::Create(std::move(opened->provider),
                                      {.home = home_, .keystore = home_ / "keystore"});
  ASSERT_TRUE(server) << server.error();
  std::thread serving([&] { (void)(*server)->Run(); });
  {
    auto node = Node::Open(Options());
    ASSERT_TRUE(node) << node.error();
    auto keys = (*node)->UnlockKeys(keys::KeyringAccess::kUpdate);
    ASSERT_TRUE(keys) << keys.error();
    EXPECT_EQ(passphrase_asked_, 0);
    EXPECT_NE((*keys)->provider->Describe().find("through the key agent"), std::string::npos);
    ASSERT_TRUE((*keys)->Save());  // wraps through the agent
    auto status = QueryAgent(**node);
    ASSERT_TRUE(status) << status.error();
    EXPECT_TRUE(status->unlocked);
    ASSERT_TRUE(LockAgent(**node, (*node)->LocalContext()));
    ASSERT_TRUE((*node)->Close());
    auto events = Events(**node);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back()["type"], "dev.bulwark.key.agent.lock");
  }
  {
    // Locked: the passphrase, and the keyring saved through the agent opens with it.
    auto node = Node::Open(Options());
    ASSERT_TRUE(node) << node.error();
    auto keys = (*node)->UnlockKeys(keys::KeyringAccess::kRead);
    ASSERT_TRUE(keys) << keys.error();
    EXPECT_EQ(passphrase_asked_, 1);
    EXPECT_EQ((*keys)->provider->Describe().find("through the key agent"), std::string::npos);
  }
  (*server)->RequestStop();
  serving.join();
}


// The server wraps its access engine (metrics); change requests must still see the engine's
// effective roles of a token principal (role `members`), through NodeOptions::identity_authorizer.
TEST_F(NodeTest, ChangeApproversHoldTheAccessEnginesRolesBehindADecorator) {
  InitKeys();
  auto rt = Runtime::System();
  const fs::path policies = tmp_.path() / "policies";
  ASSERT_TRUE(rt.fs->CreateDirectories(policies, kPrivateDir));
  ASSERT_TRUE(rt.fs->WriteFileAtomic(policies / "ci.yaml", R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: ci
settings: {builtin: false}
roles:
  - name: payments-operator
    members: ["token:ci-*"]
statements:
  - id: everyone
    effect: allow
    principals: ["*"]
    actions: ["*"]
    resources: ["config:**"]
)", kPrivateFile));
  ASSERT_TRUE(rt.fs->WriteFileAtomic(home_ / "approval-policies.yaml", R"(policies:
  - name: prod
    namespaces: ["prod/**"]
    approvals: 1
    approver_roles: [payments-operator]
)", kPrivateFile));
  auto set = access::PolicySet::LoadDirectory(*rt.fs, policies);
  ASSERT_TRUE(set) << set.error();
  access::AccessSettings settings;
  settings.policies_dir = policies;
  settings.configured = true;
  auto engine = std::make_shared<access::PolicyAuthorizer>(*set, settings, rt.clock);
  class Decorator final : public request::Authorizer {
   public:
    explicit Decorator(std::shared_ptr<const request::Authorizer> inner) : inner_(std::move(inner)) {}
    request::Decision Authorize(const request::RequestContext& c, request::Action a,
                                const request::Resource& r) const override {
      return inner_->Authorize(c, a, r);
    }

   private:
    std::shared_ptr<const request::Authorizer> inner_;
  };
  auto token = [](std::string id) {
    request::RequestContext c;
    c.principal.id = std::move(id);
    c.principal.kind = "token";
    c.source_address = "127.0.0.1";
    return c;
  };
  for (const bool with_engine : {true, false}) {
    SCOPED_TRACE(with_engine ? "identity_authorizer set" : "decorator only");
    NodeOptions o = Options();
    o.authorizer = std::make_shared<Decorator>(engine);
    if (with_engine) o.identity_authorizer = engine;
    auto node = Node::Open(std::move(o));
    ASSERT_TRUE(node) << node.error();
    auto changes = (*node)->Changes();
    ASSERT_TRUE(changes) << changes.error();
    change::ProposeRequest p;
    p.ns = with_engine ? "prod/a" : "prod/b";
    change::ChangeOp op;
    op.kind = change::ChangeOp::Kind::kSet;
    op.path = "pool";
    op.value = config::Value(std::int64_t{5});
    p.ops.push_back(op);
    p.justification = "test";
    auto proposed = (*changes)->Propose(token("token:alice"), p);
    ASSERT_TRUE(proposed) << proposed.error();
    auto approved = (*changes)->Approve(token("token:ci-7"), proposed->request.id, {});
    if (with_engine) {
      ASSERT_TRUE(approved) << approved.error();
      EXPECT_EQ(approved->state, change::State::kApproved);
      EXPECT_EQ(approved->request.approvals.at(0).by, "token:ci-7");
    } else {
      ASSERT_FALSE(approved);  // the token itself carries no role
      EXPECT_EQ(approved.error().code(), ErrorCode::kPermissionDenied);
    }
    ASSERT_TRUE((*node)->Close());
  }
}

// `bulwark --server ... status` prints Text() of the summary read back from GET /v1/sys/status.
TEST(HealthSummaryTest, FromJsonGivesBackTheSameJsonAndText) {
  HealthSummary h;
  h.now = *ParseRfc3339("2026-12-07T12:00:00Z");
  h.within = std::chrono::days(7);
  h.keys = 2;
  h.primary_version = 2;
  h.primary_created = *ParseRfc3339("2026-11-07T12:00:00Z");
  h.tracked = 3;
  h.overdue = 1;
  lifecycle::SecretStatus s;
  s.ns = "production/api";
  s.path = "database.password";
  s.status = "overdue";
  s.when = *ParseRfc3339("2026-12-01T00:00:00Z");
  h.attention.push_back(s);
  h.audit_events = 40;
  h.unsigned_events = 3;
  h.audit_writable = true;
  h.last_checkpoint = *ParseRfc3339("2026-12-07T10:00:00Z");
  auto back = HealthSummary::FromJson(h.Json());
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->Json(), h.Json());
  EXPECT_EQ(back->Text(), h.Text());
  EXPECT_FALSE(back->healthy());

  HealthSummary broken;
  broken.now = h.now;
  broken.keys_error = "keyring locked";
  broken.secrets_error = "no lifecycle";
  broken.audit_error = "audit unavailable";
  auto b = HealthSummary::FromJson(broken.Json());
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->Text(), broken.Text());

  EXPECT_FALSE(HealthSummary::FromJson("[]"));
  EXPECT_FALSE(HealthSummary::FromJson(R"({"time": "2026-12-07T12:00:00Z"})"));
  auto bad = HealthSummary::FromJson(R"({"time": "2026-12-07T12:00:00Z", "keys": {"count": "two"},
                                        "secrets": {}, "audit": {}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::node
