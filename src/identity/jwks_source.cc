#include "bulwark/identity/jwks_source.h"

#include <curl/curl.h>
#include <fmt/format.h>

namespace bulwark::identity {
namespace {

class FileSource final : public JwksSource {
 public:
  FileSource(std::shared_ptr<FileSystem> fs, std::filesystem::path path)
      : fs_(std::move(fs)), path_(std::move(path)) {}
  Result<std::string> Fetch() const override {
    auto text = fs_->ReadFile(path_, std::size_t{1} << 20);
    if (!text) return std::unexpected(text.error().WithContext("JWKS"));
    return text;
  }
  std::string Describe() const override { return path_.string(); }

 private:
  std::shared_ptr<FileSystem> fs_;
  std::filesystem::path path_;
};

struct Body {
  std::string data;
  std::size_t max = 0;
  bool too_large = false;
};

std::size_t Write(char* ptr, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<Body*>(user);
  if (body->data.size() + size * n > body->max) {
    body->too_large = true;
    return 0;  // aborts the transfer
  }
  body->data.append(ptr, size * n);
  return size * n;
}

class UrlSource final : public JwksSource {
 public:
  explicit UrlSource(JwksUrlOptions o) : o_(std::move(o)) {}
  std::string Describe() const override { return o_.url; }

  Result<std::string> Fetch() const override {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return UnavailableError(fmt::format("JWKS {}: curl_easy_init", o_.url));
    Body body;
    body.max = o_.max_size;
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, o_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!o_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "bulwark-jwks");
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (body.too_large) {
      return UnavailableError(
          fmt::format("JWKS {}: the document is larger than {} bytes", o_.url, o_.max_size));
    }
    if (rc != CURLE_OK) {
      return UnavailableError(
          fmt::format("JWKS {}: {}", o_.url, error[0] != '\0' ? error : curl_easy_strerror(rc)));
    }
    if (status != 200) {
      return UnavailableError(fmt::format("JWKS {}: HTTP status {}", o_.url, status));
    }
    return std::move(body.data);
  }

 private:
  JwksUrlOptions o_;
};

}  // namespace

std::unique_ptr<JwksSource> NewFileJwksSource(std::shared_ptr<FileSystem> fs,
                                              std::filesystem::path path) {
  return std::make_unique<FileSource>(std::move(fs), std::move(path));
}

Result<std::unique_ptr<JwksSource>> NewUrlJwksSource(JwksUrlOptions options) {
  if (!options.url.starts_with("https://")) {
    return InvalidArgumentError(
        fmt::format("JWKS URL '{}': only https:// is allowed", options.url.substr(0, 200)));
  }
  const std::string_view rest = std::string_view(options.url).substr(8);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError(
        "JWKS URL: expected https://host[:port]/path without user information");
  }
  return std::unique_ptr<JwksSource>(std::make_unique<UrlSource>(std::move(options)));
}

JwksCache::JwksCache(std::unique_ptr<JwksSource> source, std::shared_ptr<Clock> clock,
                     Options options)
    : source_(std::move(source)), clock_(std::move(clock)), options_(options) {}

int JwksCache::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

Result<std::shared_ptr<const JwkSet>> JwksCache::LoadLocked(TimePoint now) {
  attempted_at_ = now;
  ++fetches_;
  auto text = source_->Fetch();
  Result<JwkSet> parsed = text ? JwkSet::Parse(*text, source_->Describe())
                               : Result<JwkSet>(std::unexpected(text.error()));
  if (parsed) {
    set_ = std::make_shared<const JwkSet>(std::move(*parsed));
    loaded_at_ = now;
    last_error_.reset();
    return set_;
  }
  last_error_ = parsed.error();
  if (set_ != nullptr) return set_;  // keep serving the last good set
  if (parsed.error().code() == ErrorCode::kInvalidArgument) return std::unexpected(parsed.error());
  return UnavailableError(parsed.error().message());
}

Result<std::shared_ptr<const JwkSet>> JwksCache::Get() {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_->Now();
  const bool stale = !loaded_at_ || now - *loaded_at_ >= options_.max_age;
  const bool may_try = !attempted_at_ || now - *attempted_at_ >= options_.min_refresh_interval;
  if (stale && may_try) return LoadLocked(now);
  if (set_ != nullptr) return set_;
  return UnavailableError(last_error_ ? last_error_->message()
                                      : fmt::format("JWKS {}: not loaded", source_->Describe()));
}

Result<std::shared_ptr<const JwkSet>> JwksCache::Refresh() {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_->Now();
  if (!attempted_at_ || now - *attempted_at_ >= options_.min_refresh_interval) {
    return LoadLocked(now);
  }
  if (set_ != nullptr) return set_;
  return UnavailableError(last_error_ ? last_error_->message()
                                      : fmt::format("JWKS {}: not loaded", source_->Describe()));
}

}  // namespace bulwark::identity
