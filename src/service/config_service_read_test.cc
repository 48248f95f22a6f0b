// The read path of the service (one walk that redacts or decrypts, audit paths) and the service
// over a CachingValueCipher.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "bulwark/config/format.h"
#include "bulwark/service/caching_value_cipher.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "service/service_fixture_for_test.h"

namespace bulwark::service {
namespace {

using config::Path;
using config::Value;

Value J(const char* text) {
  return config::ParseDocument(text, config::Format::kJson).value().root;
}
Path P(const char* p) { return Path::Parse(p).value(); }

class ServiceReadTest : public test_support::ServiceFixture {
 protected:
  std::shared_ptr<const ValueCipher> MakeCipher() override {
    cache_ = CachingValueCipher::Create(NewKeyringValueCipher(keyring_), keyring_, {}).value();
    return cache_;
  }

  Result<ReadResult> Read(const char* ns, std::optional<Path> path, bool reveal) {
    ReadRequest r;
    r.path = std::move(path);
    r.reveal = reveal;
    return svc_->Get(ctx_, ns, r);
  }

  std::shared_ptr<CachingValueCipher> cache_;
};

constexpr const char* kDoc = R"({
  "services": [
    {"name": "a", "db": {"password": "pw-aaaaaaaa", "port": 1}},
    {"name": "b", "db": {"password": "pw-bbbbbbbb", "port": 2}, "api_key": 12345678}
  ],
  "odd keys": {"x.y": {"secret": "s-cccccccc"}, "tab\tkey": {"token": "t-dddddddd"}}
})";

TEST_F(ServiceReadTest, RedactedReadNamesEverySecretInCanonicalFormAndRedactsIt) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  auto r = Read("app", std::nullopt, false);
  ASSERT_TRUE(r) << r.error();
  const std::vector<Path> expected = {
      P("services[0].db.password"), P("services[1].db.password"), P("services[1].api_key"),
      P(R"("odd keys"."x.y".secret)"),
      Path({config::PathSegment::Key("odd keys"), config::PathSegment::Key("tab\tkey"),
            config::PathSegment::Key("token")})};
  EXPECT_EQ(r->sensitive, expected);
  std::vector<std::string> dotted;
  for (const Path& p : expected) {
    dotted.push_back(p.ToString());
    EXPECT_EQ(*config::Find(r->value, p), Value("[redacted]")) << p.ToString();
  }
  EXPECT_EQ(config::Find(r->value, P("services[1].db.port"))->AsInt(), 2);
  const AuditRecord rec = audit_->records().back();
  EXPECT_EQ(rec.sensitive_paths, dotted);
  EXPECT_FALSE(rec.revealed);
  EXPECT_EQ(cache_->stats().hits + cache_->stats().misses, 0u);  // nothing decrypted
}

TEST_F(ServiceReadTest, SubtreeRevealReturnsRelativePathsAndAuditsAbsoluteOnes) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  auto r = Read("app", P("services[1]"), true);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->sensitive, (std::vector<Path>{P("db.password"), P("api_key")}));
  EXPECT_EQ(config::Find(r->value, P("db.password"))->AsString(), "pw-bbbbbbbb");
  EXPECT_EQ(config::Find(r->value, P("api_key"))->AsInt(), 12345678);
  const AuditRecord rec = audit_->records().back();
  EXPECT_TRUE(rec.revealed);
  EXPECT_EQ(rec.sensitive_paths,
            (std::vector<std::string>{"services[1].db.password", "services[1].api_key"}));
  // A single secret as the subtree.
  auto one = Read("app", P(R"("odd keys"."x.y".secret)"), true);
  ASSERT_TRUE(one) << one.error();
  EXPECT_EQ(one->value, Value("s-cccccccc"));
  EXPECT_EQ(one->sensitive, std::vector<Path>{Path()});
  EXPECT_EQ(audit_->records().back().sensitive_paths,
            std::vector<std::string>{R"("odd keys"."x.y".secret)"});
}

TEST_F(ServiceReadTest, RepeatedRevealsAreServedFromTheCacheUntilAKeyIsDisabled) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  const keys::KeyId old_key = keyring_->primary_id();
  auto first = Read("app", std::nullopt, true);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(cache_->stats().misses, 5u);
  auto second = Read("app", std::nullopt, true);
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(cache_->stats().hits, 5u);
  EXPECT_EQ(first->value, second->value);
  EXPECT_EQ(config::Find(second->value, P("services[0].db.password"))->AsString(), "pw-aaaaaaaa");

  ASSERT_TRUE(keyring_->Rotate());
  ASSERT_TRUE(keyring_->Disable(old_key));
  auto refused = Read("app", std::nullopt, true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(audit_->records().back().outcome, Outcome::kFailure);
  EXPECT_EQ(cache_->stats().hits, 5u);
  // Redacted reads need no key.
  EXPECT_TRUE(Read("app", std::nullopt, false));
}

TEST_F(ServiceReadTest, WarmWholeDocumentRevealsUseOneDocumentEntryAndSubtreesPerTokenEntries) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  auto first = Read("app", std::nullopt, true);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(cache_->stats().documents, 1u);
  EXPECT_EQ(cache_->stats().entries, 5u);
  auto second = Read("app", std::nullopt, true);
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(cache_->stats().document_hits, 1u);
  EXPECT_EQ(second->value, first->value);
  // A subtree names no whole content: its tokens go through per-token entries.
  auto sub = Read("app", P("services"), true);
  ASSERT_TRUE(sub) << sub.error();
  EXPECT_EQ(config::Find(sub->value, P("[1].db.password"))->AsString(), "pw-bbbbbbbb");
  EXPECT_EQ(cache_->stats().document_hits, 1u);
  EXPECT_EQ(cache_->stats().misses, 5u + 3u);
  ASSERT_TRUE(Read("app", P("services"), true));
  EXPECT_EQ(cache_->stats().hits, 5u + 3u);
  // A new version is a new content: its own entry; the old version keeps answering from its own.
  SetRequest secret;
  secret.secret = true;
  ASSERT_TRUE(svc_->Set(ctx_, "app", P("services[0].db.password"), Value("pw-changed"), secret));
  auto changed = Read("app", std::nullopt, true);
  ASSERT_TRUE(changed) << changed.error();
  EXPECT_EQ(config::Find(changed->value, P("services[0].db.password"))->AsString(), "pw-changed");
  EXPECT_EQ(cache_->stats().documents, 2u);
  ReadRequest v1;
  v1.version = store::VersionRef::Number(1);
  v1.reveal = true;
  auto old = svc_->Get(ctx_, "app", v1);
  ASSERT_TRUE(old) << old.error();
  EXPECT_EQ(config::Find(old->value, P("services[0].db.password"))->AsString(), "pw-aaaaaaaa");
  EXPECT_EQ(cache_->stats().document_hits, 2u);
}

TEST_F(ServiceReadTest, AWholeDocumentRevealRetriesWithTheTokensAfterAStaleIdentity) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  ASSERT_TRUE(Read("app", std::nullopt, true));  // svc_ now remembers app's identity
  // Another process moves app away and another namespace (another identity) into its place.
  ServiceDeps other_deps = Deps();
  other_deps.cipher = NewKeyringValueCipher(keyring_);
  auto other = ConfigService::Create(std::move(other_deps)).value();
  ASSERT_TRUE(other->Put(ctx_, "next", J(R"({"db": {"password": "pw-next-1234567890"}})"), {}));
  ASSERT_TRUE(other->Move(ctx_, "app", "gone"));
  ASSERT_TRUE(other->Move(ctx_, "next", "app"));
  // The first attempt (stale identity) fails and gives the tokens back; the retry decrypts them.
  for (int i = 0; i < 2; ++i) {
    auto r = Read("app", std::nullopt, true);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(config::Find(r->value, P("db.password"))->AsString(), "pw-next-1234567890");
  }
  auto redacted = Read("app", std::nullopt, false);
  ASSERT_TRUE(redacted) << redacted.error();
  EXPECT_EQ(config::Find(redacted->value, P("db.password"))->AsString(), "[redacted]");
}

TEST_F(ServiceReadTest, ATokenCopiedToAnotherPathFailsEvenWhenItsValueIsCached) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  ASSERT_TRUE(Read("app", std::nullopt, true));  // fills the cache
  auto raw = store_->Get("app", store::VersionRef::Latest()).value();
  Value doc = raw.content;
  *config::Find(doc, P("services[1].db.password")) =
      *config::Find(doc, P("services[0].db.password"));
  ASSERT_TRUE(store_->Put("app", doc, {}));
  auto r = Read("app", std::nullopt, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
}

TEST_F(ServiceReadTest, RepeatedReadsOfAContentGiveTheSameAnswerAndNewVersionsAreSeen) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  auto first = Read("app", std::nullopt, false);   // walks and keeps a plan
  auto second = Read("app", std::nullopt, false);  // follows the plan
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->value, second->value);
  EXPECT_EQ(first->sensitive, second->sensitive);
  const auto records = audit_->records();
  EXPECT_EQ(records[records.size() - 1].sensitive_paths,
            records[records.size() - 2].sensitive_paths);
  // The paths handed out are the plan's, shared rather than copied per read ...
  EXPECT_TRUE(first->sensitive.SharesWith(second->sensitive));
  EXPECT_TRUE(records[records.size() - 1].sensitive_paths.SharesWith(
      records[records.size() - 2].sensitive_paths));
  // ... and a caller changing its copy changes nothing for the next read.
  first->sensitive.push_back(P("added.by.caller"));
  auto third = Read("app", std::nullopt, false);
  ASSERT_TRUE(third) << third.error();
  EXPECT_EQ(third->sensitive, second->sensitive);
  EXPECT_EQ(third->sensitive.size(), 5u);
  EXPECT_EQ(first->sensitive.size(), 6u);
  // A new version with one more secret and one fewer: its own plan.
  SetRequest secret;
  secret.secret = true;
  ASSERT_TRUE(svc_->Set(ctx_, "app", P("services[0].name"), Value("now-secret"), secret));
  ASSERT_TRUE(svc_->Unset(ctx_, "app", P("services[1].api_key"), {}));
  for (int i = 0; i < 2; ++i) {
    auto r = Read("app", std::nullopt, false);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(*config::Find(r->value, P("services[0].name")), Value("[redacted]"));
    EXPECT_EQ(config::Find(r->value, P("services[1].api_key")), nullptr);
    EXPECT_EQ(r->sensitive.size(), 5u);
  }
  // The old version still reads with its own tokens.
  ReadRequest v1;
  v1.version = store::VersionRef::Number(1);
  v1.reveal = true;
  auto old = svc_->Get(ctx_, "app", v1);
  ASSERT_TRUE(old) << old.error();
  EXPECT_EQ(config::Find(old->value, P("services[1].api_key"))->AsInt(), 12345678);
  EXPECT_EQ(config::Find(old->value, P("services[0].name"))->AsString(), "a");
}

TEST_F(ServiceReadTest, ConcurrentReadersShareThePlanAndEachChangesOnlyItsOwnPaths) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  auto first = Read("app", std::nullopt, false);  // leaves the plan
  ASSERT_TRUE(first) << first.error();
  const std::vector<Path> expected = first->sensitive;
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool reveal = (i + t) % 2 == 0;
        auto r = Read("app", std::nullopt, reveal);
        if (!r || r->sensitive != expected) {
          ++failures;
          continue;
        }
        // Each reader writes to its own copy of the shared list.
        r->sensitive.push_back(P("mine"));
        if (r->sensitive.size() != expected.size() + 1) ++failures;
        const Value& pw = *config::Find(r->value, P("services[0].db.password"));
        if (pw != (reveal ? Value("pw-aaaaaaaa") : Value("[redacted]"))) ++failures;
      }
    });
  }
  for (auto& th : readers) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto last = Read("app", std::nullopt, false);
  ASSERT_TRUE(last) << last.error();
  EXPECT_EQ(last->sensitive, expected);
  EXPECT_TRUE(last->sensitive.SharesWith(first->sensitive));
}

TEST_F(ServiceReadTest, EveryOperationGetsADistinctRequestId) {
  ASSERT_TRUE(svc_->Put(ctx_, "app", J(kDoc), {}));
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(Read("app", std::nullopt, false));
  std::set<std::string> ids;
  for (const AuditRecord& r : audit_->records()) {
    EXPECT_EQ(r.context.request_id.size(), 16u);
    ids.insert(r.context.request_id);
  }
  EXPECT_EQ(ids.size(), audit_->records().size());
  // A caller's own request id is kept.
  RequestContext mine = ctx_;
  mine.request_id = "req-42";
  ASSERT_TRUE(svc_->Get(mine, "app", {}));
  EXPECT_EQ(audit_->records().back().context.request_id, "req-42");
}

}  // namespace
}  // namespace bulwark::service
