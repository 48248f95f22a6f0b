#include "bulwark/store/open.h"

#include <fmt/format.h>

namespace bulwark::store {

Result<std::unique_ptr<ConfigStore>> OpenStore(std::string_view url, const Runtime& runtime,
                                               const StoreOptions& options) {
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);  // sqlite:///abs/path
    if (path.empty()) return InvalidArgumentError("open store: sqlite: URL without a path");
    return OpenSqliteStore(std::filesystem::path(std::string(path)), runtime, options);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return OpenPostgresStore(url, runtime, options);
  }
  return InvalidArgumentError(fmt::format(
      "open store '{}': unknown URL scheme (use sqlite:PATH or postgresql://...)", RedactUrl(url)));
}

}  // namespace bulwark::store
