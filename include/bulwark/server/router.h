// Routes of the HTTP API and the OpenAPI document assembled from them.
//
// Adding a route is one Router::Add: method, path pattern, the OpenAPI operation object (JSON
// text, the route's only documentation), whether it is public, and the handler. The OpenAPI 3.1
// document served at /v1/openapi.json is built from the registered fragments and the shared
// component schemas (AddSchema), so the document and the routes cannot drift apart; the tests
// call every documented operation and validate the real responses against it.
//
// Patterns are '/'-separated literal segments and parameters: `{name}` matches one non-empty
// segment, `{name+}` (last only) matches the rest of the path (one or more segments, with their
// '/'). Literal segments win over parameters; among routes with the same shape, the first added
// wins. Thread safety: Add and AddSchema before serving; Find and OpenApiDocument are const and
// may run concurrently.
#ifndef BULWARK_SERVER_ROUTER_H_
#define BULWARK_SERVER_ROUTER_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/server/http.h"

namespace bulwark::server {

using Handler = std::function<ApiResponse(const ApiRequest&)>;

struct Route {
  std::string method;      // "GET", "PUT", "POST", "DELETE", "PATCH"
  std::string pattern;     // "/v1/config/data/{namespace+}"
  std::string openapi;     // the OpenAPI Operation Object as JSON (must have operationId, responses)
  bool is_public = false;  // served without authentication (health, readiness, metrics, openapi)
  bool has_body = false;   // expects a JSON body (Content-Type: application/json)
  // Runs on the server's I/O thread instead of a worker (cheap handlers that never block).
  bool inline_handler = false;
  Handler handler;
};

class Router {
 public:
  // kInvalidArgument for a malformed pattern, method or OpenAPI fragment; kAlreadyExists when the
  // same method and pattern are registered twice.
  Status Add(Route route);
  // A shared schema, referenced from fragments as {"$ref": "#/components/schemas/NAME"}.
  Status AddSchema(std::string name, std::string schema_json);

  struct Match {
    const Route* route = nullptr;  // null: no route
    std::map<std::string, std::string, std::less<>> params;  // raw (still percent-encoded)
    // When `route` is null: the methods of routes whose pattern matches (non-empty: 405, else 404).
    std::vector<std::string> allowed;
  };
  Match Find(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

  // The OpenAPI 3.1 document (JSON text) for `title` and `version`.
  std::string OpenApiDocument(std::string_view title, std::string_view version) const;

 private:
  struct Segment {
    std::string text;
    bool param = false;
    bool rest = false;
  };
  struct Compiled {
    std::vector<Segment> segments;
  };
  static bool MatchPattern(const Compiled& c, std::string_view path,
                           std::map<std::string, std::string, std::less<>>* params);
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  std::map<std::string, std::string> schemas_;
};

// The OpenAPI path of a pattern: "{namespace+}" becomes "{namespace}".
std::string OpenApiPath(std::string_view pattern);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_ROUTER_H_
