// Text and JUnit XML renderers, and the format dispatcher.
#include <fmt/format.h>

#include "bulwark/compliance/report_format.h"
#include "compliance/render_util.h"

namespace bulwark::compliance {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string FrameworkLine(const RuleResult& rr) {
  std::string out;
  for (const FrameworkRef& f : rr.frameworks) {
    if (!out.empty()) out += ", ";
    out += f.framework + " ";
    for (std::size_t i = 0; i < f.controls.size(); ++i) out += (i ? "/" : "") + f.controls[i];
  }
  return out;
}

}  // namespace

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "sarif") return ReportFormat::kSarif;
  if (name == "junit") return ReportFormat::kJunit;
  if (name == "html") return ReportFormat::kHtml;
  return InvalidArgumentError("unknown report format '" + std::string(name.substr(0, 32)) +
                              "' (expected text, json, sarif, junit or html)");
}

std::string Render(ReportFormat format, std::span<const Report> reports,
                   const RenderOptions& options) {
  switch (format) {
    case ReportFormat::kText:
      return RenderText(reports, options);
    case ReportFormat::kJson:
      return RenderJson(reports, options);
    case ReportFormat::kSarif:
      return RenderSarif(reports, options);
    case ReportFormat::kJunit:
      return RenderJunit(reports, options);
    case ReportFormat::kHtml:
      return RenderHtml(reports, options);
  }
  return RenderText(reports, options);
}

std::string RenderText(std::span<const Report> reports, const RenderOptions& options) {
  std::string out;
  auto it = std::back_inserter(out);
  for (const Report& r : reports) {
    fmt::format_to(it, "== {}{}\n", r.target,
                   r.environment.empty() ? "" : " (environment: " + r.environment + ")");
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      fmt::format_to(it, "{:<8} {} {}", Upper(SeverityName(f.severity)), rr.id,
                     f.path.empty() ? "(document)" : f.path);
      if (f.location.line != 0) fmt::format_to(it, "  [{}]", f.location.ToString());
      fmt::format_to(it, "\n         {}\n", f.message);
      if (!rr.remediation.empty()) fmt::format_to(it, "         fix: {}\n", rr.remediation);
      const std::string fw = FrameworkLine(rr);
      if (!fw.empty()) fmt::format_to(it, "         frameworks: {}\n", fw);
    }
    for (const RuleResult& rr : r.rules) {
      if (rr.status != RuleStatus::kError) continue;
      fmt::format_to(it, "ERROR    {} could not be evaluated\n", rr.id);
      for (const std::string& e : rr.errors) fmt::format_to(it, "         {}\n", e);
    }
    if (options.explain) {
      fmt::format_to(it, "\nEvery rule:\n");
      for (const RuleResult& rr : r.rules) {
        fmt::format_to(it, "  {:<14} {:<8} {:<14} {}\n", rr.id, SeverityName(rr.severity),
                       RuleStatusName(rr.status), internal::RuleExplanation(rr));
      }
    }
    std::size_t counts[5] = {};
    for (const RuleResult& rr : r.rules) ++counts[static_cast<int>(rr.status)];
    fmt::format_to(it, "\nRules: {} passed, {} failed, {} errors, {} not applicable, {} disabled\n",
                   counts[0], counts[1], counts[2], counts[3], counts[4]);
    if (!r.frameworks.empty()) fmt::format_to(it, "Frameworks:\n");
    for (const FrameworkScore& f : r.frameworks) {
      fmt::format_to(it, "  {:<14} {:6.1f}%  ({}/{} checks)", f.framework, 100.0 * f.score(),
                     f.passed, f.applicable);
      if (!f.failing_controls.empty()) {
        fmt::format_to(it, "  failing: {}", fmt::join(f.failing_controls, ", "));
      }
      out += "\n";
    }
    for (const EnvironmentScore& e : r.environments) {
      fmt::format_to(it, "Compliance score ({}): {:.1f}%  ({}/{} checks), {} violation{}\n",
                     e.environment.empty() ? "unspecified" : e.environment, e.percent(), e.passed,
                     e.applicable, e.violations.size(), e.violations.size() == 1 ? "" : "s");
      for (std::size_t i : e.violations) {
        const Finding& f = r.findings[i];
        const RuleResult& rr = r.RuleOf(f);
        fmt::format_to(it, "  {:<8} {} {}: {}\n", Upper(SeverityName(f.severity)), rr.id, rr.title,
                       f.message);
      }
    }
    fmt::format_to(it, "Findings: {} ({} critical, {} high, {} medium, {} low, {} info)\n",
                   r.findings.size(), r.by_severity[4], r.by_severity[3], r.by_severity[2],
                   r.by_severity[1], r.by_severity[0]);
    if (r.partial) out += "Evaluation was partial: some rules could not be evaluated.\n";
    fmt::format_to(it, "Result: {} (fail on {} and above)\n\n",
                   r.CompliantAt(options.fail_on) ? "COMPLIANT" : "NOT COMPLIANT",
                   SeverityName(options.fail_on));
  }
  return out;
}

std::string RenderJunit(std::span<const Report> reports, const RenderOptions&) {
  using internal::XmlEscape;
  std::string body;
  std::size_t total = 0, failures = 0, errors = 0, skipped = 0;
  for (const Report& r : reports) {
    std::size_t t = 0, f = 0, e = 0, s = 0;
    std::string cases;
    std::vector<std::vector<const Finding*>> by_rule(r.rules.size());
    for (const Finding& fd : r.findings) by_rule[fd.rule].push_back(&fd);
    for (std::size_t i = 0; i < r.rules.size(); ++i) {
      const RuleResult& rr = r.rules[i];
      ++t;
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}: {}\">\n", XmlEscape(rr.pack),
                           XmlEscape(rr.id), XmlEscape(rr.title));
      if (rr.status == RuleStatus::kError) {
        ++e;
        std::string text;
        for (const std::string& m : rr.errors) text += m + "\n";
        cases += fmt::format("      <error message=\"rule could not be evaluated\">{}</error>\n",
                             XmlEscape(text));
      }
      if (!by_rule[i].empty()) {
        ++f;
        std::string text;
        for (const Finding* fd : by_rule[i]) {
          text += fmt::format("{}{}: {}\n", fd->path.empty() ? "(document)" : fd->path,
                              fd->location.line != 0 ? " [" + fd->location.ToString() + "]" : "",
                              fd->message);
        }
        cases += fmt::format(
            "      <failure type=\"{}\" message=\"{} finding(s), severity {}\">{}</failure>\n",
            SeverityName(rr.severity), by_rule[i].size(), SeverityName(rr.severity),
            XmlEscape(text));
      } else if (rr.status == RuleStatus::kNotApplicable || rr.status == RuleStatus::kDisabled) {
        ++s;
        cases += fmt::format(
            "      <skipped message=\"{}\"/>\n",
            XmlEscape(rr.note.empty() ? std::string(RuleStatusName(rr.status))
                                      : std::string(RuleStatusName(rr.status)) + ": " + rr.note));
      }
      cases += "    </testcase>\n";
    }
    body += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        XmlEscape(r.target), t, f, e, s);
    if (!r.environment.empty()) {
      body += fmt::format(
          "    <properties><property name=\"environment\" value=\"{}\"/></properties>\n",
          XmlEscape(r.environment));
    }
    body += cases + "  </testsuite>\n";
    total += t;
    failures += f;
    errors += e;
    skipped += s;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bulwark check\" tests=\"{}\" "
      "failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{}</testsuites>\n",
      total, failures, errors, skipped, body);
}

}  // namespace bulwark::compliance
