#include "bulwark/server/api_tokens.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::server {
namespace {

constexpr std::string_view kPrefix = "bwk_";
constexpr std::size_t kTokenChars = 43;  // 32 bytes, base64url without padding

Result<std::vector<std::string>> StringList(const config::Value& v, const std::string& where) {
  if (!v.is_list()) return InvalidArgumentError(fmt::format("{}: a list of strings", where));
  std::vector<std::string> out;
  for (const auto& e : v.AsList()) {
    if (!e.is_string() || e.AsString().empty()) {
      return InvalidArgumentError(fmt::format("{}: a list of non-empty strings", where));
    }
    out.push_back(e.AsString());
  }
  return out;
}

}  // namespace

Result<std::vector<ApiTokenEntry>> LoadApiTokens(FileSystem& fs, const std::filesystem::path& file) {
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::LoadFile(fs, file, config::Format::kYaml));
  const std::string f = file.string();
  const config::Value* tokens = doc.root.is_map() ? doc.root.Get("tokens") : nullptr;
  if (tokens == nullptr || !tokens->is_list()) {
    return InvalidArgumentError(fmt::format("{}: tokens: a list of {{id, sha256, roles, expires}}", f));
  }
  std::vector<ApiTokenEntry> out;
  std::size_t i = 0;
  for (const auto& t : tokens->AsList()) {
    const std::string where = fmt::format("{}: tokens[{}]", f, i++);
    if (!t.is_map()) return InvalidArgumentError(where + ": a map");
    ApiTokenEntry e;
    for (const auto& [k, v] : t.AsMap()) {
      if (k == "id") {
        if (!v.is_string() || v.AsString().empty()) return InvalidArgumentError(where + ".id: a non-empty string");
        e.id = v.AsString();
      } else if (k == "sha256") {
        auto bytes = v.is_string() ? HexDecode(v.AsString()) : Result<std::vector<std::uint8_t>>(
                                                                    InvalidArgumentError("not a string"));
        if (!bytes || bytes->size() != 32) {
          return InvalidArgumentError(where + ".sha256: 64 hex digits (the SHA-256 of the token)");
        }
        std::copy(bytes->begin(), bytes->end(), e.sha256.begin());
      } else if (k == "roles") {
        BULWARK_ASSIGN_OR_RETURN(e.roles, StringList(v, where + ".roles"));
      } else if (k == "expires") {
        auto t2 = v.is_string() ? ParseRfc3339(v.AsString()) : Result<TimePoint>(InvalidArgumentError(""));
        if (!t2) return InvalidArgumentError(where + ".expires: an RFC 3339 time");
        e.expires = *t2;
      } else {
        return InvalidArgumentError(fmt::format("{}: unknown field '{}'", where, k));
      }
    }
    if (e.id.empty()) return InvalidArgumentError(where + ": id is required");
    if (e.sha256 == std::array<std::uint8_t, 32>{}) return InvalidArgumentError(where + ": sha256 is required");
    for (const auto& o : out) {
      if (o.id == e.id) return InvalidArgumentError(fmt::format("{}: id '{}' appears twice", where, e.id));
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<NewApiToken> GenerateApiToken(SecureRandom& random, std::string_view id,
                                     const std::vector<std::string>& roles,
                                     std::optional<TimePoint> expires) {
  if (id.empty()) return InvalidArgumentError("token id: must not be empty");
  BULWARK_ASSIGN_OR_RETURN(SecretBytes raw, random.Secret(32));
  std::string text = std::string(kPrefix) + Base64Encode(raw.Reveal(), Base64Alphabet::kUrlSafe);
  BULWARK_ASSIGN_OR_RETURN(auto digest, crypto::Sha256(text));
  NewApiToken out;
  out.token = SecretBytes::FromString(text);
  OPENSSL_cleanse(text.data(), text.size());
  std::string roles_yaml;
  for (const auto& r : roles) roles_yaml += (roles_yaml.empty() ? "" : ", ") + r;
  out.entry_yaml = fmt::format("  - {{id: {}, sha256: {}, roles: [{}]{}}}", id, HexEncode(digest), roles_yaml,
                               expires ? ", expires: " + FormatRfc3339(*expires) : "");
  return out;
}

TokenFileAuthenticator::TokenFileAuthenticator(Runtime runtime, std::filesystem::path file,
                                               std::vector<ApiTokenEntry> entries)
    : runtime_(std::move(runtime)),
      file_(std::move(file)),
      entries_(std::make_shared<const std::vector<ApiTokenEntry>>(std::move(entries))) {}

Result<std::unique_ptr<TokenFileAuthenticator>> TokenFileAuthenticator::Create(Runtime runtime,
                                                                               std::filesystem::path file) {
  BULWARK_ASSIGN_OR_RETURN(auto entries, LoadApiTokens(*runtime.fs, file));
  return std::unique_ptr<TokenFileAuthenticator>(
      new TokenFileAuthenticator(std::move(runtime), std::move(file), std::move(entries)));
}

Status TokenFileAuthenticator::Reload() {
  BULWARK_ASSIGN_OR_RETURN(auto entries, LoadApiTokens(*runtime_.fs, file_));
  auto fresh = std::make_shared<const std::vector<ApiTokenEntry>>(std::move(entries));
  std::lock_guard l(mu_);
  entries_ = std::move(fresh);
  return OkStatus();
}

Result<service::Principal> TokenFileAuthenticator::Authenticate(const Credentials& c) const {
  if (!c.bearer_token) return NotFoundError("no bearer token");
  auto bytes = c.bearer_token->Reveal();
  const std::string_view token(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!token.starts_with(kPrefix)) return NotFoundError("not an API token");
  // Same answer for every failure: malformed, unknown, expired.
  const auto invalid = [] { return UnauthenticatedError("invalid or expired token"); };
  if (token.size() != kPrefix.size() + kTokenChars) return invalid();
  BULWARK_ASSIGN_OR_RETURN(auto digest, crypto::Sha256(token));
  std::shared_ptr<const std::vector<ApiTokenEntry>> entries;
  {
    std::lock_guard l(mu_);
    entries = entries_;
  }
  // Every entry is compared (constant time each), so the time does not depend on which matched.
  const ApiTokenEntry* found = nullptr;
  for (const auto& e : *entries) {
    if (CRYPTO_memcmp(e.sha256.data(), digest.data(), digest.size()) == 0) found = &e;
  }
  if (found == nullptr) return invalid();
  if (found->expires && runtime_.clock->Now() >= *found->expires) return invalid();
  service::Principal p;
  p.id = "token:" + found->id;
  p.kind = "token";
  p.roles = found->roles;
  return p;
}

}  // namespace bulwark::server
