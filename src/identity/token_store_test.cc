#include "bulwark/identity/token_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "bulwark/identity/api_token.h"
#include "bulwark/identity/api_token_authenticator.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::identity {
namespace {

using std::chrono::hours;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<testing::FakeClock>();
    Runtime rt = Runtime::System();
    rt.clock = clock_;
    runtime_ = rt;
    auto s = TokenStore::Open(dir_ / "tokens.db", runtime_);
    ASSERT_TRUE(s.has_value()) << s.error();
    store_ = std::move(*s);
    auth_ = std::make_unique<ApiTokenAuthenticator>(store_, clock_);
  }

  CreatedToken MustCreate(std::string name, std::vector<std::string> roles,
                          std::optional<TimePoint> expires = std::nullopt) {
    auto t = store_->Create({.name = std::move(name),
                             .roles = std::move(roles),
                             .namespaces = {"payments"},
                             .created_by = "local:test",
                             .expires_at = expires});
    EXPECT_TRUE(t.has_value()) << t.error();
    if (!t) std::abort();
    return std::move(*t);
  }

  Result<service::Principal> Auth(std::string_view token) const {
    return auth_->Authenticate(Credential::Bearer(token, "127.0.0.1:4000"));
  }

  testing::TempDir dir_{"tokens"};
  std::shared_ptr<testing::FakeClock> clock_;
  Runtime runtime_;
  std::shared_ptr<TokenStore> store_;
  std::unique_ptr<ApiTokenAuthenticator> auth_;
};

TEST_F(TokenStoreTest, DatabaseFileIsPrivate) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "tokens.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST_F(TokenStoreTest, CreatedTokenAuthenticatesAsItsScopedPrincipal) {
  CreatedToken t = MustCreate("ci-deploy", {"operator-payments"}, clock_->Now() + hours(24));
  auto p = Auth(t.token.RevealAsString());
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "token:ci-deploy");
  EXPECT_EQ(p->kind, "token");
  EXPECT_EQ(p->roles, std::vector<std::string>{"operator-payments"});
  const config::Value* ns = p->attributes.AsMap().Find("namespaces");
  ASSERT_NE(ns, nullptr);
  ASSERT_TRUE(ns->is_list());
  EXPECT_EQ(ns->AsList().at(0).AsString(), "payments");
  EXPECT_EQ(p->attributes.AsMap().Find("token_id")->AsString(), t.record.id);
}

TEST_F(TokenStoreTest, OnlyTheHashIsStored) {
  CreatedToken t = MustCreate("ci", {"viewer"});
  std::string raw;
  {
    std::FILE* f = std::fopen((dir_ / "tokens.db").c_str(), "rb");
    ASSERT_NE(f, nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) raw.append(buf, n);
    std::fclose(f);
    f = std::fopen((dir_ / "tokens.db-wal").c_str(), "rb");
    if (f != nullptr) {
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) raw.append(buf, n);
      std::fclose(f);
    }
  }
  const std::string_view token = t.token.RevealAsString();
  const std::string secret(token.substr(4 + kApiTokenIdLength + 1));
  EXPECT_EQ(raw.find(secret), std::string::npos) << "the token's secret is in the database";
  EXPECT_NE(raw.find(t.record.id), std::string::npos);
}

TEST_F(TokenStoreTest, WrongSecretUnknownIdAndMalformedTokenFailAlike) {
  CreatedToken t = MustCreate("ci", {"viewer"});
  std::string wrong(t.token.RevealAsString());
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  std::string unknown = "bwk_" + std::string(16, 'z') + wrong.substr(20);
  for (const std::string& bad : {wrong, unknown, std::string("bwk_short")}) {
    auto p = Auth(bad);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().code(), ErrorCode::kUnauthenticated);
    EXPECT_EQ(p.error().message(), "invalid API token");
  }
}

TEST_F(TokenStoreTest, ExpiredTokenIsRefused) {
  CreatedToken t = MustCreate("short", {"viewer"}, clock_->Now() + hours(1));
  ASSERT_TRUE(Auth(t.token.RevealAsString()).has_value());
  clock_->Advance(hours(1));
  auto p = Auth(t.token.RevealAsString());
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(p.error().message(), "API token expired");
}

TEST_F(TokenStoreTest, RevokedTokenIsRefusedAndStaysListed) {
  CreatedToken t = MustCreate("gone", {"viewer"});
  auto r = store_->Revoke("gone");
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_TRUE(r->revoked());
  auto again = store_->Revoke(t.record.id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->revoked_at, r->revoked_at);
  auto p = Auth(t.token.RevealAsString());
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message(), "API token revoked");
  auto all = store_->List();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE(all->front().revoked());
}

TEST_F(TokenStoreTest, LastUsedIsRecordedAtMostOncePerMinute) {
  CreatedToken t = MustCreate("ci", {"viewer"});
  ASSERT_TRUE(Auth(t.token.RevealAsString()).has_value());
  auto first = store_->FindById(t.record.id);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->last_used_at.has_value());
  EXPECT_EQ(*first->last_used_at, clock_->Now());
  clock_->Advance(std::chrono::seconds(30));
  ASSERT_TRUE(Auth(t.token.RevealAsString()).has_value());
  EXPECT_EQ(store_->FindById(t.record.id)->last_used_at, first->last_used_at);
  clock_->Advance(std::chrono::seconds(31));
  ASSERT_TRUE(Auth(t.token.RevealAsString()).has_value());
  EXPECT_EQ(*store_->FindById(t.record.id)->last_used_at, clock_->Now());
}

TEST_F(TokenStoreTest, BadRequestsAreRefusedNamingTheField) {
  auto dup = MustCreate("same", {"viewer"});
  auto again = store_->Create({.name = "same", .roles = {"viewer"}});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  auto no_role = store_->Create({.name = "x", .roles = {}});
  ASSERT_FALSE(no_role.has_value());
  EXPECT_EQ(no_role.error().code(), ErrorCode::kInvalidArgument);
  auto bad_name = store_->Create({.name = "a b", .roles = {"viewer"}});
  ASSERT_FALSE(bad_name.has_value());
  EXPECT_EQ(bad_name.error().code(), ErrorCode::kInvalidArgument);
  auto past = store_->Create({.name = "p", .roles = {"viewer"}, .expires_at = clock_->Now()});
  ASSERT_FALSE(past.has_value());
  EXPECT_EQ(past.error().code(), ErrorCode::kInvalidArgument);
  auto missing = store_->Revoke("nobody");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(TokenStoreTest, TwoConnectionsShareTheDatabase) {
  auto other = TokenStore::Open(dir_ / "tokens.db", runtime_);
  ASSERT_TRUE(other.has_value()) << other.error();
  CreatedToken t = MustCreate("shared", {"viewer"});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 20; ++j) {
        auto r = (*other)->Create(
            {.name = "t" + std::to_string(i) + "-" + std::to_string(j), .roles = {"viewer"}});
        if (r) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 80);
  auto all = store_->List();
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 81u);
  EXPECT_TRUE(Auth(t.token.RevealAsString()).has_value());
}

}  // namespace
}  // namespace bulwark::identity
