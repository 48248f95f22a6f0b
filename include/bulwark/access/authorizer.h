// The access engine as the authorizer of every service (request::Authorizer).
//
// PolicyAuthorizer decides each service operation with a PolicySet (docs/access.md "Wiring into
// the service"):
//   - the principal: the request context's principal (id, kind, roles; `groups`, `mfa` and the
//     other attributes from principal.attributes); a local principal ("local:<user>", kind
//     "local") gets its roles, groups and attributes from the home's `access.local_users`;
//   - the facts: the clock's time, the source address unless it is "local", MFA when the
//     principal's attributes say (`mfa: true|false`);
//   - the action: one to one (read is the redacted read, reveal the clear one);
//   - the resource: a namespace without paths is `config:NS`; with paths, one decision per path
//     (`config:NS:PATH`), all of which must allow; `sensitive: true` is the resource attribute
//     `sensitive` of each. An encrypted file is `config:<absolute path>`, a key `key:<id>`, the
//     keyring `key:keyring`, the audit log `audit:log`, a policy `policy:<name>`, a change
//     request `change:<id>`. Listing the whole store is `list` on a config resource with an empty
//     name: only patterns that cover every namespace (`*`, `config`) allow it.
// A denial's reason is Decision::Describe() (the deciding statement and its file:line, or "no
// statement allows ..."): it never holds values, only names from the policies and the request.
//
// LoadHomeAuthorizer builds the authorizer a home asks for: none (nullptr: keep the local
// authorizer) when the home's config.yaml has no `access` section and <home>/policies does not
// exist; else a PolicyAuthorizer over the policy directory; and when that directory or config
// cannot be read or holds an invalid policy, an authorizer that denies everything with the load
// error as its reason (fail closed), so a broken policy never opens the store.
//
// Thread safety: Authorize may be called from any number of threads.
#ifndef BULWARK_ACCESS_AUTHORIZER_H_
#define BULWARK_ACCESS_AUTHORIZER_H_

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bulwark/access/local_identity.h"
#include "bulwark/access/policy_set.h"
#include "bulwark/core/runtime.h"
#include "bulwark/request/authorizer.h"

namespace bulwark::access {

class PolicyAuthorizer final : public request::Authorizer {
 public:
  PolicyAuthorizer(std::shared_ptr<const PolicySet> set, AccessSettings settings,
                   std::shared_ptr<Clock> clock);

  request::Decision Authorize(const request::RequestContext& ctx, request::Action action,
                              const request::Resource& resource) const override;

  const PolicySet& policies() const { return *set_; }

  // Who the policies see for `ctx`: the principal's id (a local user's `access.local_users`
  // entry may give another) and its effective roles, sorted (approvers of change requests).
  std::pair<std::string, std::vector<std::string>> EffectivePrincipal(
      const request::RequestContext& ctx) const;

 private:
  std::shared_ptr<const PolicySet> set_;
  AccessSettings settings_;
  std::shared_ptr<Clock> clock_;
};

// Denies every request with `reason` (an unreadable or invalid policy: fail closed).
std::unique_ptr<request::Authorizer> NewDenyAllAuthorizer(std::string reason);

// See the file comment. `home` is the home directory; its config.yaml and policies are read
// through `rt.fs`.
std::shared_ptr<const request::Authorizer> LoadHomeAuthorizer(const Runtime& rt,
                                                              const std::filesystem::path& home);

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_AUTHORIZER_H_
