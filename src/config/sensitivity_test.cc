#include "bulwark/config/sensitivity.h"

#include <gtest/gtest.h>

namespace bulwark::config {
namespace {

TEST(SensitivityTest, NameHeuristicFlagsSecretsButNotTheirMetadata) {
  for (const char* k : {"password", "db_password", "dbPassword", "DATABASE_PASSWORD", "jwt_secret_key",
                        "api_key", "apiKey", "api-key", "private_key", "client_secret", "token",
                        "auth_token", "credentials", "passphrase", "access_key", "connection_string",
                        "secretKey", "signing_key"}) {
    EXPECT_TRUE(IsSensitiveKeyName(k)) << k;
  }
  for (const char* k : {"port", "host", "password_min_length", "token_ttl", "max_tokens",
                        "jwt_expiration_minutes", "jwt_algorithm", "secret_rotation", "key",
                        "password_file", "api_key_header", "primary_key_id", "keyboard"}) {
    EXPECT_FALSE(IsSensitiveKeyName(k)) << k;
  }
}

TEST(SensitivityTest, ClassifyReturnsOutermostNodesAndRedactReplacesThem) {
  ValueMap db;
  db.Set("host", "h");
  db.Set("password", "hunter2hunter2");
  ValueMap creds;
  creds.Set("user", "u");
  creds.Set("pin", "1234");
  ValueMap root;
  root.Set("database", db);
  root.Set("credentials", creds);
  Value doc(root);
  auto c = SensitivityClassifier::Create(nullptr, {}).value();
  auto paths = c.Classify(doc);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0].ToString(), "database.password");
  EXPECT_EQ(paths[1].ToString(), "credentials");
  Value red = Redact(doc, paths);
  EXPECT_EQ(Find(red, Path::Parse("database.password").value())->AsString(), "[redacted]");
  EXPECT_EQ(Find(red, Path::Parse("credentials").value())->AsString(), "[redacted]");
  EXPECT_EQ(Find(red, Path::Parse("database.host").value())->AsString(), "h");
  EXPECT_TRUE(IsUnder(Path::Parse("credentials.pin").value(), paths));
}

TEST(SensitivityTest, PathPatternsAddSensitiveValues) {
  ValueMap root;
  root.Set("license", "ABC-123");
  auto c = SensitivityClassifier::Create(nullptr, {"^license$"}).value();
  EXPECT_EQ(c.Classify(Value(root)).size(), 1u);
  auto bad = SensitivityClassifier::Create(nullptr, {"("});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::config
