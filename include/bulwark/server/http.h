// What a route handler sees and returns: a parsed request and a response, with no Boost.Beast
// types, so that handlers are plain functions testable without a socket.
//
// The server fills ApiRequest after it has parsed the HTTP request (Boost.Beast), matched a route
// (params), authenticated the caller (context.principal) and generated a request id. A handler
// returns an ApiResponse; the server adds the request id header, the metrics and the request log.
#ifndef BULWARK_SERVER_HTTP_H_
#define BULWARK_SERVER_HTTP_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/service/request_context.h"

namespace bulwark::server {

struct ApiRequest {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // the decoded path, without the query
  std::map<std::string, std::string, std::less<>> params;       // path parameters of the route
  std::vector<std::pair<std::string, std::string>> query;       // decoded, in order
  std::string body;
  service::RequestContext context;  // principal (empty id on public routes), source, request id

  // The first value of query parameter `name`, if present.
  std::optional<std::string_view> Query(std::string_view name) const;
  // The path parameter `name` ("" when the route has none of that name).
  std::string_view Param(std::string_view name) const;
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed body (chunked transfer encoding) instead of `body`: called repeatedly on a worker
  // thread; appends the next chunk to `out` and returns true while more follows, false after the
  // last chunk. An error after the header was sent ends the stream abruptly (the client sees a
  // truncated chunked body, never a well-formed one).
  std::function<Result<bool>(std::string& out)> stream;
};

// A JSON response with `status` and the serialized body.
ApiResponse JsonResponse(unsigned status, std::string body);

// Percent-decodes a URL component; kInvalidArgument on a malformed escape. With `form`, '+' is a
// space (query strings).
Result<std::string> PercentDecode(std::string_view s, bool form);

// Splits "a=1&b=x%20y" into decoded pairs.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_HTTP_H_
