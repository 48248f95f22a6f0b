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

bool IsSensitiveKeyName(std::string_view key) {
  const std::vector<std::string> words = SplitWords(key);
  if (words.empty()) return false;
  if (In(words.back(), {"length", "len", "min", "max", "ttl", "expiry", "expiration", "expires",
                        "minutes", "seconds", "hours", "days", "file", "path", "url", "enabled",
                        "required", "algorithm", "alg", "type", "name", "id", "count", "rotation",
                        "header", "policy", "version", "format", "env", "var"})) {
    return false;
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (In(w, {"password", "passwd", "pwd", "passphrase", "secret", "secrets", "token",
               "credential", "credentials", "apikey", "privatekey", "secretkey", "accesskey"})) {
      return true;
    }
    if (i + 1 < words.size()) {
      const std::string& n = words[i + 1];
      if (n == "key" && In(w, {"api", "private", "secret", "access", "signing", "encryption",
                               "master", "auth", "session", "hmac"})) {
        return true;
      }
      if ((w == "client" && n == "secret") || (w == "connection" && n == "string")) return true;
    }
  }
  return false;
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
  Walk(document, [&](const Path& p, const Value&) {
    if (p.empty()) return true;
    bool sensitive = marked.contains(p);
    if (!sensitive && use_name_heuristic_ && p.back().is_key()) {
      sensitive = IsSensitiveKeyName(p.back().key());
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
    if (Value* v = Find(out, p)) *v = Value(std::string(kRedacted));
  }
  return out;
}

}  // namespace bulwark::config
