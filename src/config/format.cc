#include "bulwark/config/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "config/internal/formats.h"

namespace bulwark::config {

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kJson:
      return "json";
    case Format::kYaml:
      return "yaml";
    case Format::kToml:
      return "toml";
    case Format::kDotenv:
      return "dotenv";
    case Format::kEnv:
      return "env";
  }
  return "unknown";
}

Result<Format> ParseFormatName(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "json") return Format::kJson;
  if (lower == "yaml" || lower == "yml") return Format::kYaml;
  if (lower == "toml") return Format::kToml;
  if (lower == "dotenv") return Format::kDotenv;
  if (lower == "env") return Format::kEnv;
  std::string shown(name.substr(0, 40));
  return InvalidArgumentError(fmt::format(
      "unknown format '{}': expected one of json, yaml (yml), toml, dotenv, env", shown));
}

Result<Format> FormatFromPath(const std::filesystem::path& path) {
  const std::string file = path.filename().string();
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".json") return Format::kJson;
  if (ext == ".yaml" || ext == ".yml") return Format::kYaml;
  if (ext == ".toml") return Format::kToml;
  if (ext == ".env" || file.starts_with(".env")) return Format::kDotenv;
  return InvalidArgumentError(fmt::format(
      "cannot tell the format of '{}' from its extension (.json, .yaml, .yml, .toml, .env); "
      "name the format explicitly",
      path.string()));
}

Result<Document> ParseDocument(std::string_view text, Format format, const ParseOptions& options) {
  switch (format) {
    case Format::kJson:
      return internal::ParseJson(text, options);
    case Format::kYaml:
      return internal::ParseYaml(text, options);
    case Format::kToml:
      return internal::ParseToml(text, options);
    case Format::kDotenv:
      return internal::ParseDotenv(text, options);
    case Format::kEnv:
      return internal::ParseEnvExports(text, options);
  }
  return InvalidArgumentError("parse: unknown format");
}

Result<Document> LoadFile(FileSystem& fs, const std::filesystem::path& path,
                          std::optional<Format> format) {
  Format f;
  if (format) {
    f = *format;
  } else {
    BULWARK_ASSIGN_OR_RETURN(f, FormatFromPath(path));
  }
  auto text = fs.ReadFile(path);
  if (!text) return std::unexpected(text.error().WithContext("load config " + path.string()));
  ParseOptions options;
  options.source_name = path.string();
  return ParseDocument(*text, f, options);
}

Result<std::string> EmitDocument(const Value& root, Format format, const EmitOptions& options) {
  switch (format) {
    case Format::kJson:
      return internal::EmitJson(root, options);
    case Format::kYaml:
      return internal::EmitYaml(root, options);
    case Format::kToml:
      return internal::EmitToml(root, options);
    case Format::kDotenv:
      return internal::EmitDotenv(root, options);
    case Format::kEnv:
      return internal::EmitEnv(root, options);
  }
  return InvalidArgumentError("emit: unknown format");
}

}  // namespace bulwark::config
