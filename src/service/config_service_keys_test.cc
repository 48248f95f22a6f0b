// ConfigService::Tokens and ConfigService::Reencrypt (key management through the service).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "bulwark/secfile/token.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "config/internal/json_bridge.h"
#include "service/service_fixture_for_test.h"

namespace bulwark::service {
namespace {

using config::Path;
using config::Value;

Value J(const char* text) { return config::internal::FromJson(nlohmann::json::parse(text)); }
Path P(const char* p) { return Path::Parse(p).value(); }

keys::KeyId KidOf(std::string_view token) { return secfile::ParseToken(token).value().key_id; }

class ServiceKeysTest : public test_support::ServiceFixture {};

TEST_F(ServiceKeysTest, TokensListsEveryEncryptedPathWithItsKeyAndDecryptsNothing) {
  const keys::KeyId first = keyring_->primary_id();
  ASSERT_TRUE(
      svc_->Put(ctx_, "app", J(R"({"db": {"password": "p1", "host": "h"}, "api_key": "k"})"), {}));
  const keys::KeyId second = keyring_->Rotate().value();
  ASSERT_TRUE(svc_->Set(ctx_, "app", P("db.password"), Value("p2"), {}));
  // A destroyed key does not stop the scan.
  ASSERT_TRUE(keyring_->Destroy(first));
  auto latest = svc_->Tokens(ctx_, "app", store::VersionRef::Latest());
  ASSERT_TRUE(latest) << latest.error();
  ASSERT_EQ(latest->size(), 2u);
  std::map<std::string, keys::KeyId> kids;
  for (const StoredToken& t : *latest) kids[t.path.ToString()] = KidOf(t.token);
  EXPECT_EQ(kids.at("db.password"), second);
  EXPECT_EQ(kids.at("api_key"), first);
  auto v1 = svc_->Tokens(ctx_, "app", store::VersionRef::Number(1)).value();
  for (const StoredToken& t : v1) EXPECT_EQ(KidOf(t.token), first);
  EXPECT_EQ(audit_->records().back().operation, "config.tokens");
}

TEST_F(ServiceKeysTest, ReencryptMovesOnlySelectedTokensOfACompromisedKeyInANewVersion) {
  const keys::KeyId old_key = keyring_->primary_id();
  ASSERT_TRUE(
      svc_->Put(ctx_, "app", J(R"({"db": {"password": "p1", "port": 5}, "api_key": "k"})"), {}));
  const keys::KeyId new_key = keyring_->MarkCompromised(old_key).value();
  ReadRequest reveal;
  reveal.reveal = true;
  auto blocked = svc_->Get(ctx_, "app", reveal);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code(), ErrorCode::kFailedPrecondition);

  auto mover = NewKeyringValueCipherForReencryption(keyring_);
  auto select = [&](std::string_view token) { return KidOf(token) == old_key; };
  auto r =
      svc_->Reencrypt(ctx_, "app", select, *mover, {.message = "key compromised: re-encrypted"});
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(r->info.has_value());
  EXPECT_EQ(r->info->version, 2);
  EXPECT_EQ(r->info->message, "key compromised: re-encrypted");
  EXPECT_EQ(r->moved.size(), 2u);
  const auto after = svc_->Tokens(ctx_, "app", store::VersionRef::Latest()).value();
  for (const StoredToken& t : after) {
    EXPECT_EQ(KidOf(t.token), new_key);
  }
  auto clear = svc_->Get(ctx_, "app", reveal);
  ASSERT_TRUE(clear) << clear.error();
  EXPECT_EQ(config::Find(clear->value, P("db.password"))->AsString(), "p1");
  EXPECT_EQ(config::Find(clear->value, P("db.port"))->AsInt(), 5);
  EXPECT_EQ(config::Find(clear->value, P("api_key"))->AsString(), "k");
  const auto records = audit_->records();
  auto rec = std::find_if(records.begin(), records.end(),
                          [](const AuditRecord& a) { return a.operation == "config.reencrypt"; });
  ASSERT_NE(rec, records.end());
  EXPECT_EQ(rec->outcome, Outcome::kSuccess);
  EXPECT_EQ(rec->paths.size(), 2u);

  // Nothing left to move: no new version.
  auto again = svc_->Reencrypt(ctx_, "app", select, *mover, {.message = "again"});
  ASSERT_TRUE(again) << again.error();
  EXPECT_FALSE(again->info.has_value());
  EXPECT_EQ(svc_->History(ctx_, "app").value().size(), 2u);
}

TEST_F(ServiceKeysTest, ReencryptWithTheServiceCipherRefusesCompromisedKeysAndUnknownNamespaces) {
  const keys::KeyId old_key = keyring_->primary_id();
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(R"({"password": "p1"})"), {}));
  ASSERT_TRUE(keyring_->MarkCompromised(old_key));
  auto normal = NewKeyringValueCipher(keyring_);
  auto all = [](std::string_view) { return true; };
  auto r = svc_->Reencrypt(ctx_, "app", all, *normal, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(svc_->History(ctx_, "app").value().size(), 1u);
  auto missing = svc_->Reencrypt(ctx_, "nope", all, *normal, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace bulwark::service
