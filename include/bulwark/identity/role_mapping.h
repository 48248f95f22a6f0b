// Groups from an identity system (OIDC `groups` claim, LDAP group entries, a certificate's OU)
// mapped to Bulwark roles by a table. Shared by every method so that one format configures all.
//
// Configuration (YAML/JSON, a map inside each method's section):
//   roles:
//     default: [viewer]                   # roles every principal of this method gets
//     groups:                              # group name -> roles (exact, case-sensitive match)
//       platform-admins: [global-admin]
//       team-payments: [operator-payments, viewer-payments]
//     pass_through: false                 # true: an unmapped group becomes a role of its name
// Unmapped groups give no role unless pass_through is set (the default is closed: a new group in
// the directory grants nothing until someone maps it). The result is sorted and without duplicates.
//
// Thread safety: immutable after construction.
#ifndef BULWARK_IDENTITY_ROLE_MAPPING_H_
#define BULWARK_IDENTITY_ROLE_MAPPING_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::identity {

struct RoleMapping {
  std::vector<std::string> default_roles;
  std::map<std::string, std::vector<std::string>, std::less<>> groups;
  bool pass_through = false;

  // The roles of a principal in `member_of`.
  std::vector<std::string> Map(const std::vector<std::string>& member_of) const;

  // Reads the `roles` map above; `where` names it in errors ("server.yaml:
  // authentication.jwt.roles"). kInvalidArgument naming the field for a wrong type, an unknown key
  // or an empty role name.
  static Result<RoleMapping> FromValue(const config::Value& value, std::string_view where);
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_ROLE_MAPPING_H_
