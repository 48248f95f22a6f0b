// The per-format parsers and emitters behind ParseDocument and EmitDocument (format.h). Each obeys
// the contracts stated there; the format-specific typing rules are in docs/formats-config.md.
#ifndef BULWARK_CONFIG_INTERNAL_FORMATS_H_
#define BULWARK_CONFIG_INTERNAL_FORMATS_H_

#include <string>
#include <string_view>

#include "bulwark/config/document.h"
#include "bulwark/config/format.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::config::internal {

Result<Document> ParseJson(std::string_view text, const ParseOptions& options);
Result<Document> ParseYaml(std::string_view text, const ParseOptions& options);
Result<Document> ParseToml(std::string_view text, const ParseOptions& options);
Result<Document> ParseDotenv(std::string_view text, const ParseOptions& options);
// `export NAME='value'` lines as written by EmitEnv.
Result<Document> ParseEnvExports(std::string_view text, const ParseOptions& options);

Result<std::string> EmitJson(const Value& root, const EmitOptions& options);
Result<std::string> EmitYaml(const Value& root, const EmitOptions& options);
Result<std::string> EmitToml(const Value& root, const EmitOptions& options);
Result<std::string> EmitDotenv(const Value& root, const EmitOptions& options);
Result<std::string> EmitEnv(const Value& root, const EmitOptions& options);

}  // namespace bulwark::config::internal

#endif  // BULWARK_CONFIG_INTERNAL_FORMATS_H_
