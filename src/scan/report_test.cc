#include "bulwark/scan/report.h"

#include <gtest/gtest.h>

#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "bulwark/core/runtime.h"
#include "bulwark/scan/secret_scanner.h"
#include "scan/scan_test_util.h"

namespace bulwark::scan {
namespace {

RunResult Sample(std::string* secret_out) {
  auto rules = RuleSet::Builtin();
  auto scanner = SecretScanner::Create(*rules);
  const std::string secret = testutil::Tok("ghp_", testutil::kAlnum, 36, 77);
  *secret_out = secret;
  RunResult r;
  r.findings = (*scanner)->ScanBytes("github:\n  token: " + secret + "\npassword: Zx8f2kLq9pT4\n",
                                     "deploy/app.yaml");
  r.targets = 1;
  r.bytes = 100;
  r.errors.push_back(ScanError{"missing.yaml", "secrets: open missing.yaml: no such file", 4});
  return r;
}

TEST(ScanReportTest, SarifValidatesAgainstTheSarif210Schema) {
  std::string secret;
  RunResult r = Sample(&secret);
  ASSERT_EQ(r.findings.size(), 2u);
  const std::string sarif = RenderReport(ReportFormat::kSarif, r, {});
  EXPECT_EQ(sarif.find(secret), std::string::npos);
  auto fs = NewLocalFileSystem();
  auto schema_doc = config::LoadFile(
      *fs, std::string(BULWARK_SOURCE_DIR) + "/testdata/sarif/sarif-schema-2.1.0.json");
  ASSERT_TRUE(schema_doc.has_value()) << schema_doc.error();
  auto schema = config::Schema::Create(schema_doc->root, "sarif-schema-2.1.0.json");
  ASSERT_TRUE(schema.has_value()) << schema.error();
  auto doc = config::ParseDocument(sarif, config::Format::kJson);
  ASSERT_TRUE(doc.has_value()) << doc.error();
  for (const auto& e : (*schema)->Validate(doc->root)) ADD_FAILURE() << e.ToString();
  // The check can fail: a wrong level is rejected.
  std::string bad = sarif;
  bad.replace(bad.find("\"level\": \"error\""), 16, "\"level\": \"fatal\"");
  auto bad_doc = config::ParseDocument(bad, config::Format::kJson);
  ASSERT_TRUE(bad_doc.has_value());
  EXPECT_FALSE((*schema)->Validate(bad_doc->root).empty());
}

TEST(ScanReportTest, JsonAndTextCarryPositionsButNeverTheSecret) {
  std::string secret;
  RunResult r = Sample(&secret);
  const std::string json = RenderReport(ReportFormat::kJson, r, {});
  const std::string text = RenderReport(ReportFormat::kText, r, {});
  for (const std::string& out : {json, text}) {
    EXPECT_EQ(out.find(secret), std::string::npos);
    EXPECT_EQ(out.find("Zx8f2kLq9pT4"), std::string::npos);
  }
  auto doc = config::ParseDocument(json, config::Format::kJson);
  ASSERT_TRUE(doc.has_value()) << doc.error();
  const config::Value& f0 = doc->root.Get("findings")->AsList()[0];
  EXPECT_EQ(f0.Get("rule")->AsString(), "github-pat");
  EXPECT_EQ(f0.Get("line")->AsInt(), 2);
  EXPECT_EQ(f0.Get("key")->AsString(), "token");
  EXPECT_NE(text.find("deploy/app.yaml:2:10: critical [github-pat]"), std::string::npos) << text;
  EXPECT_NE(text.find("missing.yaml: error:"), std::string::npos);
}

TEST(ScanReportTest, TheGateCountsOnlyNewAndOpenFindingsAtOrAboveTheThreshold) {
  std::string secret;
  RunResult r = Sample(&secret);
  EXPECT_TRUE(FailsGate(r, Severity::kCritical));
  for (Finding& f : r.findings) f.status = FindingStatus::kBaselined;
  EXPECT_FALSE(FailsGate(r, Severity::kInfo));
  EXPECT_FALSE(ParseReportFormat("xml").has_value());
}

}  // namespace
}  // namespace bulwark::scan
