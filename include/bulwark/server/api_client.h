// A client of the HTTP API (the CLI's --server mode): HTTPS only, the server's CA pinned (the
// system trust store is not used when a CA file is given), a bearer token or a client
// certificate, one keep-alive connection re-established when the server closed it.
//
// Errors: a response with an error body becomes a bulwark::Error with the code that the API code
// names (conflict -> kConflict, permission_denied -> kPermissionDenied, ...) and the server's
// message, so that the CLI's exit codes are the same remotely and locally. Transport failures
// (connect, handshake, a certificate that does not verify) are kUnavailable naming the URL.
// The token is sent only in the Authorization header, never in a URL, and never printed.
//
// Thread safety: one ApiClient per thread.
#ifndef BULWARK_SERVER_API_CLIENT_H_
#define BULWARK_SERVER_API_CLIENT_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::server {

struct ApiClientOptions {
  std::string url;                  // https://host:port
  std::filesystem::path ca;         // the server's CA (PEM); empty: the system's trust store
  std::optional<SecretBytes> token;
  std::filesystem::path cert, key;  // client certificate for mTLS
  std::chrono::seconds timeout{30};
  std::string user_agent = "bulwark-cli";
};

class ApiClient {
 public:
  // kInvalidArgument for a malformed URL or unreadable certificate files.
  static Result<std::unique_ptr<ApiClient>> Create(ApiClientOptions options);
  ~ApiClient();

  // The response body of a 2xx answer; the error described above otherwise.
  Result<std::string> Call(std::string_view method, std::string_view target, std::string_view body = {});

  struct Impl;

 private:
  explicit ApiClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query value or a path made of namespace segments (keeps '/' when `path`).
std::string UrlEncode(std::string_view s, bool path);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_API_CLIENT_H_
