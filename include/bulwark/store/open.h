// Opening a configuration store from a URL.
//
//   sqlite:PATH                 an SQLite database file (created with its directory's permissions
//                               if missing; the embedded default)
//   postgresql://...            a PostgreSQL database (libpq connection URI; postgres:// too)
//
// Opening runs schema migrations automatically (docs/store.md). It fails with
// kFailedPrecondition when the database was written by a newer Bulwark (schema version above the
// one this build knows) or is not a Bulwark store (another application's SQLite database), with
// kDataLoss when the file is not a database or is corrupt, and kUnavailable when the database
// cannot be reached. A database that is refused is never modified.
#ifndef BULWARK_STORE_OPEN_H_
#define BULWARK_STORE_OPEN_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/store/config_store.h"

namespace bulwark::store {

// The schema version this build writes and the newest it can read.
inline constexpr int kSchemaVersion = 2;

struct StoreOptions {
  // How long a write waits for another process's lock before kUnavailable.
  std::chrono::milliseconds busy_timeout{10'000};
};

// Opens the store named by `url`. Only runtime.clock is used: the database engine owns its files.
Result<std::unique_ptr<ConfigStore>> OpenStore(std::string_view url, const Runtime& runtime,
                                               const StoreOptions& options = {});

Result<std::unique_ptr<ConfigStore>> OpenSqliteStore(const std::filesystem::path& path,
                                                     const Runtime& runtime,
                                                     const StoreOptions& options = {});
Result<std::unique_ptr<ConfigStore>> OpenPostgresStore(std::string_view conninfo,
                                                       const Runtime& runtime,
                                                       const StoreOptions& options = {});

// The URL with any password replaced by "***".
std::string RedactUrl(std::string_view url);

}  // namespace bulwark::store

#endif  // BULWARK_STORE_OPEN_H_
