#include "server/server_fixture_for_test.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>

#include "bulwark/audit/log_audit.h"
#include "bulwark/change/guard.h"
#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/server/api_tokens.h"
#include "bulwark/server/grant_authorizer.h"
#include "bulwark/server/metered.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/store/open.h"

namespace bulwark::server::testing {
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

// ---- client -------------------------------------------------------------------------------------

struct TestClient::Impl {
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
};

TestClient::TestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TestClient::~TestClient() {
  if (impl_->stream) {
    beast::error_code ec;
    beast::get_lowest_layer(*impl_->stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(*impl_->stream).close();
  }
}

Result<std::unique_ptr<TestClient>> TestClient::Connect(std::uint16_t port, const ClientOptions& o) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->ctx.load_verify_file(o.ca.string());
    impl->ctx.set_verify_mode(ssl::verify_peer);
    if (!o.cert.empty()) {
      impl->ctx.use_certificate_chain_file(o.cert.string());
      impl->ctx.use_private_key_file(o.key.string(), ssl::context::pem);
    }
    if (o.tls12_only) SSL_CTX_set_max_proto_version(impl->ctx.native_handle(), TLS1_2_VERSION);
    impl->stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(impl->ioc, impl->ctx);
    SSL_set_tlsext_host_name(impl->stream->native_handle(), "localhost");
    auto& tcp_layer = beast::get_lowest_layer(*impl->stream);
    tcp_layer.expires_after(std::chrono::seconds(10));
    tcp_layer.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    impl->stream->handshake(ssl::stream_base::client);
  } catch (const boost::system::system_error& e) {
    return UnavailableError(fmt::format("connect to 127.0.0.1:{}: {}", port, e.what()));
  }
  return std::unique_ptr<TestClient>(new TestClient(std::move(impl)));
}

Result<HttpResult> TestClient::Call(const std::string& method, const std::string& target, const std::string& body,
                                    const std::vector<std::pair<std::string, std::string>>& headers) {
  try {
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    if (req.method() == http::verb::unknown) req.method_string(method);
    req.set(http::field::host, "localhost");
    req.set(http::field::user_agent, "bulwark-test");
    bool has_ct = false;
    for (const auto& [k, v] : headers) {
      req.insert(k, v);
      has_ct = has_ct || beast::iequals(k, "content-type");
    }
    if (!body.empty()) {
      if (!has_ct) req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    beast::get_lowest_layer(*impl_->stream).expires_after(std::chrono::seconds(30));
    http::write(*impl_->stream, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(*impl_->stream, impl_->buffer, parser);
    auto& res = parser.get();
    HttpResult out;
    out.status = res.result_int();
    for (const auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      out.headers[name] = std::string(f.value());
    }
    out.body = std::move(res.body());
    return out;
  } catch (const boost::system::system_error& e) {
    return UnavailableError(fmt::format("{} {}: {}", method, target, e.what()));
  }
}

Result<std::pair<std::string, bool>> TestClient::Raw(const std::string& bytes, std::chrono::milliseconds timeout) {
  std::string got;
  beast::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(*impl_->stream);
  tcp_layer.expires_after(timeout);
  if (!bytes.empty()) net::write(*impl_->stream, net::buffer(bytes), ec);
  if (ec) return std::pair<std::string, bool>(got, true);
  char buf[4096];
  while (true) {
    tcp_layer.expires_after(timeout);
    const std::size_t n = impl_->stream->read_some(net::buffer(buf), ec);
    got.append(buf, n);
    if (ec == beast::error::timeout) return std::pair<std::string, bool>(got, false);
    if (ec) return std::pair<std::string, bool>(got, true);
  }
}

std::string TestClient::ServerFingerprint() const {
  X509* cert = SSL_get1_peer_certificate(impl_->stream->native_handle());
  if (cert == nullptr) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  X509_free(cert);
  return HexEncode(std::span<const std::uint8_t>(md, len));
}

// ---- certificates -------------------------------------------------------------------------------

namespace {
void Sh(const std::string& cmd) {
  ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
}
}  // namespace

void MakeServerCertificate(const std::filesystem::path& dir, const std::string& suffix) {
  const std::string d = dir.string();
  const std::string name = "server" + suffix;
  Sh(fmt::format("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {}/{}.key", d, name));
  std::ofstream(dir / "server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
  Sh(fmt::format("openssl req -new -key {0}/{1}.key -out {0}/{1}.csr -subj /CN=localhost", d, name));
  Sh(fmt::format("openssl x509 -req -in {0}/{1}.csr -CA {0}/ca.pem -CAkey {0}/ca.key -CAcreateserial "
                 "-out {0}/{1}.pem -days 2 -extfile {0}/server.ext",
                 d, name));
}

void MakeCertificates(const std::filesystem::path& dir) {
  const std::string d = dir.string();
  for (const char* name : {"ca", "other-ca", "client", "untrusted"}) {
    Sh(fmt::format("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {}/{}.key", d, name));
  }
  Sh(fmt::format("openssl req -x509 -new -key {0}/ca.key -out {0}/ca.pem -days 2 -subj /CN=test-ca", d));
  Sh(fmt::format("openssl req -x509 -new -key {0}/other-ca.key -out {0}/other-ca.pem -days 2 -subj /CN=other", d));
  MakeServerCertificate(dir, "");
  std::ofstream(dir / "client.ext") << "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:svc-a.internal\n";
  Sh(fmt::format("openssl req -new -key {0}/client.key -out {0}/client.csr -subj /OU=deployer/CN=svc-a", d));
  Sh(fmt::format("openssl x509 -req -in {0}/client.csr -CA {0}/ca.pem -CAkey {0}/ca.key -CAcreateserial "
                 "-out {0}/client.pem -days 2 -extfile {0}/client.ext",
                 d));
  Sh(fmt::format("openssl req -new -key {0}/untrusted.key -out {0}/untrusted.csr -subj /OU=admin/CN=mallory", d));
  Sh(fmt::format("openssl x509 -req -in {0}/untrusted.csr -CA {0}/other-ca.pem -CAkey {0}/other-ca.key "
                 "-CAcreateserial -out {0}/untrusted.pem -days 2 -extfile {0}/client.ext",
                 d));
}

// ---- server -------------------------------------------------------------------------------------

class ServerFixture::FlakySink final : public service::AuditSink {
 public:
  explicit FlakySink(std::shared_ptr<service::AuditSink> inner) : inner_(std::move(inner)) {}
  bulwark::Status Append(const service::AuditRecord& r) override {
    if (!available_) return UnavailableError("audit log unavailable (test)");
    return inner_->Append(r);
  }
  bulwark::Status HealthCheck() const override {
    if (!available_) return UnavailableError("audit log unavailable (test)");
    return inner_->HealthCheck();
  }
  std::atomic<bool> available_{true};

 private:
  std::shared_ptr<service::AuditSink> inner_;
};

ServerFixture::ServerFixture(FixtureOptions options) : options_(std::move(options)) {}
ServerFixture::~ServerFixture() { Stop(); }

void ServerFixture::SetAuditAvailable(bool available) { sink_->available_ = available; }

bool ServerFixture::Start() {
  const auto& d = tmp_.path();
  MakeCertificates(d);
  if (::testing::Test::HasFatalFailure()) return false;
  Runtime rt = Runtime::System();
  // Tokens.
  std::string tokens_yaml = "tokens:\n";
  auto add_token = [&](const std::string& name, const std::vector<std::string>& roles, const std::string& extra) {
    auto t = GenerateApiToken(*rt.random, name, roles, std::nullopt);
    if (!t) return false;
    auto bytes = t->token.Reveal();
    tokens_[name] = std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::string entry = t->entry_yaml;
    if (!extra.empty()) entry.insert(entry.size() - 1, extra);
    tokens_yaml += entry + "\n";
    return true;
  };
  if (!add_token("admin", {"admin"}, "") || !add_token("reader", {"reader"}, "") ||
      !add_token("auditor", {"auditor"}, "") || !add_token("expired", {"admin"}, ", expires: 2020-01-01T00:00:00Z") ||
      !add_token("alice", {"operator"}, "") || !add_token("bob", {"operator"}, "") ||
      !add_token("carol", {"security-admin"}, "") || !add_token("erin", {"emergency-responder"}, "")) {
    ADD_FAILURE() << "token generation failed";
    return false;
  }
  std::ofstream(d / "tokens.yaml") << tokens_yaml;

  auto st = store::OpenStore("sqlite:" + (d / "store.db").string(), rt);
  if (!st) {
    ADD_FAILURE() << st.error();
    return false;
  }
  auto keyring = keys::Keyring::Create(rt, crypto::AlgorithmPolicy::Standard());
  if (!keyring) {
    ADD_FAILURE() << keyring.error();
    return false;
  }
  std::shared_ptr<keys::Keyring> ring = std::move(*keyring);
  auto log_keys = audit::LoadOrCreateLogKeys(rt, d / "audit-log.key");
  if (!log_keys) {
    ADD_FAILURE() << log_keys.error();
    return false;
  }
  audit::AuditLogOptions lo;
  lo.path = d / "audit.db";
  lo.origin = log_keys->origin;
  lo.signers = log_keys->signers;
  auto log = audit::AuditLog::Open(std::move(lo));
  if (!log) {
    ADD_FAILURE() << log.error();
    return false;
  }
  log_ = std::move(*log);
  auto metrics = std::make_shared<Metrics>();
  sink_ = std::make_shared<FlakySink>(
      std::make_shared<audit::LogAuditSink>(log_, audit::ImpactClassifier::Default(), "bulwark://test/server", rt));
  auto sink = NewMeteredAuditSink(sink_, metrics);
  std::vector<Grant> grants = {
      {.roles = {"admin"}, .actions = {"*"}, .resources = {"*"}},
      {.roles = {"reader"}, .actions = {"read", "list"}, .resources = {"production/*"}},
      {.roles = {"auditor"}, .actions = {"read"}, .resources = {"audit"}},
      {.roles = {"deployer"}, .actions = {"read", "write", "list"}, .resources = {"staging/*"}},
      {.roles = {"operator", "security-admin", "emergency-responder"},
       .actions = {"read", "reveal", "write", "list", "approve"},
       .resources = {"production/*"}},
  };
  auto authorizer = NewGrantAuthorizer(grants);
  if (!authorizer) {
    ADD_FAILURE() << authorizer.error();
    return false;
  }
  std::shared_ptr<const service::Authorizer> authz = NewMeteredAuthorizer(
      options_.authorizer ? options_.authorizer
                          : std::shared_ptr<const service::Authorizer>(std::move(*authorizer)),
      metrics);
  auto policies = std::make_shared<const Result<change::ApprovalPolicies>>(
      options_.approval_policies.empty()
          ? Result<change::ApprovalPolicies>(change::ApprovalPolicies())
          : change::ApprovalPolicies::Parse(options_.approval_policies, "approval-policies.yaml"));
  if (!*policies) {
    ADD_FAILURE() << policies->error();
    return false;
  }
  std::shared_ptr<store::ConfigStore> shared_store = std::move(*st);
  std::shared_ptr<const service::ValueCipher> cipher = service::NewKeyringValueCipher(ring);
  service::ServiceDeps sd{rt, shared_store, cipher, change::NewDirectWriteGuard(authz, policies), sink, {}};
  auto mac = service::StoreMacKey::Generate(*rt.random);  // authenticates every stored version
  if (!mac) {
    ADD_FAILURE() << mac.error();
    return false;
  }
  sd.store_mac = std::move(*mac);
  auto pack = compliance::LoadBuiltinPack("baseline");
  if (!pack) {
    ADD_FAILURE() << pack.error();
    return false;
  }
  auto engine = compliance::Engine::Create({std::shared_ptr<const compliance::RulePack>(std::move(*pack))});
  if (!engine) {
    ADD_FAILURE() << engine.error();
    return false;
  }
  sd.compliance = std::move(*engine);
  sd.history = compliance::NewInMemoryComplianceHistory();
  auto store_mac = sd.store_mac;
  auto engine_copy = sd.compliance;
  auto svc = service::ConfigService::Create(std::move(sd));
  if (!svc) {
    ADD_FAILURE() << svc.error();
    return false;
  }
  deps_.service = std::move(*svc);
  change::ChangeServiceDeps cd;
  cd.runtime = rt;
  cd.config = deps_.service.get();
  cd.store = shared_store;
  cd.store_mac = store_mac;
  cd.cipher = cipher;
  cd.authorizer = authz;
  cd.audit = sink;
  cd.policies = policies;
  cd.identify = [](const request::RequestContext& c) {  // the authenticated principal (the node's, with grants)
    change::Identity who{c.principal.id, c.principal.roles};
    std::sort(who.roles.begin(), who.roles.end());
    return who;
  };
  cd.compliance = engine_copy;
  auto changes = change::ChangeService::Create(std::move(cd));
  if (!changes) {
    ADD_FAILURE() << changes.error();
    return false;
  }
  deps_.changes = std::shared_ptr<change::ChangeService>(std::move(*changes));
  deps_.authorizer = authz;
  deps_.audit = sink;
  deps_.log = log_;
  auto verifier = audit::CheckpointVerifier::Create(log_keys->origin, log_keys->verifiers());
  if (!verifier) {
    ADD_FAILURE() << verifier.error();
    return false;
  }
  deps_.verifier = std::make_shared<const audit::CheckpointVerifier>(std::move(*verifier));
  deps_.keyring = ring;
  deps_.metrics = metrics;
  Server** self = new Server*(nullptr);  // filled below; read by the health handler
  std::shared_ptr<Server*> holder(self);
  deps_.accepting = [holder] { return *holder != nullptr && (*holder)->accepting(); };
  auto router = BuildApiRouter(deps_);
  if (!router) {
    ADD_FAILURE() << router.error();
    return false;
  }
  router_ = std::move(*router);

  auto authn_tokens = TokenFileAuthenticator::Create(rt, d / "tokens.yaml");
  if (!authn_tokens) {
    ADD_FAILURE() << authn_tokens.error();
    return false;
  }
  std::vector<std::unique_ptr<Authenticator>> methods;
  methods.push_back(std::move(*authn_tokens));
  methods.push_back(NewMtlsAuthenticator({}));
  ServerOptions so;
  so.host = "127.0.0.1";
  so.port = 0;
  so.tls.cert = d / "server.pem";
  so.tls.key = d / "server.key";
  so.tls.client_auth = options_.client_auth;
  if (options_.client_auth != TlsOptions::ClientAuth::kNone) so.tls.client_ca = d / "ca.pem";
  so.limits = options_.limits;
  so.io_threads = 2;
  so.worker_threads = options_.workers;
  so.drain_timeout = options_.drain;
  ServerHooks hooks;
  hooks.authenticator = NewChainAuthenticator(std::move(methods));
  hooks.audit = sink;
  hooks.log = [this](std::string_view line) {
    std::lock_guard l(log_mu_);
    log_lines_.emplace_back(line);
  };
  auto server = Server::Create(so, hooks, router_, metrics);
  if (!server) {
    ADD_FAILURE() << server.error();
    return false;
  }
  server_ = std::move(*server);
  *holder = server_.get();
  if (auto s = server_->Start(); !s) {
    ADD_FAILURE() << s.error();
    return false;
  }
  return true;
}

void ServerFixture::Stop() {
  if (server_) server_->Shutdown();
}

std::unique_ptr<TestClient> ServerFixture::Client(const ClientOptions& extra) {
  ClientOptions o = extra;
  if (o.ca.empty()) o.ca = dir() / "ca.pem";
  auto c = TestClient::Connect(port(), o);
  EXPECT_TRUE(c.has_value()) << c.error();
  return c ? std::move(*c) : nullptr;
}

HttpResult ServerFixture::Call(const std::string& method, const std::string& target, const std::string& token,
                               const std::string& body) {
  auto c = Client();
  if (!c) return {};
  std::vector<std::pair<std::string, std::string>> headers;
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  auto r = c->Call(method, target, body, headers);
  EXPECT_TRUE(r.has_value()) << r.error();
  return r ? *r : HttpResult{};
}

unsigned ServerFixture::StatusOf(const std::string& method, const std::string& target, const std::string& token,
                               const std::string& body) {
  return Call(method, target, token, body).status;
}

}  // namespace bulwark::server::testing
