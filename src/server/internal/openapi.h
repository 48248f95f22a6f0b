// Builders for the OpenAPI fragments that routes register with (router.h). A route's
// documentation is its OpDoc, written once beside its handler.
#ifndef BULWARK_SRC_SERVER_INTERNAL_OPENAPI_H_
#define BULWARK_SRC_SERVER_INTERNAL_OPENAPI_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bulwark::server::internal {

struct OpDoc {
  std::string id;       // operationId
  std::string summary;
  std::string tag;
  std::vector<nlohmann::ordered_json> parameters;
  std::optional<nlohmann::ordered_json> request_schema;  // application/json body
  unsigned success = 200;
  nlohmann::ordered_json success_schema;                 // for application/json responses
  std::string success_content_type = "application/json";
  std::string success_description = "OK";
  std::vector<unsigned> errors;  // statuses answered with the Error schema
  bool authenticated = true;     // adds 401 and 429
};

std::string OperationJson(const OpDoc& doc);
nlohmann::ordered_json Ref(const std::string& schema);
nlohmann::ordered_json PathParam(const std::string& name, const std::string& description);
nlohmann::ordered_json QueryParam(const std::string& name, const std::string& type,
                                  const std::string& description, bool required = false);
nlohmann::ordered_json NamespaceParam();

}  // namespace bulwark::server::internal

#endif  // BULWARK_SRC_SERVER_INTERNAL_OPENAPI_H_
