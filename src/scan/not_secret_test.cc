#include "scan/not_secret.h"

#include <gtest/gtest.h>

namespace bulwark::scan::internal {
namespace {

TEST(NotSecretTest, ReferencesTemplatesAndPlaceholdersAreNotSecrets) {
  for (const char* v :
       {"${DB_PASSWORD}", "$DB_PASSWORD", "$(cat /run/secret)", "{{ .Values.password }}",
        "{% raw %}", "<your-password>", "[PASSWORD]", "changeme", "CHANGE_ME", "REDACTED",
        "****", "xxxxxxxx", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "vault:secret/data/app#password", "ref+vault://secret/app", "op://vault/item/field",
        "arn:aws:secretsmanager:us-east-1:1:secret:x", "@Microsoft.KeyVault(SecretUri=x)",
        "ENC[AES256_GCM,data:abc,iv:def]", "ENC[v1,k1,abcdef]", "password", "null", "true",
        "your_api_key_here", "%(password)s", "#{password}", "__PASSWORD__"}) {
    EXPECT_TRUE(IsPlaceholderOrReference(v)) << v;
  }
}

TEST(NotSecretTest, RandomLookingValuesAreNotPlaceholders) {
  for (const char* v : {"hunter2!x", "s3cr3t-P4ssw0rd", "Zx8f!2kLq9", "a7F3kL9pQ2"}) {
    EXPECT_FALSE(IsPlaceholderOrReference(v)) << v;
  }
}

TEST(NotSecretTest, IdentifiersPathsAndPlainUrlsAreUnlikelyGenericSecrets) {
  for (const char* v : {"DB_PASSWORD", "/run/secrets/db", "./secret.txt", "db-password.pem",
                        "https://auth.example.org/token", "12345", "1.2.3", "my-app-secret",
                        "com.acme.Secret", "os.getenv(\"X\")"}) {
    EXPECT_TRUE(IsUnlikelyGenericSecret(v)) << v;
  }
  for (const char* v : {"hunter2!x", "Zx8f2kLq9pT4", "s3cr3t-P4ssw0rd"}) {
    EXPECT_FALSE(IsUnlikelyGenericSecret(v)) << v;
  }
}

TEST(NotSecretTest, KeyWordsSplitSeparatorsAndCamelCase) {
  EXPECT_EQ(KeyWords("dbPassword"), (std::vector<std::string>{"db", "password"}));
  EXPECT_EQ(KeyWords("AWS_SECRET_ACCESS_KEY"),
            (std::vector<std::string>{"aws", "secret", "access", "key"}));
  EXPECT_EQ(KeyWords("\"client.secret-id\""), (std::vector<std::string>{"client", "secret", "id"}));
  EXPECT_EQ(KeyWords("HTTPServerToken"), (std::vector<std::string>{"http", "server", "token"}));
}

TEST(NotSecretTest, KeyPhrasesMatchWholeWordsOnly) {
  EXPECT_TRUE(KeyHasPhrase(KeyWords("api_key"), "api key"));
  EXPECT_TRUE(KeyHasPhrase(KeyWords("api_key"), "apikey"));
  EXPECT_TRUE(KeyHasPhrase(KeyWords("apiKey"), "api key"));
  EXPECT_FALSE(KeyHasPhrase(KeyWords("bypass"), "pass"));
  EXPECT_FALSE(KeyHasPhrase(KeyWords("tokenizer"), "token"));
  EXPECT_TRUE(KeyHasPhrase(KeyWords("GITHUB_TOKEN"), "token"));
  EXPECT_TRUE(KeyHasPhrase(KeyWords("PGPASSWORD"), "*password"));
  EXPECT_FALSE(KeyHasPhrase(KeyWords("password_policy"), "*passwords"));
}

}  // namespace
}  // namespace bulwark::scan::internal
