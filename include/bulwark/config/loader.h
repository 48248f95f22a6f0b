// Loading a configuration the way an application sees it: layered files, environment variables,
// schema defaults, validation, strict mode and sensitivity, in one call.
//
// Order (later wins): schema defaults < files in the order given < environment variables.
// Defaults are filled in only where the merged files and environment left a property missing, and
// never in strict mode.
//
// Strict mode (production): no default or fallback values. Every property that is required, or that
// would have fallen back to a schema default, and is missing is reported, all of them at once.
//
// Failure model: unreadable or unparsable input (a file, the schema, an environment variable that
// cannot be coerced) is an error result (exit 2); a configuration that loads but violates the
// schema or strict mode is a successful result whose `problems` are non-empty (exit 1).
#ifndef BULWARK_CONFIG_LOADER_H_
#define BULWARK_CONFIG_LOADER_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/environment.h"
#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::config {

struct LoadRequest {
  std::vector<std::filesystem::path> files;  // at least one file or an env prefix
  std::optional<Format> format;              // forces the format of every file
  std::optional<std::string> env_prefix;     // when set, environment variables are a layer
  std::vector<EnvVar> environment;           // the variables to consider (ReadProcessEnvironment)
  std::optional<std::filesystem::path> schema_file;
  bool strict = false;
  std::vector<std::string> sensitive_path_patterns;  // RE2 over dotted paths
};

struct LoadedConfig {
  Document document;                   // merged, with provenance for every node
  std::vector<SchemaError> problems;   // schema and strict-mode violations, in document order
  std::vector<Path> sensitive;         // outermost sensitive nodes
  std::unique_ptr<Schema> schema;      // when a schema file was given
};

Result<LoadedConfig> LoadConfig(FileSystem& fs, const LoadRequest& request);

// Parses a schema file (JSON or YAML).
Result<std::unique_ptr<Schema>> LoadSchemaFile(FileSystem& fs, const std::filesystem::path& path);

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_LOADER_H_
