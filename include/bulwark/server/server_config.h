// server.yaml: the configuration of `bulwark serve` (format and defaults: docs/server.md,
// JSON Schema: docs/server.schema.json).
//
// LoadServerConfig reads and validates the whole file: unknown keys, wrong types and impossible
// combinations (client_auth without client_ca, a TLS version other than 1.2/1.3) are
// kInvalidArgument naming the file and the field ("server.yaml: limits.max_body_bytes: ...").
// Relative paths are resolved against the file's directory.
#ifndef BULWARK_SERVER_SERVER_CONFIG_H_
#define BULWARK_SERVER_SERVER_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/server/authenticator.h"
#include "bulwark/server/grant_authorizer.h"

namespace bulwark::server {

struct TlsOptions {
  std::filesystem::path cert, key;  // PEM chain and private key
  std::filesystem::path client_ca;  // empty: no client certificates
  enum class ClientAuth { kNone, kOptional, kRequired };
  ClientAuth client_auth = ClientAuth::kNone;
  bool allow_tls12 = false;  // min_version "1.2"
};

struct Limits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t max_connections = 1024;
  double rate_per_second = 0;  // 0: no rate limit
  double rate_burst = 0;
  std::size_t max_json_depth = 64;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8200;
  TlsOptions tls;
  Limits limits;
  unsigned io_threads = 2;
  unsigned worker_threads = 64;
  std::chrono::milliseconds drain_timeout{30000};
  bool log_requests = true;
};

struct ServerConfig {
  std::filesystem::path file;  // where it was read from
  ServerOptions server;
  std::filesystem::path home;
  std::string store_url;        // empty: sqlite:<home>/store.db
  std::string audit_store_url;  // empty: as the CLI resolves it for the home
  std::filesystem::path passphrase_file;
  std::filesystem::path tokens_file;
  std::optional<MtlsMapping> mtls;  // set when certificates may authenticate
  // auth.token, auth.jwt and auth.ldap: the identity module's authentication sections (the home's
  // token store, OIDC/JWT, a directory for the LDAP login route), a map {token?, jwt?, ldap?} as written; null when neither is given. Read, with errors
  // naming "server.yaml: auth.jwt....", by identity::BuildAuthenticationMethods in ServerApp::Open.
  config::Value identity_auth;
  // auth.login: {token_ttl: 1h, attempts_per_minute: 10}: the tokens POST /v1/auth/ldap/login
  // issues (with auth.ldap and auth.token) and its rate limit per source address and user name.
  std::chrono::seconds login_token_ttl{3600};
  unsigned login_attempts_per_minute = 10;
  std::vector<Grant> grants;
  // authorization.policies: an access policy directory (docs/access.md); when set, the access
  // engine decides every request instead of the grants (the two cannot be combined).
  std::filesystem::path policies_dir;
  std::size_t cache_entries = 1024;
  // rotation: {schedule: 1h, principal: ..., roles: [...]} (docs/server.md, "Rotation
  // scheduler"): `rotate due` every `schedule` on a background thread, as `principal` (with
  // `roles`), which the grants or policies must allow to list, read, reveal, write and rotate.
  // Unset: no scheduler.
  std::optional<std::chrono::seconds> rotation_schedule;
  std::string rotation_principal = "scheduler:rotation";
  std::vector<std::string> rotation_roles;
};

Result<ServerConfig> LoadServerConfig(FileSystem& fs, const std::filesystem::path& file);

// "127.0.0.1:8200", "[::1]:8200", "localhost:0".
Status ParseListen(std::string_view text, std::string& host, std::uint16_t& port);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_SERVER_CONFIG_H_
