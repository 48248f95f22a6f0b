#include "bulwark/core/error.h"

namespace bulwark {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kPermissionDenied: return "permission denied";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kDataLoss: return "data loss";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kResourceExhausted: return "resource exhausted";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kConflict:
    case ErrorCode::kResourceExhausted:
      return exit_code::kBadInput;
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kUnauthenticated:
      return exit_code::kDenied;
    case ErrorCode::kNotFound:
      return exit_code::kNotFound;
    case ErrorCode::kDataLoss:
      return exit_code::kProblemsFound;
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal:
      return exit_code::kUnavailable;
  }
  return exit_code::kUnavailable;
}

std::string Error::ToString() const {
  std::string out(ErrorCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Error Error::WithContext(std::string_view context) const {
  std::string m(context);
  m += ": ";
  m += message_;
  return Error(code_, std::move(m));
}

}  // namespace bulwark
