// API tokens for the server, stored as SHA-256 hashes in a YAML file (docs/server.md):
//
//   tokens:
//     - {id: ci-deploy, sha256: <64 hex>, roles: [deployer], expires: 2027-01-01T00:00:00Z}
//
// A token is "bwk_" followed by 43 base64url characters (256 random bits): the prefix lets secret
// scanners find leaked ones. The file never holds a token, only its hash; lookups hash the
// presented token and compare hashes in constant time. Until the identity module (token store,
// revocation, last use) is wired in, this is how `bulwark serve` knows API tokens.
#ifndef BULWARK_SERVER_API_TOKENS_H_
#define BULWARK_SERVER_API_TOKENS_H_

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/runtime.h"
#include "bulwark/server/authenticator.h"

namespace bulwark::server {

struct ApiTokenEntry {
  std::string id;                    // principal "token:<id>"
  std::array<std::uint8_t, 32> sha256{};
  std::vector<std::string> roles;
  std::optional<TimePoint> expires;
};

// Parses a tokens file; kInvalidArgument naming the file, the entry and the field.
Result<std::vector<ApiTokenEntry>> LoadApiTokens(FileSystem& fs, const std::filesystem::path& file);

// A new random token ("bwk_...") and its file entry (YAML, one line).
struct NewApiToken {
  SecretBytes token;
  std::string entry_yaml;
};
Result<NewApiToken> GenerateApiToken(SecureRandom& random, std::string_view id,
                                     const std::vector<std::string>& roles,
                                     std::optional<TimePoint> expires);

class TokenFileAuthenticator final : public Authenticator {
 public:
  // Loads `file` now (errors as LoadApiTokens).
  static Result<std::unique_ptr<TokenFileAuthenticator>> Create(Runtime runtime,
                                                                std::filesystem::path file);
  Result<service::Principal> Authenticate(const Credentials& credentials) const override;
  Status Reload() override;
  std::string_view method() const override { return "token"; }

 private:
  TokenFileAuthenticator(Runtime runtime, std::filesystem::path file,
                         std::vector<ApiTokenEntry> entries);
  Runtime runtime_;
  std::filesystem::path file_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<ApiTokenEntry>> entries_;
};

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_API_TOKENS_H_
