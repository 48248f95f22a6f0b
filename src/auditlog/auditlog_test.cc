// Tests of the durable audit log: events and impact rules, RecordLeaf against the reference
// canonicalization, the conformance suite on SQLite (auditlog_conformance.cc), and what is
// SQLite-specific: file permissions, schema migration and version refusal, a property test over
// single-byte changes in the file, and a SIGKILL crash test.
#include <fmt/format.h>
#include <fnmatch.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>
#include <thread>

#include "auditlog/auditlog_fixture.h"
#include "bulwark/audit/checkpoint.h"
#include "bulwark/auditlog/event.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/audit/jcs.h"
#include "bulwark/auditlog/log_audit.h"
#include "bulwark/audit/proof.h"
#include "bulwark/audit/tree_builder.h"
#include "bulwark/core/encoding.h"
#include "bulwark/testing/child_processes.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::audit::logtest {
namespace {

namespace fs = std::filesystem;

TEST(ImpactClassifierTest, DefaultRulesParseAndClassify) {
  ASSERT_TRUE(ImpactClassifier::FromJson(DefaultImpactRules()).has_value());
  const ImpactClassifier c = ImpactClassifier::Default();
  auto level = [&](const request::AuditRecord& r) { return c.Classify(r).level; };

  EXPECT_EQ(level(Record("config.get", request::Action::kRead, "dev/app", {"db.host"})),
            ImpactLevel::kLow);
  EXPECT_EQ(level(Record("config.set", request::Action::kWrite, "dev/app", {"db.ssl_mode"})),
            ImpactLevel::kCritical);
  EXPECT_EQ(level(Record("config.set", request::Action::kWrite, "dev/app", {"api.tls.verify"})),
            ImpactLevel::kCritical);
  EXPECT_EQ(level(Record("config.set", request::Action::kWrite, "production/app", {"db.host"})),
            ImpactLevel::kHigh);
  auto sensitive = Record("config.set", request::Action::kWrite, "dev/app", {"db.password"});
  sensitive.sensitive_paths = {"db.password"};
  const Impact si = c.Classify(sensitive);
  EXPECT_EQ(si.level, ImpactLevel::kHigh);
  EXPECT_EQ(si.reasons, std::vector<std::string>{"a sensitive value changed"});
  auto denied = Record("config.set", request::Action::kWrite, "dev/app", {"db.ssl_mode"});
  denied.outcome = request::Outcome::kDenied;
  EXPECT_EQ(level(denied), ImpactLevel::kMedium);  // nothing was weakened: the write was refused
  // Only a break-glass approval is an emergency; recording a drift baseline is an ordinary approve.
  const Impact baseline = c.Classify(Record("drift.baseline", request::Action::kApprove, "dev/app", {}));
  EXPECT_EQ(baseline.level, ImpactLevel::kLow);
  EXPECT_TRUE(baseline.reasons.empty() ||
              baseline.reasons != std::vector<std::string>{"emergency approval used"});
  const Impact glass =
      c.Classify(Record("change.emergency_approve", request::Action::kApprove, "dev/app", {}));
  EXPECT_EQ(glass.level, ImpactLevel::kCritical);
  EXPECT_EQ(glass.reasons, std::vector<std::string>{"emergency approval used"});
  // Secret lifecycle (docs/rotation.md): a failed phase or an overdue secret is high, metadata
  // (hooks are commands a rotation runs) medium, a phase that changed nothing low.
  auto verify = Record("secret.rotation.verification", request::Action::kRotate, "dev/db", {"password"});
  verify.outcome = request::Outcome::kFailure;
  EXPECT_EQ(c.Classify(verify).reasons,
            (std::vector<std::string>{"secret rotation failed or overdue", "operation failed"}));
  EXPECT_EQ(level(verify), ImpactLevel::kHigh);
  auto overdue = Record("secret.overdue", request::Action::kRotate, "dev/db", {"password"});
  overdue.outcome = request::Outcome::kFailure;
  EXPECT_EQ(level(overdue), ImpactLevel::kHigh);
  EXPECT_EQ(level(Record("secret.meta", request::Action::kAdmin, "dev/db", {"password"})),
            ImpactLevel::kMedium);
  EXPECT_EQ(level(Record("secret.rotation.grace", request::Action::kRotate, "dev/db", {"password"})),
            ImpactLevel::kLow);
  auto generated = Record("secret.rotation.generate", request::Action::kRotate, "dev/db", {"password"});
  generated.sensitive_paths = {"password"};
  EXPECT_EQ(level(generated), ImpactLevel::kHigh);
}

TEST(ImpactClassifierTest, RulesAreDataAndBadRulesAreRejected) {
  auto c = ImpactClassifier::FromJson(
      R"({"rules": [{"name": "n", "level": "critical", "reason": "r",
                     "when": {"namespaces": ["payments/*"]}}]})");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->Classify(Record("config.get", request::Action::kRead, "payments/x", {})).level,
            ImpactLevel::kCritical);
  EXPECT_EQ(c->Classify(Record("config.get", request::Action::kRead, "other", {})).level,
            ImpactLevel::kLow);
  auto bad =
      ImpactClassifier::FromJson(R"({"rules": [{"name": "n", "level": "huge", "reason": "r"}]})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("rule 0"), std::string::npos);
  EXPECT_FALSE(ImpactClassifier::FromJson(
                   R"({"rules": [{"name": "n", "level": "low", "reason": "r", "when": {"x": 1}}]})")
                   .has_value());
}

// The classifier against the definition it had before it compiled its rules: fnmatch(3) for every
// glob, the names of actions and outcomes compared as strings. Globs and texts are drawn from a
// small alphabet (so that they match often) with '?', '[', '\\' and NUL now and then.
RC_GTEST_PROP(ImpactClassifierTest, ClassifiesAsFnmatchAndNameComparisonDo, ()) {
  const auto glob_char = rc::gen::weightedOneOf<char>(
      {{8, rc::gen::element<char>('a', 'b', '.', '/', '*')},
       {1, rc::gen::element<char>('?', '[', ']', '\\', '\0', '!', '-')}});
  const auto text_char =
      rc::gen::weightedOneOf<char>({{8, rc::gen::element<char>('a', 'b', '.', '/')},
                                    {1, rc::gen::element<char>('*', '?', '[', '\\', '\0')}});
  const auto glob = [&] { return *rc::gen::container<std::string>(glob_char); };
  const auto text = [&] {
    return *rc::gen::resize(12, rc::gen::container<std::string>(text_char));
  };
  const auto names = [](std::vector<std::string> all) {
    all.push_back("unknown");
    all.push_back("READ");
    return *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(all));
  };
  nlohmann::json when = nlohmann::json::object();
  std::vector<std::string> ops, nss, pats, actions, outcomes;
  if (*rc::gen::arbitrary<bool>()) {
    for (int n = *rc::gen::inRange(1, 3); n > 0; --n) ops.push_back(glob());
    when["operations"] = ops;
  }
  if (*rc::gen::arbitrary<bool>()) {
    for (int n = *rc::gen::inRange(1, 3); n > 0; --n) nss.push_back(glob());
    when["namespaces"] = nss;
  }
  if (*rc::gen::arbitrary<bool>()) {
    for (int n = *rc::gen::inRange(1, 3); n > 0; --n) pats.push_back(glob());
    when["paths"] = pats;
  }
  if (*rc::gen::arbitrary<bool>()) {
    actions = names({"read", "reveal", "write", "delete", "list", "rotate", "approve", "admin"});
    when["actions"] = actions;
  }
  if (*rc::gen::arbitrary<bool>()) {
    outcomes = names({"success", "denied", "failure"});
    when["outcomes"] = outcomes;
  }
  const nlohmann::json rules = {
      {"rules", {{{"name", "n"}, {"level", "high"}, {"reason", "r"}, {"when", when}}}}};
  const auto classifier = ImpactClassifier::FromJson(rules.dump());
  RC_ASSERT(classifier.has_value());

  request::AuditRecord rec;
  rec.operation = text();
  rec.namespace_name = text();
  for (int n = *rc::gen::inRange(0, 3); n > 0; --n) rec.paths.push_back(text());
  rec.action = static_cast<request::Action>(*rc::gen::inRange(0, request::kActionCount));
  rec.outcome = static_cast<request::Outcome>(*rc::gen::inRange(0, 3));
  auto any_glob = [](const std::vector<std::string>& globs, const std::string& t) {
    for (const auto& g : globs) {
      if (::fnmatch(g.c_str(), t.c_str(), 0) == 0) return true;
    }
    return false;
  };
  auto contains = [](const std::vector<std::string>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  bool expect = true;
  // An empty list is no condition.
  if (!actions.empty()) expect &= contains(actions, request::ActionName(rec.action));
  if (!outcomes.empty()) expect &= contains(outcomes, request::OutcomeName(rec.outcome));
  if (when.contains("operations")) expect &= any_glob(ops, rec.operation);
  if (when.contains("namespaces")) expect &= any_glob(nss, rec.namespace_name);
  if (when.contains("paths")) {
    bool any = false;
    for (const auto& p : rec.paths) any = any || any_glob(pats, p);
    expect &= any;
  }
  RC_TAG(expect ? "matches" : "does not match");
  RC_ASSERT(classifier->Classify(rec).level == (expect ? ImpactLevel::kHigh : ImpactLevel::kLow));
}

TEST(EventTest, EventIsCloudEventsWithCanonicalLeaf) {
  auto r = Record("config.put", request::Action::kWrite, "dev/app", {"db.password"});
  r.sensitive_paths = {"db.password"};
  r.version_after = 3;
  const auto ev = BuildEvent(r, ImpactClassifier::Default().Classify(r), "abc", "bulwark://h/c");
  EXPECT_EQ(ev["specversion"], "1.0");
  EXPECT_EQ(ev["type"], "dev.bulwark.config.put");
  EXPECT_EQ(ev["subject"], "dev/app");
  EXPECT_EQ(ev["data"]["actor"]["id"], "local:alice");
  EXPECT_EQ(ev["data"]["version_after"], 3);
  EXPECT_EQ(ev["data"]["impact"]["level"], "high");
  auto leaf = EventLeaf(ev);
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(leaf->front(), '{');
  EXPECT_EQ(leaf->find(' '),
            leaf->find("bulwark://") == std::string::npos ? std::string::npos : leaf->find(' '));
  EXPECT_EQ(*CanonicalizeJsonText(*leaf), *leaf);
}

TEST(EventTest, AFileEventNamesTheFileAsSubjectAndResource) {
  auto r = Record("file.decrypt", request::Action::kReveal, "", {"db.password"});
  r.sensitive_paths = {"db.password"};
  r.revealed = true;
  r.resource_kind = request::ResourceKind::kFile;
  r.resource_name = "/srv/app/secrets.yaml";
  const Impact impact = ImpactClassifier::Default().Classify(r);
  EXPECT_EQ(impact.level, ImpactLevel::kMedium);
  const auto ev = BuildEvent(r, impact, "abc", "bulwark://h/c");
  EXPECT_EQ(ev["subject"], "/srv/app/secrets.yaml");
  EXPECT_EQ(ev["data"]["resource"]["kind"], "file");
  EXPECT_EQ(ev["data"]["resource"]["name"], "/srv/app/secrets.yaml");
  EXPECT_EQ(ev["data"]["namespace"], "");
  auto leaf = RecordLeaf(r, impact, "abc", "bulwark://h/c");
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(*leaf, *EventLeaf(ev));
}

TEST(EventTest, ANamespaceEventHasNoResourceMember) {
  const auto r = Record("config.get", request::Action::kRead, "dev/app", {"db.host"});
  const auto ev = BuildEvent(r, {}, "abc", "bulwark://h/c");
  EXPECT_FALSE(ev["data"].contains("resource"));
}

TEST(EventTest, DestroyingOrCompromisingAKeyIsCriticalAndOtherKeyChangesAreNot) {
  const auto c = ImpactClassifier::Default();
  auto key = [](const char* op, request::Action a, request::Outcome o = request::Outcome::kSuccess) {
    auto r = Record(op, a, "", {});
    r.resource_kind = request::ResourceKind::kKey;
    r.resource_name = "1a2b3c4d";
    r.outcome = o;
    return r;
  };
  EXPECT_EQ(c.Classify(key("key.destroy", request::Action::kDelete)).level, ImpactLevel::kCritical);
  EXPECT_EQ(c.Classify(key("key.compromised", request::Action::kAdmin)).level,
            ImpactLevel::kCritical);
  EXPECT_EQ(c.Classify(key("key.disable", request::Action::kAdmin)).level, ImpactLevel::kHigh);
  EXPECT_EQ(c.Classify(key("key.rotate", request::Action::kRotate)).level, ImpactLevel::kMedium);
  EXPECT_EQ(c.Classify(key("key.list", request::Action::kRead)).level, ImpactLevel::kLow);
  // A refused destroy is a denial, not a destruction.
  EXPECT_EQ(c.Classify(key("key.destroy", request::Action::kDelete, request::Outcome::kDenied)).level,
            ImpactLevel::kMedium);
}

// A valid UTF-8 string of code points mostly near the escaping boundaries (control characters,
// quotes, backslashes, DEL, two- to four-byte sequences), long enough to cross 8-byte words.
std::string ValidUtf8WithEscapes() {
  const auto cps =
      *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::weightedOneOf<std::uint32_t>(
          {{6, rc::gen::inRange<std::uint32_t>('a', 'z' + 1)},
           {2, rc::gen::element<std::uint32_t>(0, 0x1f, '"', '\\', 0x7f, ' ', '\n', '\t', 0x20,
                                               0x21, 0x5b, 0x5d, 0x80, 0xe9)},
           {1, rc::gen::inRange<std::uint32_t>(0, 0x80)},
           {1, rc::gen::inRange<std::uint32_t>(0x80, 0xD800)},
           {1, rc::gen::inRange<std::uint32_t>(0xE000, 0x110000)}}));
  std::string s;
  for (std::uint32_t cp : cps) AppendUtf8(s, static_cast<char32_t>(cp));
  return s;
}

RC_GTEST_PROP(EventTest, RecordLeafEqualsCanonicalizedBuildEvent, ()) {
  // Strings with quotes, backslashes, control characters, non-ASCII and invalid UTF-8: in half the
  // records every string is valid UTF-8 and every integer exact (the leaf is written), in the other
  // half strings are arbitrary bytes too, or a valid string with one invalid sequence spliced in
  // anywhere, and integers anything (mostly rejected, with the reference's error).
  const bool valid = *rc::gen::arbitrary<bool>();
  const auto str = [valid] {
    const auto fixed = rc::gen::element<std::string>(
        "", "a\"b\\c", "\x01\x1f\x7f\n\t", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x94\x91", "db.password",
        "services[12].database.password");
    if (valid) {
      return *rc::gen::weightedOneOf<std::string>(
          {{3, rc::gen::exec(ValidUtf8WithEscapes)}, {1, fixed}});
    }
    return *rc::gen::weightedOneOf<std::string>(
        {{8, rc::gen::exec(ValidUtf8WithEscapes)},
         {2, fixed},
         {1, rc::gen::arbitrary<std::string>()},
         {1, rc::gen::exec([] {
            std::string s = ValidUtf8WithEscapes();
            const auto bad = *rc::gen::element<std::string>("\xff", "\xc3", "\xed\xa0\x80",
                                                            "\xc0\xaf", "\xf4\x90\x80\x80");
            s.insert(*rc::gen::inRange<std::size_t>(0, s.size() + 1), bad);
            return s;
          })}});
  };
  // Integers: small, at 2^53 (the exact-integer limit) and, when not `valid`, beyond it or
  // anything.
  const auto integer = [valid] {
    constexpr std::int64_t k53 = std::int64_t{1} << 53;
    if (valid) {
      return *rc::gen::oneOf(rc::gen::inRange<std::int64_t>(0, 1000),
                             rc::gen::inRange<std::int64_t>(-k53, k53 + 1),
                             rc::gen::element(k53, -k53, k53 - 1));
    }
    return *rc::gen::oneOf(
        rc::gen::inRange<std::int64_t>(0, 1000), rc::gen::inRange<std::int64_t>(k53 - 2, k53 + 3),
        rc::gen::inRange<std::int64_t>(-k53 - 2, -k53 + 3), rc::gen::arbitrary<std::int64_t>());
  };
  request::AuditRecord r;
  // Any time the clock holds (1677-2262 in nanoseconds), with any sub-second part.
  r.time = TimePoint(TimePoint::duration(*rc::gen::oneOf(
      rc::gen::inRange<TimePoint::rep>(std::numeric_limits<TimePoint::rep>::min() / 2,
                                       std::numeric_limits<TimePoint::rep>::max()),
      rc::gen::inRange<TimePoint::rep>(0,
                                       TimePoint::rep{4'000'000'000} * TimePoint::period::den))));
  r.operation = str();
  r.action = static_cast<request::Action>(*rc::gen::inRange(0, request::kActionCount));
  r.namespace_name = *rc::gen::arbitrary<bool>() ? str() : std::string();
  r.resource_kind = static_cast<request::ResourceKind>(*rc::gen::inRange(0, 7));
  if (r.resource_kind != request::ResourceKind::kNamespace) r.resource_name = str();
  for (int n = *rc::gen::inRange(0, 4); n > 0; --n) r.paths.push_back(str());
  if (*rc::gen::arbitrary<bool>()) {
    std::vector<std::string> sensitive;
    for (int n = *rc::gen::inRange(1, 6); n > 0; --n) sensitive.push_back(str());
    r.sensitive_paths = std::move(sensitive);
  }
  r.revealed = *rc::gen::arbitrary<bool>();
  r.outcome = static_cast<request::Outcome>(*rc::gen::inRange(0, 3));
  r.reason = str();
  if (*rc::gen::arbitrary<bool>()) r.version_before = integer();
  if (*rc::gen::arbitrary<bool>()) r.version_after = integer();
  r.context.principal.id = str();
  r.context.principal.kind = str();
  if (*rc::gen::arbitrary<bool>()) r.context.principal.roles = {str(), str()};
  r.context.source_address = str();
  r.context.client = str();
  r.context.request_id = str();
  Impact impact;
  impact.level = static_cast<ImpactLevel>(*rc::gen::inRange(0, 4));
  if (*rc::gen::arbitrary<bool>()) impact.reasons = {str()};
  const std::string id = str(), source = str();
  const auto slow = EventLeaf(BuildEvent(r, impact, id, source));
  const auto fast = RecordLeaf(r, impact, id, source);
  RC_ASSERT(slow.has_value() == fast.has_value());
  if (slow) {
    RC_ASSERT(*slow == *fast);
  } else {
    RC_ASSERT(slow.error().message() == fast.error().message());
  }
  RC_TAG(slow.has_value() ? "written" : "rejected");
  if (valid) RC_ASSERT(fast.has_value());
}

TEST(EventTest, RecordLeafOfATypicalRecordIsTheCanonicalEvent) {
  auto r = Record("config.set", request::Action::kWrite, "production/app", {"db.host", "db.port"});
  r.version_before = 4;
  r.version_after = 5;
  r.reason = "line1\n\"quoted\"";
  const Impact impact = ImpactClassifier::Default().Classify(r);
  const auto fast = RecordLeaf(r, impact, "abc", "bulwark://test");
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(*fast, *EventLeaf(BuildEvent(r, impact, "abc", "bulwark://test")));
  EXPECT_NE(fast->find("\"version_after\":5"), std::string::npos);
}

std::string EventId(const PreparedEvent& ev) {
  return nlohmann::json::parse(ev.first)["id"].get<std::string>();
}

TEST(EventBuilderTest, BuildsTheCanonicalEventAndItsColumns) {
  bulwark::testing::FakeRuntime rt;
  EventBuilder builder(ImpactClassifier::Default(), "bulwark://test", rt.runtime());
  auto r = Record("config.set", request::Action::kWrite, "production/app", {"db.host"});
  r.version_after = 2;
  const auto ev = builder.Build(r);
  ASSERT_TRUE(ev.has_value()) << ev.error().message();
  const std::string id = EventId(*ev);
  ASSERT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  const Impact impact = ImpactClassifier::Default().Classify(r);
  EXPECT_EQ(ev->first, *EventLeaf(BuildEvent(r, impact, id, "bulwark://test")));
  const EventColumns& c = ev->second;
  EXPECT_EQ(c.time_us, std::int64_t{1'790'000'000} * 1'000'000);
  EXPECT_EQ(c.type, "dev.bulwark.config.set");
  EXPECT_EQ(c.actor, "local:alice");
  EXPECT_EQ(c.namespace_name, "production/app");
  EXPECT_EQ(c.action, "write");
  EXPECT_EQ(c.outcome, "success");
  EXPECT_EQ(c.impact, ImpactLevel::kHigh);
  EXPECT_EQ(c.paths, std::vector<std::string>{"db.host"});
  // Rejected records are reported, not written.
  r.reason = "\xff";
  EXPECT_FALSE(builder.Build(r).has_value());
}

TEST(EventBuilderTest, IdsAreDistinctBytesOfTheRandomSource) {
  bulwark::testing::FakeRuntime rt;
  EventBuilder builder(ImpactClassifier::Default(), "bulwark://test", rt.runtime());
  const auto r = Record("config.get", request::Action::kRead, "dev/app", {});
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(EventId(*builder.Build(r)));  // past several refills
  const auto batch = builder.BuildAll(std::vector<request::AuditRecord>(20, r));
  ASSERT_TRUE(batch.has_value());
  for (const auto& ev : *batch) ids.insert(EventId(ev));
  EXPECT_EQ(ids.size(), 120u);
  // Every id is 16 bytes the source produced (the same stream from a second source).
  bulwark::testing::DeterministicRandom reference;
  std::vector<std::uint8_t> stream(120 * 32);
  ASSERT_TRUE(reference.Fill(stream).has_value());
  const std::string hex = HexEncode(stream);
  for (const auto& id : ids) EXPECT_NE(hex.find(id), std::string::npos) << id;
}

TEST(EventBuilderTest, AFailingRandomSourceFailsTheEventUntilItRecovers) {
  bulwark::testing::FakeRuntime rt;
  EventBuilder builder(ImpactClassifier::Default(), "bulwark://test", rt.runtime());
  const auto r = Record("config.get", request::Action::kRead, "dev/app", {});
  rt.random->set_fail(true);
  const auto failed = builder.Build(r);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(builder.BuildAll(std::vector<request::AuditRecord>(2, r)).has_value());
  rt.random->set_fail(false);
  EXPECT_TRUE(builder.Build(r).has_value());
}

// A forked child must not hand out the ids left in its parent's pool: both would publish them.
TEST(EventBuilderTest, AForkedChildDrawsIdsOfItsOwn) {
  EventBuilder builder(ImpactClassifier::Default(), "bulwark://test", Runtime::System());
  const auto r = Record("config.get", request::Action::kRead, "dev/app", {});
  ASSERT_TRUE(builder.Build(r).has_value());  // the pool now holds the next ids
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const auto failures = bulwark::testing::RunInChildProcesses(1, [&](int) {
    auto ev = builder.Build(r);
    if (!ev) return 1;
    const std::string id = EventId(*ev);
    return ::write(fds[1], id.data(), id.size()) == static_cast<ssize_t>(id.size()) ? 0 : 2;
  });
  EXPECT_TRUE(failures.empty()) << failures.front();
  char child_id[32];
  ASSERT_EQ(::read(fds[0], child_id, sizeof child_id), 32);
  ::close(fds[0]);
  ::close(fds[1]);
  const auto parent = builder.Build(r);
  ASSERT_TRUE(parent.has_value());
  EXPECT_NE(EventId(*parent), std::string(child_id, 32));
}

TEST(EventTest, ValueHashIsKeyedAndBoundToNamespaceAndPath) {
  SecretBytes k1 = SecretBytes::FromString("0123456789abcdef0123456789abcdef");
  SecretBytes k2 = SecretBytes::FromString("fedcba9876543210fedcba9876543210");
  auto h = *AuditValueHash(k1, "ns", "db.password", "hunter2");
  EXPECT_TRUE(h.starts_with("hmac-sha256:"));
  EXPECT_EQ(h.size(), 12u + 64u);
  EXPECT_EQ(h, *AuditValueHash(k1, "ns", "db.password", "hunter2"));
  EXPECT_NE(h, *AuditValueHash(k2, "ns", "db.password", "hunter2"));
  EXPECT_NE(h, *AuditValueHash(k1, "ns", "db.passwor", "dhunter2"));
  EXPECT_EQ(h.find("hunter2"), std::string::npos);
}
TEST_F(AuditLogTest, HealthCheckFailsWhenTheLogCannotBeWritten) {
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  ASSERT_TRUE(log->HealthCheck().has_value());
  fs::permissions(dir_ / "audit.db", fs::perms::owner_read);
  if (::geteuid() != 0) {
    EXPECT_FALSE(log->HealthCheck().has_value());
  }
  fs::permissions(dir_ / "audit.db", fs::perms::owner_read | fs::perms::owner_write);
  auto o = Options();
  o.read_only = true;
  auto ro = AuditLog::Open(o);
  ASSERT_TRUE(ro.has_value());
  EXPECT_FALSE((*ro)->HealthCheck().has_value());
}

TEST_F(AuditLogTest, MigratesAVersion1DatabaseAndKeepsItVerifiable) {
  // A log written by the version 1 schema (six indexed columns, event_paths, no user_version).
  ASSERT_NO_FATAL_FAILURE(FillNewLog(12));
  std::vector<StoredEvent> events;
  std::vector<StoredCheckpoint> cps;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
    ASSERT_TRUE(log->Scan(0, 100,
                          [&](const StoredEvent& e) {
                            events.push_back(e);
                            return OkStatus();
                          })
                    .has_value());
    cps = *log->Checkpoints();
  }
  std::string sql =
      "DROP TABLE events; DROP TABLE terms; DROP TABLE postings; DROP TABLE segment_postings;"
      "DROP TABLE index_state; PRAGMA user_version = 0;"
      "CREATE TABLE events(idx INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, type TEXT NOT NULL,"
      " actor TEXT NOT NULL, namespace TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL,"
      " impact INTEGER NOT NULL, leaf_hash BLOB NOT NULL, leaf BLOB NOT NULL);"
      "CREATE INDEX events_time ON events(time_us);"
      "CREATE INDEX events_actor ON events(actor, time_us);"
      "CREATE TABLE event_paths(path TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY(path, idx))"
      " WITHOUT ROWID;";
  for (const auto& e : events) {
    const EventColumns c = ColumnsOfEvent(nlohmann::json::parse(e.leaf));
    sql += fmt::format(
        "INSERT INTO events VALUES({}, {}, '{}', '{}', '{}', '{}', '{}', {}, x'{}', x'{}');",
        e.index, c.time_us, c.type, c.actor, c.namespace_name, c.action, c.outcome,
        static_cast<int>(c.impact), HexEncode(e.leaf_hash), HexEncode(e.leaf));
    for (const auto& p : c.paths) {
      sql += fmt::format("INSERT INTO event_paths VALUES('{}', {});", p, e.index);
    }
  }
  ASSERT_TRUE(RawExec(sql)) << last_error_;
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());  // migrates
  ASSERT_NE(log, nullptr);
  auto v = VerifyAuditLog(*log, Verifier(), std::nullopt, {});
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->clean()) << v->Summary();
  EXPECT_EQ(v->report.log_size, 12u);
  int denied = 0;
  EventFilter f;
  f.outcome = "denied";
  ASSERT_TRUE(log->Query(f,
                         [&](const StoredEvent&) {
                           ++denied;
                           return OkStatus();
                         })
                  .has_value());
  EXPECT_EQ(denied, 3);  // 0, 4, 8
  EventFilter path;
  path.path = "key5";
  int n = 0;
  ASSERT_TRUE(log->Query(path,
                         [&](const StoredEvent& e) {
                           EXPECT_EQ(e.index, 5u);
                           ++n;
                           return OkStatus();
                         })
                  .has_value());
  EXPECT_EQ(n, 1);
  Fill(log, 3);  // and appends continue on the migrated schema
  EXPECT_TRUE(VerifyAuditLog(*log, Verifier(), std::nullopt, {})->clean());
}

TEST_F(AuditLogTest, RefusesANewerSchemaVersion) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(2));
  ASSERT_TRUE(RawExec("PRAGMA user_version = 3"));
  auto log = AuditLog::Open(Options());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(log.error().message().find("newer"), std::string::npos) << log.error().message();
}

// Any single-byte change anywhere in a stored event's bytes is detected.
RC_GTEST_FIXTURE_PROP(AuditLogTest, AnySingleByteChangeInAStoredEventIsDetected,
                      (std::uint8_t delta)) {
  const auto d = dir_ / fmt::format("p{}", counter_++);
  fs::create_directories(d);
  auto o = Options();
  o.path = d / "audit.db";
  {
    auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
    Fill(log, 8);
    RC_ASSERT(log->PublishCheckpoint().has_value());
  }
  const auto idx = *rc::gen::inRange<int>(0, 8);
  std::string leaf;
  {
    auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
    (void)log->Scan(idx, idx + 1, [&](const StoredEvent& e) {
      leaf = e.leaf;
      return OkStatus();
    });
  }
  const auto pos = *rc::gen::inRange<std::size_t>(0, leaf.size());
  const std::uint8_t change = delta == 0 ? 1 : delta;
  leaf[pos] = static_cast<char>(static_cast<std::uint8_t>(leaf[pos]) ^ change);
  const bool fix_hash = *rc::gen::arbitrary<bool>();
  sqlite3* db = nullptr;
  RC_ASSERT(sqlite3_open(o.path.c_str(), &db) == SQLITE_OK);
  std::string sql = fmt::format(
      "DROP TRIGGER events_append_only_u; UPDATE events SET leaf = x'{}'{} WHERE idx = {}",
      HexEncode(leaf),
      fix_hash ? fmt::format(", leaf_hash = x'{}'", HashToHex(HashLeaf(leaf))) : "", idx);
  RC_ASSERT(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
  auto v = VerifyAuditLog(*log, Verifier(), std::nullopt, {});
  RC_ASSERT(v.has_value());
  RC_ASSERT(!v->clean());
  RC_ASSERT(v->first_bad_index.has_value());
  RC_ASSERT(*v->first_bad_index <= static_cast<std::uint64_t>(idx));
}

// The WAL is copied into the database file by the log's background checkpointer (not inside a
// commit) and then restarts at the beginning of its file: it does not grow with the log.
TEST_F(AuditLogTest, WalIsCheckpointedInTheBackgroundAndRestarts) {
  auto o = Options();
  o.wal_checkpoint_pages = 32;
  auto opened = AuditLog::Open(o);
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  std::shared_ptr<AuditLog> log(std::move(*opened));
  const fs::path db = dir_ / "audit.db", wal = dir_ / "audit.db-wal";
  const std::uintmax_t db_at_start = fs::file_size(db);
  LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://test/wal", Runtime::System());
  std::uintmax_t leaves = 0;
  bool restarted = false;
  // Without checkpoints, the WAL would hold every page written; the loop ends as soon as the
  // database file holds the events and the WAL is much smaller than what was appended.
  for (int batch = 0; batch < 3000 && !restarted; ++batch) {
    std::vector<request::AuditRecord> records;
    for (int i = 0; i < 20; ++i) {
      records.push_back(
          Record("config.set", request::Action::kWrite, "ns", {fmt::format("key{}.{}", batch, i)}));
    }
    auto first = sink.AppendRecords(records);
    ASSERT_TRUE(first.has_value()) << first.error().message();
    leaves += 20 * 600;
    restarted = fs::file_size(db) > db_at_start + leaves / 4 && fs::file_size(wal) < leaves / 4;
  }
  EXPECT_TRUE(restarted) << "database " << fs::file_size(db) << " bytes, WAL " << fs::file_size(wal)
                         << " bytes after ~" << leaves << " bytes of events";
  auto v = VerifyAuditLog(*log, Verifier(), std::nullopt, {});
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->clean()) << v->Summary();
  const std::uint64_t size = *log->LeafCount();
  log.reset();
  // Reopened (the WAL was checkpointed and removed by the last close): the same log.
  ASSERT_OK_AND_ASSIGN(auto again, OpenLog());
  EXPECT_EQ(*again->LeafCount(), size);
  EXPECT_TRUE(VerifyAuditLog(*again, Verifier(), std::nullopt, {})->clean());
}

// SIGKILL during appends: every acknowledged event survives and the tree stays consistent. The
// WAL checkpoint threshold is tiny so that the kill may also land in a background checkpoint or
// a WAL restart.
TEST_F(AuditLogTest, AcknowledgedEventsSurviveSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto o = Options();
    o.wal_checkpoint_pages = 8;
    auto log = AuditLog::Open(o);
    if (!log) ::_exit(2);
    std::shared_ptr<AuditLog> shared(std::move(*log));
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t) {
      ts.emplace_back([&, t] {
        LogAuditSink sink(shared, ImpactClassifier::Default(), "bulwark://crash",
                          Runtime::System());
        for (int i = 0;; ++i) {
          auto idx = sink.AppendRecord(
              Record("config.set", request::Action::kWrite, "ns", {fmt::format("t{}.{}", t, i)}));
          if (!idx) ::_exit(3);
          std::uint64_t v = *idx;
          if (::write(fds[1], &v, sizeof v) != sizeof v) ::_exit(4);
        }
      });
    }
    for (auto& t : ts) t.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::set<std::uint64_t> acked;
  std::uint64_t v;
  while (acked.size() < 300 && ::read(fds[0], &v, sizeof v) == sizeof v) acked.insert(v);
  ::kill(child, SIGKILL);
  while (::read(fds[0], &v, sizeof v) == sizeof v) acked.insert(v);  // written before the kill
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(acked.size(), 300u);
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog());
  auto st = log->State();
  ASSERT_TRUE(st.has_value());
  EXPECT_GT(st->size, *acked.rbegin());
  auto ver = VerifyAuditLog(*log, Verifier(), std::nullopt, {});
  ASSERT_TRUE(ver.has_value());
  EXPECT_TRUE(ver->clean()) << ver->Summary();
  // The log is still appendable after the crash.
  Fill(log, 2);
  EXPECT_TRUE(VerifyAuditLog(*log, Verifier(), std::nullopt, {})->clean());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AuditLogConformance, ::testing::Values(std::string(kSqlite)));

}  // namespace
}  // namespace bulwark::audit::logtest

namespace bulwark::audit::logtest {
namespace {

// Issue #14: with audit-log.key gone, the next write created a new key and origin, and the log's
// checkpoints no longer verified. Now a missing key is recreated only for an empty log, and a
// rotation (also of a lost key) keeps every checkpoint verifiable.
TEST_F(AuditLogTest, AMissingSigningKeyIsRecreatedOnlyForAnEmptyLog) {
  const Runtime rt = Runtime::System();
  const fs::path key = dir_ / "audit-log.key";
  AuditLogOptions o = Options();
  auto created = LoadOrCreateLogKeysFor(rt, key, o);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  o.origin = created->origin;
  o.signers = created->signers;
  {
    auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
    Fill(log, 6);
    ASSERT_TRUE(log->PublishCheckpoint().has_value());
  }
  const std::string vkey = created->signers.front()->Verifier().VerifierKey();
  fs::remove(key);
  auto refused = LoadOrCreateLogKeysFor(rt, key, Options());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message().find(key.string() + " is missing"), std::string::npos)
      << refused.error().message();
  EXPECT_FALSE(fs::exists(key));
  // Rotated on purpose after the loss, with the lost key's verifier key: same origin, and every
  // old checkpoint still verifies.
  RotationKind kind = RotationKind::kRetired;
  auto rotated = RotateLogKeys(rt, key, Options(), {vkey}, &kind);
  ASSERT_TRUE(rotated.has_value()) << rotated.error().message();
  EXPECT_EQ(kind, RotationKind::kReplacedLost);
  EXPECT_EQ(rotated->origin, created->origin);
  ASSERT_EQ(rotated->retired.size(), 1u);
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  o.signers = rotated->signers;
  auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
  Fill(log, 3);
  ASSERT_TRUE(log->PublishCheckpoint().has_value());
  auto verifier = CheckpointVerifier::Create(rotated->origin, rotated->verifiers());
  ASSERT_TRUE(verifier.has_value());
  auto v = VerifyAuditLog(*log, *verifier, std::nullopt, {});
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->clean()) << v->Summary();
  // A plain rotation retires the current key: both keys verify, only the new one signs.
  auto again = RotateLogKeys(rt, key, Options(), {}, &kind);
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(kind, RotationKind::kRetired);
  EXPECT_EQ(again->signers.size(), 1u);
  EXPECT_EQ(again->retired.size(), 2u);
  EXPECT_EQ(LoadLogKeys(rt, key)->verifiers().size(), 3u);
  // A verifier key of another log is refused.
  fs::remove(key);
  auto other = RotateLogKeys(rt, key, Options(), {TestSigner(9, "other/log")->Verifier().VerifierKey()});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), ErrorCode::kInvalidArgument);
}

// A killed first command left `.audit-log.key.tmp.*` holding a private key; the next creation
// (under the key file's lock) removes it.
TEST_F(AuditLogTest, AStaleTemporaryCopyOfTheSigningKeyIsRemovedWhenTheKeyIsCreated) {
  const Runtime rt = Runtime::System();
  const fs::path stale = dir_ / ".audit-log.key.tmp.k1LLed";
  ASSERT_TRUE(rt.fs->WriteFileAtomic(stale, "origin x\nPRIVATE+KEY+...\n", fs::perms::owner_read));
  auto keys = LoadOrCreateLogKeysFor(rt, dir_ / "audit-log.key", Options());
  ASSERT_TRUE(keys.has_value()) << keys.error().message();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(dir_ / "audit-log.key"));
}

}  // namespace
}  // namespace bulwark::audit::logtest
