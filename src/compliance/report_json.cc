// JSON and SARIF renderers. JSON is streamed by internal::JsonWriter; SARIF is still built as an
// nlohmann::ordered_json document and dumped (dump() escapes every string).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/compliance/report_format.h"
#include "compliance/render_util.h"

namespace bulwark::compliance {
namespace {

using nlohmann::ordered_json;

ordered_json FrameworksJson(const std::vector<FrameworkRef>& refs) {
  ordered_json out = ordered_json::object();
  for (const FrameworkRef& f : refs) out[f.framework] = f.controls;
  return out;
}

ordered_json FixJson(const ResolvedFix& fix) {
  ordered_json j = {{"op", FixOpName(fix.op)}, {"path", fix.path.ToString()}};
  if (fix.value) j["value"] = internal::ValueToJson(*fix.value);
  return j;
}

// The streaming counterparts of FrameworksJson, FixJson and the former summary object (same keys,
// same order).
void WriteFrameworks(internal::JsonWriter& w, const std::vector<FrameworkRef>& refs) {
  w.BeginObject();
  internal::ForEachKeyLastWins(
      refs.size(), [&](std::size_t i) -> std::string_view { return refs[i].framework; },
      [&](std::size_t last) { w.Key(refs[last].framework).Strings(refs[last].controls); });
  w.EndObject();
}

void WriteFix(internal::JsonWriter& w, const ResolvedFix& fix) {
  w.BeginObject();
  w.Key("op").String(FixOpName(fix.op));
  w.Key("path").String(fix.path.ToString());
  if (fix.value) w.Key("value").Value(*fix.value);
  w.EndObject();
}

void WriteSummary(internal::JsonWriter& w, const Report& r, Severity fail_on) {
  w.BeginObject();
  w.Key("compliant").Bool(r.CompliantAt(fail_on));
  w.Key("findings").Uint(r.findings.size());
  w.Key("by_severity").BeginObject();
  for (int s = 4; s >= 0; --s) {
    w.Key(SeverityName(static_cast<Severity>(s))).Uint(r.by_severity[s]);
  }
  w.EndObject();
  std::size_t counts[5] = {};
  for (const RuleResult& rr : r.rules) ++counts[static_cast<int>(rr.status)];
  w.Key("rules").BeginObject();
  for (int s = 0; s < 5; ++s) w.Key(RuleStatusName(static_cast<RuleStatus>(s))).Uint(counts[s]);
  w.EndObject();
  w.Key("checks").BeginObject();
  w.Key("applicable").Uint(r.checks_applicable());
  w.Key("passed").Uint(r.checks_passed());
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string RenderJson(std::span<const Report> reports, const RenderOptions& options) {
  // Streamed into one string; the output is byte-identical to the former ordered_json document
  // dumped with dump(2, ' ', false, error_handler_t::replace) (report_json_reference_test.cc).
  std::string out;
  std::size_t estimate = 256;
  for (const Report& r : reports) estimate += 512 * r.findings.size() + 256 * r.rules.size();
  out.reserve(estimate);
  bool compliant = true;
  for (const Report& r : reports) compliant = compliant && r.CompliantAt(options.fail_on);

  internal::JsonWriter w(out);
  w.BeginObject();
  w.Key("version").Int(1);
  w.Key("tool").BeginObject();
  w.Key("name").String("bulwark");
  w.Key("version").String(options.tool_version);
  w.EndObject();
  w.Key("compliant").Bool(compliant);
  w.Key("fail_on").String(SeverityName(options.fail_on));
  w.Key("targets").BeginArray();
  for (const Report& r : reports) {
    w.BeginObject();
    w.Key("target").String(r.target);
    w.Key("environment").String(r.environment);
    w.Key("partial").Bool(r.partial);
    w.Key("summary");
    WriteSummary(w, r, options.fail_on);
    w.Key("frameworks").BeginArray();
    for (const FrameworkScore& f : r.frameworks) {
      w.BeginObject();
      w.Key("framework").String(f.framework);
      w.Key("score").Double(f.score());
      w.Key("applicable").Uint(f.applicable);
      w.Key("passed").Uint(f.passed);
      w.Key("failing_controls").Strings(f.failing_controls);
      w.EndObject();
    }
    w.EndArray();
    w.Key("rules").BeginArray();
    for (const RuleResult& rr : r.rules) {
      w.BeginObject();
      w.Key("id").String(rr.id);
      w.Key("title").String(rr.title);
      w.Key("pack").String(rr.pack);
      w.Key("severity").String(SeverityName(rr.severity));
      w.Key("status").String(RuleStatusName(rr.status));
      w.Key("frameworks");
      WriteFrameworks(w, rr.frameworks);
      w.Key("applicable").Uint(rr.applicable);
      w.Key("passed").Uint(rr.passed);
      w.Key("failed").Uint(rr.failed);
      if (!rr.errors.empty()) w.Key("errors").Strings(rr.errors);
      w.EndObject();
    }
    w.EndArray();
    w.Key("findings").BeginArray();
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      w.BeginObject();
      w.Key("rule").String(rr.id);
      w.Key("title").String(rr.title);
      w.Key("severity").String(SeverityName(f.severity));
      w.Key("frameworks");
      WriteFrameworks(w, rr.frameworks);
      w.Key("path").String(f.path);
      if (f.location.line != 0) {
        w.Key("location").BeginObject();
        w.Key("file").String(f.location.source);
        w.Key("line").Uint(f.location.line);
        w.Key("column").Uint(f.location.column);
        w.EndObject();
      }
      w.Key("message").String(f.message);
      w.Key("remediation").String(rr.remediation);
      if (f.fix) {
        w.Key("fix");
        WriteFix(w, *f.fix);
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out += '\n';
  return out;
}

std::string RenderSarif(std::span<const Report> reports, const RenderOptions& options) {
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

}  // namespace bulwark::compliance
