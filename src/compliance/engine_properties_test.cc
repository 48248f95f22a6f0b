// Properties of evaluation (RapidCheck): a rule whose `when` is false never produces a finding,
// and the findings do not depend on the order of the rules.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "bulwark/compliance/engine.h"

namespace bulwark::compliance {
namespace {

// Rule bodies over services with an int `port`, a string `mode` and a bool `tls`.
const std::vector<std::string> kChecks = {
    "item.port >= 1024",
    "item.mode != 'disable'",
    "item.tls",
    "item.port % 2 == 0",
    "size(item.mode) > 3",
    "item.mode.startsWith('v')",
    "item.tls || item.port > 8000",
    "item.missing == 1",  // the last one errors
};
const std::vector<std::string> kWhens = {"", "item.tls", "item.port < 5000", "false",
                                         "item.mode == 'require'"};

struct GenRule {
  int check;
  int when;
  int severity;
};

std::string PackText(const std::vector<GenRule>& rules, const std::vector<int>& order) {
  std::string text = "apiVersion: bulwark/v1\nkind: RulePack\nname: gen\nrules:\n";
  for (int i : order) {
    const GenRule& r = rules[i];
    text += "  - id: R" + std::to_string(i) + "\n    title: rule\n    severity: " +
            std::string(SeverityName(static_cast<Severity>(r.severity))) +
            "\n    foreach: config.services\n    check: \"" + kChecks[r.check] + "\"\n";
    if (!kWhens[r.when].empty()) text += "    when: \"" + kWhens[r.when] + "\"\n";
    text += "    message: \"{{ item.mode }}:{{ item.port }}\"\n";
  }
  return text;
}

config::Document Services(const std::vector<std::tuple<int, int, bool>>& services) {
  config::ValueList list;
  static const char* kModes[] = {"disable", "require", "verify-full", "allow"};
  for (const auto& [port, mode, tls] : services) {
    config::ValueMap m;
    m.Set("port", config::Value(port));
    m.Set("mode", config::Value(kModes[mode]));
    m.Set("tls", config::Value(tls));
    list.push_back(config::Value(std::move(m)));
  }
  config::ValueMap root;
  root.Set("services", config::Value(std::move(list)));
  return config::Document{config::Value(std::move(root)), {}};
}

Report Evaluate(const std::string& text, const config::Document& doc) {
  auto pack = RulePack::Parse(text, "gen.yaml");
  RC_ASSERT(pack.has_value());
  auto engine = Engine::Create({std::shared_ptr<const RulePack>(std::move(*pack))});
  RC_ASSERT(engine.has_value());
  return (*engine)->Evaluate(doc, {});
}

rc::Gen<std::vector<GenRule>> GenRules() {
  return rc::gen::resize(
      8,
      rc::gen::nonEmpty(rc::gen::container<std::vector<GenRule>>(rc::gen::build<GenRule>(
          rc::gen::set(&GenRule::check, rc::gen::inRange<int>(0, static_cast<int>(kChecks.size()))),
          rc::gen::set(&GenRule::when, rc::gen::inRange<int>(0, static_cast<int>(kWhens.size()))),
          rc::gen::set(&GenRule::severity, rc::gen::inRange(0, 5))))));
}

rc::Gen<std::vector<std::tuple<int, int, bool>>> GenServices() {
  return rc::gen::resize(
      12, rc::gen::container<std::vector<std::tuple<int, int, bool>>>(rc::gen::tuple(
              rc::gen::inRange(0, 10000), rc::gen::inRange(0, 4), rc::gen::arbitrary<bool>())));
}

using FindingTuple = std::tuple<std::string, std::string, std::string, int>;
std::multiset<FindingTuple> Findings(const Report& r) {
  std::multiset<FindingTuple> out;
  for (const Finding& f : r.findings) {
    out.insert({r.RuleOf(f).id, f.path, f.message, static_cast<int>(f.severity)});
  }
  return out;
}

RC_GTEST_PROP(EnginePropertiesTest, RuleWhoseWhenIsFalseNeverProducesAFinding, ()) {
  const auto rules = *GenRules();
  const auto services = *GenServices();
  std::vector<int> order(rules.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  const config::Document doc = Services(services);
  Report r = Evaluate(PackText(rules, order), doc);
  for (const Finding& f : r.findings) {
    const int i = std::stoi(r.RuleOf(f).id.substr(1));
    RC_ASSERT(kWhens[rules[i].when] != "false");
    // The finding's item satisfies its rule's `when`.
    const std::size_t item = std::stoul(f.path.substr(f.path.find('[') + 1));
    const auto& [port, mode, tls] = services[item];
    switch (rules[i].when) {
      case 1:
        RC_ASSERT(tls);
        break;
      case 2:
        RC_ASSERT(port < 5000);
        break;
      case 4:
        RC_ASSERT(mode == 1);
        break;
      default:
        break;
    }
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (kWhens[rules[i].when] == "false") {
      RC_ASSERT(r.rules[i].status == RuleStatus::kNotApplicable);
      RC_ASSERT(r.rules[i].applicable == 0u);
    }
  }
}

RC_GTEST_PROP(EnginePropertiesTest, FindingsDoNotDependOnRuleOrder, ()) {
  const auto rules = *GenRules();
  const auto services = *GenServices();
  std::vector<int> order(rules.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  const auto keys = *rc::gen::container<std::vector<int>>(order.size(), rc::gen::arbitrary<int>());
  std::vector<int> shuffled = order;
  std::stable_sort(shuffled.begin(), shuffled.end(),
                   [&](int a, int b) { return keys[a] < keys[b]; });
  const config::Document doc = Services(services);
  Report a = Evaluate(PackText(rules, order), doc);
  Report b = Evaluate(PackText(rules, shuffled), doc);
  RC_ASSERT(Findings(a) == Findings(b));
  // The sorted report is the same sequence, not only the same set.
  RC_ASSERT(a.findings.size() == b.findings.size());
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    RC_ASSERT(a.RuleOf(a.findings[i]).id == b.RuleOf(b.findings[i]).id);
    RC_ASSERT(a.findings[i].path == b.findings[i].path);
  }
  RC_ASSERT(a.partial == b.partial);
  RC_ASSERT(a.by_severity == b.by_severity);
}

}  // namespace
}  // namespace bulwark::compliance
