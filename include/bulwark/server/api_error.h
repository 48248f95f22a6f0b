// The one error shape of the HTTP API (docs/server.md "Errors"):
//
//   {"error": {"code": "conflict", "message": "...", "field": "expected_version", "request_id": "..."}}
//
// `code` is stable (clients switch on it), `message` names the operation and the object (never a
// secret: it is the bulwark::Error message), `field` names the request field or parameter at fault
// when there is one, `request_id` matches the X-Request-Id header and the audit event.
#ifndef BULWARK_SERVER_API_ERROR_H_
#define BULWARK_SERVER_API_ERROR_H_

#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/server/http.h"

namespace bulwark::server {

// The HTTP status for a canonical error code: 400 invalid argument, 401 unauthenticated,
// 403 permission denied, 404 not found, 409 conflict and already exists, 412 failed precondition,
// 413 resource exhausted, 422 data loss, 503 unavailable, 500 internal.
unsigned HttpStatusFor(ErrorCode code);

// The stable code of an error response: "invalid_argument", "not_found", ...
std::string_view ApiErrorCode(ErrorCode code);

// An error response with an explicit status and code (transport errors that have no
// bulwark::Error: 405, 413, 415, 429, 431).
ApiResponse ApiErrorResponse(unsigned status, std::string_view code, std::string_view message,
                             std::string_view request_id, std::string_view field = {});

// The error response for `error`.
ApiResponse ApiErrorResponse(const Error& error, std::string_view request_id,
                             std::string_view field = {});

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_API_ERROR_H_
