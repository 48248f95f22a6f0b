#include "scan/not_secret.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace bulwark::scan::internal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool Contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

// Whole values (lowercase) that are words, not secrets.
constexpr std::array<std::string_view, 48> kPlaceholderWords = {
    "password", "passwd", "secret", "token", "none", "null", "nil", "true", "false", "yes", "no",
    "undefined", "empty", "required", "optional", "default", "string", "value", "pass", "hidden",
    "masked", "secure", "private", "unknown", "n/a", "na", "tbd", "todo", "fixme", "omitted",
    "removed", "unset", "notset", "not_set", "not-set", "disabled", "enabled", "off", "on",
    "env", "environment", "prompt", "ask", "auto", "generated", "random", "secretref", "apikey"};

// Substrings (lowercase) that mark a placeholder or a documented example.
constexpr std::array<std::string_view, 32> kPlaceholderParts = {
    "redacted", "changeme", "change_me", "change-me", "changeit", "example", "placeholder",
    "dummy", "your_", "your-", "yourpassword", "yoursecret", "yourtoken", "yourkey", "sample",
    "replace_me", "replaceme", "replace-me", "insert_", "insert-", "xxxxx", "*****", "•••",
    "<your", "put_your", "enter_your", "notasecret", "not_a_secret", "not-a-secret",
    "not_a_real", "fake_", "my_secret"};

// Prefixes (lowercase) of references to secrets kept elsewhere.
constexpr std::array<std::string_view, 26> kReferencePrefixes = {
    "enc[", "vault:", "vault://", "ref+", "op://", "sm://", "secret://", "secrets://",
    "arn:aws:secretsmanager:", "arn:aws:ssm:", "arn:aws:kms:", "@microsoft.keyvault(",
    "!vault", "!secret", "!ref", "!sub", "awssm:", "gcpsm:", "azkv:", "keyvault:", "env:",
    "file:", "secretkeyref", "projects/", "akv://", "doppler://"};

bool AllSameOrMask(std::string_view s) {
  if (s.empty()) return true;
  const bool same = std::all_of(s.begin(), s.end(), [&](char c) { return c == s[0]; });
  if (same) return true;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '*' || c == 'x' || c == 'X' || c == '.' || c == '#' || c == '-' || c == '_' ||
           c == '?';
  });
}

// $VAR, ${VAR}, $(cmd), {{ x }}, {% x %}, %(x)s, #{x}, <x>, [X], %X%, __X__, @X@.
bool IsTemplate(std::string_view s) {
  if (Contains(s, "${") || Contains(s, "{{") || Contains(s, "{%") || Contains(s, "$(") ||
      Contains(s, "#{") || Contains(s, "%(") || Contains(s, "$$")) {
    return true;
  }
  if (s.size() >= 2 && s[0] == '$' &&
      (std::isalpha(static_cast<unsigned char>(s[1])) || s[1] == '_' || s[1] == '{')) {
    return true;
  }
  auto wrapped = [&](char open, char close) {
    return s.size() >= 3 && s.front() == open && s.back() == close;
  };
  if (wrapped('<', '>') || wrapped('[', ']') || wrapped('%', '%') || wrapped('@', '@')) return true;
  if (s.size() >= 5 && StartsWith(s, "__") && s.substr(s.size() - 2) == "__") return true;
  return false;
}

// An environment variable name standing for the value: DB_PASSWORD, MY_APP_TOKEN.
bool IsEnvName(std::string_view s) {
  if (s.size() < 3 || s.find('_') == std::string_view::npos) return false;
  if (!std::isupper(static_cast<unsigned char>(s[0]))) return false;
  int digits = 0;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (!std::isupper(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return digits <= 2;
}

}  // namespace

bool IsPlaceholderOrReference(std::string_view value) {
  std::string_view s = value;
  while (!s.empty() && (s.back() == '\\' || s.back() == '.')) s.remove_suffix(1);
  if (s.empty()) return true;
  if (StartsWith(s, "ENC[")) return true;  // Bulwark and SOPS ciphertext
  if (AllSameOrMask(s) || IsTemplate(s)) return true;
  const std::string lower = Lower(s);
  if (std::find(kPlaceholderWords.begin(), kPlaceholderWords.end(), lower) !=
      kPlaceholderWords.end()) {
    return true;
  }
  for (std::string_view p : kPlaceholderParts) {
    if (Contains(lower, p)) return true;
  }
  for (std::string_view p : kReferencePrefixes) {
    if (StartsWith(lower, p)) return true;
  }
  return false;
}

bool IsUnlikelyGenericSecret(std::string_view value) {
  std::string_view s = value;
  if (IsEnvName(s)) return true;
  // Code, not values: Type::Name, a leading ':' left over from a scope operator.
  if (StartsWith(s, ":") || Contains(s, "::") || Contains(s, "->")) return true;
  const std::string lower = Lower(s);
  // Paths and file names.
  if (StartsWith(s, "/") || StartsWith(s, "./") || StartsWith(s, "../") || StartsWith(s, "~/") ||
      StartsWith(s, "C:\\") || StartsWith(s, "\\\\")) {
    return true;
  }
  for (std::string_view ext : {".pem", ".key", ".crt", ".cer", ".json", ".txt", ".yaml", ".yml",
                               ".p12", ".pfx", ".jks", ".env", ".conf", ".properties"}) {
    if (lower.size() > ext.size() && lower.ends_with(ext)) return true;
  }
  // URLs without credentials (credentials in URLs have their own rule).
  if (Contains(s, "://") && !Contains(s, "@")) return true;
  // Numbers, versions, booleans, durations.
  const bool numeric = std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == ':' || c == '+';
  });
  if (numeric) return true;
  // Lowercase words joined by separators, no digits: identifiers such as my-app-secret.
  const bool wordy = std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (wordy) return true;
  // Dotted or slashed identifiers without digits: com.example.Service, config/app.
  const bool identifier = std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '.' || c == '/' || c == '-' ||
           c == '_';
  }) && (Contains(s, ".") || Contains(s, "/"));
  if (identifier) return true;
  // Function calls and expressions: getenv("X"), os.environ[...], process.env.X.
  if (Contains(lower, "getenv") || Contains(lower, "environ") || Contains(lower, "process.env") ||
      Contains(s, "(") || Contains(lower, "secretsmanager") || Contains(lower, "keyvault")) {
    return true;
  }
  return false;
}

// Like config's IsSensitiveKeyName split (separators, lower/digit-to-upper), plus acronym
// boundaries ("HTTPServerToken" -> http, server, token), which key names in the wild use and the
// key-word rules of generic detection need.
std::vector<std::string> KeyWords(std::string_view key) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&]() {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < key.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(key[i]);
    if (!std::isalnum(c)) {
      flush();
      continue;
    }
    if (std::isupper(c) && !cur.empty()) {
      const unsigned char prev = static_cast<unsigned char>(key[i - 1]);
      const bool next_lower =
          i + 1 < key.size() && std::islower(static_cast<unsigned char>(key[i + 1]));
      if (std::islower(prev) || std::isdigit(prev) || (std::isupper(prev) && next_lower)) flush();
    }
    cur.push_back(static_cast<char>(std::tolower(c)));
  }
  flush();
  return words;
}

bool KeyHasPhrase(const std::vector<std::string>& words, std::string_view phrase) {
  if (phrase.starts_with('*')) {  // a word ending with the rest: "*password" matches pgpassword
    const std::string_view suffix = phrase.substr(1);
    return std::any_of(words.begin(), words.end(),
                       [&](const std::string& w) { return w.ends_with(suffix); });
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= phrase.size()) {
    std::size_t sp = phrase.find(' ', start);
    if (sp == std::string_view::npos) sp = phrase.size();
    if (sp > start) parts.push_back(phrase.substr(start, sp - start));
    start = sp + 1;
  }
  if (parts.empty()) return false;
  for (std::size_t i = 0; i + parts.size() <= words.size(); ++i) {
    bool all = true;
    for (std::size_t j = 0; j < parts.size() && all; ++j) all = words[i + j] == parts[j];
    if (all) return true;
  }
  if (parts.size() == 1) {  // "apikey" also matches api_key
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] + words[i + 1] == parts[0]) return true;
    }
  }
  return false;
}

}  // namespace bulwark::scan::internal
