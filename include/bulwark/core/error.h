// Error values and results used by every Bulwark module.
//
// Bulwark reports failures as values, never as exceptions: every fallible function returns
// `Result<T>` (a `std::expected<T, Error>`) or `Status` (a `Result<void>`). Exceptions thrown by
// third-party libraries are caught at the adapter that calls them and turned into an `Error`.
//
// An `Error` carries one canonical `ErrorCode` and a message that names the failing operation and
// the object it failed on ("load config: /etc/app.yaml:3:7: duplicate key 'port'"). A message must
// never contain a secret value: callers pass paths, names and positions, not contents.
//
// Thread safety: `Error` is a value type; distinct objects may be used from distinct threads.
#ifndef BULWARK_CORE_ERROR_H_
#define BULWARK_CORE_ERROR_H_

#include <cstdint>
#include <expected>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace bulwark {

// Canonical error codes. Each maps to one CLI exit code (see ExitCodeFor).
enum class ErrorCode : std::uint8_t {
  kInvalidArgument,     // malformed input: syntax, schema, bad flag value
  kNotFound,            // a named file, namespace, key or version does not exist
  kAlreadyExists,       // creating something that exists
  kPermissionDenied,    // authenticated but not allowed
  kUnauthenticated,     // no or bad credentials (wrong passphrase, bad token)
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kConflict,            // a concurrent writer won (compare-and-set lost)
  kDataLoss,            // integrity failure: tampering, corruption, MAC mismatch
  kUnavailable,         // a dependency (key provider, database, audit sink) cannot be reached
  kResourceExhausted,   // a limit was hit (size, depth, evaluation budget)
  kInternal,            // a bug or an unexpected library failure
};

// Returns a stable lowercase name such as "invalid argument".
std::string_view ErrorCodeName(ErrorCode code);

// Process exit codes shared by every CLI command (PRODUCT.md).
namespace exit_code {
inline constexpr int kOk = 0;
inline constexpr int kProblemsFound = 1;  // violations, findings, drift, failed verification
inline constexpr int kBadInput = 2;       // bad usage or invalid/unreadable input
inline constexpr int kDenied = 3;         // access denied
inline constexpr int kNotFound = 4;       // a named object does not exist
inline constexpr int kUnavailable = 5;    // unavailable or internal error
}  // namespace exit_code

// Maps an error code to the CLI exit code above. Integrity failures (kDataLoss) are "a check found
// problems" (1); kConflict and kAlreadyExists are bad input for the caller to fix (2).
int ExitCodeFor(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid argument: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>". Use it to add the operation or object
  // at each layer an error passes through.
  Error WithContext(std::string_view context) const;

  friend bool operator==(const Error& a, const Error& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }
  friend std::ostream& operator<<(std::ostream& os, const Error& e) { return os << e.ToString(); }

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename T = void>
using Result = std::expected<T, Error>;
using Status = Result<void>;

inline Status OkStatus() { return {}; }

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return std::unexpected<Error>(std::in_place, code, std::move(message));
}
inline std::unexpected<Error> InvalidArgumentError(std::string m) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(m));
}
inline std::unexpected<Error> NotFoundError(std::string m) {
  return MakeError(ErrorCode::kNotFound, std::move(m));
}
inline std::unexpected<Error> AlreadyExistsError(std::string m) {
  return MakeError(ErrorCode::kAlreadyExists, std::move(m));
}
inline std::unexpected<Error> PermissionDeniedError(std::string m) {
  return MakeError(ErrorCode::kPermissionDenied, std::move(m));
}
inline std::unexpected<Error> UnauthenticatedError(std::string m) {
  return MakeError(ErrorCode::kUnauthenticated, std::move(m));
}
inline std::unexpected<Error> FailedPreconditionError(std::string m) {
  return MakeError(ErrorCode::kFailedPrecondition, std::move(m));
}
inline std::unexpected<Error> ConflictError(std::string m) {
  return MakeError(ErrorCode::kConflict, std::move(m));
}
inline std::unexpected<Error> DataLossError(std::string m) {
  return MakeError(ErrorCode::kDataLoss, std::move(m));
}
inline std::unexpected<Error> UnavailableError(std::string m) {
  return MakeError(ErrorCode::kUnavailable, std::move(m));
}
inline std::unexpected<Error> ResourceExhaustedError(std::string m) {
  return MakeError(ErrorCode::kResourceExhausted, std::move(m));
}
inline std::unexpected<Error> InternalError(std::string m) {
  return MakeError(ErrorCode::kInternal, std::move(m));
}

}  // namespace bulwark

#define BULWARK_CONCAT_INNER_(a, b) a##b
#define BULWARK_CONCAT_(a, b) BULWARK_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result or Status) from the enclosing function, if any.
#define BULWARK_RETURN_IF_ERROR(expr)                                       \
  do {                                                                      \
    auto&& bulwark_status_ = (expr);                                        \
    if (!bulwark_status_.has_value())                                       \
      return std::unexpected<::bulwark::Error>(std::move(bulwark_status_).error()); \
  } while (0)

// `BULWARK_ASSIGN_OR_RETURN(auto x, Compute());` declares/assigns x or returns the error.
#define BULWARK_ASSIGN_OR_RETURN(lhs, expr) \
  BULWARK_ASSIGN_OR_RETURN_IMPL_(BULWARK_CONCAT_(bulwark_result_, __LINE__), lhs, expr)
#define BULWARK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                    \
  auto tmp = (expr);                                                      \
  if (!tmp.has_value()) return std::unexpected<::bulwark::Error>(std::move(tmp).error()); \
  lhs = std::move(tmp).value()

#endif  // BULWARK_CORE_ERROR_H_
