// Fuzzes the server's request handling behind TLS: the bytes are one HTTP/1.1 request, parsed by
// Boost.Beast's parser with the server's limits, then routed and run exactly as a connection
// does (percent-decoding of path and query, path parameters, the route's handler with an admin
// principal) against a real service over a SQLite store. Invariants: no crash; every answer is
// a known status; every error is the one JSON error shape; no response carries the stored
// secret unless the route is a reveal or a request brought its text.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/server/api_error.h"
#include "bulwark/server/grant_authorizer.h"
#include "bulwark/server/routes.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/store/open.h"
#include "bulwark/testing/recording_audit_sink.h"

namespace {
namespace http = boost::beast::http;
using namespace bulwark;

constexpr std::string_view kSecret = "fuzz-secret-value-9f3a";

bool Carries(std::string_view s) { return s.find(kSecret) != std::string_view::npos; }

struct World {
  std::shared_ptr<server::Router> router;
};

World* Setup() {
  static World* w = [] {
    auto* out = new World;
    Runtime rt = Runtime::System();
    char dir[] = "/tmp/bulwark-http-fuzz.XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    auto st = store::OpenStore(std::string("sqlite:") + dir + "/store.db", rt);
    auto ring = keys::Keyring::Create(rt, crypto::AlgorithmPolicy::Standard());
    auto authz = server::NewGrantAuthorizer({{.roles = {"admin"}, .actions = {"*"}, .resources = {"*"}}});
    if (!st || !ring || !authz) std::abort();
    std::shared_ptr<keys::Keyring> keyring = std::move(*ring);
    std::shared_ptr<const service::Authorizer> a = std::move(*authz);
    auto sink = std::make_shared<testing::RecordingAuditSink>();
    service::ServiceDeps deps{rt, std::move(*st), service::NewKeyringValueCipher(keyring), a, sink, {}};
    auto mac = service::StoreMacKey::Generate(*rt.random);  // authenticates every stored version
    if (!mac) std::abort();
    deps.store_mac = std::move(*mac);
    auto svc = service::ConfigService::Create(std::move(deps));
    if (!svc) std::abort();
    server::ApiDeps api;
    api.service = std::move(*svc);
    api.authorizer = a;
    api.audit = sink;
    api.keyring = keyring;
    api.metrics = std::make_shared<server::Metrics>();
    auto router = server::BuildApiRouter(api);
    if (!router) std::abort();
    out->router = std::move(*router);
    service::RequestContext ctx;
    ctx.principal = {"token:fuzz", "token", {"admin"}, config::Value::EmptyMap()};
    config::Value doc = config::Value::EmptyMap();
    doc.AsMap().Set("password", config::Value(std::string(kSecret)));
    doc.AsMap().Set("port", config::Value(std::int64_t{5432}));
    if (!api.service->Put(ctx, "production/api", doc, {})) std::abort();
    return out;
  }();
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World* w = Setup();
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(64 << 10);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  auto& req = parser.get();
  const std::string target(req.target());
  const std::size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  auto m = w->router->Find(std::string(req.method_string()), path);
  if (m.route == nullptr) return 0;
  server::ApiRequest r;
  r.method = std::string(req.method_string());
  auto decoded = server::PercentDecode(path, false);
  auto query = server::ParseQuery(q == std::string::npos ? "" : target.substr(q + 1));
  if (!decoded || !query) return 0;
  r.path = *decoded;
  r.query = *query;
  for (auto& [k, v] : m.params) {
    auto d = server::PercentDecode(v, false);
    if (!d) return 0;
    r.params.emplace(k, *d);
  }
  r.body = req.body();
  r.context.principal = {"token:fuzz", "token", {"admin"}, config::Value::EmptyMap()};
  r.context.request_id = "fuzz";
  const bool reveal = path.starts_with("/v1/config/reveal/");
  bool brought = Carries(std::string_view(reinterpret_cast<const char*>(data), size)) ||
                 Carries(r.path) || Carries(r.body) || r.body.find("\\u") != std::string::npos ||
                 r.body.find("\\U") != std::string::npos || r.body.find("\\x") != std::string::npos;
  for (const auto& [k, v] : r.query) brought = brought || Carries(k) || Carries(v);
  for (const auto& [k, v] : r.params) brought = brought || Carries(v);
  server::ApiResponse res = m.route->handler(r);
  if (res.status < 200 || res.status > 599) std::abort();
  if (res.status >= 400) {
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (j.is_discarded() || !j.contains("error") || !j["error"].contains("code")) std::abort();
  }
  // A request that itself carries the secret's text (literally, percent-encoded in its path or
  // query, or spelled with escapes in its body) may see it echoed back in an error naming what
  // it asked for, and once such a request has written it under a non-sensitive name a later
  // read may return it legitimately. Only a secret no request brought is a leak.
  static bool tainted = false;
  if (!reveal && !brought && !tainted && res.body.find(kSecret) != std::string::npos) std::abort();
  if (brought && r.method != "GET" && r.method != "HEAD" && res.status < 300) tainted = true;
  return 0;
}
