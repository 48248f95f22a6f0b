// Runs every built-in pack against its fixtures (tests/fixtures/compliance/<pack>.yaml): the base
// document passes every rule, and for every rule a patched copy fails it (and, where given,
// another patched copy passes it).
#include <gtest/gtest.h>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/compliance/engine.h"
#include "bulwark/config/format.h"
#include "bulwark/testing/assert_ok.h"

namespace bulwark::compliance {
namespace {

Result<config::Value> LoadFixture(const std::string& pack) {
  auto fs = NewLocalFileSystem();
  BULWARK_ASSIGN_OR_RETURN(
      config::Document doc,
      config::LoadFile(
          *fs, std::string(BULWARK_SOURCE_DIR) + "/tests/fixtures/compliance/" + pack + ".yaml"));
  return std::move(doc.root);
}

// The base document with the patch's dotted paths set to its values.
Result<config::Document> Patched(const config::Value& base, const config::Value* patch) {
  config::Document doc;
  doc.root = base;
  if (patch != nullptr) {
    for (const config::MapEntry& e : patch->AsMap()) {
      BULWARK_ASSIGN_OR_RETURN(config::Path path, config::Path::Parse(e.key));
      BULWARK_RETURN_IF_ERROR(config::Set(doc.root, path, e.value));
    }
  }
  return doc;
}

const RuleResult* Find(const Report& r, const std::string& id) {
  for (const RuleResult& rr : r.rules) {
    if (rr.id == id) return &rr;
  }
  return nullptr;
}

class PackFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PackFixtureTest, BasePassesEveryRuleAndEachCaseFailsItsRule) {
  const std::string name = GetParam();
  auto pack = LoadBuiltinPack(name, {.reject_invalid_expressions = true});
  ASSERT_TRUE(pack) << pack.error();
  std::vector<std::string> ids;
  for (const Rule& r : (*pack)->rules()) ids.push_back(r.id);
  auto engine = Engine::Create({std::shared_ptr<const RulePack>(std::move(*pack))});
  ASSERT_TRUE(engine);
  ASSERT_OK_AND_ASSIGN(config::Value fixture, LoadFixture(name));
  ASSERT_TRUE(fixture.is_map());
  const std::string env = fixture.Get("env")->AsString();
  const config::Value& base = *fixture.Get("base");

  ASSERT_OK_AND_ASSIGN(config::Document base_doc, Patched(base, nullptr));
  Report clean = (*engine)->Evaluate(base_doc, {.environment = env});
  for (const RuleResult& rr : clean.rules) {
    EXPECT_EQ(rr.status, RuleStatus::kPass) << name << " " << rr.id << " on the base document "
                                            << (rr.errors.empty() ? "" : rr.errors[0]);
  }
  EXPECT_TRUE(clean.findings.empty());

  std::set<std::string> covered;
  for (const config::Value& c : fixture.Get("cases")->AsList()) {
    const std::string id = c.Get("rule")->AsString();
    covered.insert(id);
    ASSERT_OK_AND_ASSIGN(config::Document failing_doc, Patched(base, c.Get("fail")));
    Report failing = (*engine)->Evaluate(failing_doc, {.environment = env});
    const RuleResult* rr = Find(failing, id);
    ASSERT_NE(rr, nullptr) << id;
    EXPECT_EQ(rr->status, RuleStatus::kFail)
        << name << " " << id << " fail fixture " << (rr->errors.empty() ? "" : rr->errors[0]);
    EXPECT_EQ(rr->failed, 1u) << id;
    bool has_finding = false;
    for (const Finding& f : failing.findings) {
      if (failing.RuleOf(f).id == id) {
        has_finding = true;
        EXPECT_FALSE(f.message.empty());
        EXPECT_EQ(f.message.find("<"), std::string::npos) << f.message;  // templates rendered
      }
    }
    EXPECT_TRUE(has_finding) << id;
    if (const config::Value* pass = c.Get("pass")) {
      ASSERT_OK_AND_ASSIGN(config::Document passing_doc, Patched(base, pass));
      Report passing = (*engine)->Evaluate(passing_doc, {.environment = env});
      const RuleResult* passed = Find(passing, id);
      ASSERT_NE(passed, nullptr) << id;
      EXPECT_EQ(passed->status, RuleStatus::kPass) << name << " " << id << " pass fixture";
    }
  }
  for (const std::string& id : ids) EXPECT_TRUE(covered.contains(id)) << "no fixture for " << id;
}

INSTANTIATE_TEST_SUITE_P(BuiltinPacks, PackFixtureTest,
                         ::testing::Values("baseline", "gdpr", "soc2", "pci-dss", "hipaa",
                                           "best-practice", "security"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace bulwark::compliance
