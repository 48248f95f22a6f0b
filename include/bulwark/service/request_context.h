// Who is asking, and from where: the context every service operation runs in.
//
// The CLI builds a context for the local operating-system user; the server (later) builds one from
// an authenticated token or certificate. Audit events copy the context; authorization decides on
// the principal and its attributes.
#ifndef BULWARK_SERVICE_REQUEST_CONTEXT_H_
#define BULWARK_SERVICE_REQUEST_CONTEXT_H_

#include <string>
#include <vector>

#include "bulwark/config/value.h"

namespace bulwark::service {

struct Principal {
  std::string id;           // "local:alice", "oidc:https://issuer|sub", "token:ci-deploy"
  std::string kind;         // "local", "oidc", "ldap", "mtls", "token"
  std::vector<std::string> roles;
  config::Value attributes = config::Value::EmptyMap();  // team, clearance, mfa, ...
};

struct RequestContext {
  Principal principal;
  std::string source_address;  // "local" for the CLI, the peer address for the server
  std::string client;          // "bulwark-cli/0.1.0", a user agent
  std::string request_id;      // unique per request; generated when empty
};

// The context of a CLI invocation by the current operating-system user.
RequestContext LocalCliContext(std::string client_version);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_REQUEST_CONTEXT_H_
