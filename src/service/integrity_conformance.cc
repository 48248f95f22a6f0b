#include "service/integrity_conformance.h"

#include <fmt/format.h>

#include "bulwark/config/format.h"
#include "bulwark/config/path.h"
#include "bulwark/core/encoding.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/store/open.h"
#include "service/namespace_meta.h"
#include "store/internal/codec.h"

namespace bulwark::service::testing {

using config::Path;
using config::Value;

namespace {

Value J(const char* text) { return config::ParseDocument(text, config::Format::kJson).value().root; }
Path P(const char* p) { return Path::Parse(p).value(); }

ReadRequest Reveal(bool reveal = true) {
  ReadRequest r;
  r.reveal = reveal;
  return r;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// The error of a read that must fail as an integrity error, naming the namespace and version.
void ExpectIntegrityError(const Result<ReadResult>& r, const std::string& names) {
  ASSERT_FALSE(r.has_value()) << "served a tampered version";
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss) << r.error().message();
  EXPECT_NE(r.error().message().find(names), std::string::npos) << r.error().message();
}

}  // namespace

void IntegrityConformanceTest::SetUp() {
  rt_ = Runtime::System();
  auto db = GetParam().make();
  ASSERT_TRUE(db.has_value()) << db.error().message();
  db_ = std::move(*db);
  auto st = store::OpenStore(db_->url(), rt_);
  ASSERT_TRUE(st.has_value()) << st.error().message();
  store_ = std::move(*st);
  keyring_ = keys::Keyring::Create(rt_, crypto::AlgorithmPolicy::Standard()).value();
  key_ = StoreMacKey::Generate(*rt_.random).value();
  audit_ = std::make_shared<bulwark::testing::RecordingAuditSink>();
  ctx_.principal = {"local:tester", "local", {}, Value::EmptyMap()};
  svc_ = Service();
  ASSERT_NE(svc_, nullptr);
}

std::unique_ptr<ConfigService> IntegrityConformanceTest::Service(
    std::shared_ptr<const StoreMacKey> key) {
  ServiceDeps d{rt_, store_, NewKeyringValueCipher(keyring_), NewLocalAuthorizer(), audit_, {}};
  d.store_mac = key ? std::move(key) : key_;
  auto svc = ConfigService::Create(std::move(d));
  EXPECT_TRUE(svc.has_value()) << svc.error().message();
  return svc ? std::move(*svc) : nullptr;
}

std::string IntegrityConformanceTest::Row(const std::string& ns, store::Version v) {
  return fmt::format(
      "version = {} AND namespace_id = (SELECT id FROM bulwark_namespaces WHERE name = {})", v,
      Quote(ns));
}

void IntegrityConformanceTest::Tamper(const std::string& sql) {
  const std::string pre =
      postgres() ? "ALTER TABLE bulwark_versions DISABLE TRIGGER USER;"
                 : "DROP TRIGGER IF EXISTS bulwark_versions_no_update;"
                   "DROP TRIGGER IF EXISTS bulwark_versions_no_delete;";
  auto st = db_->Exec(pre + sql);
  ASSERT_TRUE(st.has_value()) << st.error().message() << "\n" << sql;
}

void IntegrityConformanceTest::TamperContent(const std::string& ns, store::Version v,
                                             const std::function<void(Value&)>& edit) {
  auto snap = store_->Get(ns, store::VersionRef::Number(v));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  Value content = snap->content;
  edit(content);
  const std::string bytes = store::internal::EncodeContent(content).value();
  const std::string blob = postgres() ? fmt::format("'\\x{}'::bytea", HexEncode(bytes))
                                      : fmt::format("CAST(X'{}' AS BLOB)", HexEncode(bytes));
  Tamper(fmt::format("UPDATE bulwark_versions SET content = {}, content_hash = '{}' WHERE {}", blob,
                     store::internal::Sha256Hex(bytes).value(), Row(ns, v)));
}

// ---- The five tamper cases of issue #14 ----

TEST_P(IntegrityConformanceTest, AChangedClearValueIsRefusedNotServed) {
  ASSERT_TRUE(svc_->Put(ctx_, "prod/app", J(R"({"database": {"host": "db.internal", "password": "pw-0123456789"}})"), {}));
  ASSERT_TRUE(svc_->Get(ctx_, "prod/app", Reveal(false)));
  TamperContent("prod/app", 1, [](Value& c) { *config::Find(c, P("database.host")) = Value("evil.example"); });
  ExpectIntegrityError(svc_->Get(ctx_, "prod/app", Reveal(false)), "prod/app version 1");
  // A fresh service (no cache) too, and through every read.
  auto fresh = Service();
  ExpectIntegrityError(fresh->Get(ctx_, "prod/app", Reveal(false)), "prod/app version 1");
  EXPECT_EQ(fresh->Check(ctx_, "prod/app", store::VersionRef::Latest()).error().code(),
            ErrorCode::kFailedPrecondition);  // no engine: refused before reading
  EXPECT_EQ(fresh->History(ctx_, "prod/app").error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(fresh->Tokens(ctx_, "prod/app", store::VersionRef::Latest()).error().code(),
            ErrorCode::kDataLoss);
  // A write on top of it is refused too: nothing tampered is carried into a new tagged version.
  auto set = fresh->Set(ctx_, "prod/app", P("database.port"), Value(5432), {});
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), ErrorCode::kDataLoss);
  // The failed reads were audited as failures.
  EXPECT_EQ(audit_->records().back().outcome, Outcome::kFailure);
}

TEST_P(IntegrityConformanceTest, AReplayedOlderTokenIsRefused) {
  ASSERT_TRUE(svc_->Put(ctx_, "prod/app", J(R"({"password": "old-password-1"})"), {}));
  ASSERT_TRUE(svc_->Set(ctx_, "prod/app", P("password"), Value("new-password-2"), {}));
  const Value old_token =
      *config::Find(store_->Get("prod/app", store::VersionRef::Number(1))->content, P("password"));
  TamperContent("prod/app", 2, [&](Value& c) { *config::Find(c, P("password")) = old_token; });
  auto revealed = Service()->Get(ctx_, "prod/app", Reveal());
  ExpectIntegrityError(revealed, "prod/app version 2");
  ExpectIntegrityError(svc_->Get(ctx_, "prod/app", Reveal(false)), "prod/app version 2");
}

TEST_P(IntegrityConformanceTest, PlaintextInPlaceOfATokenIsNeverServed) {
  ASSERT_TRUE(svc_->Put(ctx_, "prod/app", J(R"({"db": {"password": "pw-0123456789"}})"), {}));
  TamperContent("prod/app", 1, [](Value& c) { *config::Find(c, P("db.password")) = Value("hunter2-planted"); });
  auto r = Service()->Get(ctx_, "prod/app", Reveal(false));
  ExpectIntegrityError(r, "prod/app version 1");
  EXPECT_EQ(r.error().message().find("hunter2-planted"), std::string::npos);
  ExpectIntegrityError(svc_->Get(ctx_, "prod/app", Reveal()), "prod/app version 1");
}

TEST_P(IntegrityConformanceTest, ATruncatedTokenIsRefused) {
  ASSERT_TRUE(svc_->Put(ctx_, "prod/app", J(R"({"api": {"token": "tok-0123456789abcdef"}})"), {}));
  TamperContent("prod/app", 1, [](Value& c) {
    Value* t = config::Find(c, P("api.token"));
    *t = Value(t->AsString().substr(0, t->AsString().size() - 12));
  });
  ExpectIntegrityError(Service()->Get(ctx_, "prod/app", Reveal(false)), "prod/app version 1");
}

TEST_P(IntegrityConformanceTest, DroppedAndReorderedVersionsAreRefused) {
  ASSERT_TRUE(svc_->Put(ctx_, "prod/a", J(R"({"n": 1})"), {}));
  ASSERT_TRUE(svc_->Set(ctx_, "prod/a", P("n"), Value(2), {}));
  ASSERT_TRUE(svc_->Set(ctx_, "prod/a", P("n"), Value(3), {}));
  ASSERT_TRUE(svc_->Put(ctx_, "prod/b", J(R"({"n": 1})"), {}));
  ASSERT_TRUE(svc_->Set(ctx_, "prod/b", P("n"), Value(2), {}));
  ASSERT_TRUE(svc_->Set(ctx_, "prod/b", P("n"), Value(3), {}));
  ASSERT_TRUE(svc_->VerifyStore(ctx_, "")->clean());
  // Dropped: version 2 of prod/a is deleted.
  Tamper("DELETE FROM bulwark_versions WHERE " + Row("prod/a", 2));
  ExpectIntegrityError(Service()->Get(ctx_, "prod/a", Reveal(false)), "prod/a version 3");
  // Reordered: versions 2 and 3 of prod/b exchange their numbers (and parents).
  Tamper("UPDATE bulwark_versions SET version = 99 WHERE " + Row("prod/b", 2) + ";" +
         "UPDATE bulwark_versions SET version = 2, parent_version = 1 WHERE " + Row("prod/b", 3) +
         ";" + "UPDATE bulwark_versions SET version = 3, parent_version = 2 WHERE " +
         Row("prod/b", 99));
  ExpectIntegrityError(Service()->Get(ctx_, "prod/b", Reveal(false)), "prod/b version 3");
  ExpectIntegrityError(Service()->Get(ctx_, "prod/b", ReadRequest{store::VersionRef::Number(2)}),
                       "prod/b version 2");
  // verify-store names the first bad version of each.
  auto report = Service()->VerifyStore(ctx_, "");
  ASSERT_TRUE(report.has_value()) << report.error().message();
  ASSERT_EQ(report->problems.size(), 2u);
  EXPECT_EQ(report->problems[0].ns, "prod/a");
  EXPECT_EQ(report->problems[0].version, 0);  // the history itself has a hole
  EXPECT_NE(report->problems[0].reason.find("version 2 is missing"), std::string::npos)
      << report->problems[0].reason;
  EXPECT_EQ(report->problems[1].ns, "prod/b");
  EXPECT_EQ(report->problems[1].version, 2);
}

// ---- Metadata, names and keys ----

TEST_P(IntegrityConformanceTest, AChangedSchemaOrIdentityIsRefused) {
  PutRequest with_schema;
  with_schema.schema = J(R"({"properties": {"license": {"type": "string", "x-sensitive": true}}})");
  ASSERT_TRUE(svc_->Put(ctx_, "prod/app", J(R"({"license": "LIC-0123456789"})"), with_schema));
  // Someone removes the x-sensitive mark from the stored schema (and puts the plaintext back).
  TamperContent(MetaNamespace("prod/app"), 1, [](Value& c) { *config::Find(c, P("schema")) = J("{}"); });
  auto r = Service()->Get(ctx_, "prod/app", Reveal(false));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(r.error().message().find(".bulwark/meta/prod/app version 1"), std::string::npos)
      << r.error().message();
}

TEST_P(IntegrityConformanceTest, NamespacesSwappedOutsideBulwarkAreRefused) {
  ASSERT_TRUE(svc_->Put(ctx_, "prod/db", J(R"({"host": "prod-db"})"), {}));
  ASSERT_TRUE(svc_->Put(ctx_, "staging/db", J(R"({"host": "staging-db"})"), {}));
  // Swap the two namespaces, data and metadata, by name.
  Tamper(
      "UPDATE bulwark_namespaces SET name = 'tmp' WHERE name = 'prod/db';"
      "UPDATE bulwark_namespaces SET name = 'prod/db' WHERE name = 'staging/db';"
      "UPDATE bulwark_namespaces SET name = 'staging/db' WHERE name = 'tmp';"
      "UPDATE bulwark_namespaces SET name = 'tmp' WHERE name = '.bulwark/meta/prod/db';"
      "UPDATE bulwark_namespaces SET name = '.bulwark/meta/prod/db' WHERE name = "
      "'.bulwark/meta/staging/db';"
      "UPDATE bulwark_namespaces SET name = '.bulwark/meta/staging/db' WHERE name = 'tmp'");
  auto r = Service()->Get(ctx_, "prod/db", Reveal(false));
  ASSERT_FALSE(r) << "served staging's configuration as production's";
  EXPECT_NE(r.error().message().find("belongs to namespace staging/db"), std::string::npos)
      << r.error().message();
  // A move through Bulwark keeps everything readable under the new name.
  ASSERT_TRUE(svc_->Put(ctx_, "team/app", J(R"({"password": "pw-0123456789"})"), {}));
  ASSERT_TRUE(svc_->Move(ctx_, "team/app", "team/app2"));
  auto moved = Service()->Get(ctx_, "team/app2", Reveal());
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_EQ(config::Find(moved->value, P("password"))->AsString(), "pw-0123456789");
  EXPECT_TRUE(Service()->VerifyStore(ctx_, "team")->clean());
}

TEST_P(IntegrityConformanceTest, VersionsTaggedUnderAnotherKeyAreRefusedNamingTheKey) {
  ASSERT_TRUE(svc_->Put(ctx_, "prod/app", J(R"({"a": 1})"), {}));
  auto other = StoreMacKey::Generate(*rt_.random).value();
  auto r = Service(other)->Get(ctx_, "prod/app", Reveal(false));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(r.error().message().find("store key " + key_->id()), std::string::npos)
      << r.error().message();
}

// ---- Migration and repair ----

TEST_P(IntegrityConformanceTest, AStoreWrittenWithoutTagsIsSealedOnceThenVerified) {
  // What an older Bulwark wrote: versions and metadata without tags.
  ASSERT_TRUE(store_->Put(MetaNamespace("old/app"), J(R"({"id": "00112233445566778899aabbccddeeff"})"), {}));
  ASSERT_TRUE(store_->Put("old/app", J(R"({"host": "db"})"), {}));
  ASSERT_TRUE(store_->Set("old/app", "port", Value(5432), {}));
  ExpectIntegrityError(svc_->Get(ctx_, "old/app", Reveal(false)), "carries no authentication tag");
  EXPECT_EQ(store_->CountMacs()->with_mac, 0);
  auto sealed = svc_->SealUnauthenticated(ctx_);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message();
  EXPECT_EQ(sealed->versions, 3u);
  EXPECT_EQ(sealed->namespaces, 1u);
  auto r = Service()->Get(ctx_, "old/app", Reveal(false));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(config::Find(r->value, P("port"))->AsInt(), 5432);
  EXPECT_TRUE(Service()->VerifyStore(ctx_, "")->clean());
  ASSERT_TRUE(svc_->Set(ctx_, "old/app", P("port"), Value(6432), {}));
  // Once sealed, a tag removed again is an integrity error like any other.
  Tamper("UPDATE bulwark_versions SET mac = '' WHERE " + Row("old/app", 2));
  ExpectIntegrityError(Service()->Get(ctx_, "old/app", ReadRequest{store::VersionRef::Number(2)}),
                       "carries no authentication tag");
}

TEST_P(IntegrityConformanceTest, SensitiveValuesStoredInClearAreRefusedUntilEncrypted) {
  // A version written (tag and all) before `api_key` was classified sensitive.
  ASSERT_TRUE(svc_->Put(ctx_, "prod/app", J(R"({"host": "h"})"), {}));
  ServiceDeps deps;
  deps.store = store_;
  deps.store_mac = key_;
  const auto meta = internal::LoadMeta(deps, "prod/app");
  ASSERT_TRUE(meta.has_value()) << meta.error().message();
  auto v1 = store_->Get("prod/app", store::VersionRef::Latest()).value();
  ASSERT_TRUE(store_->Put("prod/app", J(R"({"host": "h", "api": {"key": "k-0123456789"}})"),
                          {.author = "old",
                           .seal = internal::SealData(key_, *meta,
                                                      internal::ParentExpectation{
                                                          1, v1.info.mac, v1.info.content_hash})}));
  auto r = Service()->Get(ctx_, "prod/app", Reveal(false));
  ExpectIntegrityError(r, "api.key is sensitive but is stored in clear");
  EXPECT_EQ(r.error().message().find("k-0123456789"), std::string::npos);
  auto fixed = svc_->EncryptStoredPlaintext(ctx_, "prod/app", {});
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message();
  ASSERT_TRUE(fixed->info.has_value());
  EXPECT_EQ(fixed->info->version, 3);
  ASSERT_EQ(fixed->moved.size(), 1u);
  auto revealed = Service()->Get(ctx_, "prod/app", Reveal());
  ASSERT_TRUE(revealed) << revealed.error().message();
  EXPECT_EQ(config::Find(revealed->value, P("api.key"))->AsString(), "k-0123456789");
  auto report = Service()->VerifyStore(ctx_, "prod");
  ASSERT_EQ(report->problems.size(), 1u);  // version 2 stays as it was written
  EXPECT_EQ(report->problems[0].version, 2);
}

}  // namespace bulwark::service::testing
