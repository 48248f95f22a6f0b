// Helpers shared by the report renderers.
#ifndef BULWARK_SRC_COMPLIANCE_RENDER_UTIL_H_
#define BULWARK_SRC_COMPLIANCE_RENDER_UTIL_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bulwark/compliance/severity.h"
#include "bulwark/config/value.h"

namespace bulwark::compliance::internal {

nlohmann::ordered_json ValueToJson(const config::Value& v);
// "error" (critical, high), "warning" (medium), "note" (low, info).
std::string_view SarifLevel(Severity s);
// GitHub code scanning's security-severity: "9.5", "8.0", "5.5", "3.0", "0.0".
std::string_view SecuritySeverityScore(Severity s);
// "SEC_001" -> "Sec001"-style PascalCase name SARIF suggests for rule names.
std::string SarifRuleName(std::string_view id);
// A URI reference for a path: absolute paths become file:///..., others stay relative; characters
// outside RFC 3986 unreserved and '/' are percent-encoded.
std::string FileUri(std::string_view path);
// XML/HTML text and attribute escaping; characters XML 1.0 forbids become U+FFFD.
std::string XmlEscape(std::string_view text);

}  // namespace bulwark::compliance::internal

#endif  // BULWARK_SRC_COMPLIANCE_RENDER_UTIL_H_
