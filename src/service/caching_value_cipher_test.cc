#include "bulwark/service/caching_value_cipher.h"

#include <gtest/gtest.h>

#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::service {
namespace {

using config::Path;
using config::Value;

constexpr std::string_view kDoc = "bulwark-store/v1/0123456789abcdef";

Path P(const char* p) { return Path::Parse(p).value(); }

class CachingValueCipherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Runtime rt{fake_.clock, NewSystemRandom(), NewLocalFileSystem()};
    keyring_ = keys::Keyring::Create(rt, crypto::AlgorithmPolicy::Standard()).value();
    inner_ = NewKeyringValueCipher(keyring_);
    cipher_ = Make(8);
  }
  std::unique_ptr<CachingValueCipher> Make(std::size_t entries) {
    return CachingValueCipher::Create(inner_, keyring_, {.max_entries = entries}).value();
  }
  std::string Token(const Value& v, const char* path) {
    return cipher_->Encrypt(v, kDoc, P(path)).value();
  }

  testing::FakeRuntime fake_;
  std::shared_ptr<keys::Keyring> keyring_;
  std::shared_ptr<const ValueCipher> inner_;
  std::unique_ptr<CachingValueCipher> cipher_;
};

TEST_F(CachingValueCipherTest, RepeatedDecryptionOfATokenIsServedFromTheCache) {
  const std::string token = Token(Value("hunter2hunter2"), "db.password");
  for (int i = 0; i < 3; ++i) {
    auto v = cipher_->Decrypt(token, kDoc, P("db.password"));
    ASSERT_TRUE(v) << v.error();
    EXPECT_EQ(v->AsString(), "hunter2hunter2");
  }
  const ValueCacheStats s = cipher_->stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.entries, 1u);
}

TEST_F(CachingValueCipherTest, EveryScalarTypeComesBackUnchangedFromTheCache) {
  const std::vector<Value> values = {
      Value("s"), Value(std::int64_t{-42}),     Value(2.5), Value(true), Value(false),
      Value(),    Value::FromBytes({0, 1, 255})};
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string path = "v" + std::to_string(i);
    const std::string token = cipher_->Encrypt(values[i], kDoc, P(path.c_str())).value();
    const Value first = cipher_->Decrypt(token, kDoc, P(path.c_str())).value();
    const Value second = cipher_->Decrypt(token, kDoc, P(path.c_str())).value();
    EXPECT_EQ(first, values[i]) << i;
    EXPECT_EQ(second, values[i]) << i;
  }
  EXPECT_EQ(cipher_->stats().hits, values.size());
}

TEST_F(CachingValueCipherTest, ACachedTokenAtAnotherPathOrDocumentStillFails) {
  const std::string token = Token(Value("hunter2hunter2"), "db.password");
  ASSERT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  auto moved = cipher_->Decrypt(token, kDoc, P("db.user"));
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code(), ErrorCode::kDataLoss);
  auto other_doc = cipher_->Decrypt(token, "bulwark-store/v1/ffff", P("db.password"));
  ASSERT_FALSE(other_doc);
  EXPECT_EQ(other_doc.error().code(), ErrorCode::kDataLoss);
  // The failures did not disturb the right entry.
  EXPECT_EQ(cipher_->Decrypt(token, kDoc, P("db.password"))->AsString(), "hunter2hunter2");
  EXPECT_EQ(cipher_->stats().hits, 1u);
}

TEST_F(CachingValueCipherTest, DisablingTheKeyStopsCachedDecryptions) {
  const keys::KeyId old_key = keyring_->primary_id();
  const std::string token = Token(Value("hunter2hunter2"), "db.password");
  ASSERT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  ASSERT_TRUE(keyring_->Rotate());
  ASSERT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));  // decrypt-only still decrypts
  ASSERT_TRUE(keyring_->Disable(old_key));
  auto v = cipher_->Decrypt(token, kDoc, P("db.password"));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(cipher_->stats().hits, 0u);
  EXPECT_EQ(cipher_->stats().entries, 0u);
  // Enabled again: decrypts again (through the keyring, then cached).
  ASSERT_TRUE(keyring_->Enable(old_key));
  EXPECT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  EXPECT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  EXPECT_EQ(cipher_->stats().hits, 1u);
}

TEST_F(CachingValueCipherTest, MarkingTheKeyCompromisedStopsCachedDecryptions) {
  const std::string token = Token(Value("hunter2hunter2"), "db.password");
  ASSERT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  ASSERT_TRUE(keyring_->MarkCompromised(keyring_->primary_id()));
  auto v = cipher_->Decrypt(token, kDoc, P("db.password"));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_GE(cipher_->stats().invalidations, 1u);
}

TEST_F(CachingValueCipherTest, DestroyingTheKeyStopsCachedDecryptions) {
  const keys::KeyId old_key = keyring_->primary_id();
  const std::string token = Token(Value("hunter2hunter2"), "db.password");
  ASSERT_TRUE(keyring_->Rotate());
  ASSERT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  ASSERT_TRUE(keyring_->Destroy(old_key));
  EXPECT_FALSE(cipher_->Decrypt(token, kDoc, P("db.password")));
  EXPECT_EQ(cipher_->stats().hits, 0u);
}

TEST_F(CachingValueCipherTest, TheLeastRecentlyUsedValueIsEvictedWhenFull) {
  auto small = Make(2);
  const std::string a = Token(Value("value-a"), "a");
  const std::string b = Token(Value("value-b"), "b");
  const std::string c = Token(Value("value-c"), "c");
  ASSERT_TRUE(small->Decrypt(a, kDoc, P("a")));
  ASSERT_TRUE(small->Decrypt(b, kDoc, P("b")));
  ASSERT_TRUE(small->Decrypt(a, kDoc, P("a")));  // a is now the most recent
  ASSERT_TRUE(small->Decrypt(c, kDoc, P("c")));  // evicts b
  EXPECT_EQ(small->stats().evictions, 1u);
  EXPECT_EQ(small->stats().entries, 2u);
  ASSERT_TRUE(small->Decrypt(a, kDoc, P("a")));
  EXPECT_EQ(small->stats().hits, 2u);
  ASSERT_TRUE(small->Decrypt(b, kDoc, P("b")));  // a miss: it was evicted
  EXPECT_EQ(small->stats().misses, 4u);
}

TEST_F(CachingValueCipherTest, ZeroEntriesDisablesTheCache) {
  auto off = Make(0);
  const std::string token = Token(Value("hunter2hunter2"), "db.password");
  EXPECT_EQ(off->Decrypt(token, kDoc, P("db.password"))->AsString(), "hunter2hunter2");
  EXPECT_EQ(off->Decrypt(token, kDoc, P("db.password"))->AsString(), "hunter2hunter2");
  EXPECT_EQ(off->stats().hits, 0u);
  EXPECT_EQ(off->stats().entries, 0u);
}

TEST_F(CachingValueCipherTest, ClearForgetsEveryValue) {
  const std::string token = Token(Value("hunter2hunter2"), "db.password");
  ASSERT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  cipher_->Clear();
  EXPECT_EQ(cipher_->stats().entries, 0u);
  ASSERT_TRUE(cipher_->Decrypt(token, kDoc, P("db.password")));
  EXPECT_EQ(cipher_->stats().hits, 0u);
  EXPECT_EQ(cipher_->stats().misses, 2u);
}

TEST_F(CachingValueCipherTest, ErrorsAreNotCached) {
  auto v = cipher_->Decrypt("ENC[not a token]", kDoc, P("x"));
  ASSERT_FALSE(v);
  EXPECT_FALSE(cipher_->Decrypt("ENC[not a token]", kDoc, P("x")));
  EXPECT_EQ(cipher_->stats().entries, 0u);
  EXPECT_EQ(cipher_->stats().hits, 0u);
}

TEST_F(CachingValueCipherTest, ABatchMixesHitsAndMissesAndKeepsTheOrder) {
  const Path pa = P("a"), pb = P("b"), pc = P("c");
  const std::string a = Token(Value("value-a"), "a");
  const std::string b = Token(Value(std::int64_t{7}), "b");
  const std::string c = Token(Value("value-c"), "c");
  ASSERT_TRUE(cipher_->Decrypt(b, kDoc, pb));  // b is cached, a and c are not
  const std::vector<TokenAt> batch = {{a, &pa}, {b, &pb}, {c, &pc}};
  std::vector<Value> out;
  ASSERT_TRUE(cipher_->DecryptMany(batch, kDoc, out));
  EXPECT_EQ(out, (std::vector<Value>{Value("value-a"), Value(std::int64_t{7}), Value("value-c")}));
  EXPECT_EQ(cipher_->stats().hits, 1u);
  EXPECT_EQ(cipher_->stats().misses, 3u);
  ASSERT_TRUE(cipher_->DecryptMany(batch, kDoc, out));
  EXPECT_EQ(out[2], Value("value-c"));
  EXPECT_EQ(cipher_->stats().hits, 4u);
  // Through a cipher without a cache: the same values.
  std::vector<Value> plain;
  ASSERT_TRUE(inner_->DecryptMany(batch, kDoc, plain));
  EXPECT_EQ(plain, out);
}

TEST_F(CachingValueCipherTest, ABatchWithATokenAtTheWrongPathFails) {
  const Path pa = P("a"), pb = P("b");
  const std::string a = Token(Value("value-a"), "a");
  ASSERT_TRUE(cipher_->Decrypt(a, kDoc, pa));
  const std::vector<TokenAt> batch = {{a, &pa}, {a, &pb}};  // a copied to b
  std::vector<Value> out;
  auto s = cipher_->DecryptMany(batch, kDoc, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_TRUE(out.empty());
  // After a key state change the batch goes to the keyring again.
  const keys::KeyId old_key = keyring_->primary_id();
  ASSERT_TRUE(keyring_->Rotate());
  ASSERT_TRUE(keyring_->Disable(old_key));
  const std::vector<TokenAt> one = {{a, &pa}};
  auto refused = cipher_->DecryptMany(one, kDoc, out);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(CachingValueCipherTest, CreateNeedsTheInnerCipherAndItsKeyring) {
  EXPECT_FALSE(CachingValueCipher::Create(nullptr, keyring_, {}));
  EXPECT_FALSE(CachingValueCipher::Create(inner_, nullptr, {}));
}

}  // namespace
}  // namespace bulwark::service
