// The streaming JSON and SARIF renderers (report_json.cc) against the ordered_json renderers they
// replaced, kept here as the reference: the output must be byte-identical for any report.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bulwark/compliance/report_format.h"
#include "compliance/render_util.h"

namespace bulwark::compliance {
namespace {

using nlohmann::ordered_json;

// ---- The former renderers, unchanged (ValueToJson was internal::ValueToJson) -------------------

ordered_json ValueToJson(const config::Value& v) {
  switch (v.type()) {
    case config::ValueType::kNull:
      return nullptr;
    case config::ValueType::kBool:
      return v.AsBool();
    case config::ValueType::kInt:
      return v.AsInt();
    case config::ValueType::kDouble:
      return v.AsDouble();
    case config::ValueType::kString:
      return v.AsString();
    case config::ValueType::kBytes: {
      const config::Bytes& b = v.AsBytes();
      return std::string(b.begin(), b.end());
    }
    case config::ValueType::kList: {
      ordered_json a = ordered_json::array();
      for (const config::Value& e : v.AsList()) a.push_back(ValueToJson(e));
      return a;
    }
    case config::ValueType::kMap: {
      ordered_json o = ordered_json::object();
      for (const config::MapEntry& e : v.AsMap()) o[e.key] = ValueToJson(e.value);
      return o;
    }
  }
  return nullptr;
}

ordered_json FrameworksJson(const std::vector<FrameworkRef>& refs) {
  ordered_json out = ordered_json::object();
  for (const FrameworkRef& f : refs) out[f.framework] = f.controls;
  return out;
}

ordered_json FixJson(const ResolvedFix& fix) {
  ordered_json j = {{"op", FixOpName(fix.op)}, {"path", fix.path.ToString()}};
  if (fix.value) j["value"] = ValueToJson(*fix.value);
  return j;
}

ordered_json SummaryJson(const Report& r, Severity fail_on) {
  ordered_json sev = ordered_json::object();
  for (int s = 4; s >= 0; --s) {
    sev[std::string(SeverityName(static_cast<Severity>(s)))] = r.by_severity[s];
  }
  std::size_t counts[5] = {};
  for (const RuleResult& rr : r.rules) ++counts[static_cast<int>(rr.status)];
  ordered_json rules = ordered_json::object();
  for (int s = 0; s < 5; ++s)
    rules[std::string(RuleStatusName(static_cast<RuleStatus>(s)))] = counts[s];
  return {{"compliant", r.CompliantAt(fail_on)},
          {"findings", r.findings.size()},
          {"by_severity", sev},
          {"rules", rules},
          {"checks", {{"applicable", r.checks_applicable()}, {"passed", r.checks_passed()}}}};
}

std::string ReferenceRenderJson(std::span<const Report> reports, const RenderOptions& options) {
  ordered_json targets = ordered_json::array();
  bool compliant = true;
  for (const Report& r : reports) {
    compliant = compliant && r.CompliantAt(options.fail_on);
    ordered_json frameworks = ordered_json::array();
    for (const FrameworkScore& f : r.frameworks) {
      frameworks.push_back({{"framework", f.framework},
                            {"score", f.score()},
                            {"applicable", f.applicable},
                            {"passed", f.passed},
                            {"failing_controls", f.failing_controls}});
    }
    ordered_json environments = ordered_json::array();
    for (const EnvironmentScore& e : r.environments) {
      ordered_json violations = ordered_json::array();
      for (std::size_t i : e.violations) {
        const Finding& f = r.findings[i];
        violations.push_back({{"rule", r.RuleOf(f).id},
                              {"title", r.RuleOf(f).title},
                              {"severity", SeverityName(f.severity)},
                              {"path", f.path},
                              {"message", f.message}});
      }
      environments.push_back({{"environment", e.environment},
                              {"score", e.percent()},
                              {"applicable", e.applicable},
                              {"passed", e.passed},
                              {"violations", std::move(violations)}});
    }
    ordered_json rules = ordered_json::array();
    for (const RuleResult& rr : r.rules) {
      ordered_json j = {{"id", rr.id},
                        {"title", rr.title},
                        {"pack", rr.pack},
                        {"severity", SeverityName(rr.severity)},
                        {"status", RuleStatusName(rr.status)},
                        {"frameworks", FrameworksJson(rr.frameworks)},
                        {"applicable", rr.applicable},
                        {"passed", rr.passed},
                        {"failed", rr.failed}};
      if (!rr.note.empty()) j["note"] = rr.note;
      if (!rr.errors.empty()) j["errors"] = rr.errors;
      rules.push_back(std::move(j));
    }
    ordered_json findings = ordered_json::array();
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      ordered_json j = {{"rule", rr.id},
                        {"title", rr.title},
                        {"severity", SeverityName(f.severity)},
                        {"frameworks", FrameworksJson(rr.frameworks)},
                        {"path", f.path},
                        {"environment", f.environment}};
      if (f.location.line != 0) {
        j["location"] = {
            {"file", f.location.source}, {"line", f.location.line}, {"column", f.location.column}};
      }
      j["message"] = f.message;
      j["remediation"] = rr.remediation;
      if (f.fix) j["fix"] = FixJson(*f.fix);
      findings.push_back(std::move(j));
    }
    targets.push_back({{"target", r.target},
                       {"environment", r.environment},
                       {"partial", r.partial},
                       {"summary", SummaryJson(r, options.fail_on)},
                       {"frameworks", std::move(frameworks)},
                       {"environments", std::move(environments)},
                       {"rules", std::move(rules)},
                       {"findings", std::move(findings)}});
  }
  ordered_json doc = {{"version", 1},
                      {"tool", {{"name", "bulwark"}, {"version", options.tool_version}}},
                      {"compliant", compliant},
                      {"fail_on", SeverityName(options.fail_on)},
                      {"targets", std::move(targets)}};
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string ReferenceRenderSarif(std::span<const Report> reports, const RenderOptions& options) {
  // The rule table is the union of the rules of every report (same packs, so usually identical).
  ordered_json rules = ordered_json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const Report& r : reports) {
    for (const RuleResult& rr : r.rules) {
      if (rule_index.contains(rr.id)) continue;
      rule_index[rr.id] = rules.size();
      ordered_json tags = ordered_json::array();
      tags.push_back("security");
      tags.push_back("compliance");
      for (const FrameworkRef& f : rr.frameworks) {
        for (const std::string& c : f.controls) tags.push_back(f.framework + ":" + c);
      }
      rules.push_back({{"id", rr.id},
                       {"name", internal::SarifRuleName(rr.id)},
                       {"shortDescription", {{"text", rr.title}}},
                       {"help", {{"text", rr.remediation.empty() ? rr.title : rr.remediation}}},
                       {"defaultConfiguration", {{"level", internal::SarifLevel(rr.severity)}}},
                       {"properties",
                        {{"tags", tags},
                         {"security-severity", internal::SecuritySeverityScore(rr.severity)},
                         {"pack", rr.pack},
                         {"frameworks", FrameworksJson(rr.frameworks)}}}});
    }
  }
  ordered_json results = ordered_json::array();
  ordered_json notifications = ordered_json::array();
  ordered_json artifacts = ordered_json::array();
  bool partial = false;
  for (const Report& r : reports) {
    partial = partial || r.partial;
    const std::string target_uri = internal::FileUri(r.target);
    artifacts.push_back({{"location", {{"uri", target_uri}}}});
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      ordered_json loc = ordered_json::object();
      ordered_json physical = {
          {"artifactLocation",
           {{"uri", f.location.line != 0 ? internal::FileUri(f.location.source) : target_uri}}}};
      if (f.location.line != 0) {
        ordered_json region = {{"startLine", f.location.line}};
        if (f.location.column != 0) region["startColumn"] = f.location.column;
        physical["region"] = region;
      }
      loc["physicalLocation"] = physical;
      if (!f.path.empty()) {
        loc["logicalLocations"] =
            ordered_json::array({{{"fullyQualifiedName", f.path}, {"kind", "member"}}});
      }
      ordered_json result = {{"ruleId", rr.id},
                             {"ruleIndex", rule_index[rr.id]},
                             {"level", internal::SarifLevel(f.severity)},
                             {"message", {{"text", f.message}}},
                             {"locations", ordered_json::array({loc})}};
      ordered_json props = {{"severity", SeverityName(f.severity)},
                            {"frameworks", FrameworksJson(rr.frameworks)},
                            {"remediation", rr.remediation}};
      if (f.fix) props["fix"] = FixJson(*f.fix);
      result["properties"] = props;
      results.push_back(std::move(result));
    }
    for (const RuleResult& rr : r.rules) {
      for (const std::string& e : rr.errors) {
        notifications.push_back(
            {{"level", "error"},
             {"message", {{"text", e}}},
             {"associatedRule", {{"id", rr.id}, {"index", rule_index[rr.id]}}}});
      }
    }
  }
  ordered_json invocation = {{"executionSuccessful", !partial}};
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = notifications;
  ordered_json run = {{"tool",
                       {{"driver",
                         {{"name", "bulwark"},
                          {"semanticVersion", options.tool_version},
                          {"informationUri", "https://github.com/bulwark-config/bulwark"},
                          {"rules", rules}}}}},
                      {"invocations", ordered_json::array({invocation})},
                      {"artifacts", artifacts},
                      {"results", results}};
  ordered_json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                      {"version", "2.1.0"},
                      {"runs", ordered_json::array({run})}};
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

// ---- Generators ------------------------------------------------------------------------------

// Pieces that exercise every escaping rule: quotes, backslash, each control character class, DEL,
// valid 2/3/4-byte UTF-8, and invalid UTF-8 (stray continuation, overlong, surrogate, above
// U+10FFFF, truncated sequences, bytes that never occur).
const std::vector<std::string>& Pieces() {
  static const std::vector<std::string> kPieces = {"a",
                                                   "Z",
                                                   " ",
                                                   "\"",
                                                   "\\",
                                                   "/",
                                                   std::string(1, '\0'),
                                                   "\x01",
                                                   "\x1f",
                                                   "\x7f",
                                                   "\n",
                                                   "\t",
                                                   "\b",
                                                   "\f",
                                                   "\r",
                                                   "\xC3\xA9",
                                                   "\xE2\x82\xAC",
                                                   "\xF0\x9F\x98\x80",
                                                   "\xEF\xBF\xBF",
                                                   "\xC3",
                                                   "\xE2\x82",
                                                   "\xF0\x9F\x98",
                                                   "\x80",
                                                   "\xBF",
                                                   "\xC0\xAF",
                                                   "\xC1\x81",
                                                   "\xE0\x80\xAF",
                                                   "\xE0\x9F\x80",
                                                   "\xED\xA0\x80",
                                                   "\xED\x9F\xBF",
                                                   "\xF4\x90\x80\x80",
                                                   "\xF4\x8F\xBF\xBF",
                                                   "\xF5\x80",
                                                   "\xFF",
                                                   "\xFE",
                                                   "\xF0\x80\x80\x80",
                                                   "services[3].tls",
                                                   "{{ item }}"};
  return kPieces;
}

rc::Gen<std::string> GenText() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::string>>(rc::gen::oneOf(
          rc::gen::elementOf(Pieces()),
          rc::gen::map(rc::gen::arbitrary<char>(), [](char c) { return std::string(1, c); }))),
      [](const std::vector<std::string>& parts) {
        std::string s;
        for (const std::string& p : parts) s += p;
        return s;
      });
}

rc::Gen<double> GenDouble() {
  return rc::gen::oneOf(
      rc::gen::arbitrary<double>(),
      rc::gen::elementOf(std::vector<double>{0.0,
                                             -0.0,
                                             1.0,
                                             -1.0,
                                             0.1,
                                             1.0 / 3.0,
                                             2.0 / 3.0,
                                             1e-4,
                                             1e-5,
                                             123456789012345.0,
                                             1e15,
                                             1e16,
                                             1e17,
                                             -1e300,
                                             5e-324,
                                             std::numeric_limits<double>::max(),
                                             std::numeric_limits<double>::lowest(),
                                             std::numeric_limits<double>::infinity(),
                                             -std::numeric_limits<double>::infinity(),
                                             std::numeric_limits<double>::quiet_NaN(),
                                             9007199254740993.0,
                                             0.30000000000000004}),
      rc::gen::map(rc::gen::pair(rc::gen::arbitrary<std::int32_t>(),
                                 rc::gen::inRange<std::int32_t>(1, 100000)),
                   [](std::pair<std::int32_t, std::int32_t> p) {
                     return static_cast<double>(p.first) / p.second;
                   }));
}

config::Value GenValue(int depth) {
  const int kind = *rc::gen::inRange(0, depth > 0 ? 8 : 6);
  switch (kind) {
    case 0:
      return config::Value(nullptr);
    case 1:
      return config::Value(*rc::gen::arbitrary<bool>());
    case 2:
      return config::Value(*rc::gen::oneOf(rc::gen::arbitrary<std::int64_t>(),
                                           rc::gen::elementOf(std::vector<std::int64_t>{
                                               0, -1, std::numeric_limits<std::int64_t>::min(),
                                               std::numeric_limits<std::int64_t>::max()})));
    case 3:
      return config::Value(*GenDouble());
    case 4:
      return config::Value(*GenText());
    case 5: {
      const std::string b = *GenText();
      return config::Value::FromBytes(config::Bytes(b.begin(), b.end()));
    }
    case 6: {
      config::ValueList list;
      const int n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) list.push_back(GenValue(depth - 1));
      return config::Value(std::move(list));
    }
    default: {
      config::ValueMap map;
      const int n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) map.Set(*GenText(), GenValue(depth - 1));
      return config::Value(std::move(map));
    }
  }
}

std::vector<std::string> GenStrings() {
  return *rc::gen::resize(5, rc::gen::container<std::vector<std::string>>(GenText()));
}

// Framework names from a small set so that repeated names (ordered_json keeps the first position
// and the last value) occur often.
std::vector<FrameworkRef> GenFrameworkRefs() {
  std::vector<FrameworkRef> refs;
  const int n = *rc::gen::inRange(0, 4);
  for (int i = 0; i < n; ++i) {
    FrameworkRef f;
    f.framework = *rc::gen::oneOf(
        rc::gen::elementOf(std::vector<std::string>{"pci-dss", "soc2", "gdpr"}), GenText());
    f.controls = GenStrings();
    refs.push_back(std::move(f));
  }
  return refs;
}

std::size_t GenCount() {
  return *rc::gen::oneOf(rc::gen::inRange<std::size_t>(0, 100),
                         rc::gen::elementOf(std::vector<std::size_t>{
                             std::numeric_limits<std::size_t>::max(), std::size_t{1} << 40}));
}

Report GenReport() {
  Report r;
  r.target = *GenText();
  r.environment = *GenText();
  r.partial = *rc::gen::arbitrary<bool>();
  const int rules = *rc::gen::inRange(0, 5);
  for (int i = 0; i < rules; ++i) {
    RuleResult rr;
    // Ids from a small set too, so that SARIF's rule table sees repeated ids.
    rr.id = *rc::gen::oneOf(rc::gen::elementOf(std::vector<std::string>{"R1", "R2"}), GenText());
    rr.title = *GenText();
    rr.pack = *GenText();
    rr.severity = static_cast<Severity>(*rc::gen::inRange(0, 5));
    rr.frameworks = GenFrameworkRefs();
    rr.remediation = *GenText();
    rr.status = static_cast<RuleStatus>(*rc::gen::inRange(0, 5));
    rr.applicable = GenCount();
    rr.passed = GenCount();
    rr.failed = GenCount();
    if (*rc::gen::arbitrary<bool>()) rr.errors = GenStrings();
    r.rules.push_back(std::move(rr));
  }
  const int findings = rules == 0 ? 0 : *rc::gen::inRange(0, 6);
  for (int i = 0; i < findings; ++i) {
    Finding f;
    f.rule = *rc::gen::inRange<std::size_t>(0, r.rules.size());
    f.severity = static_cast<Severity>(*rc::gen::inRange(0, 5));
    f.path = *GenText();
    if (*rc::gen::arbitrary<bool>()) {
      f.location.source = *GenText();
      f.location.line = *rc::gen::arbitrary<std::uint32_t>();
      f.location.column = *rc::gen::arbitrary<std::uint32_t>();
    }
    f.message = *GenText();
    if (*rc::gen::arbitrary<bool>()) {
      ResolvedFix fix;
      fix.op = static_cast<FixOp>(*rc::gen::inRange(0, 3));
      fix.path = config::Path().Key(*GenText());
      if (*rc::gen::arbitrary<bool>()) fix.value = GenValue(2);
      f.fix = std::move(fix);
    }
    r.findings.push_back(std::move(f));
  }
  const int frameworks = *rc::gen::inRange(0, 4);
  for (int i = 0; i < frameworks; ++i) {
    FrameworkScore s;
    s.framework = *GenText();
    s.applicable =
        *rc::gen::oneOf(rc::gen::just<std::size_t>(0), rc::gen::inRange<std::size_t>(1, 1000));
    s.passed = *rc::gen::inRange<std::size_t>(0, s.applicable + 1);
    s.failing_controls = GenStrings();
    r.frameworks.push_back(std::move(s));
  }
  for (std::size_t& n : r.by_severity) n = GenCount();
  return r;
}

RC_GTEST_PROP(ReportJsonReferenceTest, StreamingRendererMatchesOrderedJsonByteForByte, ()) {
  std::vector<Report> reports;
  const int n = *rc::gen::inRange(0, 3);
  for (int i = 0; i < n; ++i) reports.push_back(GenReport());
  RenderOptions options;
  options.fail_on = static_cast<Severity>(*rc::gen::inRange(0, 5));
  options.tool_version = *GenText();
  RC_ASSERT(RenderJson(reports, options) == ReferenceRenderJson(reports, options));
}

RC_GTEST_PROP(ReportJsonReferenceTest, StreamingSarifMatchesOrderedJsonByteForByte, ()) {
  std::vector<Report> reports;
  const int n = *rc::gen::inRange(0, 3);
  for (int i = 0; i < n; ++i) reports.push_back(GenReport());
  if (!reports.empty() && *rc::gen::arbitrary<bool>()) {
    Report again = reports.front();  // same rules, another target: one shared rule table
    again.target = *GenText();
    reports.push_back(std::move(again));
  }
  RenderOptions options;
  options.tool_version = *GenText();
  RC_ASSERT(RenderSarif(reports, options) == ReferenceRenderSarif(reports, options));
}

// ---- Examples (each names a rule the property also covers, so a failure is easy to read) -------

Report OneFinding(std::string message, std::optional<config::Value> value) {
  Report r;
  r.target = "app.yaml";
  RuleResult rr;
  rr.id = "R1";
  rr.frameworks = {{"soc2", {"CC7.2"}}, {"gdpr", {"Art.32"}}, {"soc2", {"CC6.1"}}};
  r.rules.push_back(rr);
  Finding f;
  f.message = std::move(message);
  f.location = {"app.yaml", 3, 7};
  if (value) f.fix = ResolvedFix{FixOp::kReplace, config::Path().Key("tls"), std::move(value)};
  r.findings.push_back(f);
  r.frameworks.push_back({"soc2", 3, 1, {"CC7.2"}});
  return r;
}

TEST(ReportJsonReferenceTest, InvalidUtf8BecomesReplacementCharactersLikeNlohmann) {
  // Stray continuation, overlong, surrogate, truncated at the end.
  const Report r = OneFinding(
      "a\x80"
      "b\xE0\x80\xAF"
      "c\xED\xA0\x80"
      "d\xF0\x9F\x98",
      std::nullopt);
  const std::string out = RenderJson({&r, 1});
  EXPECT_EQ(out, ReferenceRenderJson({&r, 1}, {}));
  EXPECT_NE(out.find("\"a\xEF\xBF\xBD"
                     "b"),
            std::string::npos)
      << out;
}

TEST(ReportJsonReferenceTest, DoublesAndRepeatedFrameworksMatchNlohmann) {
  config::ValueMap m;
  m.Set("third", config::Value(1.0 / 3.0));
  m.Set("big", config::Value(1e17));
  m.Set("small", config::Value(-1e-5));
  m.Set("whole", config::Value(2.0));
  m.Set("nan", config::Value(std::nan("")));
  m.Set("list", config::Value(config::ValueList{}));
  m.Set("map", config::Value::EmptyMap());
  const Report r = OneFinding("ctl\x01\x1f\"\\", config::Value(std::move(m)));
  const std::string out = RenderJson({&r, 1});
  EXPECT_EQ(out, ReferenceRenderJson({&r, 1}, {}));
  EXPECT_NE(out.find("\"score\": 0.3333333333333333"), std::string::npos) << out;
  EXPECT_NE(out.find("\"big\": 1e+17"), std::string::npos) << out;
  EXPECT_NE(out.find("\"whole\": 2.0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"nan\": null"), std::string::npos) << out;
}

TEST(ReportJsonReferenceTest, NoReportsGivesAnEmptyTargetList) {
  EXPECT_EQ(RenderJson({}, {}), ReferenceRenderJson({}, {}));
  EXPECT_NE(RenderJson({}, {}).find("\"targets\": []"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::compliance
