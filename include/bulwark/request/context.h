// Who is asking, and from where: the context every service operation runs in.
//
// The CLI and embedders build a context for the local operating-system user (LocalUserContext);
// the server builds one from an authenticated token or certificate. Audit records copy the
// context; authorization decides on the principal and its attributes.
#ifndef BULWARK_REQUEST_CONTEXT_H_
#define BULWARK_REQUEST_CONTEXT_H_

#include <string>
#include <vector>

#include "bulwark/config/value.h"

namespace bulwark::request {

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

// The context of the current operating-system user: principal "local:<user name>" (or
// "local:uid<N>" without a passwd entry), kind "local", source "local", client `client`.
RequestContext LocalUserContext(std::string client);

// LocalUserContext("bulwark-cli/" + client_version).
RequestContext LocalCliContext(std::string client_version);

}  // namespace bulwark::request

#endif  // BULWARK_REQUEST_CONTEXT_H_
