// A real server for tests: TLS certificates made with the openssl tool, a SQLite store, a fresh
// keyring, the durable audit log (SQLite, signed checkpoints), role grants and API tokens, on
// 127.0.0.1 with a free port; and an HTTPS client (Boost.Beast) that speaks to it.
#ifndef BULWARK_SRC_SERVER_SERVER_FIXTURE_FOR_TEST_H_
#define BULWARK_SRC_SERVER_SERVER_FIXTURE_FOR_TEST_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/audit/event_store.h"
#include "bulwark/request/authorizer.h"
#include "bulwark/server/routes.h"
#include "bulwark/server/server.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::server::testing {

struct HttpResult {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ClientOptions {
  std::filesystem::path ca;                 // trust anchor
  std::filesystem::path cert, key;          // client certificate (mTLS), optional
  bool tls12_only = false;                  // offer TLS 1.2 only
};

// One keep-alive HTTPS connection. Every call returns the error or the response.
class TestClient {
 public:
  static Result<std::unique_ptr<TestClient>> Connect(std::uint16_t port, const ClientOptions& options);
  ~TestClient();
  Result<HttpResult> Call(const std::string& method, const std::string& target, const std::string& body = "",
                          const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Writes raw bytes on the TLS stream and reads until the server closes or `timeout` passes;
  // returns what was read and whether the server closed the connection.
  Result<std::pair<std::string, bool>> Raw(const std::string& bytes, std::chrono::milliseconds timeout);
  // The SHA-256 fingerprint (hex) of the server's certificate on this connection.
  std::string ServerFingerprint() const;

  struct Impl;

 private:
  explicit TestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Makes ca.pem/key, server.pem/key (CN=localhost, SAN DNS:localhost, IP:127.0.0.1), client.pem/key
// (CN=svc-a, OU=deployer), other-ca.pem and untrusted.pem/key (signed by other-ca) in `dir`;
// with `suffix`, a second server certificate server<suffix>.pem/key from the same CA.
void MakeCertificates(const std::filesystem::path& dir);
void MakeServerCertificate(const std::filesystem::path& dir, const std::string& suffix);

struct FixtureOptions {
  Limits limits;
  TlsOptions::ClientAuth client_auth = TlsOptions::ClientAuth::kNone;
  unsigned workers = 8;
  std::chrono::milliseconds drain{5000};
  // Decides instead of the grants below when set (e.g. an access::PolicyAuthorizer).
  std::shared_ptr<const request::Authorizer> authorizer;
  // The YAML of approval-policies.yaml (docs/change.md); empty: no namespace is covered. The
  // authorizer is wrapped with the direct-write guard, as the node does.
  std::string approval_policies;
};

// The tokens of the fixture: "admin" (every action on everything), "reader" (read and list on
// production/*), "auditor" (read on audit), "expired" (admin, expired yesterday); for change
// requests "alice" and "bob" (role operator), "carol" (security-admin) and "erin"
// (emergency-responder): read, reveal, list, write and approve on production/* (a proposal
// reads its base with reveal to assess impact).
class ServerFixture {
 public:
  explicit ServerFixture(FixtureOptions options = {});
  ~ServerFixture();

  // Starts the server; false (with a gtest failure) when something cannot be set up.
  bool Start();
  void Stop();

  std::unique_ptr<TestClient> Client(const ClientOptions& extra = {});
  // A call on a fresh connection with `token` ("" for none).
  HttpResult Call(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = "");
  // Only the status.
  unsigned StatusOf(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = "");

  std::string Token(const std::string& name) const { return tokens_.at(name); }
  const std::filesystem::path& dir() const { return tmp_.path(); }
  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }
  audit::AuditLog& log() { return *log_; }
  const ApiDeps& deps() const { return deps_; }
  std::shared_ptr<const Router> router() const { return router_; }
  std::vector<std::string>& log_lines() { return log_lines_; }
  // Makes the audit sink report unavailable (fail-closed tests).
  void SetAuditAvailable(bool available);

  class FlakySink;

 private:
  FixtureOptions options_;
  bulwark::testing::TempDir tmp_{"bulwark-server"};
  std::map<std::string, std::string> tokens_;
  std::shared_ptr<audit::AuditLog> log_;
  std::shared_ptr<FlakySink> sink_;
  ApiDeps deps_;
  std::shared_ptr<const Router> router_;
  std::unique_ptr<Server> server_;
  std::mutex log_mu_;
  std::vector<std::string> log_lines_;
};

}  // namespace bulwark::server::testing

#endif  // BULWARK_SRC_SERVER_SERVER_FIXTURE_FOR_TEST_H_
