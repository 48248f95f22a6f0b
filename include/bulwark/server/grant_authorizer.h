// Role grants from server.yaml as the service's Authorizer, until the access engine (ABAC,
// explanations) is wired in through the same seam:
//
//   authorization:
//     grants:
//       - {roles: [reader], actions: [read, list], resources: ["production/*"]}
//
// A request is allowed when some grant names one of the principal's roles (or its id in
// `principals`), the action (or "*") and a resource pattern that matches: "*" matches
// everything, "prefix*" a prefix, anything else exactly. Resources are configuration namespaces,
// "audit" (the audit routes, which ask for audit.read, or admin to publish a checkpoint; a grant
// of read covers audit.read) and "keys" (the key routes). Everything else is denied (default
// deny); there is no allow-all without a grant that says so. The reason of a decision names the
// grant ("grant 2 (roles reader)") or says that no grant allows it.
#ifndef BULWARK_SERVER_GRANT_AUTHORIZER_H_
#define BULWARK_SERVER_GRANT_AUTHORIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/service/authorizer.h"

namespace bulwark::server {

struct Grant {
  std::vector<std::string> roles;
  std::vector<std::string> principals;  // principal ids, e.g. "token:ci-deploy", "mtls:api.internal"
  std::vector<std::string> actions;     // action names (authorizer.h) or "*"
  std::vector<std::string> resources;   // patterns
};

// kInvalidArgument naming the grant and field for an unknown action or an empty pattern.
Result<std::unique_ptr<service::Authorizer>> NewGrantAuthorizer(std::vector<Grant> grants);

// Whether `pattern` ("*", "prefix*", "exact") matches `resource`.
bool ResourceMatches(std::string_view pattern, std::string_view resource);

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_GRANT_AUTHORIZER_H_
