#include "bulwark/config/sensitivity.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>

namespace bulwark::config {
namespace {

std::vector<std::string> SplitWords(std::string_view key) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < key.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(key[i]);
    if (!std::isalnum(c)) {
      flush();
      continue;
    }
    // camelCase boundary: lower or digit followed by upper.
    if (std::isupper(c) && i > 0 && (std::islower(static_cast<unsigned char>(key[i - 1])) ||
                                     std::isdigit(static_cast<unsigned char>(key[i - 1])))) {
      flush();
    }
    cur += static_cast<char>(std::tolower(c));
  }
  flush();
  return words;
}

bool In(std::string_view w, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

}  // namespace

namespace {

// The last word says the value is about a secret rather than the secret itself.
bool IsMetadataWord(std::string_view w) {
  return In(w, {"length", "len", "min", "max", "ttl", "expiry", "expiration", "expires", "minutes",
                "seconds", "hours", "days", "file", "path", "url", "enabled", "required",
                "algorithm", "alg", "type", "name", "id", "count", "rotation", "header", "policy",
                "version", "format", "env", "var"});
}

// Words that name a key's owner when followed by "key" (`api_key`, `tlsKey`, `tls.key`).
bool IsSecretKeyOwner(std::string_view w) {
  return In(w, {"api", "private", "secret", "access", "signing", "encryption", "master", "auth",
                "session", "hmac", "tls", "ssl", "ssh", "jwt", "gpg", "pgp", "license"});
}

bool SensitiveWords(const std::vector<std::string>& words) {
  if (words.empty() || IsMetadataWord(words.back())) return false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (In(w, {"password", "passwd", "pwd", "passphrase", "secret", "secrets", "token",
               "credential", "credentials", "apikey", "privatekey", "secretkey", "accesskey",
               "bearer"})) {
      return true;
    }
    if (i + 1 < words.size()) {
      const std::string& n = words[i + 1];
      if (n == "key" && IsSecretKeyOwner(w)) return true;
      if ((w == "client" && n == "secret") || (w == "connection" && n == "string")) return true;
    }
  }
  return false;
}

}  // namespace

bool IsSensitiveKeyName(std::string_view key) { return SensitiveWords(SplitWords(key)); }

bool IsSensitivePathName(const Path& path) {
  const auto& segs = path.segments();
  std::size_t last = segs.size();
  while (last > 0 && !segs[last - 1].is_key()) --last;  // a list element: its list's key
  if (last == 0) return false;
  std::vector<std::string> words = SplitWords(segs[last - 1].key());
  if (SensitiveWords(words)) return true;
  // A bare "key" (or "key_pem", "key_data") takes its owner from the key above: tls.key, ssh.key,
  // api.key, jwt.signing.key.
  if (words.empty() || words.front() != "key" || IsMetadataWord(words.back())) return false;
  for (std::size_t i = last - 1; i > 0; --i) {
    if (!segs[i - 1].is_key()) continue;
    const std::vector<std::string> above = SplitWords(segs[i - 1].key());
    return !above.empty() && IsSecretKeyOwner(above.back());
  }
  return false;
}

namespace {

// Value shapes, matched with RE2 (linear time; values may be large).
const re2::RE2& PemPrivateKey() {
  static const re2::RE2 re(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)");
  return re;
}
// scheme://user:password@host (the user may be empty: https://:token@host).
const re2::RE2& UrlUserinfoPassword() {
  static const re2::RE2 re(R"(([A-Za-z][A-Za-z0-9+.\-]*://[^/?#@\s:]*:)([^/?#@\s]+)@)");
  return re;
}
// password=... in a URL query, a JDBC/ODBC/ADO.NET or libpq keyword/value string.
const re2::RE2& KeywordPassword() {
  static const re2::RE2 re(
      R"((?i)((?:^|[?&;\s])(?:password|passwd|pwd|sslpassword|secret|access_token|api_?key)\s*=\s*)('[^']*'|[^&;\s]+))");
  return re;
}
const re2::RE2& BearerToken() {
  static const re2::RE2 re(R"((?i)^\s*bearer\s+[A-Za-z0-9\-._~+/]{8,}=*\s*$)");
  return re;
}

}  // namespace

bool IsSensitiveValue(std::string_view text) {
  if (text.size() < 8) return false;
  return re2::RE2::PartialMatch(text, PemPrivateKey()) ||
         re2::RE2::PartialMatch(text, UrlUserinfoPassword()) ||
         re2::RE2::PartialMatch(text, KeywordPassword()) ||
         re2::RE2::PartialMatch(text, BearerToken());
}

std::optional<std::string> RedactCredentialParts(std::string_view text) {
  std::string out(text);
  const std::string mask = std::string(kRedacted);
  int n = re2::RE2::GlobalReplace(&out, UrlUserinfoPassword(), "\\1" + mask + "@");
  n += re2::RE2::GlobalReplace(&out, KeywordPassword(), "\\1" + mask);
  if (n == 0) return std::nullopt;
  return out;
}

SensitivityClassifier::SensitivityClassifier(SensitivityClassifier&&) noexcept = default;
SensitivityClassifier& SensitivityClassifier::operator=(SensitivityClassifier&&) noexcept = default;
SensitivityClassifier::~SensitivityClassifier() = default;

Result<SensitivityClassifier> SensitivityClassifier::Create(
    const Schema* schema, const std::vector<std::string>& path_patterns, bool use_name_heuristic) {
  SensitivityClassifier c;
  c.schema_ = schema;
  c.use_name_heuristic_ = use_name_heuristic;
  for (const std::string& p : path_patterns) {
    auto re = std::make_unique<re2::RE2>(p, re2::RE2::Quiet);
    if (!re->ok()) {
      return InvalidArgumentError(fmt::format("--paths: invalid pattern '{}': {}", p, re->error()));
    }
    c.patterns_.push_back(std::move(re));
  }
  return c;
}

std::vector<Path> SensitivityClassifier::Classify(const Value& document) const {
  std::unordered_set<Path> marked;
  if (schema_ != nullptr) {
    for (Path& p : schema_->SensitivePaths(document)) marked.insert(std::move(p));
  }
  std::vector<Path> out;
  Walk(document, [&](const Path& p, const Value& v) {
    if (p.empty()) return true;
    bool sensitive = marked.contains(p);
    if (!sensitive && use_name_heuristic_) {
      sensitive = IsSensitivePathName(p);
      if (!sensitive) {
        if (const std::string* text = v.IfString()) sensitive = IsSensitiveValue(*text);
      }
    }
    if (!sensitive && !patterns_.empty()) {
      const std::string text = p.ToString();
      for (const auto& re : patterns_) {
        if (re2::RE2::PartialMatch(text, *re)) {
          sensitive = true;
          break;
        }
      }
    }
    if (sensitive) {
      out.push_back(p);
      return false;
    }
    return true;
  });
  return out;
}

bool IsUnder(const Path& path, const std::vector<Path>& sensitive) {
  for (const Path& s : sensitive) {
    if (path.StartsWith(s)) return true;
  }
  return false;
}

Value Redact(const Value& document, const std::vector<Path>& sensitive) {
  Value out = document;
  for (const Path& p : sensitive) {
    Value* v = Find(out, p);
    if (v == nullptr) continue;
    // A credential URL or connection string keeps everything but its password.
    std::optional<std::string> partial;
    if (const std::string* text = v->IfString()) partial = RedactCredentialParts(*text);
    *v = Value(partial ? std::move(*partial) : std::string(kRedacted));
  }
  return out;
}

}  // namespace bulwark::config
