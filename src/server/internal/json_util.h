// Request bodies and query parameters with errors that name the field, and the JSON shapes shared
// by several routes (version info). Internal to the server's routes.
#ifndef BULWARK_SRC_SERVER_INTERNAL_JSON_UTIL_H_
#define BULWARK_SRC_SERVER_INTERNAL_JSON_UTIL_H_

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/server/api_error.h"
#include "bulwark/server/http.h"
#include "bulwark/store/config_store.h"

namespace bulwark::server::internal {

// In a handler (returning ApiResponse): `lhs = value of expr`, or return its error response.
#define BULWARK_REPLY_OR_RETURN(lhs, expr) \
  BULWARK_REPLY_OR_RETURN_IMPL_(BULWARK_CONCAT_(bulwark_reply_, __LINE__), lhs, expr)
#define BULWARK_REPLY_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.has_value()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
// In a handler: returns the error response of a Reply<void>.
#define BULWARK_REPLY_IF_ERROR(expr)                     \
  do {                                                   \
    auto bulwark_reply_status_ = (expr);                 \
    if (!bulwark_reply_status_) return std::move(bulwark_reply_status_).error(); \
  } while (0)

// A value, or the error response to send instead.
template <typename T>
using Reply = std::expected<T, ApiResponse>;

// In a function returning a Reply<T>: `lhs = value of expr`, or pass its error response on.
#define BULWARK_REPLY_TRY(lhs, expr) \
  BULWARK_REPLY_TRY_IMPL_(BULWARK_CONCAT_(bulwark_reply_try_, __LINE__), lhs, expr)
#define BULWARK_REPLY_TRY_IMPL_(tmp, lhs, expr)                         \
  auto tmp = (expr);                                                     \
  if (!tmp.has_value()) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(tmp).value()

// 400 invalid_argument naming `field`: "FIELD: what".
std::unexpected<ApiResponse> BadField(const ApiRequest& req, std::string_view field, std::string_view what);
// The response for a service error (status by code), with `field` when known.
ApiResponse ErrorReply(const ApiRequest& req, const Error& error, std::string_view field = {});

// A JSON object body, parsed with the project's JSON parser (duplicate keys and nesting deeper than
// `max_depth` refused: the latter as 413).
class Body {
 public:
  static Reply<Body> Parse(const ApiRequest& req, std::size_t max_depth);
  // As Parse, but no body at all is an empty object (routes whose fields are all optional).
  static Reply<Body> ParseOptional(const ApiRequest& req, std::size_t max_depth);
  // 400 naming the first field not in `known`.
  Reply<void> OnlyFields(std::initializer_list<std::string_view> known) const;
  const config::Value* Find(std::string_view field) const { return root_.Get(field); }
  Reply<std::string> String(std::string_view field) const;
  Reply<std::optional<std::string>> OptionalString(std::string_view field) const;
  Reply<std::optional<std::int64_t>> OptionalInt(std::string_view field, std::int64_t min) const;
  Reply<bool> OptionalBool(std::string_view field, bool fallback) const;
  Reply<std::vector<std::string>> OptionalStrings(std::string_view field) const;

 private:
  Body(const ApiRequest& req, config::Value root) : req_(&req), root_(std::move(root)) {}
  const ApiRequest* req_;
  config::Value root_;
};

// Query parameters.
Reply<std::optional<std::int64_t>> QueryInt(const ApiRequest& req, std::string_view name, std::int64_t min);
// ?version=N or ?at=RFC3339 (not both); latest when neither.
Reply<store::VersionRef> QueryVersion(const ApiRequest& req);

// JSON text of a config::Value (compact).
std::string ValueJson(const config::Value& v);
nlohmann::ordered_json VersionInfoJson(const store::VersionInfo& v);

}  // namespace bulwark::server::internal

#endif  // BULWARK_SRC_SERVER_INTERNAL_JSON_UTIL_H_
