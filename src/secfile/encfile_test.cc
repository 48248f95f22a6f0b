#include "bulwark/secfile/encfile.h"

#include <gtest/gtest.h>

#include <string>

#include "bulwark/crypto/policy.h"
#include "bulwark/secfile/token.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::secfile {
namespace {

class EncFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = keys::Keyring::Create(fake_.runtime(), crypto::AlgorithmPolicy::Standard());
    ASSERT_TRUE(k.has_value()) << k.error().ToString();
    keyring_ = std::move(*k);
  }

  Result<EncryptedFile> Encrypt(std::string_view text, FileFormat format,
                                EncryptOptions options = {}) {
    return EncryptFile(text, format, *keyring_, fake_.runtime(), options);
  }

  Result<DecryptedFile> Decrypt(std::string_view text, FileFormat format) {
    return DecryptFile(text, format, *keyring_);
  }

  // The token text of the value at `path` in an encrypted file.
  Result<std::string> TokenAt(const std::string& text, FileFormat format, std::string_view path) {
    BULWARK_ASSIGN_OR_RETURN(auto spans, ScanValues(text, format));
    for (const ValueSpan& s : spans) {
      if (s.path.ToString() == path) return s.text;
    }
    return NotFoundError("no value at " + std::string(path));
  }

  testing::FakeRuntime fake_;
  std::unique_ptr<keys::Keyring> keyring_;
};

constexpr std::string_view kYaml =
    "# service configuration\n"
    "defaults: &defaults\n"
    "  timeout: 30   # seconds\n"
    "database:\n"
    "  <<: *defaults\n"
    "  host: db.example.com\n"
    "  password: &pw 's3cr''et'  # rotated monthly\n"
    "  backup_password: *pw\n"
    "  name: \xC3\xA9t\xC3\xA9 \xF0\x9F\x94\x91\n"
    "tls:\n"
    "  private_key: |\n"
    "    -----BEGIN KEY-----\n"
    "    MIIEvQIBADANBg\n"
    "    -----END KEY-----\n"
    "\n"
    "servers: [alpha, {name: gamma, token: g4mm4}]\n"
    "api_key: >-\n"
    "  folded\n"
    "  key\n"
    "port: 5432";  // no final line break

TEST_F(EncFileTest, YamlRoundTripRestoresBytesAndChangesOnlySecrets) {
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt(kYaml, FileFormat::kYaml));
  EXPECT_EQ(enc.encrypted.size(), 4u);
  EXPECT_EQ(enc.text.find("s3cr"), std::string::npos);
  EXPECT_EQ(enc.text.find("MIIEvQ"), std::string::npos);
  EXPECT_EQ(enc.text.find("g4mm4"), std::string::npos);
  EXPECT_EQ(enc.text.find("folded"), std::string::npos);
  // Everything else is byte-identical: comments, anchors, aliases, flow style, unicode.
  EXPECT_TRUE(
      enc.text.starts_with("# service configuration\ndefaults: &defaults\n"
                           "  timeout: 30   # seconds\n"));
  EXPECT_NE(enc.text.find("  password: &pw ENC[AES256_GCM,v:1,kid:"), std::string::npos);
  EXPECT_NE(enc.text.find("  # rotated monthly\n  backup_password: *pw\n"), std::string::npos);
  EXPECT_NE(enc.text.find("servers: [alpha, {name: gamma, token: \"ENC["), std::string::npos);
  EXPECT_NE(enc.text.find("\nport: 5432\nbulwark:\n  version: 1\n"), std::string::npos);
  auto dec = Decrypt(enc.text, FileFormat::kYaml);
  ASSERT_TRUE(dec.has_value()) << dec.error().ToString();
  EXPECT_EQ(dec->text, kYaml);
  EXPECT_EQ(dec->encrypted, enc.encrypted);
}

TEST_F(EncFileTest, JsonTomlDotenvIniRoundTrip) {
  const std::vector<std::pair<FileFormat, std::string>> docs = {
      {FileFormat::kJson,
       "{\r\n  \"db\": {\"password\": \"p\\u00e4ss\", \"port\": 5432},\r\n  \"api_token\": "
       "12345,\r\n"
       "  \"list\": []\r\n}\r\n"},
      {FileFormat::kJson, "{}"},
      {FileFormat::kJson, "{\"secret\": \"x\"}"},
      {FileFormat::kToml,
       "# app\ntitle = \"demo\"\n[db]\npassword = '''\nmulti\nline'''\nport = 5432\n"
       "creds = { user = \"u\", token = \"t\" }\n[[hooks]]\nsecret = \"h\"\n"},
      {FileFormat::kDotenv,
       "# env\r\nexport API_KEY=abc123 # key\r\nDB_PASSWORD=\"p "
       "a\\\"ss\"\r\nHOST=h\r\nSECRET_TOKEN="},
      {FileFormat::kIni, "; top\n[database]\npassword = hunter2 ; inline\nhost: h\n"},
  };
  for (const auto& [format, text] : docs) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt(text, format));
    EXPECT_EQ(enc.encrypted.empty(), text == "{}");
    auto dec = Decrypt(enc.text, format);
    ASSERT_TRUE(dec.has_value()) << dec.error().ToString() << "\n" << enc.text;
    EXPECT_EQ(dec->text, text);
    // The encrypted file is still valid in its format (the scanner runs the format's parser).
    EXPECT_TRUE(ScanValues(enc.text, format).has_value()) << enc.text;
  }
}

TEST_F(EncFileTest, ExplicitPathsSelectTheValues) {
  EncryptOptions options;
  options.paths = std::vector<config::Path>{*config::Path::Parse("database.host")};
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt(kYaml, FileFormat::kYaml, options));
  ASSERT_EQ(enc.encrypted.size(), 1u);
  EXPECT_EQ(enc.text.find("db.example.com"), std::string::npos);
  EXPECT_NE(enc.text.find("s3cr''et"), std::string::npos);
}

TEST_F(EncFileTest, TokenMovedToAnotherPathFailsWithDataLoss) {
  const std::string text = "a:\n  password: one\n  secret: two\n";
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt(text, FileFormat::kYaml));
  ASSERT_OK_AND_ASSIGN(const std::string t1, TokenAt(enc.text, FileFormat::kYaml, "a.password"));
  ASSERT_OK_AND_ASSIGN(const std::string t2, TokenAt(enc.text, FileFormat::kYaml, "a.secret"));
  std::string swapped = enc.text;
  swapped.replace(swapped.find(t1), t1.size(), t2);
  swapped.replace(swapped.rfind(t2), t2.size(), t1);
  auto r = Decrypt(swapped, FileFormat::kYaml);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(r.error().message().find("a.password"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("does not authenticate"), std::string::npos);
  EXPECT_EQ(r.error().message().find("one"), std::string::npos);
}

TEST_F(EncFileTest, TokenCopiedToAnotherFileFailsWithDataLoss) {
  ASSERT_OK_AND_ASSIGN(const EncryptedFile a, Encrypt("password: one\n", FileFormat::kYaml));
  ASSERT_OK_AND_ASSIGN(const EncryptedFile b, Encrypt("password: two\n", FileFormat::kYaml));
  ASSERT_OK_AND_ASSIGN(const std::string ta, TokenAt(a.text, FileFormat::kYaml, "password"));
  ASSERT_OK_AND_ASSIGN(const std::string tb, TokenAt(b.text, FileFormat::kYaml, "password"));
  std::string forged = b.text;
  forged.replace(forged.find(tb), tb.size(), ta);
  auto r = Decrypt(forged, FileFormat::kYaml);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
}

TEST_F(EncFileTest, MacDetectsRemovedAddedReorderedAndChangedValues) {
  const std::string text = "password: one\nhost: h\nport: 1\n";
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt(text, FileFormat::kYaml));
  ASSERT_OK_AND_ASSIGN(const std::string tok, TokenAt(enc.text, FileFormat::kYaml, "password"));
  const std::string pw_line = "password: " + tok + "\n";
  ASSERT_TRUE(enc.text.starts_with(pw_line));
  std::vector<std::string> forgeries;
  forgeries.push_back(enc.text.substr(pw_line.size()));                              // removed
  forgeries.push_back("extra: 1\n" + enc.text);                                      // added
  forgeries.push_back("host: h\n" + pw_line + enc.text.substr(pw_line.size() + 8));  // reordered
  std::string changed = enc.text;
  changed.replace(changed.find("port: 1"), 7, "port: 2");
  forgeries.push_back(changed);  // a clear value changed
  for (const std::string& f : forgeries) {
    auto r = Decrypt(f, FileFormat::kYaml);
    ASSERT_FALSE(r.has_value()) << f;
    EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss) << r.error().ToString();
    EXPECT_NE(r.error().message().find("MAC mismatch"), std::string::npos) << r.error().message();
  }
}

TEST_F(EncFileTest, AlteredOrMissingMetadataFailsWithDataLoss) {
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt("password: one\n", FileFormat::kYaml));
  std::string altered = enc.text;
  const std::size_t at = altered.find("created: \"") + 10;
  altered[at + 3] = altered[at + 3] == '6' ? '7' : '6';  // change the year
  auto r = Decrypt(altered, FileFormat::kYaml);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
  auto missing = Decrypt(enc.text.substr(0, enc.text.find("bulwark:")), FileFormat::kYaml);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(missing.error().message().find("not found"), std::string::npos);
}

TEST_F(EncFileTest, WrongKeyringAndTruncatedTokenGiveDistinctErrors) {
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt("password: one\n", FileFormat::kYaml));
  auto other = keys::Keyring::Create(fake_.runtime(), crypto::AlgorithmPolicy::Standard());
  ASSERT_TRUE(other.has_value());
  auto wrong = DecryptFile(enc.text, FileFormat::kYaml, **other);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(wrong.error().message().find("not in the keyring"), std::string::npos);

  ASSERT_OK_AND_ASSIGN(const std::string tok, TokenAt(enc.text, FileFormat::kYaml, "password"));
  std::string truncated = enc.text;
  truncated.replace(truncated.find(tok), tok.size(), tok.substr(0, tok.find(",tag:")) + "]");
  auto r = Decrypt(truncated, FileFormat::kYaml);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(r.error().message().find("malformed ENC token"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("truncated"), std::string::npos) << r.error().message();
}

TEST_F(EncFileTest, ReencryptMovesValuesToThePrimaryKey) {
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt(kYaml, FileFormat::kYaml));
  const keys::KeyId old_key = keyring_->primary_id();
  auto new_key = keyring_->Rotate();
  ASSERT_TRUE(new_key.has_value());
  ASSERT_TRUE(keyring_->MarkCompromised(old_key).has_value());
  // The compromised key no longer decrypts normally...
  auto blocked = Decrypt(enc.text, FileFormat::kYaml);
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code(), ErrorCode::kFailedPrecondition);
  // ...but its values can be moved.
  auto re = ReencryptFile(enc.text, FileFormat::kYaml, *keyring_, fake_.runtime());
  ASSERT_TRUE(re.has_value()) << re.error().ToString();
  EXPECT_EQ(re->previous_keys.at(old_key), 4u);
  EXPECT_EQ(re->file.metadata.key_ids, std::vector<keys::KeyId>{*new_key});
  EXPECT_EQ(re->file.metadata.id, enc.metadata.id);
  auto dec = Decrypt(re->file.text, FileFormat::kYaml);
  ASSERT_TRUE(dec.has_value()) << dec.error().ToString();
  EXPECT_EQ(dec->text, kYaml);
}

TEST_F(EncFileTest, ListTokensNamesEveryValueKeyWithoutDecrypting) {
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt(kYaml, FileFormat::kYaml));
  const keys::KeyId first = keyring_->primary_id();
  ASSERT_TRUE(keyring_->Rotate().has_value());
  // Destroying the key does not stop ListTokens: it never decrypts.
  ASSERT_TRUE(keyring_->Destroy(first).has_value());
  auto tokens = ListTokens(enc.text, FileFormat::kYaml, "a.yaml");
  ASSERT_TRUE(tokens.has_value()) << tokens.error().ToString();
  ASSERT_EQ(tokens->values.size(), enc.encrypted.size());
  for (std::size_t i = 0; i < enc.encrypted.size(); ++i) {
    EXPECT_EQ(tokens->values[i].path, enc.encrypted[i]);
    EXPECT_EQ(tokens->values[i].key_id, first);
  }
  EXPECT_EQ(tokens->mac_key_id, first);
  EXPECT_EQ(tokens->ValuesPerKey().at(first), enc.encrypted.size());
  EXPECT_EQ(tokens->metadata.id, enc.metadata.id);

  auto plain = ListTokens(kYaml, FileFormat::kYaml, "plain.yaml");
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().code(), ErrorCode::kDataLoss);
  std::string broken = enc.text;
  broken.replace(broken.find("kid:") + 4, 8, "zzzzzzzz");
  auto bad = ListTokens(broken, FileFormat::kYaml, "broken.yaml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("broken.yaml:"), std::string::npos);
}

TEST_F(EncFileTest, RefusesAlreadyEncryptedFilesAndTokenLookalikes) {
  ASSERT_OK_AND_ASSIGN(const EncryptedFile enc, Encrypt("password: one\n", FileFormat::kYaml));
  auto again = EncryptFile(enc.text, FileFormat::kYaml, *keyring_, fake_.runtime());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kInvalidArgument);
  auto fake = EncryptFile("note: ENC[hello]\n", FileFormat::kYaml, *keyring_, fake_.runtime());
  ASSERT_FALSE(fake.has_value());
  EXPECT_EQ(fake.error().code(), ErrorCode::kInvalidArgument);
  auto list = EncryptFile("[1, 2]", FileFormat::kJson, *keyring_, fake_.runtime());
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().code(), ErrorCode::kInvalidArgument);
  // A YAML root that is not a map cannot carry metadata: refused, never written half-valid.
  EXPECT_FALSE(EncryptFile("- a\n", FileFormat::kYaml, *keyring_, fake_.runtime()).has_value());
  EXPECT_FALSE(EncryptFile("-\n", FileFormat::kYaml, *keyring_, fake_.runtime()).has_value());
}

TEST_F(EncFileTest, SensitivePathsUsesTheNameHeuristicByDefault) {
  auto paths = SensitivePaths(kYaml, FileFormat::kYaml, nullptr);
  ASSERT_TRUE(paths.has_value());
  std::vector<std::string> names;
  for (const auto& p : *paths) names.push_back(p.ToString());
  EXPECT_EQ(names, (std::vector<std::string>{"database.password", "tls.private_key",
                                             "servers[1].token", "api_key"}));
}

}  // namespace
}  // namespace bulwark::secfile
