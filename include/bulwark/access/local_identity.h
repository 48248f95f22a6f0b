// The home's access settings and the local identity: the OS user of the CLI as a principal.
//
// `access` in <home>/config.yaml (docs/access.md "Local identity"):
//
//   access:
//     policies: policies            # the policy directory, relative to the home (default)
//     local_users:                  # OS user name -> principal; "*" for every other user
//       alice: {roles: [operator], groups: [payments], attributes: {tenant: acme}}
//       ci: {id: "token:ci-local", roles: [developer]}
//       "*": {roles: [viewer]}
//
// A local user's principal has the id "local:<user>" (unless the entry gives one), kind
// "local", and the entry's roles, groups and attributes; a user with no entry (and no "*")
// gets none, so only statements for `local:*`-style principals or "anyone" apply to them.
#ifndef BULWARK_ACCESS_LOCAL_IDENTITY_H_
#define BULWARK_ACCESS_LOCAL_IDENTITY_H_

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bulwark/access/request.h"
#include "bulwark/config/document.h"
#include "bulwark/core/error.h"

namespace bulwark::access {

struct AccessSettings {
  std::filesystem::path policies_dir;  // absolute (the home's "policies" by default)
  bool configured = false;             // the config has an `access` section
  std::map<std::string, config::Value, std::less<>> local_users;  // raw entries by user name
};

// Reads the `access` section of a home's configuration document (which may lack it).
// kInvalidArgument naming "<file>:<line>:<column>: access.<field>" for a malformed section.
Result<AccessSettings> ReadAccessSettings(const config::Document& home_config,
                                          const std::filesystem::path& home);

// The principal of OS user `user` under `settings`; kInvalidArgument for a malformed entry.
Result<Principal> LocalPrincipal(const AccessSettings& settings, std::string_view user);

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_LOCAL_IDENTITY_H_
