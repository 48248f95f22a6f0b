// An authorization request: who, what, on which resource, and the facts around it.
//
// Everything is passed by view so that a decision copies nothing on its hot path: the caller
// keeps the principal, the resource strings and the maps alive until Decide/Explain returns.
#ifndef BULWARK_ACCESS_REQUEST_H_
#define BULWARK_ACCESS_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/access/action.h"
#include "bulwark/access/resource.h"
#include "bulwark/config/value.h"

namespace bulwark::access {

// Who asks (produced by an identity provider, or by the home for the local OS user).
struct Principal {
  std::string id;    // "local:alice", "oidc:https://issuer|sub", "token:ci-deploy"
  std::string kind;  // "local", "oidc", "ldap", "mtls", "token"
  std::vector<std::string> roles;   // assigned by the identity provider
  std::vector<std::string> groups;  // directory or token groups
  // tenant, team, clearance, environment (a string or a list of strings), ...; a map.
  config::Value attributes = config::Value::EmptyMap();
};

// Facts about the request itself.
struct RequestFacts {
  std::int64_t time_seconds = 0;  // Unix time of the request
  std::int32_t time_nanos = 0;
  std::optional<std::string> source;  // the source address ("10.1.2.3"); unknown when absent
  std::optional<bool> mfa;            // whether MFA was used; unknown when absent
};

struct Request {
  const Principal* principal = nullptr;  // required
  Action action = Action::kRead;
  ResourceRef resource;
  RequestFacts facts;
  const config::Value* context = nullptr;  // a map, or null for none
};

// A request that owns everything it points at (tests, the CLI, analyses).
struct OwnedRequest {
  Principal principal;
  Action action = Action::kRead;
  ResourceName resource;
  config::Value resource_attributes = config::Value::EmptyMap();
  RequestFacts facts;
  config::Value context = config::Value::EmptyMap();

  // A view valid while this object lives and is not modified.
  Request view() const {
    return {&principal, action, resource.ref(&resource_attributes), facts, &context};
  }
};

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_REQUEST_H_
