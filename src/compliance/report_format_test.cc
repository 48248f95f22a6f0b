#include "bulwark/compliance/report_format.h"

#include <gtest/gtest.h>

#include "bulwark/compliance/engine.h"
#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/test_data.h"

namespace bulwark::compliance {
namespace {

constexpr std::string_view kPack = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: demo
rules:
  - id: TLS_001
    title: Database <TLS> & "friends"
    severity: critical
    frameworks: { pci-dss: ["4.2.1"], gdpr: ["Art.32"] }
    foreach: config.services
    check: item.tls
    message: "{{ item.name }} has no TLS"
    remediation: set tls to true
    fix: { op: replace, path: tls, value: true }
  - id: LOG_001
    title: Log level
    severity: medium
    frameworks: { soc2: ["CC7.2"] }
    check: config.level != 'debug'
  - id: BROKEN
    title: Broken
    severity: low
    frameworks: { soc2: ["CC7.2"] }
    check: config.nope.x
)yaml";

constexpr std::string_view kDoc = R"yaml(level: debug
services:
  - name: "<script>alert('x')</script>"
    tls: false
  - name: ok
    tls: true
)yaml";

Result<Report> MakeReport() {
  BULWARK_ASSIGN_OR_RETURN(auto pack, RulePack::Parse(kPack, "demo.yaml"));
  BULWARK_ASSIGN_OR_RETURN(auto engine,
                           Engine::Create({std::shared_ptr<const RulePack>(std::move(pack))}));
  BULWARK_ASSIGN_OR_RETURN(
      config::Document doc,
      config::ParseDocument(kDoc, config::Format::kYaml, {.source_name = "dir/app 1.yaml"}));
  return engine->Evaluate(doc, {.target = "dir/app 1.yaml", .environment = "production"});
}

Result<config::Value> ParseJson(const std::string& text) {
  BULWARK_ASSIGN_OR_RETURN(config::Document doc,
                           config::ParseDocument(text, config::Format::kJson));
  return std::move(doc.root);
}

// The OASIS SARIF 2.1.0 schema (testdata/sarif/).
Result<std::unique_ptr<config::Schema>> SarifSchema() {
  const std::string path = testing::TestDataPath("sarif/sarif-schema-2.1.0.json");
  BULWARK_ASSIGN_OR_RETURN(std::string text, testing::ReadDataFile(path));
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::ParseDocument(text, config::Format::kJson,
                                                                       {.source_name = path}));
  return config::Schema::Create(doc.root, "sarif-schema-2.1.0.json");
}

TEST(ReportFormatTest, SarifValidatesAgainstTheSarif210Schema) {
  ASSERT_OK_AND_ASSIGN(Report r, MakeReport());
  ASSERT_EQ(r.findings.size(), 2u);
  ASSERT_TRUE(r.partial);
  const std::string sarif = RenderSarif({&r, 1});
  ASSERT_OK_AND_ASSIGN(config::Value doc, ParseJson(sarif));
  ASSERT_OK_AND_ASSIGN(auto schema, SarifSchema());
  std::vector<config::SchemaError> errors = schema->Validate(doc);
  for (const auto& e : errors) ADD_FAILURE() << e.ToString();
  EXPECT_EQ(doc.Get("version")->AsString(), "2.1.0");
  const config::Value& run = doc.Get("runs")->AsList()[0];
  EXPECT_EQ(run.Get("results")->AsList().size(), 2u);
  EXPECT_EQ(run.Get("tool")->Get("driver")->Get("rules")->AsList().size(), 3u);
  const config::Value& first = run.Get("results")->AsList()[0];
  EXPECT_EQ(first.Get("ruleId")->AsString(), "TLS_001");
  EXPECT_EQ(first.Get("level")->AsString(), "error");
  const config::Value& phys = *first.Get("locations")->AsList()[0].Get("physicalLocation");
  EXPECT_EQ(phys.Get("artifactLocation")->Get("uri")->AsString(), "dir/app%201.yaml");
  EXPECT_EQ(phys.Get("region")->Get("startLine")->AsInt(), 4);
  EXPECT_FALSE(run.Get("invocations")->AsList()[0].Get("executionSuccessful")->AsBool());
}

TEST(ReportFormatTest, SarifWithAbsolutePathsAndSeveralTargetsValidates) {
  ASSERT_OK_AND_ASSIGN(Report a, MakeReport());
  a.target = "/srv/conf/app 1.yaml";
  for (Finding& f : a.findings) {
    if (f.location.line != 0) f.location.source = "/srv/conf/app 1.yaml";
  }
  ASSERT_OK_AND_ASSIGN(Report b, MakeReport());
  std::vector<Report> reports = {a, b};
  ASSERT_OK_AND_ASSIGN(config::Value doc, ParseJson(RenderSarif(reports)));
  ASSERT_OK_AND_ASSIGN(auto schema, SarifSchema());
  for (const auto& e : schema->Validate(doc)) ADD_FAILURE() << e.ToString();
  const config::Value& run = doc.Get("runs")->AsList()[0];
  EXPECT_EQ(run.Get("results")->AsList().size(), 4u);
  EXPECT_EQ(run.Get("artifacts")->AsList()[0].Get("location")->Get("uri")->AsString(),
            "file:///srv/conf/app%201.yaml");
}

TEST(ReportFormatTest, SarifSchemaCheckRejectsAnInvalidLog) {
  // The validation above is not vacuous: a wrong level and a missing message are reported.
  ASSERT_OK_AND_ASSIGN(Report r, MakeReport());
  std::string sarif = RenderSarif({&r, 1});
  sarif.replace(sarif.find("\"level\": \"error\""), 16, "\"level\": \"fatal\"");
  ASSERT_OK_AND_ASSIGN(auto schema, SarifSchema());
  ASSERT_OK_AND_ASSIGN(config::Value doc, ParseJson(sarif));
  EXPECT_FALSE(schema->Validate(doc).empty());
}

TEST(ReportFormatTest, JsonCarriesFindingsScoresAndPartialFlag) {
  ASSERT_OK_AND_ASSIGN(Report r, MakeReport());
  ASSERT_OK_AND_ASSIGN(config::Value doc, ParseJson(RenderJson({&r, 1})));
  EXPECT_FALSE(doc.Get("compliant")->AsBool());
  const config::Value& t = doc.Get("targets")->AsList()[0];
  EXPECT_TRUE(t.Get("partial")->AsBool());
  const config::Value& f = t.Get("findings")->AsList()[0];
  EXPECT_EQ(f.Get("rule")->AsString(), "TLS_001");
  EXPECT_EQ(f.Get("path")->AsString(), "services[0].tls");
  EXPECT_EQ(f.Get("location")->Get("line")->AsInt(), 4);
  EXPECT_EQ(f.Get("fix")->Get("path")->AsString(), "services[0].tls");
  EXPECT_EQ(f.Get("fix")->Get("value")->AsBool(), true);
  EXPECT_EQ(f.Get("frameworks")->Get("pci-dss")->AsList()[0].AsString(), "4.2.1");
  const config::Value& fw = t.Get("frameworks")->AsList()[0];
  EXPECT_EQ(fw.Get("framework")->AsString(), "gdpr");
  EXPECT_DOUBLE_EQ(fw.Get("score")->AsNumber(), 0.5);
}

TEST(ReportFormatTest, HtmlEscapesEveryTextAndIsSelfContained) {
  ASSERT_OK_AND_ASSIGN(Report r, MakeReport());
  const std::string html = RenderHtml({&r, 1});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Database &lt;TLS&gt; &amp; &quot;friends&quot;"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(ReportFormatTest, JunitHasOneCasePerRuleWithFailureErrorAndSkip) {
  ASSERT_OK_AND_ASSIGN(Report r, MakeReport());
  const std::string xml = RenderJunit({&r, 1});
  EXPECT_NE(xml.find("<testsuite name=\"dir/app 1.yaml\" tests=\"3\" failures=\"2\" errors=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
}

TEST(ReportFormatTest, TextListsFindingsAndSummary) {
  ASSERT_OK_AND_ASSIGN(Report r, MakeReport());
  const std::string text = RenderText({&r, 1});
  EXPECT_NE(text.find("CRITICAL TLS_001 services[0].tls  [dir/app 1.yaml:4:10]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Evaluation was partial"), std::string::npos);
  EXPECT_NE(text.find("NOT COMPLIANT"), std::string::npos);
}

TEST(ReportFormatTest, ParseReportFormatRejectsUnknownNames) {
  EXPECT_EQ(*ParseReportFormat("sarif"), ReportFormat::kSarif);
  EXPECT_FALSE(ParseReportFormat("pdf"));
}

}  // namespace
}  // namespace bulwark::compliance
