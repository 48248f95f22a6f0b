#include <algorithm>

#include "server/internal/openapi.h"

namespace bulwark::server::internal {

nlohmann::ordered_json Ref(const std::string& schema) {
  return {{"$ref", "#/components/schemas/" + schema}};
}

nlohmann::ordered_json PathParam(const std::string& name, const std::string& description) {
  return {{"name", name}, {"in", "path"}, {"required", true}, {"description", description},
          {"schema", {{"type", "string"}}}};
}

nlohmann::ordered_json QueryParam(const std::string& name, const std::string& type,
                                  const std::string& description, bool required) {
  return {{"name", name}, {"in", "query"}, {"required", required}, {"description", description},
          {"schema", {{"type", type}}}};
}

nlohmann::ordered_json NamespaceParam() {
  nlohmann::ordered_json p = PathParam(
      "namespace",
      "A namespace such as production/payments (the rest of the path; segments of [a-z0-9._-])");
  p["allowReserved"] = true;
  return p;
}

std::string OperationJson(const OpDoc& d) {
  nlohmann::ordered_json op;
  op["operationId"] = d.id;
  op["summary"] = d.summary;
  op["tags"] = {d.tag};
  if (!d.parameters.empty()) op["parameters"] = d.parameters;
  if (d.request_schema) {
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", *d.request_schema}}}}}};
  }
  nlohmann::ordered_json responses;
  nlohmann::ordered_json ok = {{"description", d.success_description}};
  if (d.success_content_type == "application/json") {
    ok["content"] = {{"application/json", {{"schema", d.success_schema}}}};
  } else {
    ok["content"] = {{d.success_content_type, {{"schema", {{"type", "string"}}}}}};
  }
  responses[std::to_string(d.success)] = ok;
  std::vector<unsigned> errors = d.errors;
  if (d.authenticated) {
    errors.push_back(401);
    errors.push_back(429);
  }
  std::sort(errors.begin(), errors.end());
  errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
  for (unsigned s : errors) {
    responses[std::to_string(s)] = {
        {"description", "Error"}, {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
  }
  op["responses"] = responses;
  return op.dump();
}

}  // namespace bulwark::server::internal
