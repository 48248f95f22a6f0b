// The server end to end over TLS on loopback: every route, the error shape, authentication and
// authorization, audit of every request, fail closed, and the OpenAPI document checked against
// the real responses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bulwark/access/authorizer.h"
#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "server/server_fixture_for_test.h"

namespace bulwark::server::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

const char* kDoc = R"({"document": {"database": {"host": "db.internal", "port": 5432, "password": "hunter2-secret"},
                                      "tls": {"enabled": true}},
                       "message": "first"})";

// Validates responses against the OpenAPI document served by the server.
class OpenApiChecker {
 public:
  explicit OpenApiChecker(const std::string& doc) : doc_(json::parse(doc)) {}

  // The operation documented for METHOD PATH-TEMPLATE.
  const json* Operation(const std::string& method, const std::string& path) const {
    auto p = doc_["paths"].find(path);
    if (p == doc_["paths"].end()) return nullptr;
    std::string m = method;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
    auto o = p->find(m);
    return o == p->end() ? nullptr : &*o;
  }

  // Empty when `r` is what the operation documents for its status.
  std::string Check(const std::string& method, const std::string& path, const HttpResult& r) {
    const json* op = Operation(method, path);
    if (op == nullptr) return "undocumented operation " + method + " " + path;
    seen_.insert((*op)["operationId"].get<std::string>());
    auto resp = (*op)["responses"].find(std::to_string(r.status));
    if (resp == (*op)["responses"].end()) return "undocumented status " + std::to_string(r.status) + ": " + r.body;
    auto content = resp->find("content");
    if (content == resp->end()) return "";
    if (content->contains("application/json")) {
      if (r.Header("content-type") != "application/json") return "content-type " + r.Header("content-type");
      const json& schema = (*content)["application/json"]["schema"];
      json full = {{"components", doc_["components"]}, {"allOf", json::array({schema})}};
      auto schema_value = config::ParseDocument(full.dump(), config::Format::kJson);
      auto body_value = config::ParseDocument(r.body, config::Format::kJson);
      if (!schema_value || !body_value) return "unparsable schema or body: " + r.body;
      auto s = config::Schema::Create(schema_value->root, "openapi");
      if (!s) return "schema: " + s.error().message();
      auto errors = (*s)->Validate(body_value->root);
      if (!errors.empty()) return "body does not match the schema: " + errors[0].message + " in " + r.body;
    }
    return "";
  }

  std::set<std::string> Undocumented() const { return {}; }
  // The documented operations (of `tag` only, when given) no call reached.
  std::set<std::string> NotCalled(const std::string& tag = "", const std::string& except_tag = "") const {
    std::set<std::string> out;
    for (auto& [path, ops] : doc_["paths"].items()) {
      for (auto& [m, op] : ops.items()) {
        const std::string op_tag = op.contains("tags") && !op["tags"].empty() ? op["tags"][0].get<std::string>() : "";
        if (!tag.empty() && op_tag != tag) continue;
        if (!except_tag.empty() && op_tag == except_tag) continue;
        if (!seen_.contains(op["operationId"].get<std::string>())) out.insert(op["operationId"].get<std::string>());
      }
    }
    return out;
  }
  const json& doc() const { return doc_; }

 private:
  json doc_;
  std::set<std::string> seen_;
};

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FixtureOptions o;
    o.limits.max_body_bytes = 64 << 10;
    o.limits.max_header_bytes = 8 << 10;
    o.limits.header_timeout = std::chrono::milliseconds(2000);
    f_ = std::make_unique<ServerFixture>(o);
    ASSERT_TRUE(f_->Start());
  }
  HttpResult Call(const std::string& method, const std::string& target, const std::string& who,
                  const std::string& body = "") {
    return f_->Call(method, target, who.empty() ? "" : f_->Token(who), body);
  }
  json Json(const HttpResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  std::unique_ptr<ServerFixture> f_;
};

TEST_F(ServerApiTest, StoppingTheServerReleasesItsServiceAndMetrics) {
  // The metrics registry is one of the routes' dependencies; a gauge that owned them would keep
  // the whole service (store, keys, audit log) alive after the server is gone.
  std::weak_ptr<service::ConfigService> svc = f_->deps().service;
  std::weak_ptr<Metrics> metrics = f_->deps().metrics;
  ASSERT_EQ(Call("GET", "/v1/sys/ready", "").status, 200u);
  ASSERT_THAT(Call("GET", "/metrics", "").body, HasSubstr("bulwark_ready 1"));
  f_.reset();
  EXPECT_TRUE(svc.expired());
  EXPECT_TRUE(metrics.expired());
}

TEST_F(ServerApiTest, HealthReadyMetricsAndOpenApiArePublic) {
  EXPECT_EQ(Call("GET", "/v1/sys/health", "").body, R"({"status":"ok"})");
  auto ready = Call("GET", "/v1/sys/ready", "");
  EXPECT_EQ(ready.status, 200u) << ready.body;
  EXPECT_EQ(Json(ready)["checks"]["audit"], "ok");
  auto metrics = Call("GET", "/metrics", "");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_THAT(metrics.Header("content-type"), HasSubstr("text/plain"));
  EXPECT_THAT(metrics.body, HasSubstr("bulwark_http_requests_total{route=\"/v1/sys/health\",method=\"GET\",status=\"200\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("bulwark_keys{state=\"primary\"} 1"));
  auto doc = Json(Call("GET", "/v1/openapi.json", ""));
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"].contains("/v1/config/data/{namespace}"));
}

TEST_F(ServerApiTest, ProtectedRoutesNeedAValidToken) {
  for (const std::string& token : {std::string(), std::string("bwk_forged"), f_->Token("expired"),
                                   std::string("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."),
                                   f_->Token("admin") + "x"}) {
    auto r = f_->Call("GET", "/v1/config/list", token);
    EXPECT_EQ(r.status, 401u) << token.substr(0, 6);
    EXPECT_EQ(Json(r)["error"]["code"], "unauthenticated");
    EXPECT_THAT(r.Header("www-authenticate"), HasSubstr("Bearer"));
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr(token.empty() ? "\x01" : token)));
  }
  EXPECT_GE(f_->server().metrics().CounterValue("bulwark_authn_failures_total", {"token"}), 4);
  auto basic = f_->Client();
  ASSERT_NE(basic, nullptr);
  auto r = basic->Call("GET", "/v1/config/list", "", {{"Authorization", "Basic YWRtaW46YWRtaW4="}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401u);
}

TEST_F(ServerApiTest, PutGetRevealAndTheSecretStaysRedacted) {
  auto put = Call("PUT", "/v1/config/data/production/api", "admin", kDoc);
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(Json(put)["info"]["version"], 1);
  auto get = Call("GET", "/v1/config/data/production/api", "reader");
  ASSERT_EQ(get.status, 200u) << get.body;
  auto g = Json(get);
  EXPECT_EQ(g["value"]["database"]["password"], "[redacted]");
  EXPECT_EQ(g["value"]["database"]["port"], 5432);
  EXPECT_EQ(g["sensitive"], json::array({"database.password"}));
  EXPECT_THAT(get.body, ::testing::Not(HasSubstr("hunter2")));
  auto sub = Call("GET", "/v1/config/data/production/api?path=database.port", "reader");
  EXPECT_EQ(Json(sub)["value"], 5432);
  // A reader may not reveal; the admin may.
  EXPECT_EQ(Call("GET", "/v1/config/reveal/production/api", "reader").status, 403u);
  auto rev = Call("GET", "/v1/config/reveal/production/api?path=database.password", "admin");
  ASSERT_EQ(rev.status, 200u) << rev.body;
  EXPECT_EQ(Json(rev)["value"], "hunter2-secret");
  // The reader's grant covers production/* only.
  EXPECT_EQ(Call("GET", "/v1/config/data/staging/api", "reader").status, 403u);
  EXPECT_EQ(Call("PUT", "/v1/config/data/production/api", "reader", kDoc).status, 403u);
  for (const auto& line : f_->log_lines()) EXPECT_THAT(line, ::testing::Not(HasSubstr("hunter2")));
}

TEST_F(ServerApiTest, CompareAndSetLosersGet409NamingExpectedVersion) {
  ASSERT_EQ(Call("PUT", "/v1/config/data/production/api", "admin", kDoc).status, 200u);
  auto ok = Call("POST", "/v1/config/set/production/api", "admin",
                 R"({"path": "database.port", "value": 6432, "expected_version": 1})");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  auto lost = Call("POST", "/v1/config/set/production/api", "admin",
                   R"({"path": "database.port", "value": 7432, "expected_version": 1})");
  EXPECT_EQ(lost.status, 409u);
  EXPECT_EQ(Json(lost)["error"]["code"], "conflict");
  EXPECT_EQ(Json(lost)["error"]["field"], "expected_version");
}

TEST_F(ServerApiTest, HistoryDiffRollbackUnsetListAndMove) {
  ASSERT_EQ(Call("PUT", "/v1/config/data/production/api", "admin", kDoc).status, 200u);
  ASSERT_EQ(Call("POST", "/v1/config/set/production/api", "admin",
                 R"({"path": "database.password", "value": "n3w-secret-value", "message": "rotate"})").status,
            200u);
  ASSERT_EQ(Call("POST", "/v1/config/unset/production/api", "admin", R"({"path": "tls"})").status, 200u);
  auto history = Json(Call("GET", "/v1/config/history/production/api", "admin"));
  ASSERT_EQ(history["versions"].size(), 3u);
  EXPECT_EQ(history["versions"][0]["version"], 3);
  auto diff = Call("GET", "/v1/config/diff/production/api?from=1&to=2", "admin");
  ASSERT_EQ(diff.status, 200u) << diff.body;
  EXPECT_EQ(Json(diff)["changes"][0]["path"], "database.password");
  EXPECT_EQ(Json(diff)["changes"][0]["sensitive"], true);
  EXPECT_THAT(diff.body, ::testing::Not(HasSubstr("n3w-secret")));
  auto rb = Call("POST", "/v1/config/rollback/production/api", "admin", R"({"to": 1, "reason": "bad rollout"})");
  ASSERT_EQ(rb.status, 200u) << rb.body;
  EXPECT_EQ(Json(rb)["info"]["rollback_of"], 1);
  auto list = Json(Call("GET", "/v1/config/list?prefix=production/", "reader"));
  ASSERT_EQ(list["namespaces"].size(), 1u);
  EXPECT_EQ(list["namespaces"][0]["latest_version"], 4);
  auto mv = Call("POST", "/v1/config/move", "admin", R"({"from": "production/api", "to": "production/api2"})");
  ASSERT_EQ(mv.status, 200u) << mv.body;
  EXPECT_EQ(Call("GET", "/v1/config/data/production/api2", "reader").status, 200u);
  EXPECT_EQ(Call("GET", "/v1/config/data/production/api", "reader").status, 404u);
}

TEST_F(ServerApiTest, ComplianceCheckAndHistory) {
  ASSERT_EQ(Call("PUT", "/v1/config/data/production/api", "admin", kDoc).status, 200u);
  auto check = Call("GET", "/v1/compliance/check/production/api", "reader");
  ASSERT_EQ(check.status, 200u) << check.body;
  EXPECT_TRUE(Json(check).contains("targets"));
  auto history = Call("GET", "/v1/compliance/history/production/api", "reader");
  ASSERT_EQ(history.status, 200u) << history.body;
  EXPECT_EQ(Json(history)["versions"].size(), 1u);
}

TEST_F(ServerApiTest, AuditRoutesSearchVerifyProveAndExport) {
  ASSERT_EQ(Call("PUT", "/v1/config/data/production/api", "admin", kDoc).status, 200u);
  auto get = Call("GET", "/v1/config/data/production/api", "reader");
  const std::string rid = get.Header("x-request-id");
  ASSERT_FALSE(rid.empty());
  EXPECT_EQ(Call("GET", "/v1/audit/events", "reader").status, 403u);  // audit needs its grant
  auto events = Call("GET", "/v1/audit/events?namespace=production/api&limit=50", "auditor");
  ASSERT_EQ(events.status, 200u) << events.body;
  EXPECT_THAT(events.body, HasSubstr(rid));  // the read is audited with its request id
  EXPECT_THAT(events.body, HasSubstr("token:reader"));
  EXPECT_THAT(events.body, HasSubstr("127.0.0.1"));
  auto verify = Call("POST", "/v1/audit/verify", "auditor");
  ASSERT_EQ(verify.status, 200u) << verify.body;
  EXPECT_EQ(Json(verify)["clean"], true);
  EXPECT_EQ(Call("POST", "/v1/audit/checkpoint", "auditor").status, 403u);  // publishing is admin
  auto cp = Call("POST", "/v1/audit/checkpoint", "admin");
  ASSERT_EQ(cp.status, 200u) << cp.body;
  EXPECT_EQ(Call("GET", "/v1/audit/checkpoint", "auditor").status, 200u);
  auto proof = Call("GET", "/v1/audit/proof/inclusion?index=0", "auditor");
  ASSERT_EQ(proof.status, 200u) << proof.body;
  EXPECT_EQ(Call("GET", "/v1/audit/proof/inclusion?index=100000", "auditor").status, 404u);
  auto cons = Call("GET", "/v1/audit/proof/consistency?old=1&new=2", "auditor");
  ASSERT_EQ(cons.status, 200u) << cons.body;
  auto exp = Call("GET", "/v1/audit/export", "auditor");
  ASSERT_EQ(exp.status, 200u);
  EXPECT_EQ(exp.Header("transfer-encoding"), "chunked");
  std::size_t lines = std::count(exp.body.begin(), exp.body.end(), '\n');
  EXPECT_GE(lines, 5u);
  EXPECT_THAT(exp.body, HasSubstr("\"leaf\""));
}

TEST_F(ServerApiTest, KeyRoutesListRotateDisableEnable) {
  auto list = Call("GET", "/v1/keys", "admin");
  ASSERT_EQ(list.status, 200u) << list.body;
  const std::string first = Json(list)["primary"];
  EXPECT_EQ(Call("POST", "/v1/keys/rotate", "reader").status, 403u);
  auto rot = Call("POST", "/v1/keys/rotate", "admin");
  ASSERT_EQ(rot.status, 200u) << rot.body;
  EXPECT_NE(Json(rot)["key"]["id"], first);
  auto dis = Call("POST", "/v1/keys/" + first + "/disable", "admin");
  ASSERT_EQ(dis.status, 200u) << dis.body;
  EXPECT_EQ(Json(dis)["key"]["state"], "disabled");
  EXPECT_EQ(Call("POST", "/v1/keys/" + first + "/enable", "admin").status, 200u);
  EXPECT_EQ(Call("POST", "/v1/keys/zz/disable", "admin").status, 400u);
}

TEST_F(ServerApiTest, HostileInputGetsItsStatusAndTheServerKeepsServing) {
  struct Case {
    std::string method, target, body;
    unsigned status;
    std::string field;
  };
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  for (const Case& c : std::vector<Case>{
           {"PUT", "/v1/config/data/production/api", "{not json", 400, "body"},
           {"PUT", "/v1/config/data/production/api", "[1,2]", 400, "body"},
           {"PUT", "/v1/config/data/production/api", R"({"document": 5})", 400, "document"},
           {"PUT", "/v1/config/data/production/api", R"({"document": {}, "expected_version": "3"})", 400,
            "expected_version"},
           {"PUT", "/v1/config/data/production/api", R"({"document": {}, "bogus": 1})", 400, "bogus"},
           {"PUT", "/v1/config/data/production/api", R"({"document": {"a": )" + deep + "}}", 413, "body"},
           {"POST", "/v1/config/set/production/api", R"({"path": "a..b", "value": 1})", 400, "path"},
           {"POST", "/v1/config/set/production/api", R"({"path": "a", "value": 1, "a": 1, "a": 2})", 400, "body"},
           {"GET", "/v1/config/data/../../etc/passwd", "", 400, ""},
           {"GET", "/v1/config/data/production/%2e%2e/secret", "", 400, ""},
           {"GET", "/v1/config/data/production/api%zz", "", 400, ""},
           {"GET", "/v1/config/data/Production/API", "", 400, ""},
           {"GET", "/v1/nothing/here", "", 404, ""},
           {"DELETE", "/v1/config/data/production/api", "", 405, ""},
           {"GET", "/v1/config/diff/production/api?from=x&to=2", "", 400, "from"},
           {"GET", "/v1/config/data/production/api?version=0", "", 400, "version"},
       }) {
    auto r = Call(c.method, c.target, "admin", c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body.substr(0, 60) << ": " << r.body;
    auto j = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.body;
    EXPECT_TRUE(j["error"].contains("code")) << r.body;
    if (!c.field.empty()) {
      EXPECT_EQ(j["error"].value("field", ""), c.field) << r.body;
    }
  }
  auto client = f_->Client();
  ASSERT_NE(client, nullptr);
  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + f_->Token("admin")}};
  // Wrong content type.
  auto ct = client->Call("PUT", "/v1/config/data/production/api", kDoc,
                         {{"Authorization", "Bearer " + f_->Token("admin")}, {"Content-Type", "text/plain"}});
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->status, 415u);
  // Duplicated Authorization header.
  auto dup = f_->Client()->Call("GET", "/v1/config/list", "",
                                {{"Authorization", "Bearer " + f_->Token("admin")},
                                 {"Authorization", "Bearer " + f_->Token("reader")}});
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 400u);
  // A huge body and a huge header.
  // (The body is announced, not sent: the server answers from the header and closes.)
  auto big = f_->Client()->Raw("PUT /v1/config/data/production/api HTTP/1.1\r\nHost: x\r\n"
                               "Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n{",
                               std::chrono::milliseconds(3000));
  ASSERT_TRUE(big);
  EXPECT_THAT(big->first, HasSubstr("413"));
  EXPECT_THAT(big->first, HasSubstr("payload_too_large"));
  // A chunked body that grows past the limit is cut off with 413 too.
  std::string chunked = "PUT /v1/config/data/production/api HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 80; ++i) chunked += "400\r\n" + std::string(1024, 'x') + "\r\n";
  auto grown = f_->Client()->Raw(chunked, std::chrono::milliseconds(3000));
  ASSERT_TRUE(grown);
  EXPECT_THAT(grown->first, HasSubstr("413"));
  auto hdr = f_->Client()->Call("GET", "/v1/config/list", "", {{"X-Big", std::string(16 << 10, 'h')}});
  ASSERT_TRUE(hdr);
  EXPECT_EQ(hdr->status, 431u);
  // Still serving.
  EXPECT_EQ(Call("GET", "/v1/sys/health", "").status, 200u);
  EXPECT_EQ(Call("PUT", "/v1/config/data/production/api", "admin", kDoc).status, 200u);
}

TEST_F(ServerApiTest, MalformedHttpIsRefusedAndSlowHeadersAreCutOff) {
  auto c = f_->Client();
  ASSERT_NE(c, nullptr);
  auto bad = c->Raw("GARBAGE\r\n\r\n", std::chrono::milliseconds(3000));
  ASSERT_TRUE(bad);
  EXPECT_THAT(bad->first, HasSubstr("400"));
  EXPECT_TRUE(bad->second);  // closed after the error
  // A client that never finishes its header is cut off by the header timeout (2 s here).
  auto slow = f_->Client();
  ASSERT_NE(slow, nullptr);
  const auto start = std::chrono::steady_clock::now();
  auto r = slow->Raw("GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Slow: ", std::chrono::milliseconds(8000));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->second) << "the server did not close the connection";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(7000));
  // A body announced but never sent is cut off by the request timeout.
  EXPECT_EQ(Call("GET", "/v1/sys/health", "").status, 200u);
}

TEST_F(ServerApiTest, FailsClosedWhenTheAuditLogIsUnavailable) {
  ASSERT_EQ(Call("PUT", "/v1/config/data/production/api", "admin", kDoc).status, 200u);
  f_->SetAuditAvailable(false);
  EXPECT_EQ(Call("GET", "/v1/config/reveal/production/api", "admin").status, 503u);
  EXPECT_EQ(Call("POST", "/v1/config/set/production/api", "admin", R"({"path": "a", "value": 1})").status, 503u);
  EXPECT_EQ(Call("GET", "/v1/audit/events", "auditor").status, 503u);
  EXPECT_EQ(Call("POST", "/v1/keys/rotate", "admin").status, 503u);
  auto ready = Call("GET", "/v1/sys/ready", "");
  EXPECT_EQ(ready.status, 503u);
  EXPECT_THAT(Json(ready)["checks"]["audit"].get<std::string>(), HasSubstr("unavailable"));
  f_->SetAuditAvailable(true);
  EXPECT_EQ(Call("GET", "/v1/config/reveal/production/api", "admin").status, 200u);
  EXPECT_EQ(Call("GET", "/v1/sys/ready", "").status, 200u);
}

TEST_F(ServerApiTest, EveryRouteIsDocumentedAndAnswersAsDocumented) {
  OpenApiChecker api(Call("GET", "/v1/openapi.json", "").body);
  // Every registered route is in the document.
  for (const auto& r : f_->router()->routes()) {
    EXPECT_NE(api.Operation(r.method, OpenApiPath(r.pattern)), nullptr) << r.method << " " << r.pattern;
  }
  struct Call_ {
    std::string method, target, path, who, body;
  };
  const std::vector<Call_> calls = {
      {"GET", "/v1/sys/health", "/v1/sys/health", "", ""},
      {"GET", "/v1/sys/ready", "/v1/sys/ready", "", ""},
      {"GET", "/metrics", "/metrics", "", ""},
      {"GET", "/v1/openapi.json", "/v1/openapi.json", "", ""},
      {"PUT", "/v1/config/data/production/api", "/v1/config/data/{namespace}", "admin", kDoc},
      {"PUT", "/v1/config/data/production/api", "/v1/config/data/{namespace}", "admin", R"({"document": 1})"},
      {"PUT", "/v1/config/data/production/api", "/v1/config/data/{namespace}", "reader", kDoc},
      {"GET", "/v1/config/data/production/api", "/v1/config/data/{namespace}", "reader", ""},
      {"GET", "/v1/config/data/production/none", "/v1/config/data/{namespace}", "reader", ""},
      {"GET", "/v1/config/data/production/api", "/v1/config/data/{namespace}", "", ""},
      {"GET", "/v1/config/reveal/production/api", "/v1/config/reveal/{namespace}", "admin", ""},
      {"GET", "/v1/config/reveal/production/api", "/v1/config/reveal/{namespace}", "reader", ""},
      {"POST", "/v1/config/set/production/api", "/v1/config/set/{namespace}", "admin",
       R"({"path": "feature.beta", "value": true})"},
      {"POST", "/v1/config/set/production/api", "/v1/config/set/{namespace}", "admin",
       R"({"path": "feature.beta", "value": false, "expected_version": 1})"},
      {"POST", "/v1/config/unset/production/api", "/v1/config/unset/{namespace}", "admin",
       R"({"path": "feature.beta"})"},
      {"GET", "/v1/config/history/production/api", "/v1/config/history/{namespace}", "reader", ""},
      {"GET", "/v1/config/diff/production/api?from=1&to=3", "/v1/config/diff/{namespace}", "reader", ""},
      {"POST", "/v1/config/rollback/production/api", "/v1/config/rollback/{namespace}", "admin",
       R"({"to": 1, "reason": "test"})"},
      {"GET", "/v1/config/list", "/v1/config/list", "admin", ""},
      {"POST", "/v1/config/move", "/v1/config/move", "admin", R"({"from": "production/api", "to": "production/b"})"},
      {"POST", "/v1/config/move", "/v1/config/move", "admin", R"({"from": "production/zzz", "to": "production/c"})"},
      {"GET", "/v1/compliance/check/production/b", "/v1/compliance/check/{namespace}", "admin", ""},
      {"GET", "/v1/compliance/history/production/b", "/v1/compliance/history/{namespace}", "admin", ""},
      {"GET", "/v1/audit/events?limit=2", "/v1/audit/events", "auditor", ""},
      {"GET", "/v1/audit/events?impact=extreme", "/v1/audit/events", "auditor", ""},
      {"GET", "/v1/audit/export?to=3", "/v1/audit/export", "auditor", ""},
      {"POST", "/v1/audit/verify", "/v1/audit/verify", "auditor", ""},
      {"POST", "/v1/audit/checkpoint", "/v1/audit/checkpoint", "admin", ""},
      {"GET", "/v1/audit/checkpoint", "/v1/audit/checkpoint", "auditor", ""},
      {"GET", "/v1/audit/proof/inclusion?index=1", "/v1/audit/proof/inclusion", "auditor", ""},
      {"GET", "/v1/audit/proof/consistency?old=1&new=3", "/v1/audit/proof/consistency", "auditor", ""},
      {"GET", "/v1/audit/proof/consistency?old=5&new=3", "/v1/audit/proof/consistency", "auditor", ""},
      {"GET", "/v1/keys", "/v1/keys", "admin", ""},
      {"POST", "/v1/keys/rotate", "/v1/keys/rotate", "admin", ""},
      {"POST", "/v1/keys/rotate", "/v1/keys/rotate", "auditor", ""},
      {"POST", "/v1/keys/ffffffff/disable", "/v1/keys/{id}/disable", "admin", ""},
      {"POST", "/v1/keys/ffffffff/enable", "/v1/keys/{id}/enable", "admin", ""},
  };
  for (const auto& c : calls) {
    auto r = Call(c.method, c.target, c.who, c.body);
    EXPECT_EQ(api.Check(c.method, c.path, r), "") << c.method << " " << c.target << " as " << c.who;
  }
  // The change routes need request ids: ServerChangeTest.EveryChangeRouteAnswersAsDocumented.
  EXPECT_TRUE(api.NotCalled("", "changes").empty())
      << "documented but never called: " << *api.NotCalled("", "changes").begin();
}

// With authorization.policies the access engine decides every route: per-path reveal decisions,
// default deny, and a denial that names the deciding statement (issue #15).
TEST(ServerAccessTest, TheAccessEngineDecidesRoutesAndDenialsNameTheStatement) {
  bulwark::testing::TempDir dir("bulwark-srv-policies");
  std::ofstream(dir / "shop.yaml") << R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: shop
settings: {builtin: false}
statements:
  - id: admins
    effect: allow
    roles: [admin]
    actions: ["*"]
    resources: ["*"]
  - id: readers
    effect: allow
    roles: [reader]
    actions: [read, reveal, list]
    resources: ["config:production/**"]
  - id: no-passwords
    effect: deny
    principals: ["*"]
    actions: [reveal]
    resources: ["config:**:**password"]
)";
  auto fs = NewLocalFileSystem();
  auto set = access::PolicySet::LoadDirectory(*fs, dir.path());
  ASSERT_TRUE(set) << set.error();
  FixtureOptions o;
  o.authorizer = std::make_shared<access::PolicyAuthorizer>(std::move(*set), access::AccessSettings{},
                                                            Runtime::System().clock);
  ServerFixture f(o);
  ASSERT_TRUE(f.Start());
  auto put = f.Call("PUT", "/v1/config/data/production/api", f.Token("admin"), kDoc);
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(f.Call("GET", "/v1/config/data/production/api", f.Token("reader")).status, 200u);
  auto port = f.Call("GET", "/v1/config/reveal/production/api?path=database.port", f.Token("reader"));
  EXPECT_EQ(port.status, 200u) << port.body;
  auto whole = f.Call("GET", "/v1/config/reveal/production/api", f.Token("reader"));
  EXPECT_EQ(whole.status, 403u) << whole.body;
  EXPECT_THAT(whole.body, HasSubstr("shop/no-passwords"));
  EXPECT_THAT(whole.body, ::testing::Not(HasSubstr("hunter2")));
  auto staging = f.Call("GET", "/v1/config/data/staging/api", f.Token("reader"));
  EXPECT_EQ(staging.status, 403u);
  EXPECT_THAT(staging.body, HasSubstr("no statement allows"));
}

TEST(ServerTlsTest, TlsOneTwoClientsAreRefusedByDefault) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  auto c = TestClient::Connect(f.port(), {.ca = f.dir() / "ca.pem", .tls12_only = true});
  EXPECT_FALSE(c);
  auto ok = TestClient::Connect(f.port(), {.ca = f.dir() / "ca.pem"});
  EXPECT_TRUE(ok);
}

TEST(ServerTlsTest, RequiredClientCertificatesAuthenticateAndUnknownOnesAreRefused) {
  FixtureOptions o;
  o.client_auth = TlsOptions::ClientAuth::kRequired;
  ServerFixture f(o);
  ASSERT_TRUE(f.Start());
  // Without a certificate: the handshake fails (TLS 1.3 clients may learn it on their first read).
  auto none = TestClient::Connect(f.port(), {.ca = f.dir() / "ca.pem"});
  if (none) {
    EXPECT_FALSE((*none)->Call("GET", "/v1/sys/health"));
  }
  auto untrusted = TestClient::Connect(
      f.port(), {.ca = f.dir() / "ca.pem", .cert = f.dir() / "untrusted.pem", .key = f.dir() / "untrusted.key"});
  if (untrusted) {  // TLS 1.3: the client learns of the refusal on its first read
    auto r = (*untrusted)->Call("GET", "/v1/sys/health");
    EXPECT_FALSE(r);
  }
  auto c = TestClient::Connect(f.port(),
                               {.ca = f.dir() / "ca.pem", .cert = f.dir() / "client.pem", .key = f.dir() / "client.key"});
  ASSERT_TRUE(c) << c.error();
  // CN=svc-a, OU=deployer: the deployer grant covers staging/*.
  auto put = (*c)->Call("PUT", "/v1/config/data/staging/app", R"({"document": {"replicas": 3}})");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200u) << put->body;
  auto denied = (*c)->Call("GET", "/v1/config/data/production/app");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403u);
  auto history = (*c)->Call("GET", "/v1/config/history/staging/app");
  ASSERT_TRUE(history);
  EXPECT_THAT(history->body, HasSubstr("mtls:svc-a"));
}

TEST(ServerTlsTest, ReloadServesTheNewCertificateWithoutDroppingConnections) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  auto before = f.Client();
  ASSERT_NE(before, nullptr);
  const std::string old_fp = before->ServerFingerprint();
  MakeServerCertificate(f.dir(), "-new");
  std::filesystem::copy_file(f.dir() / "server-new.pem", f.dir() / "server.pem",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(f.dir() / "server-new.key", f.dir() / "server.key",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(f.server().Reload());
  auto after = f.Client();
  ASSERT_NE(after, nullptr);
  EXPECT_NE(after->ServerFingerprint(), old_fp);
  auto still = before->Call("GET", "/v1/sys/health");
  ASSERT_TRUE(still) << still.error();
  EXPECT_EQ(still->status, 200u);
  // A broken file keeps the old material.
  std::ofstream(f.dir() / "server.key") << "not a key";
  EXPECT_FALSE(f.server().Reload());
  EXPECT_NE(f.Client(), nullptr);
}

TEST(ServerLimitsTest, RateLimitPerPrincipalAnswers429WithRetryAfter) {
  FixtureOptions o;
  o.limits.rate_per_second = 1;
  o.limits.rate_burst = 3;
  ServerFixture f(o);
  ASSERT_TRUE(f.Start());
  unsigned limited = 0;
  std::string retry;
  for (int i = 0; i < 6; ++i) {
    auto r = f.Call("GET", "/v1/config/list?prefix=production/", f.Token("admin"));
    if (r.status == 429) {
      ++limited;
      retry = r.Header("retry-after");
    }
  }
  EXPECT_GE(limited, 2u);
  EXPECT_FALSE(retry.empty());
  EXPECT_EQ(f.StatusOf("GET", "/v1/config/list?prefix=production/", f.Token("reader")), 200u);  // another principal
}

TEST(ServerLimitsTest, ConnectionsBeyondTheLimitAreClosed) {
  FixtureOptions o;
  o.limits.max_connections = 2;
  ServerFixture f(o);
  ASSERT_TRUE(f.Start());
  auto a = f.Client();
  auto b = f.Client();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto c = TestClient::Connect(f.port(), {.ca = f.dir() / "ca.pem"});
  EXPECT_FALSE(c);
  a.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(TestClient::Connect(f.port(), {.ca = f.dir() / "ca.pem"}));
}

TEST(ServerShutdownTest, ShutdownDrainsInFlightRequestsAndStopsAccepting) {
  ServerFixture f;
  ASSERT_TRUE(f.Start());
  auto idle = f.Client();  // an idle keep-alive connection is closed by the drain
  ASSERT_NE(idle, nullptr);
  std::atomic<unsigned> status{0};
  auto busy = f.Client();  // connected before the shutdown begins
  ASSERT_NE(busy, nullptr);
  std::thread t([&] {
    auto r = busy->Call("PUT", "/v1/config/data/production/api", kDoc,
                        {{"Authorization", "Bearer " + f.Token("admin")}});
    status = r ? r->status : 0;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::uint16_t port = f.port();
  f.server().Shutdown();
  t.join();
  EXPECT_TRUE(status == 200u || status == 0u);  // finished, or never accepted
  EXPECT_FALSE(TestClient::Connect(port, {.ca = f.dir() / "ca.pem"}));
  auto r = idle->Call("GET", "/v1/sys/health");
  EXPECT_FALSE(r);
}

// ---- Change requests over HTTP (docs/change.md, docs/server.md "Change requests") -------------

constexpr const char* kApprovalPolicies = R"(policies:
  - name: production
    namespaces: ["production/**"]
    approvals: 2
    approver_roles: [operator, security-admin]
    review_approvals: 1
)";

class ServerChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FixtureOptions o;
    o.approval_policies = kApprovalPolicies;
    f_ = std::make_unique<ServerFixture>(o);
    ASSERT_TRUE(f_->Start());
    api_ = std::make_unique<OpenApiChecker>(f_->Call("GET", "/v1/openapi.json", "").body);
  }
  // A call whose response must be what the OpenAPI document says for its status.
  HttpResult Call(const std::string& method, const std::string& target, const std::string& who,
                  const std::string& body = "") {
    auto r = f_->Call(method, target, who.empty() ? "" : f_->Token(who), body);
    std::string path = target.substr(0, target.find('?'));
    if (path.starts_with("/v1/changes/cr-") || path.starts_with("/v1/changes/bogus")) {
      const auto slash = path.find('/', std::string("/v1/changes/").size());
      path = "/v1/changes/{id}" + (slash == std::string::npos ? std::string() : path.substr(slash));
    } else if (path.starts_with("/v1/config/")) {  // /v1/config/KIND/NAMESPACE
      const auto slash = path.find('/', std::string("/v1/config/").size());
      path = path.substr(0, slash) + "/{namespace}";
    }
    EXPECT_EQ(api_->Check(method, path, r), "") << method << " " << target << " as " << who;
    return r;
  }
  json Json(const HttpResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  // Proposes `ops` on `ns` as `who`; the new request's id.
  std::string Propose(const std::string& who, const std::string& ns, const std::string& ops) {
    auto r = Call("POST", "/v1/changes", who,
                  R"({"namespace": ")" + ns + R"(", "ops": )" + ops + R"(, "justification": "ticket OPS-7"})");
    EXPECT_EQ(r.status, 201u) << r.body;
    return Json(r).value("id", "");
  }
  // Brings production/api to version 1 through a change approved by bob and carol.
  std::string Seed() {
    const std::string id = Propose("alice", "production/api", R"([{"op": "put", "document":
        {"region": "eu-west-1", "database": {"host": "db", "ssl_mode": "verify-full", "password": "s3cr3t-seed-value"}}}])");
    EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "bob").status, 200u);
    EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "carol").status, 200u);
    auto applied = Call("POST", "/v1/changes/" + id + "/apply", "alice");
    EXPECT_EQ(applied.status, 200u) << applied.body;
    return id;
  }
  std::unique_ptr<ServerFixture> f_;
  std::unique_ptr<OpenApiChecker> api_;
};

TEST_F(ServerChangeTest, TwoApprovalsByTwoTokenPrincipalsApplyAtomicallyAndAreRecorded) {
  // A covered namespace takes no direct write, whoever asks.
  auto direct = Call("PUT", "/v1/config/data/production/api", "admin", kDoc);
  EXPECT_EQ(direct.status, 403u) << direct.body;
  EXPECT_THAT(direct.body, HasSubstr("approval policy production"));

  auto proposed = Call("POST", "/v1/changes", "alice", R"({"namespace": "production/api",
      "ops": [{"op": "put", "document": {"region": "eu-west-1", "database": {"host": "db", "ssl_mode": "verify-full"}}},
              {"op": "set", "path": "database.password", "value": "n3w-p4ssw0rd-value", "secret": true}],
      "justification": "first deployment", "rollback_plan": "delete it", "tags": ["ticket:OPS-1"]})");
  ASSERT_EQ(proposed.status, 201u) << proposed.body;
  EXPECT_THAT(proposed.body, Not(HasSubstr("n3w-p4ssw0rd-value")));
  json p = Json(proposed);
  const std::string id = p["id"];
  EXPECT_EQ(p["requester"], "token:alice");  // the authenticated principal, not an OS user
  EXPECT_EQ(p["state"], "open");
  EXPECT_EQ(p["policy"], "production");
  EXPECT_EQ(p["approvals_required"], 2);
  EXPECT_EQ(p["impact"]["sensitive_paths"], json::array({"database.password"}));

  // The requester never approves their own change.
  auto self = Call("POST", "/v1/changes/" + id + "/approve", "alice", R"({"comment": "lgtm"})");
  EXPECT_EQ(self.status, 403u) << self.body;
  // A principal without an approver role may not approve (erin is an emergency responder only).
  EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "erin").status, 403u);
  // The reader may see it but not approve it.
  EXPECT_EQ(Call("GET", "/v1/changes/" + id, "reader").status, 200u);
  EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "reader").status, 403u);

  auto one = Call("POST", "/v1/changes/" + id + "/approve", "bob", R"({"comment": "ok"})");
  ASSERT_EQ(one.status, 200u) << one.body;
  EXPECT_EQ(Json(one)["approvals_counting"], 1);
  EXPECT_EQ(Json(one)["approvals"][0]["by"], "token:bob");
  // Approving twice does not count twice.
  EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "bob").status, 409u);
  // One approval is not a quorum: nothing is written.
  auto early = Call("POST", "/v1/changes/" + id + "/apply", "bob");
  EXPECT_EQ(early.status, 409u) << early.body;
  EXPECT_THAT(early.body, HasSubstr("not approved"));
  EXPECT_EQ(Call("GET", "/v1/config/data/production/api", "admin").status, 404u);

  auto two = Call("POST", "/v1/changes/" + id + "/approve", "carol");
  ASSERT_EQ(two.status, 200u) << two.body;
  EXPECT_EQ(Json(two)["state"], "approved");

  // The diff withholds the secret.
  auto diff = Call("GET", "/v1/changes/" + id + "/diff", "reader");
  ASSERT_EQ(diff.status, 200u) << diff.body;
  EXPECT_THAT(diff.body, Not(HasSubstr("n3w-p4ssw0rd-value")));
  bool saw_password = false;
  const json diff_lines = Json(diff)["changes"];
  for (const auto& l : diff_lines) {
    if (l["path"] == "database.password") {
      saw_password = true;
      EXPECT_EQ(l["sensitive"], true);
      EXPECT_FALSE(l.contains("new"));
    }
  }
  EXPECT_TRUE(saw_password) << diff.body;

  auto applied = Call("POST", "/v1/changes/" + id + "/apply", "bob");
  ASSERT_EQ(applied.status, 200u) << applied.body;
  json a = Json(applied);
  EXPECT_EQ(a["state"], "applied");
  EXPECT_EQ(a["applied"]["by"], "token:bob");
  EXPECT_EQ(a["applied"]["version"], 1);
  EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/apply", "bob").status, 409u);  // already applied

  // The version carries the change and both approving principals.
  auto history = Call("GET", "/v1/config/history/production/api", "admin");
  ASSERT_EQ(history.status, 200u);
  const json tags = Json(history)["versions"][0]["tags"];
  EXPECT_THAT(tags.dump(), HasSubstr("\"change:" + id + "\""));
  EXPECT_THAT(tags.dump(), HasSubstr("\"approved-by:token:bob\""));
  EXPECT_THAT(tags.dump(), HasSubstr("\"approved-by:token:carol\""));
  auto revealed = Call("GET", "/v1/config/reveal/production/api?path=database.password", "admin");
  EXPECT_EQ(Json(revealed)["value"], "n3w-p4ssw0rd-value");

  // Lists filter as the CLI does; nothing in them echoes a value.
  auto list = Call("GET", "/v1/changes?namespace=production/&state=applied", "reader");
  ASSERT_EQ(list.status, 200u) << list.body;
  ASSERT_EQ(Json(list)["changes"].size(), 1u);
  EXPECT_EQ(Json(list)["changes"][0]["id"], id);
  EXPECT_THAT(list.body, Not(HasSubstr("n3w-p4ssw0rd-value")));
  EXPECT_EQ(Json(Call("GET", "/v1/changes?state=open", "reader"))["changes"].size(), 0u);

  // The approvals are audited as the token principals (and the secret never is).
  auto all = f_->Call("GET", "/v1/audit/events?limit=1000", f_->Token("auditor"));
  ASSERT_EQ(all.status, 200u) << all.body;
  const json events = Json(all)["events"];
  std::vector<std::string> approvers;
  for (const auto& e : events) {
    const json& d = e["event"]["data"];
    if (d["operation"] == "change.approve" && d["outcome"] == "success") {
      approvers.push_back(d["actor"]["id"]);
      EXPECT_EQ(d["resource"]["name"], id);
    }
  }
  EXPECT_EQ(approvers, (std::vector<std::string>{"token:bob", "token:carol"}));
  EXPECT_THAT(all.body, Not(HasSubstr("n3w-p4ssw0rd-value")));
}

TEST_F(ServerChangeTest, StaleRebaseRejectCommentAndUnknownIds) {
  Seed();
  const std::string a = Propose("alice", "production/api", R"([{"op": "set", "path": "pool", "value": 20}])");
  const std::string b = Propose("bob", "production/api", R"([{"op": "unset", "path": "database.host"}])");
  ASSERT_EQ(Call("POST", "/v1/changes/" + a + "/approve", "bob").status, 200u);
  ASSERT_EQ(Call("POST", "/v1/changes/" + a + "/approve", "carol").status, 200u);
  ASSERT_EQ(Call("POST", "/v1/changes/" + b + "/approve", "alice").status, 200u);
  ASSERT_EQ(Call("POST", "/v1/changes/" + a + "/apply", "carol").status, 200u);
  // b was made against version 1; the namespace is at 2.
  auto stale = Call("POST", "/v1/changes/" + b + "/approve", "carol");
  EXPECT_EQ(stale.status, 409u) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr("stale"));
  EXPECT_EQ(Json(Call("GET", "/v1/changes/" + b, "reader"))["state"], "stale");
  EXPECT_EQ(Call("POST", "/v1/changes/" + b + "/apply", "bob").status, 409u);
  auto rebased = Call("POST", "/v1/changes/" + b + "/rebase", "bob");
  ASSERT_EQ(rebased.status, 200u) << rebased.body;
  EXPECT_EQ(Json(rebased)["base_version"], 2);
  EXPECT_EQ(Json(rebased)["approvals_counting"], 0);  // earlier approvals no longer count
  EXPECT_EQ(Call("POST", "/v1/changes/" + b + "/rebase", "bob").status, 409u);  // not stale now

  auto commented = Call("POST", "/v1/changes/" + b + "/comment", "carol", R"({"comment": "why unset the host?"})");
  ASSERT_EQ(commented.status, 200u) << commented.body;
  EXPECT_EQ(Json(commented)["comments"][0]["by"], "token:carol");
  auto rejected = Call("POST", "/v1/changes/" + b + "/reject", "carol", R"({"comment": "the host is needed"})");
  ASSERT_EQ(rejected.status, 200u) << rejected.body;
  EXPECT_EQ(Json(rejected)["state"], "rejected");
  EXPECT_EQ(Call("POST", "/v1/changes/" + b + "/reject", "alice", R"({"comment": "again"})").status, 409u);
  EXPECT_EQ(Call("POST", "/v1/changes/" + b + "/approve", "alice").status, 409u);  // already decided

  EXPECT_EQ(Call("GET", "/v1/changes/cr-0000000000", "reader").status, 404u);
  EXPECT_EQ(Call("GET", "/v1/changes/cr-0000000000/diff", "reader").status, 404u);
  EXPECT_EQ(Call("POST", "/v1/changes/cr-0000000000/approve", "bob").status, 404u);
  auto bogus = Call("GET", "/v1/changes/bogus", "reader");
  EXPECT_EQ(bogus.status, 400u);
  EXPECT_EQ(Json(bogus)["error"]["field"], "id");
}

TEST_F(ServerChangeTest, BadBodiesAreRefusedNamingTheField) {
  struct Case {
    std::string target, body, field;
  };
  const std::vector<Case> cases = {
      {"/v1/changes", R"({"namespace": "production/api", )", "body"},
      {"/v1/changes", R"({"namespace": "production/api", "ops": [{"op": "set", "path": "a", "value": 1}],
                        "justification": "x", "colour": "red"})", "colour"},
      {"/v1/changes", R"({"namespace": "production/api", "ops": [{"op": "set", "path": "a", "value": 1}]})",
       "justification"},
      {"/v1/changes", R"({"ops": [{"op": "set", "path": "a", "value": 1}], "justification": "x"})", "namespace"},
      {"/v1/changes", R"({"namespace": "production/api", "justification": "x"})", "ops"},
      {"/v1/changes", R"({"namespace": "production/api", "ops": [{"op": "set", "value": 1}], "justification": "x"})",
       "ops[0].path"},
      {"/v1/changes",
       R"({"namespace": "production/api", "ops": [{"op": "unset", "path": "a"}, {"op": "frob"}], "justification": "x"})",
       "ops[1].op"},
      {"/v1/changes",
       R"({"namespace": "production/api", "ops": [{"op": "unset", "path": "a", "value": 2}], "justification": "x"})",
       "ops[0].value"},
      {"/v1/changes", R"({"namespace": "production/api", "ops": [{"op": "rollback", "to": 0}], "justification": "x"})",
       "ops[0].to"},
      {"/v1/changes", R"({"namespace": "production/api", "ops": [], "justification": "x"})", "ops"},
      {"/v1/changes/emergency", R"({"namespace": "production/api", "ops": [{"op": "set", "path": "a", "value": 1}],
                                  "justification": ""})", "justification"},
      {"/v1/changes/cr-0000000000/approve", R"({"overrides": "SEC_001"})", "overrides"},
      {"/v1/changes/cr-0000000000/approve", R"({"because": "x"})", "because"},
      {"/v1/changes/cr-0000000000/reject", R"({})", "comment"},
      {"/v1/changes/cr-0000000000/comment", "", "body"},
  };
  for (const auto& c : cases) {
    auto r = Call("POST", c.target, "alice", c.body);
    EXPECT_EQ(r.status, 400u) << c.target << " " << c.body << " -> " << r.body;
    EXPECT_EQ(Json(r)["error"].value("field", ""), c.field) << c.body << " -> " << r.body;
  }
  auto state = Call("GET", "/v1/changes?state=pending", "reader");
  EXPECT_EQ(state.status, 400u);
  EXPECT_EQ(Json(state)["error"]["field"], "state");
  // A proposal on a namespace the caller may not write.
  EXPECT_EQ(Call("POST", "/v1/changes", "reader", R"({"namespace": "production/api",
      "ops": [{"op": "set", "path": "a", "value": 1}], "justification": "x"})").status, 403u);
}

TEST_F(ServerChangeTest, EmergencyAppliesAtOnceAndItsReviewClosesByAnotherPrincipal) {
  Seed();
  const std::string ops = R"([{"op": "set", "path": "database.host", "value": "db-failover"}])";
  // Only an emergency role breaks the glass.
  auto denied = Call("POST", "/v1/changes/emergency", "alice",
                     R"({"namespace": "production/api", "ops": )" + ops + R"(, "justification": "db down"})");
  EXPECT_EQ(denied.status, 403u) << denied.body;
  auto e = Call("POST", "/v1/changes/emergency", "erin",
                R"({"namespace": "production/api", "ops": )" + ops + R"(, "justification": "db down"})");
  ASSERT_EQ(e.status, 201u) << e.body;
  json v = Json(e);
  EXPECT_EQ(v["kind"], "emergency");
  EXPECT_EQ(v["state"], "applied");
  EXPECT_EQ(v["requester"], "token:erin");
  EXPECT_EQ(v["review"]["closed"], false);
  const std::string id = v["id"];
  // An emergency change is reviewed, not approved; not by the one who broke the glass.
  EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "bob").status, 409u);
  EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/review", "erin").status, 403u);
  auto reviewed = Call("POST", "/v1/changes/" + id + "/review", "carol", R"({"comment": "failover was right"})");
  ASSERT_EQ(reviewed.status, 200u) << reviewed.body;
  EXPECT_EQ(Json(reviewed)["review"]["closed"], true);
  EXPECT_EQ(Json(reviewed)["review"]["reviews"][0]["by"], "token:carol");
  EXPECT_EQ(Call("POST", "/v1/changes/" + id + "/review", "bob").status, 409u);  // closed
  // A normal change has no review.
  const std::string normal = Propose("alice", "production/api", R"([{"op": "set", "path": "pool", "value": 5}])");
  EXPECT_EQ(Call("POST", "/v1/changes/" + normal + "/review", "bob").status, 409u);
}

TEST_F(ServerChangeTest, ABlockingComplianceRuleIsRefusedUntilAnApprovalOverridesIt) {
  Seed();
  const std::string id =
      Propose("alice", "production/api", R"([{"op": "set", "path": "database.ssl_mode", "value": "disable"}])");
  auto shown = Json(Call("GET", "/v1/changes/" + id, "reader"));
  EXPECT_THAT(shown["impact"]["blocking_rules"].dump(), HasSubstr("SEC_001"));
  ASSERT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "bob").status, 200u);
  ASSERT_EQ(Call("POST", "/v1/changes/" + id + "/approve", "carol").status, 200u);
  auto refused = Call("POST", "/v1/changes/" + id + "/apply", "bob");
  EXPECT_EQ(refused.status, 422u) << refused.body;
  EXPECT_THAT(Json(refused)["error"]["message"].get<std::string>(), HasSubstr("SEC_001"));
  // An approval that overrides it lets it through.
  const std::string second =
      Propose("bob", "production/api", R"([{"op": "set", "path": "database.ssl_mode", "value": "disable"}])");
  // Overriding a rule that does not block is bad input.
  auto wrong = Call("POST", "/v1/changes/" + second + "/approve", "alice", R"({"overrides": ["NOPE_9"]})");
  EXPECT_EQ(wrong.status, 400u) << wrong.body;
  EXPECT_EQ(Json(wrong)["error"]["field"], "overrides");
}

TEST_F(ServerChangeTest, ChangesAreRefusedWhileTheAuditLogIsUnavailable) {
  f_->SetAuditAvailable(false);
  auto r = Call("POST", "/v1/changes", "alice", R"({"namespace": "production/api",
      "ops": [{"op": "set", "path": "a", "value": 1}], "justification": "x"})");
  EXPECT_EQ(r.status, 503u) << r.body;
  f_->SetAuditAvailable(true);
  EXPECT_EQ(Call("GET", "/v1/changes", "reader").status, 200u);
}

TEST_F(ServerChangeTest, EveryChangeRouteAnswersAsDocumented) {
  // Each route once (the other tests check statuses and bodies); then nothing of the tag is left.
  const std::string id = Seed();
  Call("GET", "/v1/changes", "reader");
  Call("GET", "/v1/changes/" + id, "reader");
  Call("GET", "/v1/changes/" + id + "/diff", "reader");
  const std::string other = Propose("alice", "production/api", R"([{"op": "set", "path": "pool", "value": 1}])");
  Call("POST", "/v1/changes/" + other + "/comment", "bob", R"({"comment": "hm"})");
  Call("POST", "/v1/changes/" + other + "/rebase", "bob");
  Call("POST", "/v1/changes/" + other + "/reject", "bob", R"({"comment": "no"})");
  auto e = Call("POST", "/v1/changes/emergency", "erin", R"({"namespace": "production/api",
      "ops": [{"op": "set", "path": "pool", "value": 2}], "justification": "x"})");
  Call("POST", "/v1/changes/" + Json(e).value("id", "cr-0000000000") + "/review", "bob");
  EXPECT_TRUE(api_->NotCalled("changes").empty())
      << "documented but never called: " << *api_->NotCalled("changes").begin();
  for (const auto& r : f_->router()->routes()) {
    if (r.pattern.starts_with("/v1/changes")) {
      EXPECT_NE(api_->Operation(r.method, OpenApiPath(r.pattern)), nullptr) << r.pattern;
    }
  }
}

}  // namespace
}  // namespace bulwark::server::testing

