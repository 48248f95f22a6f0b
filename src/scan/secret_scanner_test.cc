#include "bulwark/scan/secret_scanner.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "scan/scan_test_util.h"

namespace bulwark::scan {
namespace {

using testutil::kAlnum;
using testutil::kHexLower;
using testutil::kUpperBase32;
using testutil::Tok;

const SecretScanner& Builtin() {
  static const std::unique_ptr<SecretScanner> scanner = [] {
    auto rules = RuleSet::Builtin();
    if (!rules) return std::unique_ptr<SecretScanner>();
    auto s = SecretScanner::Create(*rules);
    return s ? std::move(*s) : std::unique_ptr<SecretScanner>();
  }();
  return *scanner;
}

std::vector<std::string> Rules(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const Finding& f : fs) out.push_back(f.rule);
  return out;
}

TEST(SecretScannerTest, EveryBuiltinRuleCompilesIntoTheHyperscanDatabase) {
  auto rules = RuleSet::Builtin();
  ASSERT_TRUE(rules.has_value()) << rules.error();
  auto s = SecretScanner::Create(*rules);
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_TRUE((*s)->slow_rules().empty());
  EXPECT_TRUE((*s)->keyword_rules().empty());
}

struct Sample {
  std::string rule;
  std::string line;  // a config line holding the secret
};

std::vector<Sample> Samples() {
  const std::string aws_id = Tok("AKIA", kUpperBase32, 16, 2);
  return {
      {"aws-access-key-id", "aws_access_key_id: " + aws_id},
      {"aws-secret-access-key", "aws_secret_access_key = " + Tok("", kAlnum, 40, 3)},
      {"github-pat", "token: " + Tok("ghp_", kAlnum, 36, 4)},
      {"github-fine-grained-pat",
       "GH=" + Tok("github_pat_", kAlnum, 22, 5) + "_" + Tok("", kAlnum, 59, 6)},
      {"gitlab-pat", "GITLAB_TOKEN=" + Tok("glpat-", kAlnum, 20, 7)},
      {"slack-bot-token", "slack: xoxb-1234567890-1234567890123-" + Tok("", kAlnum, 24, 8)},
      {"slack-webhook-url",
       "url: https://hooks.slack.com/services/T0000/B0000/" + Tok("", kAlnum, 24, 9)},
      {"stripe-secret-key", "\"stripe\": \"" + Tok("sk_live_", kAlnum, 24, 10) + "\""},
      {"sendgrid-api-key",
       "SENDGRID=" + Tok("SG.", kAlnum, 22, 11) + "." + Tok("", kAlnum, 43, 12)},
      {"npm-access-token", "//registry.npmjs.org/:_authToken=" + Tok("npm_", kAlnum, 36, 13)},
      {"pypi-upload-token", "password = " + Tok("pypi-AgEIcHlwaS5vcmc", kAlnum, 60, 14)},
      {"gcp-api-key", "key: " + Tok("AIza", kAlnum, 35, 15)},
      {"twilio-api-key", "twilio_key: " + Tok("SK", kHexLower, 32, 16)},
      {"docker-hub-pat", "DOCKER_TOKEN=" + Tok("dckr_pat_", kAlnum, 27, 17)},
      {"openai-api-key",
       "OPENAI_API_KEY=" + Tok("sk-proj-", kAlnum, 40, 18) + "T3BlbkFJ" + Tok("", kAlnum, 40, 19)},
      {"jwt", "id_token: eyJhbGciOiJIUzI1NiJ9." + Tok("eyJ", kAlnum, 40, 20) + "." +
                  Tok("", kAlnum, 43, 21)},
      {"url-with-password", "dsn: postgres://app:" + Tok("", kAlnum, 14, 22) + "@db.internal:5432/app"},
      {"generic-password", "  password: \"" + Tok("", kAlnum, 12, 23) + "!\""},
      {"generic-secret", "CLIENT_SECRET=" + Tok("", kAlnum, 32, 24)},
      {"azure-storage-account-key",
       "conn: DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" +
           Tok("", kAlnum, 86, 25) + "==;EndpointSuffix=core.windows.net"},
      {"age-secret-key", Tok("AGE-SECRET-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, 26)},
      {"shopify-access-token", "shop: " + Tok("shpat_", kHexLower, 32, 27)},
      {"digitalocean-pat", "do: " + Tok("dop_v1_", kHexLower, 64, 28)},
      {"hashicorp-vault", ""},
  };
}

TEST(SecretScannerTest, FindsEachTokenFormatOnceWithItsPosition) {
  for (const Sample& s : Samples()) {
    if (s.line.empty()) continue;
    const std::string text = "# config\nname: app\n" + s.line + "\nport: 8080\n";
    auto fs = Builtin().ScanBytes(text, "app.yaml");
    ASSERT_EQ(fs.size(), 1u) << s.rule << ": " << ::testing::PrintToString(Rules(fs));
    EXPECT_EQ(fs[0].rule, s.rule);
    EXPECT_EQ(fs[0].line, 3u) << s.rule;
    EXPECT_GT(fs[0].column, 0u);
    EXPECT_EQ(fs[0].target, "app.yaml");
    EXPECT_EQ(fs[0].fingerprint.size(), 32u);
    // The secret never appears in the finding.
    const std::string secret = text.substr(fs[0].offset, fs[0].length);
    EXPECT_NE(s.line.find(secret), std::string::npos) << s.rule;
    EXPECT_EQ(fs[0].redacted.find(secret), std::string::npos) << s.rule;
    EXPECT_EQ(fs[0].key.find(secret), std::string::npos) << s.rule;
  }
}

TEST(SecretScannerTest, PrivateKeysSpanSeveralLines) {
  std::string body;
  for (int i = 0; i < 10; ++i) body += Tok("", kAlnum, 64, 100 + i) + "\n";
  const std::string text = "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n" + body +
                           "-----END RSA PRIVATE KEY-----\n";
  auto fs = Builtin().ScanBytes(text, "k.yaml");
  ASSERT_EQ(fs.size(), 1u) << ::testing::PrintToString(Rules(fs));
  EXPECT_EQ(fs[0].rule, "private-key-rsa");
  EXPECT_EQ(fs[0].line, 2u);
  EXPECT_EQ(fs[0].end_line, 13u);
}

TEST(SecretScannerTest, PlaceholdersReferencesExamplesAndEncTokensAreNotFindings) {
  const std::string text = R"(
aws_access_key_id: AKIAIOSFODNN7EXAMPLE
aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
password: ${DB_PASSWORD}
db_password: "<your-password>"
api_key: "{{ .Values.apiKey }}"
token: REDACTED
secret: "****"
client_secret: changeme
password: vault:secret/data/app#password
password: ENC[AES256_GCM,data:Tr7o=,iv:1=,tag:2=,type:str]
api_token: ENC[v1,k1,AAAAbbbbCCCCddddEEEEffff]
password_file: /run/secrets/db_password
token_url: https://auth.internal/oauth/token
secret_name: my-app-secret
github_token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
commit: 3f786850e387550fdab836ed7e6dc881de23001b
uuid: 123e4567-e89b-12d3-a456-426614174000
password: DB_PASSWORD
max_tokens: 4096
passthrough: enabled
)";
  auto fs = Builtin().ScanBytes(text, "clean.yaml");
  EXPECT_TRUE(fs.empty()) << ::testing::PrintToString(Rules(fs));
}

TEST(SecretScannerTest, InlineIgnoresSuppressALine) {
  const std::string tok = Tok("ghp_", kAlnum, 36, 40);
  auto fs = Builtin().ScanBytes("a: " + tok + "  # bulwark:allow\nb: " + tok + " # gitleaks:allow\n",
                                "x.yaml");
  EXPECT_TRUE(fs.empty());
  EXPECT_EQ(Builtin().ScanBytes("a: " + tok + "\n", "x.yaml").size(), 1u);
}

TEST(SecretScannerTest, Base64HexAndPercentEncodedSecretsAreDecoded) {
  const std::string tok = Tok("ghp_", kAlnum, 36, 41);
  // base64 of "token=<tok>" computed by hand via the encoder.
  auto b64 = [](std::string_view in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
      out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
      const unsigned v = (unsigned char)in[i] << 16;
      out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
      const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
      out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
  };
  std::string hex;
  for (unsigned char c : tok) {
    static const char* h = "0123456789abcdef";
    hex += {h[c >> 4], h[c & 15]};
  }
  const std::string text = "data:\n  creds: " + b64("token=" + tok) + "\n  api_token: " + hex +
                           "\n";
  auto fs = Builtin().ScanBytes(text, "secret.yaml");
  ASSERT_EQ(fs.size(), 2u) << ::testing::PrintToString(Rules(fs));
  EXPECT_EQ(fs[0].rule, "github-pat");
  EXPECT_EQ(fs[0].decoded, "base64");
  EXPECT_EQ(fs[0].line, 2u);
  EXPECT_EQ(fs[1].decoded, "hex");
  EXPECT_EQ(fs[1].line, 3u);
}

TEST(SecretScannerTest, ASecretAcrossAChunkBoundaryIsFoundOnceAtTheRightLine) {
  auto rules = RuleSet::Builtin();
  ASSERT_TRUE(rules.has_value());
  SecretScanOptions opts;
  opts.chunk_size = 16384;
  opts.overlap = 2048;
  auto s = SecretScanner::Create(*rules, opts);
  ASSERT_TRUE(s.has_value()) << s.error();
  std::string text;
  std::vector<std::size_t> lines;
  std::size_t line = 1;
  for (int i = 0; i < 400; ++i) {
    if (i % 37 == 5) {
      text += "token_" + std::to_string(i) + ": " + Tok("ghp_", kAlnum, 36, 200 + i) + "\n";
      lines.push_back(line);
    } else {
      text += "key_" + std::to_string(i) + ": value number " + std::to_string(i) +
              " with some padding text to fill the line up\n";
    }
    ++line;
  }
  auto small = (*s)->ScanBytes(text, "big.yaml");
  auto big = Builtin().ScanBytes(text, "big.yaml");
  ASSERT_EQ(small.size(), lines.size());
  ASSERT_EQ(big.size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(small[i].line, lines[i]);
    EXPECT_EQ(small[i].offset, big[i].offset);
    EXPECT_EQ(small[i].column, big[i].column);
    EXPECT_EQ(small[i].fingerprint, big[i].fingerprint);
  }
}

TEST(SecretScannerTest, AVeryLongLineIsScannedInBoundedChunks) {
  auto rules = RuleSet::Builtin();
  ASSERT_TRUE(rules.has_value());
  SecretScanOptions opts;
  opts.chunk_size = 1 << 16;
  opts.overlap = 4096;
  auto s = SecretScanner::Create(*rules, opts);
  ASSERT_TRUE(s.has_value());
  std::string text(3'000'000, 'a');
  const std::string tok = Tok("ghp_", kAlnum, 36, 300);
  text.replace(2'000'000, 2, ", ");
  text.replace(2'000'002, tok.size(), tok);
  text[2'000'002 + tok.size()] = ' ';
  auto fs = (*s)->ScanBytes(text, "long.txt");
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].offset, 2'000'002u);
  EXPECT_EQ(fs[0].line, 1u);
  EXPECT_EQ(fs[0].column, 2'000'003u);
}

TEST(SecretScannerTest, AllowlistsFromRuleFilesApply) {
  auto extra = RuleSet::Parse(R"(version: 1
rules:
  - id: acme-key
    description: Acme key
    regex: '\b(acme_[a-z0-9]{16})\b'
    allowlist: {stopwords: [zzzz]}
allowlist:
  paths: ['(^|/)fixtures/']
)",
                              "acme.yaml");
  ASSERT_TRUE(extra.has_value()) << extra.error();
  auto s = SecretScanner::Create(*extra);
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ((*s)->ScanBytes("k: acme_a1b2c3d4e5f6g7h8\n", "app.yaml").size(), 1u);
  EXPECT_TRUE((*s)->ScanBytes("k: acme_a1b2c3d4e5f6g7h8\n", "test/fixtures/app.yaml").empty());
  EXPECT_TRUE((*s)->ScanBytes("k: acme_a1b2zzzze5f6g7h8\n", "app.yaml").empty());
}

TEST(SecretScannerTest, RulesHyperscanCannotTakeFallBackToKeywordsOrRe2) {
  // (?U) (ungreedy by default) is RE2-only; Hyperscan rejects it even as a prefilter.
  auto rules = RuleSet::Parse(R"(version: 1
rules:
  - {id: kw, description: k, regex: '(?U)acme-([0-9]{8})\b', keywords: [acme]}
  - {id: slow, description: s, regex: '(?U)zeta:([0-9]{8})\b'}
)",
                              "r.yaml");
  ASSERT_TRUE(rules.has_value()) << rules.error();
  auto s = SecretScanner::Create(*rules);
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ((*s)->keyword_rules(), std::vector<std::string>{"kw"});
  EXPECT_EQ((*s)->slow_rules(), std::vector<std::string>{"slow"});
  auto fs = (*s)->ScanBytes("x: ACME-48213957\ny: zeta:91827364\n", "r.txt");
  EXPECT_EQ(Rules(fs), (std::vector<std::string>{"slow"}));  // keywords are case-insensitive, the regex is not
  fs = (*s)->ScanBytes("x: acme-48213957\n", "r.txt");
  EXPECT_EQ(Rules(fs), (std::vector<std::string>{"kw"}));
}

TEST(SecretScannerTest, ScanningRandomBytesNeverCrashesAndFindingsStayInBounds) {
  std::string text;
  std::uint64_t x = 7;
  for (int i = 0; i < 200000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    text.push_back(static_cast<char>(x >> 56));
  }
  auto fs = Builtin().ScanBytes(text, "random.bin");
  for (const Finding& f : fs) EXPECT_LE(f.offset + f.length, text.size());
}

}  // namespace
}  // namespace bulwark::scan
