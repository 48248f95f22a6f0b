// The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external
// resources). Every piece of text from rules, documents or targets goes through XmlEscape.
#include <fmt/format.h>

#include "bulwark/compliance/report_format.h"
#include "compliance/render_util.h"

namespace bulwark::compliance {
namespace {

using internal::XmlEscape;

constexpr std::string_view kCss = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1f2328}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-family:ui-monospace,monospace;font-size:.9em}
.sev{font-weight:600;border-radius:4px;padding:0 .4rem;color:#fff}
.critical{background:#8b0000}.high{background:#d1242f}.medium{background:#bf8700}
.low{background:#0969da}.info{background:#6e7781}
.ok{color:#1a7f37;font-weight:600}.bad{color:#d1242f;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:2rem}
)css";

std::string_view SeverityColor(int s) {
  static constexpr std::string_view kColors[] = {"#6e7781", "#0969da", "#bf8700", "#d1242f",
                                                 "#8b0000"};
  return kColors[s];
}

// Horizontal bars of the framework scores (0-100%).
std::string FrameworkChart(const Report& r) {
  const int row = 26;
  const int height = std::max<int>(1, static_cast<int>(r.frameworks.size())) * row + 10;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"460\" height=\"{}\" role=\"img\" "
      "aria-label=\"Compliance score by framework\">\n",
      height);
  int y = 5;
  for (const FrameworkScore& f : r.frameworks) {
    const double pct = 100.0 * f.score();
    const int w = static_cast<int>(pct * 2.6);
    const std::string_view color = pct >= 99.95 ? "#1a7f37" : pct >= 90 ? "#bf8700" : "#d1242f";
    svg += fmt::format(
        "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>"
        "<rect x=\"110\" y=\"{}\" width=\"260\" height=\"16\" fill=\"#eaeef2\"/>"
        "<rect x=\"110\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{}\"/>"
        "<text x=\"378\" y=\"{}\" font-size=\"12\">{:.1f}%</text>\n",
        y + 13, XmlEscape(f.framework), y, y, w, color, y + 13, pct);
    y += row;
  }
  return svg + "</svg>\n";
}

// Vertical bars of the findings per severity.
std::string SeverityChart(const Report& r) {
  std::size_t max = 1;
  for (std::size_t n : r.by_severity) max = std::max(max, n);
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"360\" height=\"170\" role=\"img\" "
      "aria-label=\"Findings by severity\">\n";
  int x = 10;
  for (int s = 4; s >= 0; --s) {
    const std::size_t n = r.by_severity[s];
    const int h = static_cast<int>(120.0 * static_cast<double>(n) / static_cast<double>(max));
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"50\" height=\"{}\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>"
        "<text x=\"{}\" y=\"162\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n",
        x, 135 - h, h, SeverityColor(s), x + 25, 130 - h, n, x + 25,
        SeverityName(static_cast<Severity>(s)));
    x += 70;
  }
  return svg + "</svg>\n";
}

}  // namespace

std::string RenderHtml(std::span<const Report> reports, const RenderOptions& options) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>Bulwark compliance report</title>\n<style>{}</style>\n</head>\n<body>\n"
      "<h1>Bulwark compliance report</h1>\n<p>bulwark {} &middot; fail on {} and above</p>\n",
      kCss, XmlEscape(options.tool_version), SeverityName(options.fail_on));
  auto it = std::back_inserter(out);
  for (const Report& r : reports) {
    const bool ok = r.CompliantAt(options.fail_on);
    fmt::format_to(it, "<h2>{}{}</h2>\n<p class=\"{}\">{}</p>\n", XmlEscape(r.target),
                   r.environment.empty() ? "" : " &middot; " + XmlEscape(r.environment),
                   ok ? "ok" : "bad", ok ? "Compliant" : "Not compliant");
    if (r.partial) {
      out += "<p class=\"bad\">Evaluation was partial: some rules could not be evaluated.</p>\n";
    }
    out += "<div class=\"charts\">\n<figure><figcaption>Score by framework</figcaption>\n";
    out += FrameworkChart(r);
    out += "</figure>\n<figure><figcaption>Findings by severity</figcaption>\n";
    out += SeverityChart(r);
    out += "</figure>\n</div>\n";
    out +=
        "<table>\n<tr><th>Framework</th><th>Score</th><th>Passed</th><th>Applicable</th>"
        "<th>Failing controls</th></tr>\n";
    for (const FrameworkScore& f : r.frameworks) {
      fmt::format_to(it, "<tr><td>{}</td><td>{:.1f}%</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     XmlEscape(f.framework), 100.0 * f.score(), f.passed, f.applicable,
                     XmlEscape(fmt::format("{}", fmt::join(f.failing_controls, ", "))));
    }
    out += "</table>\n";
    if (!r.environments.empty()) {
      out +=
          "<h3>Compliance score by environment</h3>\n<table>\n<tr><th>Environment</th>"
          "<th>Score</th><th>Passed</th><th>Applicable</th><th>Violations</th></tr>\n";
      for (const EnvironmentScore& e : r.environments) {
        fmt::format_to(it,
                       "<tr><td>{}</td><td>{:.1f}%</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       XmlEscape(e.environment.empty() ? "unspecified" : e.environment),
                       e.percent(), e.passed, e.applicable, e.violations.size());
      }
      out += "</table>\n";
    }
    fmt::format_to(it, "<h3>Findings ({})</h3>\n", r.findings.size());
    out +=
        "<table>\n<tr><th>Severity</th><th>Rule</th><th>Path</th><th>Location</th>"
        "<th>Message</th><th>Remediation</th></tr>\n";
    for (const Finding& f : r.findings) {
      const RuleResult& rr = r.RuleOf(f);
      const std::string_view sev = SeverityName(f.severity);
      fmt::format_to(it,
                     "<tr><td><span class=\"sev {}\">{}</span></td><td><code>{}</code> {}</td>"
                     "<td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     sev, sev, XmlEscape(rr.id), XmlEscape(rr.title), XmlEscape(f.path),
                     f.location.line != 0 ? XmlEscape(f.location.ToString()) : "",
                     XmlEscape(f.message), XmlEscape(rr.remediation));
    }
    out +=
        "</table>\n<h3>Rules</h3>\n<table>\n<tr><th>Rule</th><th>Pack</th><th>Severity</th>"
        "<th>Status</th><th>Passed / applicable</th><th>Why / errors</th></tr>\n";
    for (const RuleResult& rr : r.rules) {
      std::string errors = rr.note.empty() ? std::string() : XmlEscape(rr.note) + "<br>";
      for (const std::string& e : rr.errors) errors += XmlEscape(e) + "<br>";
      fmt::format_to(it,
                     "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{} / {}</td><td>{}</td></tr>\n",
                     XmlEscape(rr.id), XmlEscape(rr.title), XmlEscape(rr.pack),
                     SeverityName(rr.severity), RuleStatusName(rr.status), rr.passed, rr.applicable,
                     errors);
    }
    out += "</table>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace bulwark::compliance
