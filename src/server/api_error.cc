#include "bulwark/server/api_error.h"

#include <nlohmann/json.hpp>

namespace bulwark::server {

unsigned HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kFailedPrecondition: return 412;
    case ErrorCode::kResourceExhausted: return 413;
    case ErrorCode::kDataLoss: return 422;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

std::string_view ApiErrorCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kFailedPrecondition: return "failed_precondition";
    case ErrorCode::kResourceExhausted: return "payload_too_large";
    case ErrorCode::kDataLoss: return "data_loss";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

ApiResponse ApiErrorResponse(unsigned status, std::string_view code, std::string_view message,
                             std::string_view request_id, std::string_view field) {
  nlohmann::ordered_json e;
  e["code"] = code;
  e["message"] = message;
  if (!field.empty()) e["field"] = field;
  e["request_id"] = request_id;
  nlohmann::ordered_json j;
  j["error"] = std::move(e);
  ApiResponse r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"bulwark\"");
  return r;
}

ApiResponse ApiErrorResponse(const Error& error, std::string_view request_id,
                             std::string_view field) {
  return ApiErrorResponse(HttpStatusFor(error.code()), ApiErrorCode(error.code()), error.message(),
                          request_id, field);
}

}  // namespace bulwark::server
