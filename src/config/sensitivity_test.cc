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

// Issue #14: these were stored and printed in clear.
TEST(SensitivityTest, TableOfPathsAndValuesTheHeuristicMustFlag) {
  struct Row {
    const char* path;
    const char* value;
    bool sensitive;
  };
  const Row rows[] = {
      // A bare "key" takes its owner from the key above.
      {"api.key", "k-123456", true},
      {"tls.key", "x", true},
      {"ssh.key", "x", true},
      {"server.tls.key", "x", true},
      {"jwt.signing.key", "x", true},
      {"tlsKey", "x", true},
      {"ssh_key", "x", true},
      {"license.key", "x", true},
      {"tls.key_file", "/etc/tls/key.pem", false},
      {"tls.key_path", "/etc/tls/key.pem", false},
      {"cache.key", "user:{id}", false},
      {"sort.key", "name", false},
      {"key", "x", false},
      {"primary.key_id", "k1", false},
      // Bearer tokens by name.
      {"auth.bearer", "x", true},
      {"bearer_token", "x", true},
      {"http.headers[0]", "Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig", true},
      {"other.headers[0]", "Accept: text/plain", false},
      // Value shapes, whatever the key.
      {"database.url", "postgres://app:pw-0123@db.internal:5432/app", true},
      {"database.url", "postgres://app@db.internal:5432/app", false},
      {"cache.url", "redis://:s3cr3t@cache:6379/0", true},
      {"broker", "amqps://user:p%40ss@mq.example.com/vhost", true},
      {"homepage", "https://example.com/a:b@c", false},
      {"mongo", "mongodb+srv://svc:Pw123456@cluster0.example.net/db?retryWrites=true", true},
      {"jdbc", "jdbc:postgresql://h:5432/db?user=app&password=pw123", true},
      {"jdbc_plain", "jdbc:postgresql://h:5432/db?user=app&ssl=true", false},
      {"mssql", "Server=tcp:h,1433;Database=d;User Id=u;Password=Pw-123;Encrypt=True", true},
      {"libpq", "host=db port=5432 user=app password=pw-123 dbname=app", true},
      {"libpq_plain", "host=db port=5432 user=app dbname=app", false},
      {"tls.cert", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", false},
      {"material", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", true},
      {"material2", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", true},
      {"material3", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----", true},
      {"material4", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQ\n-----END PGP PRIVATE KEY BLOCK-----", true},
      {"description", "the password is rotated monthly", false},
  };
  auto c = SensitivityClassifier::Create(nullptr, {}).value();
  for (const Row& r : rows) {
    Value doc = Value::EmptyMap();
    const Path path = Path::Parse(r.path).value();
    ASSERT_TRUE(Set(doc, path, Value(std::string(r.value)))) << r.path;
    const std::vector<Path> found = c.Classify(doc);
    const bool flagged = IsUnder(path, found);
    EXPECT_EQ(flagged, r.sensitive) << r.path << " = " << r.value;
  }
}

TEST(SensitivityTest, RedactionKeepsEverythingButThePasswordOfCredentialStrings) {
  struct Row {
    const char* in;
    const char* out;
  };
  const Row rows[] = {
      {"postgres://app:pw-0123@db:5432/app", "postgres://app:[redacted]@db:5432/app"},
      {"redis://:s3cr3t@cache:6379/0", "redis://:[redacted]@cache:6379/0"},
      {"jdbc:postgresql://h/db?user=app&password=pw123&ssl=true",
       "jdbc:postgresql://h/db?user=app&password=[redacted]&ssl=true"},
      {"Server=h;User Id=u;Password=Pw-123;Encrypt=True",
       "Server=h;User Id=u;Password=[redacted];Encrypt=True"},
      {"host=db user=app password='pw 123' dbname=app", "host=db user=app password=[redacted] dbname=app"},
  };
  for (const Row& r : rows) {
    auto red = RedactCredentialParts(r.in);
    ASSERT_TRUE(red) << r.in;
    EXPECT_EQ(*red, r.out);
  }
  EXPECT_FALSE(RedactCredentialParts("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"));
  ValueMap root;
  root.Set("url", "postgres://app:pw-0123@db/app");
  root.Set("password", "hunter2hunter2");
  auto c = SensitivityClassifier::Create(nullptr, {}).value();
  Value red = Redact(Value(root), c.Classify(Value(root)));
  EXPECT_EQ(red.Get("url")->AsString(), "postgres://app:[redacted]@db/app");
  EXPECT_EQ(red.Get("password")->AsString(), "[redacted]");
}

}  // namespace
}  // namespace bulwark::config
