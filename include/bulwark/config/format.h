// Configuration file formats: parsing text into a Document and emitting a Value tree as text.
//
// Parsers are strict and total: any input (truncated, binary, invalid UTF-8, hostile nesting) gives
// either a Document or a kInvalidArgument error whose message starts with
// "<source>:<line>:<column>: " and says what is wrong. They never crash, hang or recurse without
// bound (depth is limited by ParseOptions::max_depth), and never echo more than a short excerpt of
// the input (a value may be a secret). Duplicate map keys are errors in every format.
//
// Emitters write a form that the matching parser reads back to an equal Value (round trip), with
// the documented exceptions per format (e.g. dotenv and env flatten the tree and carry only
// strings; bytes are emitted as base64 strings where a format has no bytes type).
#ifndef BULWARK_CONFIG_FORMAT_H_
#define BULWARK_CONFIG_FORMAT_H_

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bulwark/config/document.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::config {

enum class Format { kJson, kYaml, kToml, kDotenv, kEnv };

// "json", "yaml", "toml", "dotenv", "env".
std::string_view FormatName(Format format);
// Accepts the names above ("yml" too); kInvalidArgument lists the valid names otherwise.
Result<Format> ParseFormatName(std::string_view name);
// From the file extension: .json, .yaml/.yml, .toml, .env (and names starting with ".env").
Result<Format> FormatFromPath(const std::filesystem::path& path);

struct ParseOptions {
  std::string source_name = "<input>";  // used in locations and error messages
  std::size_t max_depth = 128;          // deeper nesting is an error
  bool track_locations = true;
};

Result<Document> ParseDocument(std::string_view text, Format format, const ParseOptions& options = {});

// Reads and parses a file; the format comes from `format` or else from the extension.
Result<Document> LoadFile(FileSystem& fs, const std::filesystem::path& path,
                          std::optional<Format> format = std::nullopt);

struct EmitOptions {
  int indent = 2;
  // For kEnv: the prefix of every variable name (APP_ gives APP_DATABASE__PORT=5432).
  std::string env_prefix;
};

Result<std::string> EmitDocument(const Value& root, Format format, const EmitOptions& options = {});

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_FORMAT_H_
