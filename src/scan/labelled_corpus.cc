#include "scan/labelled_corpus.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace bulwark::scan::corpus {
namespace {

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kUrlSafe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kPasswordChars =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%&*+-=?@^_~";

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull) {}
  std::uint64_t Next() {
    s_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) / 9007199254740992.0 < p; }
  std::string Str(std::string_view alphabet, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(alphabet[Below(alphabet.size())]);
    return out;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Below(v.size())]; }

 private:
  std::uint64_t s_;
};

std::string Uuid(Rng& r) {
  return r.Str(kHex, 8) + "-" + r.Str(kHex, 4) + "-4" + r.Str(kHex, 3) + "-a" + r.Str(kHex, 3) +
         "-" + r.Str(kHex, 12);
}

std::string Pem(Rng& r, std::string_view type, std::size_t lines) {
  std::string s = fmt::format("-----BEGIN {}-----\n", type);
  for (std::size_t i = 0; i < lines; ++i) s += r.Str(kB64, 64) + "\n";
  s += r.Str(kB64, 20) + "==\n";
  s += fmt::format("-----END {}-----", type);
  return s;
}

std::string Base64Of(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 | static_cast<unsigned char>(in[i + 2]);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], '='};
  }
  return out;
}

// A secret format: keys it is usually stored under, and how its values look.
struct Format {
  std::string name;
  std::vector<std::string> keys;
  std::function<std::string(Rng&)> make;
  bool multiline = false;
};

std::vector<Format> SecretFormats() {
  return {
      {"aws-access-key-id", {"aws_access_key_id", "AWS_ACCESS_KEY_ID", "accessKeyId"},
       [](Rng& r) { return std::string(r.Chance(0.8) ? "AKIA" : "ASIA") + r.Str(kBase32, 16); }},
      {"aws-secret-access-key", {"aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "aws.secretKey"},
       [](Rng& r) { return r.Str(kB64, 40); }},
      {"github-pat", {"github_token", "GITHUB_TOKEN", "gh_token", "token"},
       [](Rng& r) { return "ghp_" + r.Str(kAlnum, 36); }},
      {"github-oauth-token", {"oauth_token", "GH_OAUTH"}, [](Rng& r) { return "gho_" + r.Str(kAlnum, 36); }},
      {"github-app-token", {"installation_token", "GH_APP_TOKEN"}, [](Rng& r) { return "ghs_" + r.Str(kAlnum, 36); }},
      {"github-fine-grained-pat", {"github_pat", "GITHUB_PAT"},
       [](Rng& r) { return "github_pat_" + r.Str(kAlnum, 22) + "_" + r.Str(kAlnum, 59); }},
      {"gitlab-pat", {"gitlab_token", "GITLAB_PRIVATE_TOKEN", "CI_TOKEN"},
       [](Rng& r) { return "glpat-" + r.Str(kUrlSafe, 20); }},
      {"slack-bot-token", {"slack_bot_token", "SLACK_TOKEN"},
       [](Rng& r) { return "xoxb-" + r.Str(kDigits, 12) + "-" + r.Str(kDigits, 13) + "-" + r.Str(kAlnum, 24); }},
      {"slack-webhook-url", {"slack_webhook", "SLACK_WEBHOOK_URL", "webhook_url"},
       [](Rng& r) {
         return "https://hooks.slack.com/services/T" + r.Str("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8) +
                "/B" + r.Str("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10) + "/" + r.Str(kAlnum, 24);
       }},
      {"stripe-secret-key", {"stripe_secret_key", "STRIPE_API_KEY", "stripe.apiKey"},
       [](Rng& r) { return std::string(r.Chance(0.7) ? "sk_live_" : "rk_live_") + r.Str(kAlnum, 24 + r.Below(76)); }},
      {"stripe-webhook-secret", {"stripe_webhook_secret", "STRIPE_WEBHOOK_SECRET"},
       [](Rng& r) { return "whsec_" + r.Str(kAlnum, 32); }},
      {"sendgrid-api-key", {"sendgrid_api_key", "SENDGRID_API_KEY", "smtp_password"},
       [](Rng& r) { return "SG." + r.Str(kUrlSafe, 22) + "." + r.Str(kUrlSafe, 43); }},
      {"twilio-api-key", {"twilio_api_key", "TWILIO_API_KEY_SID"}, [](Rng& r) { return "SK" + r.Str(kHex, 32); }},
      {"npm-access-token", {"npm_token", "NPM_TOKEN", "//registry.npmjs.org/:_authToken"},
       [](Rng& r) { return "npm_" + r.Str(kAlnum, 36); }},
      {"pypi-upload-token", {"pypi_token", "TWINE_PASSWORD"},
       [](Rng& r) { return "pypi-AgEIcHlwaS5vcmc" + r.Str(kUrlSafe, 70 + r.Below(80)); }},
      {"gcp-api-key", {"google_api_key", "GOOGLE_MAPS_KEY", "firebase.apiKey"},
       [](Rng& r) { return "AIza" + r.Str(kUrlSafe, 35); }},
      {"gcp-oauth-client-secret", {"google_client_secret", "GOOGLE_OAUTH_SECRET"},
       [](Rng& r) { return "GOCSPX-" + r.Str(kUrlSafe, 28); }},
      {"digitalocean-pat", {"do_token", "DIGITALOCEAN_ACCESS_TOKEN"}, [](Rng& r) { return "dop_v1_" + r.Str(kHex, 64); }},
      {"shopify-access-token", {"shopify_token", "SHOPIFY_ACCESS_TOKEN"}, [](Rng& r) { return "shpat_" + r.Str(kHex, 32); }},
      {"docker-hub-pat", {"docker_password", "DOCKERHUB_TOKEN"}, [](Rng& r) { return "dckr_pat_" + r.Str(kUrlSafe, 27); }},
      {"openai-api-key", {"openai_api_key", "OPENAI_API_KEY"},
       [](Rng& r) { return "sk-proj-" + r.Str(kUrlSafe, 58) + "T3BlbkFJ" + r.Str(kUrlSafe, 58); }},
      {"anthropic-api-key", {"anthropic_api_key", "ANTHROPIC_API_KEY"},
       [](Rng& r) { return "sk-ant-api03-" + r.Str(kUrlSafe, 93) + "AA"; }},
      {"huggingface-token", {"hf_token", "HUGGING_FACE_HUB_TOKEN"}, [](Rng& r) { return "hf_" + r.Str("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34); }},
      {"age-secret-key", {"age_key", "SOPS_AGE_KEY"},
       [](Rng& r) { return "AGE-SECRET-KEY-1" + r.Str("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58); }},
      {"datadog-api-key", {"datadog_api_key", "DD_API_KEY"}, [](Rng& r) { return r.Str(kHex, 32); }},
      {"new-relic-user-api-key", {"newrelic_api_key", "NEW_RELIC_API_KEY"},
       [](Rng& r) { return "NRAK-" + r.Str("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 27); }},
      {"sentry-user-token", {"sentry_auth_token", "SENTRY_AUTH_TOKEN"}, [](Rng& r) { return "sntryu_" + r.Str(kHex, 64); }},
      {"vault-service-token", {"vault_token", "VAULT_TOKEN"}, [](Rng& r) { return "hvs." + r.Str(kUrlSafe, 24 + r.Below(70)); }},
      {"linear-api-key", {"linear_api_key", "LINEAR_API_KEY"}, [](Rng& r) { return "lin_api_" + r.Str(kAlnum, 40); }},
      {"postman-api-key", {"postman_api_key", "POSTMAN_API_KEY"},
       [](Rng& r) { return "PMAK-" + r.Str(kHex, 24) + "-" + r.Str(kHex, 34); }},
      {"mailchimp-api-key", {"mailchimp_api_key", "MAILCHIMP_KEY"},
       [](Rng& r) { return r.Str(kHex, 32) + "-us" + std::to_string(1 + r.Below(20)); }},
      {"mailgun-api-key", {"mailgun_api_key", "MAILGUN_API_KEY"}, [](Rng& r) { return "key-" + r.Str(kHex, 32); }},
      {"telegram-bot-token", {"telegram_bot_token", "TELEGRAM_TOKEN"},
       [](Rng& r) { return std::to_string(100000000 + r.Below(899999999)) + ":AA" + r.Str(kUrlSafe, 33); }},
      {"databricks-token", {"databricks_token", "DATABRICKS_TOKEN"}, [](Rng& r) { return "dapi" + r.Str(kHex, 32); }},
      {"grafana-service-account-token", {"grafana_token", "GRAFANA_SA_TOKEN"},
       [](Rng& r) { return "glsa_" + r.Str(kAlnum, 32) + "_" + r.Str(kHex, 8); }},
      {"doppler-token", {"doppler_token", "DOPPLER_TOKEN"}, [](Rng& r) { return "dp.st." + r.Str(kAlnum, 43); }},
      {"pulumi-access-token", {"pulumi_access_token", "PULUMI_ACCESS_TOKEN"}, [](Rng& r) { return "pul-" + r.Str(kHex, 40); }},
      {"square-access-token", {"square_access_token", "SQUARE_TOKEN"}, [](Rng& r) { return "sq0atp-" + r.Str(kUrlSafe, 22); }},
      {"terraform-cloud-token", {"tfe_token", "TFC_TOKEN"},
       [](Rng& r) { return r.Str(kAlnum, 14) + ".atlasv1." + r.Str(kAlnum, 67); }},
      {"azure-storage-account-key", {"storage_connection_string", "AZURE_STORAGE_CONNECTION_STRING"},
       [](Rng& r) {
         return "DefaultEndpointsProtocol=https;AccountName=" + r.Str(kLower, 10) +
                ";AccountKey=" + r.Str(kB64, 86) + "==;EndpointSuffix=core.windows.net";
       }},
      {"jwt", {"id_token", "access_token", "AUTH_JWT"},
       [](Rng& r) {
         return Base64Of("{\"alg\":\"RS256\",\"typ\":\"JWT\"}").substr(0, 36) + "." +
                Base64Of("{\"sub\":\"" + r.Str(kDigits, 10) + "\",\"name\":\"svc\",\"iat\":1516239022}").substr(0, 60) +
                "." + r.Str(kUrlSafe, 43);
       }},
      {"url-with-password", {"database_url", "DATABASE_URL", "redis_url", "broker_url", "dsn"},
       [](Rng& r) {
         static const std::vector<std::string> schemes = {"postgres", "postgresql", "mysql", "mongodb+srv",
                                                          "redis", "amqp", "https", "smtp"};
         const std::string scheme = r.Pick(schemes);
         const std::string user = scheme == "redis" && r.Chance(0.5) ? "" : r.Str(kLower, 3 + r.Below(6));
         return scheme + "://" + user + ":" + r.Str(kAlnum, 12 + r.Below(12)) + "@" + r.Str(kLower, 6) +
                ".internal:" + std::to_string(1000 + r.Below(9000)) + "/" + r.Str(kLower, 5);
       }},
      {"generic-password",
       {"password", "db_password", "DB_PASS", "adminPassword", "spring.datasource.password", "passwd",
        "PGPASSWORD", "MYSQL_ROOT_PASSWORD", "rabbitmq_password", "smtp_pass", "keystore_password",
        "redis-password"},
       [](Rng& r) {
         std::string p = r.Str(kPasswordChars, 10 + r.Below(14));
         if (std::none_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) p += "7";
         return p;
       }},
      {"generic-secret",
       {"api_key", "API_TOKEN", "client_secret", "webhook_secret", "SECRET_KEY", "jwt_secret",
        "session_secret", "encryption_key", "signing_key", "app_secret", "auth_token", "private_token",
        "apiKey", "clientSecret", "x-api-key", "master_key"},
       [](Rng& r) {
         switch (r.Below(3)) {
           case 0: return r.Str(kAlnum, 24 + r.Below(40));
           case 1: return r.Str(kHex, 32 + 8 * r.Below(5));
           default: return r.Str(kB64, 40) + "=";
         }
       }},
      {"private-key-rsa", {"tls_key", "private_key", "ssh_key"},
       [](Rng& r) { return Pem(r, "RSA PRIVATE KEY", 20); }, true},
      {"private-key-ec", {"signing_key_pem", "ec_key"}, [](Rng& r) { return Pem(r, "EC PRIVATE KEY", 3); }, true},
      {"private-key-pkcs8", {"key_pem", "service_key"}, [](Rng& r) { return Pem(r, "PRIVATE KEY", 25); }, true},
      {"private-key-openssh", {"deploy_key", "id_ed25519"}, [](Rng& r) { return Pem(r, "OPENSSH PRIVATE KEY", 6); }, true},
  };
}

// Values that look like secrets but are not, under keys that suggest a secret (decoys), and benign
// high-entropy values under ordinary keys.
std::pair<std::string, std::string> Decoy(Rng& r) {
  static const std::vector<std::string> secret_keys = {
      "password", "db_password", "api_key", "client_secret", "token", "SECRET_KEY", "aws_secret_access_key",
      "github_token", "stripe_key", "auth_token"};
  switch (r.Below(24)) {
    case 0: return {r.Pick(secret_keys), "${" + r.Str(kUpper, 6) + "_SECRET}"};
    case 1: return {r.Pick(secret_keys), "<your-api-key>"};
    case 2: return {r.Pick(secret_keys), "changeme"};
    case 3: return {r.Pick(secret_keys), "REDACTED"};
    case 4: return {r.Pick(secret_keys), "********"};
    case 5: return {r.Pick(secret_keys), "{{ .Values." + r.Str(kLower, 6) + " }}"};
    case 6: return {r.Pick(secret_keys), "vault:secret/data/" + r.Str(kLower, 5) + "#password"};
    case 7: return {r.Pick(secret_keys), "ENC[AES256_GCM,data:" + r.Str(kB64, 24) + "=,iv:" + r.Str(kB64, 43) + "=,tag:" + r.Str(kB64, 22) + "==,type:str]"};
    case 8: return {"aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"};
    case 9: return {"aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
    case 10: return {"password_file", "/run/secrets/" + r.Str(kLower, 8)};
    case 11: return {"token_url", "https://auth." + r.Str(kLower, 6) + ".com/oauth/token"};
    case 12: return {"secret_name", r.Str(kLower, 5) + "-credentials"};
    case 13: return {"commit", r.Str(kHex, 40)};
    case 14: return {"image", "registry.internal/" + r.Str(kLower, 6) + "@sha256:" + r.Str(kHex, 64)};
    case 15: return {"request_id", Uuid(r)};
    case 16: return {"trace_id", r.Str(kHex, 32)};
    case 17: return {"integrity", "sha512-" + r.Str(kB64, 86) + "=="};
    case 18: return {"ssh_public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + r.Str(kB64, 43) + " deploy@ci"};
    case 19: return {"checksum", r.Str(kHex, 64)};
    case 20: return {"password", "ENC[v1,k" + std::to_string(r.Below(9)) + "," + r.Str(kB64, 48) + "]"};
    case 21: return {"token_ttl", std::to_string(300 + r.Below(3600))};
    case 22: return {"client_id", Uuid(r)};
    default: return {"etag", "W/\"" + r.Str(kHex, 16) + "\""};
  }
}

std::pair<std::string, std::string> Ordinary(Rng& r) {
  static const std::vector<std::string> keys = {"host", "port", "replicas", "log_level", "name", "region",
                                                 "timeout", "enabled", "url", "path", "user", "image"};
  const std::string key = r.Pick(keys);
  if (key == "port") return {key, std::to_string(1024 + r.Below(60000))};
  if (key == "replicas") return {key, std::to_string(1 + r.Below(9))};
  if (key == "enabled") return {key, r.Chance(0.5) ? "true" : "false"};
  if (key == "timeout") return {key, std::to_string(1 + r.Below(120)) + "s"};
  if (key == "url") return {key, "https://" + r.Str(kLower, 8) + ".example.org/api/v" + std::to_string(1 + r.Below(3))};
  if (key == "path") return {key, "/var/lib/" + r.Str(kLower, 6) + "/data"};
  if (key == "log_level") return {key, r.Chance(0.5) ? "info" : "debug"};
  if (key == "region") return {key, r.Chance(0.5) ? "eu-west-1" : "us-east-2"};
  if (key == "image") return {key, "registry.internal/" + r.Str(kLower, 6) + ":" + std::to_string(r.Below(20)) + ".2.1"};
  return {key, r.Str(kLower, 4 + r.Below(8)) + "-" + r.Str(kLower, 3 + r.Below(6))};
}

enum class Syntax { kYaml, kEnv, kJson, kToml, kProperties };

std::string EnvKey(std::string key) {
  for (char& c : key) c = (c == '.' || c == '-' || c == '/' || c == ':') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return key;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '"' || c == '\\') { out.push_back('\\'); out.push_back(c); }
    else out.push_back(c);
  }
  return out;
}

// Appends one key/value line in `syntax`; returns the offset of the value's first byte in `text`
// and sets `len` to the labelled length (the value itself, escaped as written).
std::size_t Emit(std::string& text, Syntax syntax, const std::string& key, const std::string& value,
                 bool multiline, std::size_t& len) {
  std::size_t at = 0;
  switch (syntax) {
    case Syntax::kYaml:
      if (multiline) {
        text += "  " + key + ": |\n";
        at = text.size() + 4;
        std::string indented = "    ";
        for (char c : value) {
          indented.push_back(c);
          if (c == '\n') indented += "    ";
        }
        text += indented + "\n";
        len = indented.size() - 4;
        return at;
      }
      text += "  " + key + ": ";
      if (value.find_first_of(":#{}[],&*!|>'%@`\"") != std::string::npos || value.empty()) {
        text += "\"";
        at = text.size();
        const std::string esc = JsonEscape(value);
        text += esc + "\"\n";
        len = esc.size();
        return at;
      }
      break;
    case Syntax::kEnv: {
      if (multiline) return std::string::npos;
      text += EnvKey(key) + "=";
      if (value.find_first_of(" #$\"'`") != std::string::npos) {
        text += "'";
        at = text.size();
        text += value + "'\n";
        len = value.size();
        return at;
      }
      break;
    }
    case Syntax::kJson: {
      text += "  \"" + key + "\": \"";
      at = text.size();
      const std::string esc = JsonEscape(value);
      text += esc + "\",\n";
      len = esc.size();
      return at;
    }
    case Syntax::kToml: {
      if (multiline) return std::string::npos;
      text += "\"" + key + "\" = \"";
      at = text.size();
      const std::string esc = JsonEscape(value);
      text += esc + "\"\n";
      len = esc.size();
      return at;
    }
    case Syntax::kProperties:
      if (multiline) return std::string::npos;
      text += key + "=";
      break;
  }
  at = text.size();
  text += value + "\n";
  len = value.size();
  return at;
}

}  // namespace

std::vector<std::string> Formats() {
  std::vector<std::string> out;
  for (const Format& f : SecretFormats()) out.push_back(f.name);
  return out;
}

std::vector<File> Generate(const Options& options) {
  Rng r(options.seed);
  const std::vector<Format> formats = SecretFormats();
  static const std::vector<std::pair<Syntax, std::string>> syntaxes = {
      {Syntax::kYaml, "config.yaml"}, {Syntax::kEnv, ".env"}, {Syntax::kJson, "settings.json"},
      {Syntax::kToml, "app.toml"}, {Syntax::kProperties, "application.properties"}};
  std::vector<File> files;
  for (std::size_t i = 0; i < options.files; ++i) {
    const auto& [syntax, base] = syntaxes[r.Below(syntaxes.size())];
    File f;
    f.name = fmt::format("svc-{}/{}", i, base);
    if (syntax == Syntax::kJson) f.text = "{\n";
    if (syntax == Syntax::kYaml) f.text = "service:\n";
    for (std::size_t l = 0; l < options.lines_per_file; ++l) {
      std::size_t len = 0;
      if (r.Chance(options.secret_rate)) {
        const Format& fm = formats[r.Below(formats.size())];
        const std::string value = fm.make(r);
        const std::size_t at = Emit(f.text, syntax, r.Pick(fm.keys), value, fm.multiline, len);
        if (at != std::string::npos) f.secrets.push_back(Label{fm.name, at, len});
      } else if (r.Chance(0.3)) {
        auto [k, v] = Decoy(r);
        Emit(f.text, syntax, k, v, false, len);
      } else {
        auto [k, v] = Ordinary(r);
        Emit(f.text, syntax, k + std::to_string(l), v, false, len);
      }
    }
    if (syntax == Syntax::kJson) f.text += "  \"end\": true\n}\n";
    files.push_back(std::move(f));
  }
  return files;
}

std::map<std::string, Score> Evaluate(const std::vector<File>& files,
                                      const std::vector<Finding>& findings) {
  std::map<std::string, Score> scores;
  std::map<std::string, std::vector<const Finding*>> by_target;
  for (const Finding& f : findings) by_target[f.target].push_back(&f);
  for (const File& file : files) {
    const auto& fs = by_target[file.name];
    std::vector<bool> used(fs.size(), false);
    for (const Label& l : file.secrets) {
      bool found = false;
      for (std::size_t i = 0; i < fs.size(); ++i) {
        const Finding& f = *fs[i];
        if (f.offset < l.offset + l.length && l.offset < f.offset + f.length) {
          found = true;
          used[i] = true;
        }
      }
      Score& s = scores[l.format];
      Score& all = scores["*"];
      (found ? s.tp : s.fn)++;
      (found ? all.tp : all.fn)++;
    }
    for (std::size_t i = 0; i < fs.size(); ++i) {
      if (used[i]) continue;
      scores[fs[i]->rule].fp++;
      scores["*"].fp++;
    }
  }
  return scores;
}

}  // namespace bulwark::scan::corpus
