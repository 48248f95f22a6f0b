#include "bulwark/drift/source.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <mutex>

#include "bulwark/config/format.h"

namespace bulwark::drift {
namespace {

constexpr std::string_view kForms =
    "expected file:PATH, env:PREFIX, url:https://HOST/PATH or encfile:PATH";

struct Body {
  std::string data;
  std::size_t max = 0;
  bool too_large = false;
};

std::size_t WriteBody(char* ptr, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<Body*>(user);
  if (body->data.size() + size * n > body->max) {
    body->too_large = true;
    return 0;  // aborts the transfer
  }
  body->data.append(ptr, size * n);
  return size * n;
}

// Frees the easy handle and the header list however the fetch ends.
struct CurlRequest {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  ~CurlRequest() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

}  // namespace

std::string SourceSpec::ToString() const {
  switch (kind) {
    case SourceKind::kFile:
      return "file:" + target;
    case SourceKind::kEnv:
      return "env:" + target;
    case SourceKind::kUrl:
      return target;
    case SourceKind::kEncFile:
      return "encfile:" + target;
  }
  return target;
}

Result<SourceSpec> ParseSource(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError(fmt::format("--against '{}': {}", text.substr(0, 200), kForms));
  }
  const std::string_view scheme = text.substr(0, colon);
  const std::string_view rest = text.substr(colon + 1);
  SourceSpec spec;
  spec.target = std::string(rest);
  if (scheme == "file") {
    spec.kind = SourceKind::kFile;
  } else if (scheme == "env") {
    spec.kind = SourceKind::kEnv;
  } else if (scheme == "encfile") {
    spec.kind = SourceKind::kEncFile;
  } else if (scheme == "url") {
    spec.kind = SourceKind::kUrl;
    if (!rest.starts_with("https://")) {
      return InvalidArgumentError("--against url: only https:// URLs are allowed (TLS is required)");
    }
    const std::string_view after = rest.substr(8);
    const std::string_view authority = after.substr(0, after.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
      return InvalidArgumentError(
          "--against url: expected https://HOST[:PORT]/PATH without user information "
          "(pass credentials with --token-file)");
    }
  } else {
    return InvalidArgumentError(
        fmt::format("--against: unknown source kind '{}'; {}", scheme.substr(0, 40), kForms));
  }
  if (spec.target.empty()) {
    return InvalidArgumentError(fmt::format("--against {}: empty target; {}", scheme, kForms));
  }
  return spec;
}

Result<config::Document> LoadFileSource(FileSystem& fs, const std::filesystem::path& path) {
  auto doc = config::LoadFile(fs, path);
  if (!doc && doc.error().code() != ErrorCode::kInvalidArgument) {
    return UnavailableError(fmt::format("live file {}: {}", path.string(), doc.error().message()));
  }
  // A path that names a directory is kInvalidArgument from ReadFile and the parsers' errors carry
  // file:line:column: both are the user's input.
  return doc;
}

Result<config::Document> LoadEnvSource(const std::vector<config::EnvVar>& vars,
                                       std::string_view prefix, const config::Value* base,
                                       const config::Schema* schema) {
  config::EnvOptions options;
  options.prefix = std::string(prefix);
  options.schema = schema;
  options.base = base;
  // Resolve against the baseline (spelling and types), then apply to an empty document so that
  // what the environment does not set shows up as removed.
  BULWARK_ASSIGN_OR_RETURN(std::vector<config::EnvAssignment> assignments,
                           config::ResolveEnvironment(vars, options));
  config::Document doc;
  doc.root = config::Value(config::ValueMap{});
  for (config::EnvAssignment& a : assignments) {
    const std::string location = "env:" + a.variable;
    a.value.set_location_id(doc.locations.Add(location, 0, 0));
    Status st = config::Set(doc.root, a.path, std::move(a.value));
    if (!st) {
      return InvalidArgumentError(fmt::format("env:{}: variable {} sets {}: {}", prefix, a.variable,
                                              a.path.ToString(), st.error().message()));
    }
  }
  return doc;
}

Result<config::Document> FetchUrlSource(const std::string& url, const UrlOptions& options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CurlRequest req;
  if (req.curl == nullptr) return UnavailableError(fmt::format("live {}: curl_easy_init", url));
  Body body;
  body.max = options.max_bytes;
  char error[CURL_ERROR_SIZE] = "";
  CURL* curl = req.curl;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "bulwark-drift");
  req.headers = curl_slist_append(req.headers, "Accept: application/json");
  if (!options.token.empty()) {
    std::string header = "Authorization: Bearer ";
    header.append(options.token.Reveal().begin(), options.token.Reveal().end());
    req.headers = curl_slist_append(req.headers, header.c_str());  // curl copies the string
    SecureZero(header);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, req.headers);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (body.too_large) {
    return UnavailableError(
        fmt::format("live {}: the answer is larger than {} bytes", url, options.max_bytes));
  }
  if (rc != CURLE_OK) {
    return UnavailableError(
        fmt::format("live {}: {}", url, error[0] != '\0' ? error : curl_easy_strerror(rc)));
  }
  if (status < 200 || status > 299) {
    return UnavailableError(fmt::format("live {}: HTTP status {}", url, status));
  }
  auto doc = config::ParseDocument(body.data, config::Format::kJson, {.source_name = url});
  if (!doc) {
    return UnavailableError(
        fmt::format("live {}: the answer is not JSON ({})", url, doc.error().message()));
  }
  if (!doc->root.is_map()) {
    return UnavailableError(fmt::format("live {}: the answer is JSON but not an object", url));
  }
  return doc;
}

Result<SecretBytes> ReadTokenFile(FileSystem& fs, const std::filesystem::path& path) {
  BULWARK_ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path, 64 * 1024));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) {
    return InvalidArgumentError(fmt::format("--token-file {}: empty", path.string()));
  }
  SecretBytes token = SecretBytes::FromString(text);
  SecureZero(text);
  return token;
}

}  // namespace bulwark::drift
