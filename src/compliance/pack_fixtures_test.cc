// Runs every built-in pack against its fixtures (tests/fixtures/compliance/<pack>.yaml): the base
// document passes every rule, and for every rule a patched copy fails it (and, where given,
// another patched copy passes it).
#include <gtest/gtest.h>

#include <set>
#include <tuple>

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

// The shapes a built-in pack checks: one service, or a `services:` list (docs/compliance.md).
enum class Shape { kSingle, kList };

// The base service with the patch's dotted paths set to its values (`null` removes the value),
// alone or as the first of two services of a list (the second one a clean copy).
Result<config::Document> Patched(const config::Value& base, const config::Value* patch,
                                 Shape shape) {
  config::Value service = base;
  if (patch != nullptr) {
    for (const config::MapEntry& e : patch->AsMap()) {
      BULWARK_ASSIGN_OR_RETURN(config::Path path, config::Path::Parse(e.key));
      if (e.value.is_null()) {
        BULWARK_RETURN_IF_ERROR(config::Remove(service, path));
      } else {
        BULWARK_RETURN_IF_ERROR(config::Set(service, path, e.value));
      }
    }
  }
  config::Document doc;
  if (shape == Shape::kSingle) {
    doc.root = std::move(service);
    return doc;
  }
  config::Value other = base;
  other.AsMap().Set("name", config::Value("other"));
  config::ValueList list;
  list.push_back(std::move(service));
  list.push_back(std::move(other));
  config::ValueMap root;
  root.Set("services", config::Value(std::move(list)));
  doc.root = config::Value(std::move(root));
  return doc;
}

const RuleResult* Find(const Report& r, const std::string& id) {
  for (const RuleResult& rr : r.rules) {
    if (rr.id == id) return &rr;
  }
  return nullptr;
}

class PackFixtureTest : public ::testing::TestWithParam<std::tuple<std::string, Shape>> {};

TEST_P(PackFixtureTest, BasePassesEveryRuleAndEachCaseFailsItsRule) {
  const auto [name, shape] = GetParam();
  const std::string prefix = shape == Shape::kList ? "services[0]" : "";
  ASSERT_OK_AND_ASSIGN(auto pack, LoadBuiltinPack(name, {.reject_invalid_expressions = true}));
  std::vector<std::string> ids;
  for (const Rule& r : pack->rules()) ids.push_back(r.id);
  ASSERT_OK_AND_ASSIGN(auto engine,
                       Engine::Create({std::shared_ptr<const RulePack>(std::move(pack))}));
  ASSERT_OK_AND_ASSIGN(config::Value fixture, LoadFixture(name));
  ASSERT_TRUE(fixture.is_map());
  const std::string env = fixture.Get("env")->AsString();
  const config::Value& base = *fixture.Get("base");

  ASSERT_OK_AND_ASSIGN(config::Document base_doc, Patched(base, nullptr, shape));
  Report clean = engine->Evaluate(base_doc, {.environment = env});
  for (const RuleResult& rr : clean.rules) {
    EXPECT_EQ(rr.status, RuleStatus::kPass) << name << " " << rr.id << " on the base document "
                                            << (rr.errors.empty() ? rr.note : rr.errors[0]);
  }
  EXPECT_TRUE(clean.findings.empty());

  std::set<std::string> covered;
  for (const config::Value& c : fixture.Get("cases")->AsList()) {
    const std::string id = c.Get("rule")->AsString();
    covered.insert(id);
    ASSERT_OK_AND_ASSIGN(config::Document failing_doc, Patched(base, c.Get("fail"), shape));
    Report failing = engine->Evaluate(failing_doc, {.environment = env});
    const RuleResult* rr = Find(failing, id);
    ASSERT_NE(rr, nullptr) << id;
    EXPECT_EQ(rr->status, RuleStatus::kFail)
        << name << " " << id << " fail fixture " << (rr->errors.empty() ? "" : rr->errors[0]);
    EXPECT_EQ(rr->failed, 1u) << id;
    bool has_finding = false;
    for (const Finding& f : failing.findings) {
      if (failing.RuleOf(f).id != id) continue;
      has_finding = true;
      EXPECT_FALSE(f.message.empty());
      EXPECT_EQ(f.message.find("<"), std::string::npos) << f.message;  // templates rendered
      // The finding is the first service's, and its message names it.
      EXPECT_TRUE(f.path.starts_with(prefix)) << f.path;
      if (shape == Shape::kList && base.Get("name") != nullptr) {
        EXPECT_NE(f.message.find(base.Get("name")->AsString()), std::string::npos) << f.message;
      }
    }
    EXPECT_TRUE(has_finding) << id;
    if (const config::Value* pass = c.Get("pass")) {
      ASSERT_OK_AND_ASSIGN(config::Document passing_doc, Patched(base, pass, shape));
      Report passing = engine->Evaluate(passing_doc, {.environment = env});
      const RuleResult* passed = Find(passing, id);
      ASSERT_NE(passed, nullptr) << id;
      EXPECT_EQ(passed->status, RuleStatus::kPass) << name << " " << id << " pass fixture";
    }
  }
  for (const std::string& id : ids) EXPECT_TRUE(covered.contains(id)) << "no fixture for " << id;
}

std::string FixtureTestName(const ::testing::TestParamInfo<std::tuple<std::string, Shape>>& info) {
  std::string n = std::get<0>(info.param);
  for (char& c : n) {
    if (c == '-') c = '_';
  }
  return n + (std::get<1>(info.param) == Shape::kList ? "_services_list" : "_single_service");
}

// The packs about a service's configuration, in both shapes.
INSTANTIATE_TEST_SUITE_P(BuiltinPacks, PackFixtureTest,
                         ::testing::Combine(::testing::Values("baseline", "gdpr", "soc2", "pci-dss",
                                                              "hipaa", "best-practice"),
                                            ::testing::Values(Shape::kSingle, Shape::kList)),
                         FixtureTestName);

// `security` checks the leaves `bulwark scan` makes of any document (docs/scan.md): one shape.
INSTANTIATE_TEST_SUITE_P(ScanPack, PackFixtureTest,
                         ::testing::Combine(::testing::Values("security"),
                                            ::testing::Values(Shape::kSingle)),
                         FixtureTestName);

}  // namespace
}  // namespace bulwark::compliance
