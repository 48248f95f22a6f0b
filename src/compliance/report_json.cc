// JSON and SARIF renderers, streamed by internal::JsonWriter into one string. The output is
// byte-identical to the nlohmann::ordered_json documents they replaced, dumped with
// dump(2, ' ', false, error_handler_t::replace); report_json_reference_test.cc keeps those as the
// reference.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bulwark/compliance/report_format.h"
#include "compliance/render_util.h"

namespace bulwark::compliance {
namespace {

// The streaming counterparts of the former ordered_json helpers (same keys, same order).
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
    w.Key("environments").BeginArray();
    for (const EnvironmentScore& e : r.environments) {
      w.BeginObject();
      w.Key("environment").String(e.environment);
      w.Key("score").Double(e.percent());
      w.Key("applicable").Uint(e.applicable);
      w.Key("passed").Uint(e.passed);
      w.Key("violations").BeginArray();
      for (std::size_t i : e.violations) {
        const Finding& f = r.findings[i];
        const RuleResult& rr = r.RuleOf(f);
        w.BeginObject();
        w.Key("rule").String(rr.id);
        w.Key("title").String(rr.title);
        w.Key("severity").String(SeverityName(f.severity));
        w.Key("path").String(f.path);
        w.Key("message").String(f.message);
        w.EndObject();
      }
      w.EndArray();
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
      if (!rr.note.empty()) w.Key("note").String(rr.note);
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
      w.Key("environment").String(f.environment);
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
  // Streamed like RenderJson; byte-identical to the former ordered_json document (see
  // report_json_reference_test.cc). The rule table is the union of the rules of every report
  // (same packs, so usually identical), in first-seen order.
  std::unordered_map<std::string_view, std::size_t> rule_index;
  std::vector<const RuleResult*> rule_table;
  bool partial = false;
  bool any_errors = false;
  std::size_t estimate = 1024;
  for (const Report& r : reports) {
    partial = partial || r.partial;
    estimate += 768 * r.findings.size();
    for (const RuleResult& rr : r.rules) {
      any_errors = any_errors || !rr.errors.empty();
      if (rule_index.emplace(rr.id, rule_table.size()).second) rule_table.push_back(&rr);
    }
  }
  std::string out;
  out.reserve(estimate + 512 * rule_table.size());
  internal::JsonWriter w(out);
  w.BeginObject();
  w.Key("$schema").String("https://json.schemastore.org/sarif-2.1.0.json");
  w.Key("version").String("2.1.0");
  w.Key("runs").BeginArray().BeginObject();

  w.Key("tool").BeginObject().Key("driver").BeginObject();
  w.Key("name").String("bulwark");
  w.Key("semanticVersion").String(options.tool_version);
  w.Key("informationUri").String("https://github.com/bulwark-config/bulwark");
  w.Key("rules").BeginArray();
  for (const RuleResult* rr : rule_table) {
    w.BeginObject();
    w.Key("id").String(rr->id);
    w.Key("name").String(internal::SarifRuleName(rr->id));
    w.Key("shortDescription").BeginObject().Key("text").String(rr->title).EndObject();
    w.Key("help").BeginObject();
    w.Key("text").String(rr->remediation.empty() ? rr->title : rr->remediation);
    w.EndObject();
    w.Key("defaultConfiguration").BeginObject();
    w.Key("level").String(internal::SarifLevel(rr->severity));
    w.EndObject();
    w.Key("properties").BeginObject();
    w.Key("tags").BeginArray().String("security").String("compliance");
    std::string tag;
    for (const FrameworkRef& f : rr->frameworks) {
      for (const std::string& c : f.controls) {
        tag.assign(f.framework).append(":").append(c);
        w.String(tag);
      }
    }
    w.EndArray();
    w.Key("security-severity").String(internal::SecuritySeverityScore(rr->severity));
    w.Key("pack").String(rr->pack);
    w.Key("frameworks");
    WriteFrameworks(w, rr->frameworks);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject().EndObject();  // driver, tool

  w.Key("invocations").BeginArray().BeginObject();
  w.Key("executionSuccessful").Bool(!partial);
  if (any_errors) {
    w.Key("toolExecutionNotifications").BeginArray();
    for (const Report& r : reports) {
      for (const RuleResult& rr : r.rules) {
        for (const std::string& e : rr.errors) {
          w.BeginObject();
          w.Key("level").String("error");
          w.Key("message").BeginObject().Key("text").String(e).EndObject();
          w.Key("associatedRule").BeginObject();
          w.Key("id").String(rr.id);
          w.Key("index").Uint(rule_index.at(rr.id));
          w.EndObject();
          w.EndObject();
        }
      }
    }
    w.EndArray();
  }
  w.EndObject().EndArray();

  w.Key("artifacts").BeginArray();
  for (const Report& r : reports) {
    w.BeginObject().Key("location").BeginObject();
    w.Key("uri").String(internal::FileUri(r.target));
    w.EndObject().EndObject();
  }
  w.EndArray();

  w.Key("results").BeginArray();
  for (const Report& r : reports) {
    const std::string target_uri = internal::FileUri(r.target);
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      w.BeginObject();
      w.Key("ruleId").String(rr.id);
      w.Key("ruleIndex").Uint(rule_index.at(rr.id));
      w.Key("level").String(internal::SarifLevel(f.severity));
      w.Key("message").BeginObject().Key("text").String(f.message).EndObject();
      w.Key("locations").BeginArray().BeginObject();
      w.Key("physicalLocation").BeginObject();
      w.Key("artifactLocation").BeginObject();
      w.Key("uri").String(f.location.line != 0 ? internal::FileUri(f.location.source) : target_uri);
      w.EndObject();
      if (f.location.line != 0) {
        w.Key("region").BeginObject();
        w.Key("startLine").Uint(f.location.line);
        if (f.location.column != 0) w.Key("startColumn").Uint(f.location.column);
        w.EndObject();
      }
      w.EndObject();  // physicalLocation
      if (!f.path.empty()) {
        w.Key("logicalLocations").BeginArray().BeginObject();
        w.Key("fullyQualifiedName").String(f.path);
        w.Key("kind").String("member");
        w.EndObject().EndArray();
      }
      w.EndObject().EndArray();  // locations
      w.Key("properties").BeginObject();
      w.Key("severity").String(SeverityName(f.severity));
      w.Key("frameworks");
      WriteFrameworks(w, rr.frameworks);
      w.Key("remediation").String(rr.remediation);
      if (f.fix) {
        w.Key("fix");
        WriteFix(w, *f.fix);
      }
      w.EndObject();
      w.EndObject();
    }
  }
  w.EndArray();

  w.EndObject().EndArray();  // run, runs
  w.EndObject();
  out += '\n';
  return out;
}

}  // namespace bulwark::compliance
