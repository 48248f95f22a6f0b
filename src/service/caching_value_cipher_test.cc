#include "bulwark/service/caching_value_cipher.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <thread>

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

// A whole document's tokens: their texts, paths, dotted paths and plaintexts.
struct DocTokens {
  std::vector<std::string> tokens;
  std::vector<Path> paths;
  std::vector<std::string> dotted;
  std::vector<Value> values;
  std::vector<TokenAt> Batch(bool with_dotted = true) const {
    std::vector<TokenAt> b;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      b.push_back({tokens[i], &paths[i], with_dotted ? std::string_view(dotted[i]) : ""});
    }
    return b;
  }
};

class DocumentEntryTest : public CachingValueCipherTest {
 protected:
  // `n` secrets of document `doc` at "s<i>.secret", values "<prefix>-<i>-..." (some over 15
  // bytes, some not) and one int.
  DocTokens Make(std::size_t n, const char* prefix, std::string_view doc = kDoc) {
    DocTokens d;
    for (std::size_t i = 0; i < n; ++i) {
      d.paths.push_back(P(("s" + std::to_string(i) + ".secret").c_str()));
      d.dotted.push_back(d.paths.back().ToString());
      d.values.push_back(i == 1       ? Value(std::int64_t(1000 + i))
                         : i % 2 == 0 ? Value(std::string(prefix) + "-" + std::to_string(i) +
                                              "-a-long-enough-secret")
                                      : Value(std::string(prefix) + std::to_string(i)));
      d.tokens.push_back(cipher_->Encrypt(d.values.back(), doc, d.paths.back()).value());
    }
    return d;
  }
  Status Content(const CachingValueCipher& c, const DocTokens& d, std::string_view hash,
                 std::vector<Value>& out, std::string_view doc = kDoc) {
    const auto batch = d.Batch();
    return c.DecryptContent(batch, doc, hash, out);
  }
};

TEST_F(DocumentEntryTest, AWarmWholeDocumentIsAnsweredByOneDocumentEntry) {
  const DocTokens d = Make(6, "pw");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(out, d.values);
  ValueCacheStats s = cipher_->stats();
  EXPECT_EQ(s.misses, 6u);
  EXPECT_EQ(s.documents, 1u);
  EXPECT_EQ(s.entries, 6u);  // the misses are kept once, in the document entry
  for (int i = 0; i < 3; ++i) {
    out.clear();
    ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
    EXPECT_EQ(out, d.values);
  }
  s = cipher_->stats();
  EXPECT_EQ(s.document_hits, 3u);
  EXPECT_EQ(s.hits, 18u);
  EXPECT_EQ(s.misses, 6u);
  // Without the dotted paths (built from the paths): the same entry.
  const auto no_dotted = d.Batch(/*with_dotted=*/false);
  ASSERT_TRUE(cipher_->DecryptContent(no_dotted, kDoc, "hash-1", out));
  EXPECT_EQ(out, d.values);
  EXPECT_EQ(cipher_->stats().document_hits, 4u);
  // Each hit hands out fresh values: changing one changes nothing for the next read.
  out[0] = Value("changed by the caller");
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(out, d.values);
}

// As ConfigService::Get calls it: each token's string moved into out[i], the batch viewing them.
Status InPlace(const ValueCipher& c, const DocTokens& d, std::string_view hash,
               std::vector<Value>& out, std::string_view doc = kDoc) {
  out.clear();
  for (const std::string& t : d.tokens) out.emplace_back(t);
  std::vector<TokenAt> batch;
  for (std::size_t i = 0; i < out.size(); ++i) {
    batch.push_back({out[i].AsString(), &d.paths[i], d.dotted[i]});
  }
  return c.DecryptContent(batch, doc, hash, out);
}

TEST_F(DocumentEntryTest, TokensMovedIntoTheOutputAreReplacedByTheirValuesOrKeptOnFailure) {
  const DocTokens d = Make(6, "pw");
  for (const ValueCipher* c : {static_cast<const ValueCipher*>(cipher_.get()), inner_.get()}) {
    for (int i = 0; i < 3; ++i) {  // a miss, then hits (for the cache)
      std::vector<Value> out;
      ASSERT_TRUE(InPlace(*c, d, "hash-1", out));
      EXPECT_EQ(out, d.values);
      // A failure (another document identity) gives the tokens back, unchanged.
      auto s = InPlace(*c, d, "hash-1", out, "bulwark-store/v1/ffff");
      ASSERT_FALSE(s);
      EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
      ASSERT_EQ(out.size(), d.tokens.size());
      for (std::size_t k = 0; k < out.size(); ++k) EXPECT_EQ(out[k].AsString(), d.tokens[k]);
    }
  }
  EXPECT_EQ(cipher_->stats().document_hits, 2u);
  // Per-token only (no hash, or too many values for a document entry): the same.
  auto small = CachingValueCipherTest::Make(2);
  for (auto [c, hash] : {std::pair{cipher_.get(), ""}, std::pair{small.get(), "hash-1"}}) {
    for (int i = 0; i < 2; ++i) {
      std::vector<Value> out;
      ASSERT_TRUE(InPlace(*c, d, hash, out));
      EXPECT_EQ(out, d.values);
    }
  }
}

TEST_F(DocumentEntryTest, AnEmptyContentHashUsesOnlyPerTokenEntries) {
  const DocTokens d = Make(3, "pw");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, d, "", out));
  ASSERT_TRUE(Content(*cipher_, d, "", out));
  EXPECT_EQ(out, d.values);
  EXPECT_EQ(cipher_->stats().documents, 0u);
  EXPECT_EQ(cipher_->stats().document_hits, 0u);
  EXPECT_EQ(cipher_->stats().hits, 3u);
}

TEST_F(DocumentEntryTest, ADocumentEntryIsNotUsedForAnotherDocumentIdentity) {
  const DocTokens d = Make(3, "pw");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  auto s = Content(*cipher_, d, "hash-1", out, "bulwark-store/v1/ffff");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(out, d.values);  // left as it was
  EXPECT_EQ(cipher_->stats().document_hits, 0u);
  // The right identity still hits.
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(out, d.values);
  EXPECT_EQ(cipher_->stats().document_hits, 1u);
}

TEST_F(DocumentEntryTest, OtherTokensUnderTheSameContentHashAreDecryptedNotServed) {
  // A caller that names two contents alike (a bug, or a colliding hash): same token count, other
  // tokens. The entry's check sends the second to the keyring.
  const DocTokens a = Make(4, "aa");
  const DocTokens b = Make(4, "bb");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, a, "same", out));
  ASSERT_TRUE(Content(*cipher_, b, "same", out));
  EXPECT_EQ(out, b.values);
  ASSERT_TRUE(Content(*cipher_, a, "same", out));
  EXPECT_EQ(out, a.values);
  EXPECT_EQ(cipher_->stats().document_hits, 0u);
  EXPECT_EQ(cipher_->stats().documents, 1u);  // the latest replaces the older
  // One token differs (same count, same paths): decrypted, not served.
  DocTokens mixed = a;
  mixed.tokens[2] = b.tokens[2];
  mixed.values[2] = b.values[2];
  ASSERT_TRUE(Content(*cipher_, mixed, "same", out));
  EXPECT_EQ(out, mixed.values);
  // The same tokens in another order: their own values, in that order.
  DocTokens swapped = a;
  std::swap(swapped.tokens[0], swapped.tokens[2]);
  std::swap(swapped.paths[0], swapped.paths[2]);
  std::swap(swapped.dotted[0], swapped.dotted[2]);
  std::swap(swapped.values[0], swapped.values[2]);
  ASSERT_TRUE(Content(*cipher_, a, "order", out));
  ASSERT_TRUE(Content(*cipher_, swapped, "order", out));
  EXPECT_EQ(out, swapped.values);
}

TEST_F(DocumentEntryTest, DifferentContentsWithTheSameTokenCountKeepTheirOwnValues) {
  const DocTokens a = Make(4, "aa");
  const DocTokens b = Make(4, "bb");
  std::vector<Value> out;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(Content(*cipher_, a, "hash-a", out));
    EXPECT_EQ(out, a.values);
    ASSERT_TRUE(Content(*cipher_, b, "hash-b", out));
    EXPECT_EQ(out, b.values);
  }
  EXPECT_EQ(cipher_->stats().documents, 2u);
  EXPECT_EQ(cipher_->stats().document_hits, 2u);
  EXPECT_EQ(cipher_->stats().entries, 8u);
}

TEST_F(DocumentEntryTest, ATokenMovedToAnotherPathInACachedDocumentFails) {
  const DocTokens d = Make(3, "pw");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  DocTokens moved = d;
  moved.tokens[1] = d.tokens[0];  // the first secret copied over the second, same hash
  auto s = Content(*cipher_, moved, "hash-1", out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  // A path renamed under the same token text: fails too.
  DocTokens renamed = d;
  renamed.paths[0] = P("elsewhere");
  renamed.dotted[0] = "elsewhere";
  s = Content(*cipher_, renamed, "hash-1", out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(cipher_->stats().document_hits, 0u);
}

TEST_F(DocumentEntryTest, KeyStateChangesBetweenReadsStopCachedDocuments) {
  const keys::KeyId old_key = keyring_->primary_id();
  const DocTokens d = Make(3, "pw");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  ASSERT_TRUE(keyring_->Rotate());
  // Decrypt-only keys still decrypt, through the keyring (the entry was dropped), then cached.
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(out, d.values);
  EXPECT_EQ(cipher_->stats().document_hits, 0u);
  EXPECT_GE(cipher_->stats().invalidations, 1u);
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(cipher_->stats().document_hits, 1u);
  ASSERT_TRUE(keyring_->Disable(old_key));
  auto s = Content(*cipher_, d, "hash-1", out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(out, d.values);  // left as it was
  EXPECT_EQ(cipher_->stats().documents, 0u);
  ASSERT_TRUE(keyring_->Enable(old_key));
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(cipher_->stats().document_hits, 2u);
  ASSERT_TRUE(keyring_->MarkCompromised(old_key));
  s = Content(*cipher_, d, "hash-1", out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(cipher_->stats().document_hits, 2u);
}

TEST_F(DocumentEntryTest, DestroyingTheKeyStopsACachedDocument) {
  const keys::KeyId old_key = keyring_->primary_id();
  const DocTokens d = Make(3, "pw");
  ASSERT_TRUE(keyring_->Rotate());
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  ASSERT_TRUE(keyring_->Destroy(old_key));
  EXPECT_FALSE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(cipher_->stats().document_hits, 0u);
  EXPECT_EQ(cipher_->stats().entries, 0u);
}

TEST_F(DocumentEntryTest, DocumentAndTokenEntriesShareTheBoundAndOneLruOrder) {
  auto small = CachingValueCipherTest::Make(7);
  const DocTokens a = Make(3, "aa");
  const DocTokens b = Make(3, "bb");
  const Path pt = P("single");
  const std::string t = Token(Value("single-value"), "single");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*small, a, "hash-a", out));  // 3 values
  ASSERT_TRUE(small->Decrypt(t, kDoc, pt));        // 4
  ASSERT_TRUE(Content(*small, a, "hash-a", out));  // a is now more recent than t
  ASSERT_TRUE(Content(*small, b, "hash-b", out));  // 7: full
  EXPECT_EQ(small->stats().entries, 7u);
  EXPECT_EQ(small->stats().evictions, 0u);
  const DocTokens c = Make(2, "cc");
  ASSERT_TRUE(Content(*small, c, "hash-c", out));  // evicts t (1), then a (3)
  EXPECT_EQ(small->stats().evictions, 4u);
  EXPECT_EQ(small->stats().entries, 5u);
  EXPECT_EQ(small->stats().documents, 2u);
  ASSERT_TRUE(Content(*small, b, "hash-b", out));
  ASSERT_TRUE(Content(*small, c, "hash-c", out));
  EXPECT_EQ(small->stats().document_hits, 3u);
  ASSERT_TRUE(Content(*small, a, "hash-a", out));  // a miss: it was evicted
  EXPECT_EQ(out, a.values);
  EXPECT_EQ(small->stats().document_hits, 3u);
  EXPECT_LE(small->stats().entries, 7u);
  // A document larger than the bound gets no document entry; its values go to per-token
  // entries, bounded as before.
  const DocTokens big = Make(9, "big");
  ASSERT_TRUE(Content(*small, big, "hash-big", out));
  EXPECT_EQ(out, big.values);
  ASSERT_TRUE(Content(*small, big, "hash-big", out));
  EXPECT_EQ(out, big.values);
  EXPECT_EQ(small->stats().entries, 7u);
  EXPECT_EQ(small->stats().document_hits, 3u);
}

TEST_F(DocumentEntryTest, ClearAndZeroEntriesDropDocumentEntries) {
  const DocTokens d = Make(3, "pw");
  std::vector<Value> out;
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  cipher_->Clear();
  EXPECT_EQ(cipher_->stats().documents, 0u);
  EXPECT_EQ(cipher_->stats().entries, 0u);
  ASSERT_TRUE(Content(*cipher_, d, "hash-1", out));
  EXPECT_EQ(cipher_->stats().document_hits, 0u);
  auto off = CachingValueCipherTest::Make(0);
  ASSERT_TRUE(Content(*off, d, "hash-1", out));
  ASSERT_TRUE(Content(*off, d, "hash-1", out));
  EXPECT_EQ(out, d.values);
  EXPECT_EQ(off->stats().document_hits, 0u);
  EXPECT_EQ(off->stats().entries, 0u);
}

TEST_F(DocumentEntryTest, ConcurrentReadersOfDocumentsThatEvictEachOtherGetTheirOwnValues) {
  auto small = CachingValueCipherTest::Make(10);  // room for one document and a few tokens
  const DocTokens a = Make(6, "aa");
  const DocTokens b = Make(6, "bb");
  std::atomic<int> failures{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      std::vector<Value> out;
      for (int i = 0; i < 300; ++i) {
        const DocTokens& d = (i + t) % 2 == 0 ? a : b;
        const auto batch = d.Batch();
        Status s = t == 3 ? small->DecryptMany(batch, kDoc, out)
                          : small->DecryptContent(batch, kDoc, &d == &a ? "hash-a" : "hash-b", out);
        if (!s || out != d.values) ++failures;
      }
    });
  }
  std::thread churn([&] {  // key state changes and clears while the readers read
    for (int i = 0; i < 20 && !stop; ++i) {
      if (!keyring_->Rotate()) ++failures;
      small->Clear();
      std::this_thread::yield();
    }
  });
  for (auto& th : readers) th.join();
  stop = true;
  churn.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(small->stats().entries, 10u);
}

// The cache returns exactly what the uncached cipher returns (values, or the same error), for
// random batches (right and wrong paths and documents, random content hashes, hits and misses) and
// random key state changes, Clear and per-token calls in between; and never holds more than its
// bound.
// A uniform choice in [lo, hi) (RapidCheck's inRange scales with the test's size, which would
// make the early runs mostly tiny, and the operations mostly the first ones).
template <typename T>
T Pick(T lo, T hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(lo, hi));
}

RC_GTEST_PROP(CachingValueCipherProperty, ReturnsWhatTheUncachedCipherReturns, ()) {
  testing::FakeRuntime fake;
  Runtime rt{fake.clock, NewSystemRandom(), NewLocalFileSystem()};
  std::shared_ptr<keys::Keyring> keyring =
      keys::Keyring::Create(rt, crypto::AlgorithmPolicy::Standard()).value();
  std::shared_ptr<const ValueCipher> inner = NewKeyringValueCipher(keyring);
  const std::size_t max_entries =
      *rc::gen::elementOf(std::vector<std::size_t>{0, 1, 3, 5, 8, 12, 64});
  auto cache = CachingValueCipher::Create(inner, keyring, {.max_entries = max_entries}).value();
  const std::vector<std::string> docs = {std::string(kDoc), "bulwark-store/v1/other"};
  const std::vector<Path> paths = {P("a"), P("b.c"), P("list[1]"), P("\"odd key\".x")};
  struct Pooled {
    std::string token;
    std::size_t path;
  };
  std::vector<Pooled> pool;
  std::vector<keys::KeyId> key_ids = {keyring->primary_id()};
  auto add_token = [&] {
    const std::size_t doc = Pick(0, 16) == 0 ? 1 : 0;  // mostly the first
    const std::size_t path = Pick<std::size_t>(0, paths.size());
    const int kind = Pick(0, 3);
    const Value v = kind == 0   ? Value(*rc::gen::arbitrary<std::string>())
                    : kind == 1 ? Value(*rc::gen::arbitrary<std::int64_t>())
                                : Value(*rc::gen::arbitrary<bool>());
    auto token = inner->Encrypt(v, docs[doc], paths[path]);
    if (token) pool.push_back({*token, path});
  };
  for (int i = 0; i < 4; ++i) add_token();
  struct Call {
    std::vector<std::pair<std::size_t, std::size_t>> items;  // pool index, path index
    std::size_t doc = 0;
    std::string hash;
  };
  const std::vector<std::string> hashes = {"", "h1", "h2"};
  std::vector<Call> history;
  const int steps = Pick(1, 60);
  for (int step = 0; step < steps; ++step) {
    // 0 new token, 1 rotate, 2 key state change, 3 Clear, 4-6 DecryptMany, 7 Decrypt, 8-29
    // DecryptContent.
    const int op = Pick(0, 30);
    if (op == 0) {
      add_token();
    } else if (op == 1) {
      if (auto id = keyring->Rotate()) key_ids.push_back(*id);
    } else if (op == 2) {
      const keys::KeyId id = *rc::gen::elementOf(key_ids);
      switch (Pick(0, 8)) {  // mostly reversible changes
        case 0:
          (void)keyring->Destroy(id);
          break;
        case 1:
          (void)keyring->MarkCompromised(id);
          break;
        case 2:
        case 3:
        case 4:
          (void)keyring->Disable(id);
          break;
        default:
          (void)keyring->Enable(id);
      }
    } else if (op == 3) {
      cache->Clear();
    } else if (pool.empty()) {
      continue;
    } else {
      // A batch: a new one (tokens from the pool, repeats allowed, mostly at their own paths,
      // mostly for their own document), or often an earlier one again (warm), as it was or with
      // one change (another document, a token moved to another path, another token).
      Call call;
      if (history.empty() || Pick(0, 3) == 0) {
        const std::size_t n = Pick<std::size_t>(1, 6);
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t t = Pick<std::size_t>(0, pool.size());
          const bool moved = Pick(0, 16) == 0;
          call.items.emplace_back(t, moved ? Pick<std::size_t>(0, paths.size()) : pool[t].path);
        }
        call.doc = Pick(0, 16) == 0 ? 1 : 0;
        call.hash = *rc::gen::elementOf(hashes);
      } else {
        call = *rc::gen::elementOf(history);
        const std::size_t at = Pick<std::size_t>(0, call.items.size());
        switch (Pick(0, 6)) {
          case 0:
            call.doc = 1 - call.doc;
            break;
          case 1:
            call.items[at].second = Pick<std::size_t>(0, paths.size());
            break;
          case 2:
            call.items[at].first = Pick<std::size_t>(0, pool.size());
            break;
          default:
            break;
        }
      }
      history.push_back(call);
      std::vector<TokenAt> batch;
      for (const auto& [t, path] : call.items) batch.push_back({pool[t].token, &paths[path]});
      const std::string& doc = docs[call.doc];
      std::vector<Value> want, got;
      const Status expected = inner->DecryptMany(batch, doc, want);
      Status actual;
      if (op >= 4 && op <= 6) {
        actual = cache->DecryptMany(batch, doc, got);
      } else if (op == 7) {
        auto v = cache->Decrypt(batch[0].token, doc, *batch[0].path);
        auto w = inner->Decrypt(batch[0].token, doc, *batch[0].path);
        RC_ASSERT(v.has_value() == w.has_value());
        if (v) {
          RC_ASSERT(*v == *w);
        } else {
          RC_ASSERT(v.error().code() == w.error().code());
          RC_ASSERT(v.error().message() == w.error().message());
        }
        continue;
      } else {
        if (Pick(0, 2) == 0) {
          actual = cache->DecryptContent(batch, doc, call.hash, got);
        } else {
          // As ConfigService::Get calls it: the tokens moved into the output, viewed by the batch;
          // on failure they come back unchanged.
          for (const TokenAt& t : batch) got.emplace_back(std::string(t.token));
          std::vector<TokenAt> moved = batch;
          for (std::size_t i = 0; i < moved.size(); ++i) moved[i].token = got[i].AsString();
          actual = cache->DecryptContent(moved, doc, call.hash, got);
          if (!actual) {
            RC_ASSERT(got.size() == batch.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
              RC_ASSERT(got[i].AsString() == batch[i].token);
            }
            got.clear();
          }
        }
      }
      RC_ASSERT(actual.has_value() == expected.has_value());
      if (expected) {
        RC_ASSERT(got == want);
      } else {
        RC_ASSERT(actual.error().code() == expected.error().code());
        RC_ASSERT(actual.error().message() == expected.error().message());
        RC_ASSERT(got.empty());
      }
    }
    RC_ASSERT(cache->stats().entries <= max_entries);
  }
  RC_TAG(cache->stats().document_hits > 0 ? "document hits" : "no document hit");
}

TEST_F(CachingValueCipherTest, CreateNeedsTheInnerCipherAndItsKeyring) {
  EXPECT_FALSE(CachingValueCipher::Create(nullptr, keyring_, {}));
  EXPECT_FALSE(CachingValueCipher::Create(inner_, nullptr, {}));
}

}  // namespace
}  // namespace bulwark::service
