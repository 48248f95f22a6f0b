// Where the live side of a drift check comes from, and reading it.
//
//   file:PATH      a configuration file in any format the loaders read (by extension)
//   env:PREFIX     the process environment, variables starting with PREFIX, mapped to nested
//                  paths as config/environment.h does (`APP_DATABASE__PORT` -> database.port)
//   url:https://.. JSON fetched over HTTPS (certificate and host verified; optional bearer token;
//                  bounded time and size)
//   encfile:PATH   a deployed encrypted file, decrypted with the home's keys (the node does that,
//                  through the audited file service)
//
// Failure cases: a malformed SOURCE is kInvalidArgument. A live side that cannot be read is
// kUnavailable: a missing or unreadable file, a connection that fails, a TLS failure, a timeout, an
// HTTP status other than 2xx, a body that is not a JSON object or is larger than the limit. A live
// side that cannot be read is never reported as "no drift". Errors name the source, never a token
// or a value.
#ifndef BULWARK_DRIFT_SOURCE_H_
#define BULWARK_DRIFT_SOURCE_H_

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/environment.h"
#include "bulwark/config/schema.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::drift {

enum class SourceKind { kFile, kEnv, kUrl, kEncFile };

struct SourceSpec {
  SourceKind kind = SourceKind::kFile;
  std::string target;  // the path, the prefix or the URL
  // "file:PATH", "env:PREFIX", the URL, "encfile:PATH" (for reports and provenance).
  std::string ToString() const;
};

// kInvalidArgument naming the accepted forms for anything else (an empty target, a url: that is
// not https://, a URL with credentials in it).
Result<SourceSpec> ParseSource(std::string_view text);

// file: the document with file:line:column locations. kUnavailable when the file cannot be read,
// kInvalidArgument when it does not parse.
Result<config::Document> LoadFileSource(FileSystem& fs, const std::filesystem::path& path);

// env: the variables with `prefix` applied to an empty document, coerced to the types of `base`
// (the baseline) and `schema` where they name a path of it; every node located "env:NAME".
Result<config::Document> LoadEnvSource(const std::vector<config::EnvVar>& vars,
                                       std::string_view prefix, const config::Value* base,
                                       const config::Schema* schema);

struct UrlOptions {
  std::chrono::milliseconds timeout{10000};  // the whole exchange, connection included
  std::size_t max_bytes = 16u << 20;
  SecretBytes token;                 // sent as "Authorization: Bearer ..." when not empty
  std::filesystem::path ca_file;     // trust these CAs instead of the system's
};

// url: GET with TLS verification; the body must be a JSON object. Locations are "URL:line:col".
Result<config::Document> FetchUrlSource(const std::string& url, const UrlOptions& options);

// A token file's content without the trailing newline; kInvalidArgument when empty.
Result<SecretBytes> ReadTokenFile(FileSystem& fs, const std::filesystem::path& path);

}  // namespace bulwark::drift

#endif  // BULWARK_DRIFT_SOURCE_H_
