// Where an issuer's JWKS comes from (a file, or an HTTPS URL such as the provider's jwks_uri), and
// the cache that refreshes it.
//
// Sources:
//   NewFileJwksSource  reads the file through the injected FileSystem.
//   NewUrlJwksSource   GETs an https:// URL with libcurl: TLS verified against the system CAs or
//                      `ca_file`, no redirects, no other scheme, a timeout, at most 1 MiB, status
//                      200 only. Errors are kUnavailable naming the URL (never a response body).
//
// JwksCache keeps the parsed set and decides when to fetch again:
//   - Get() loads on first use and again once the set is older than `max_age` (a provider's
//     scheduled rotation); a failed reload keeps serving the set it has.
//   - Refresh() is what the JWT method calls when a token names a kid the set does not hold (the
//     provider rotated early): it fetches again unless a fetch was attempted less than
//     `min_refresh_interval` ago, so a flood of tokens with made-up kids costs at most one fetch
//     per interval (rate limit), and answers with the set it then has.
// A source that fails and no set loaded yet: kUnavailable (the JWT method fails closed), tried
// again only after min_refresh_interval (a down provider is not hammered by every request). A
// document that does not parse: kInvalidArgument naming the source and key (kept as the last error;
// an old good set stays in use).
//
// Thread safety: JwksCache may be used from many threads (a mutex; fetches are serialized).
#ifndef BULWARK_IDENTITY_JWKS_SOURCE_H_
#define BULWARK_IDENTITY_JWKS_SOURCE_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/identity/jwk.h"

namespace bulwark::identity {

class JwksSource {
 public:
  virtual ~JwksSource() = default;
  // The document's text. kUnavailable (or kNotFound for a missing file) when it cannot be had.
  virtual Result<std::string> Fetch() const = 0;
  // The file or URL, for errors and `describe` output.
  virtual std::string Describe() const = 0;
};

std::unique_ptr<JwksSource> NewFileJwksSource(std::shared_ptr<FileSystem> fs,
                                              std::filesystem::path path);

struct JwksUrlOptions {
  std::string url;      // https:// only
  std::string ca_file;  // PEM bundle to trust instead of the system's CAs ("" = system)
  std::chrono::milliseconds timeout{5000};
  std::size_t max_size = std::size_t{1} << 20;
};
// kInvalidArgument for a URL that is not https:// or holds user information.
Result<std::unique_ptr<JwksSource>> NewUrlJwksSource(JwksUrlOptions options);

class JwksCache {
 public:
  struct Options {
    std::chrono::seconds min_refresh_interval{60};
    std::chrono::seconds max_age{3600};
  };
  JwksCache(std::unique_ptr<JwksSource> source, std::shared_ptr<Clock> clock, Options options);

  Result<std::shared_ptr<const JwkSet>> Get();
  Result<std::shared_ptr<const JwkSet>> Refresh();

  // Number of fetches attempted (tests, `describe`).
  int fetches() const;
  std::string Describe() const { return source_->Describe(); }

 private:
  Result<std::shared_ptr<const JwkSet>> LoadLocked(TimePoint now);

  std::unique_ptr<JwksSource> source_;
  std::shared_ptr<Clock> clock_;
  Options options_;
  mutable std::mutex mu_;
  std::shared_ptr<const JwkSet> set_;
  std::optional<TimePoint> loaded_at_;
  std::optional<TimePoint> attempted_at_;
  std::optional<Error> last_error_;
  int fetches_ = 0;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_JWKS_SOURCE_H_
