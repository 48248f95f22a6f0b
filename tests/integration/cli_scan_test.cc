// bulwark scan end to end: files, trees, the environment, rule files, baselines, formats and
// exit codes.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

#include "cli_harness.h"
#include "scan/scan_test_util.h"

namespace bulwark::testing {
namespace {

using scan::testutil::kAlnum;
using scan::testutil::Tok;

class CliScanTest : public CliTest {};

TEST_F(CliScanTest, AFileWithASecretFailsAndTheReportNamesItsPositionNotTheSecret) {
  const std::string tok = Tok("ghp_", kAlnum, 36, 1);
  const std::string file = Write("app.yaml", "name: app\ngithub:\n  token: " + tok + "\n");
  CliResult r = RunBulwark({"scan", file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find(file + ":3:10: critical [github-pat]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(tok), std::string::npos);
  EXPECT_EQ(r.err.find(tok), std::string::npos);
}

TEST_F(CliScanTest, ACleanTreePassesAndFailOnRaisesTheThreshold) {
  Write("conf/app.yaml", "password: ${DB_PASSWORD}\nport: 5432\n");
  Write("conf/jwt.yaml", "id_token: eyJhbGciOiJIUzI1NiJ9." + Tok("eyJ", kAlnum, 40, 2) + "." +
                             Tok("", kAlnum, 43, 3) + "\n");
  CliResult r = RunBulwark({"scan", (dir_ / "conf").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out;  // the JWT is medium, at or above the default (low)
  r = RunBulwark({"scan", (dir_ / "conf").string(), "--fail-on", "high"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("passes"), std::string::npos) << r.out;
}

TEST_F(CliScanTest, JsonAndSarifReportsAreWrittenToAFile) {
  Write("tree/a.env", "STRIPE_KEY=" + Tok("sk_live_", kAlnum, 24, 4) + "\n");
  Write("tree/b.json", "{\"password\": \"" + Tok("", kAlnum, 14, 5) + "\"}\n");
  const std::string out = (dir_ / "report.json").string();
  CliResult r = RunBulwark({"scan", (dir_ / "tree").string(), "--format", "json", "-o", out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::ifstream in(out);
  nlohmann::json doc = nlohmann::json::parse(in);
  ASSERT_EQ(doc["findings"].size(), 2u) << doc.dump(2);
  EXPECT_EQ(doc["findings"][0]["rule"], "stripe-secret-key");
  EXPECT_EQ(doc["findings"][1]["rule"], "generic-password");
  EXPECT_EQ(doc["summary"]["failed"], true);
  r = RunBulwark({"scan", (dir_ / "tree").string(), "--format", "sarif"});
  EXPECT_EQ(r.exit_code, 1);
  nlohmann::json sarif = nlohmann::json::parse(r.out);
  EXPECT_EQ(sarif["version"], "2.1.0");
  EXPECT_EQ(sarif["runs"][0]["results"].size(), 2u);
}

TEST_F(CliScanTest, ABaselineAcceptsKnownFindingsAndANewOneStillFails) {
  const std::string file = Write("svc.yaml", "token: " + Tok("glpat-", kAlnum, 20, 6) + "\n");
  const std::string baseline = (dir_ / "baseline.json").string();
  CliResult r = RunBulwark({"scan", file, "--write-baseline", baseline});
  EXPECT_EQ(r.exit_code, 1);
  r = RunBulwark({"scan", file, "--baseline", baseline});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("[baselined]"), std::string::npos) << r.out;
  Write("svc.yaml", "token: " + Tok("glpat-", kAlnum, 20, 6) + "\nother: " +
                        Tok("npm_", kAlnum, 36, 7) + "\n");
  r = RunBulwark({"scan", file, "--baseline", baseline});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  Write("bad.json", "{\"version\": 1, \"fingerprints\": [\"nothex\"]}");
  r = RunBulwark({"scan", file, "--baseline", (dir_ / "bad.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fingerprints[0]"), std::string::npos) << r.err;
}

TEST_F(CliScanTest, TeamRulesInBulwarkAndGitleaksFormatsAreLoaded) {
  const std::string file = Write("x.conf", "acme = acme_q8w7e6r5t4y3u2i1\n");
  Write("rules.yaml",
        "version: 1\nrules:\n  - {id: acme, description: Acme key, regex: '\\b(acme_[a-z0-9]{16})\\b'}\n");
  Write("gitleaks.toml", "[[rules]]\nid = \"acme-gl\"\nregex = '''acme_[a-z0-9]{16}'''\n");
  CliResult r = RunBulwark({"scan", file, "--no-builtin-rules", "--rules",
                            (dir_ / "rules.yaml").string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("\"rule\": \"acme\""), std::string::npos) << r.out;
  r = RunBulwark({"scan", file, "--rules", (dir_ / "gitleaks.toml").string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("\"rule\": \"acme-gl\""), std::string::npos) << r.out;
  Write("broken.yaml", "version: 1\nrules:\n  - {id: b, description: x, regex: '(a'}\n");
  r = RunBulwark({"scan", file, "--rules", (dir_ / "broken.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken.yaml"), std::string::npos) << r.err;
}

TEST_F(CliScanTest, BadUsageAndMissingTargetsAreExit2) {
  EXPECT_EQ(RunBulwark({"scan"}).exit_code, 2);
  CliResult r = RunBulwark({"scan", (dir_ / "missing").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing"), std::string::npos);
  EXPECT_EQ(RunBulwark({"scan", dir_.string(), "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(RunBulwark({"scan", dir_.string(), "--fail-on", "urgent"}).exit_code, 2);
}

TEST_F(CliScanTest, TheEnvironmentIsScannedByVariableName) {
  const std::string tok = Tok("xoxb-1234567890-1234567890123-", kAlnum, 24, 8);
  CliResult r = RunBulwarkBinary("scan --env-vars --format json", "SLACK_BOT=" + tok);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("\"target\": \"env:SLACK_BOT\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(tok), std::string::npos);
}

TEST_F(CliScanTest, BinaryFilesAreSkipped) {
  std::string bin("\x7f" "ELF\0\0\0", 7);
  bin += "token: " + Tok("ghp_", kAlnum, 36, 9) + "\n";
  Write("t/prog", bin);
  CliResult r = RunBulwark({"scan", (dir_ / "t").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("1 binary files skipped"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace bulwark::testing

namespace bulwark::testing {
namespace {

TEST_F(CliScanTest, InsecureSettingsAreFoundInAnyShapeWithTheirPath) {
  const std::string file = Write("svc.yaml",
                                 "server:\n  listen: 8443\n  tls:\n    enabled: false\n"
                                 "    min_version: TLSv1.0\n  cors:\n    allowed_origins: ['*']\n"
                                 "auth:\n  jwt:\n    algorithm: none\nclient:\n  insecure_skip_verify: true\n"
                                 "db:\n  password: postgres\n"
                                 "public_url: http://api.example.com\n");
  CliResult r = RunBulwark({"scan", file, "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  for (const char* rule : {"SECSET_TLS_DISABLED", "SECSET_TLS_OLD_VERSION", "SECSET_CORS_WILDCARD",
                           "SECSET_JWT_ALG_NONE", "SECSET_CERT_VERIFY_OFF",
                           "SECSET_DEFAULT_CREDENTIALS"}) {
    EXPECT_NE(r.out.find(std::string("\"rule\": \"") + rule + "\""), std::string::npos) << rule << r.out;
  }
  EXPECT_NE(r.out.find("\"path\": \"server.tls.enabled\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("SECSET_PLAIN_HTTP_IN_PRODUCTION"), std::string::npos);
  r = RunBulwark({"scan", file, "--env", "production", "--format", "json"});
  EXPECT_NE(r.out.find("SECSET_PLAIN_HTTP_IN_PRODUCTION"), std::string::npos) << r.out;
  r = RunBulwark({"scan", file, "--no-settings"});
  EXPECT_EQ(r.out.find("SECSET_"), std::string::npos) << r.out;
}

TEST_F(CliScanTest, ASecureDocumentHasNoSettingsFindings) {
  const std::string file = Write("ok.yaml",
                                 "server:\n  tls:\n    enabled: true\n    min_version: TLSv1.2\n"
                                 "  cors:\n    allowed_origins: ['https://app.example.com']\n"
                                 "auth:\n  jwt:\n    algorithm: ES256\n"
                                 "db:\n  password: ${DB_PASSWORD}\n  sslmode: verify-full\n");
  CliResult r = RunBulwark({"scan", file, "--env", "production"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

}  // namespace
}  // namespace bulwark::testing

namespace bulwark::testing {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_F(CliScanTest, FixEncryptsTheFoundSecretsInPlaceAndLeavesEveryOtherByte) {
  const std::string env = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=correct-horse";
  ASSERT_EQ(RunBulwarkBinary("init", env).exit_code, 0);
  const std::string tok = Tok("ghp_", kAlnum, 36, 11);
  const std::string original =
      "# deploy settings\nservice:\n  name: api   # keep this comment\n  github_token: " + tok +
      "\n  db:\n    password: \"" + Tok("", kAlnum, 14, 12) + "!\"\n  port: 8080\n";
  const std::string file = Write("deploy.yaml", original);
  CliResult dry = RunBulwarkBinary("scan " + file + " --fix --dry-run --no-settings", env);
  EXPECT_EQ(dry.exit_code, 1) << dry.err;
  EXPECT_NE(dry.err.find("would encrypt service.github_token (line 4)"), std::string::npos) << dry.err;
  EXPECT_EQ(Slurp(file), original);  // a dry run writes nothing
  EXPECT_EQ(dry.err.find(tok), std::string::npos);

  CliResult fixed = RunBulwarkBinary("scan " + file + " --fix --no-settings", env);
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_NE(fixed.err.find("encrypted 2 value(s) in 1 file(s)"), std::string::npos) << fixed.err;
  const std::string now = Slurp(file);
  EXPECT_EQ(now.find(tok), std::string::npos);
  EXPECT_NE(now.find("name: api   # keep this comment\n"), std::string::npos) << now;
  // Decrypting gives back the original bytes exactly.
  CliResult dec = RunBulwarkBinary("decrypt " + file, env);
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  EXPECT_EQ(dec.out, original);
}

}  // namespace
}  // namespace bulwark::testing
