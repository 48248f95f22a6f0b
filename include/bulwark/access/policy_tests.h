// Table-driven policy tests, as `opa test` runs them (docs/access.md "Policy tests").
//
//   principals:
//     alice: {id: "local:alice", roles: [operator], attributes: {tenant: acme}}
//   tests:
//     - name: alice reads acme production
//       principal: alice                  # or inline {id, kind, roles, groups, attributes}
//       action: read
//       resource: config:acme/production:db.password
//       resource_attributes: {environment: production}
//       request: {time: "2024-05-02T10:00:00Z", source: 10.1.2.3, mfa: true}
//       context: {ticket: CHG-1}
//       expect: allow                     # allow | deny
//       statement: payments/read          # optional: the deciding statement
//       reason: no-allow                  # optional: allowed, denied, no-allow, ...
#ifndef BULWARK_ACCESS_POLICY_TESTS_H_
#define BULWARK_ACCESS_POLICY_TESTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/access/policy_set.h"
#include "bulwark/access/request.h"
#include "bulwark/config/document.h"
#include "bulwark/core/runtime.h"

namespace bulwark::access {

struct PolicyTestCase {
  std::string name;
  config::SourceLocation location;
  OwnedRequest request;
  bool expect_allow = false;
  std::optional<std::string> statement;  // "POLICY/ID"
  std::optional<Reason> reason;
};

struct PolicyTestSuite {
  std::string source;
  std::vector<PolicyTestCase> tests;
};

// kInvalidArgument "<file>:<line>:<column>: test NAME: <field>: <problem>" for anything
// malformed (unknown principal name, bad resource or action, bad time). Requests without a time
// use `default_time`.
Result<PolicyTestSuite> ParsePolicyTests(std::string_view text, std::string source_name,
                                         TimePoint default_time);

// A principal from a map {id, kind, roles, groups, attributes}: kind defaults to the part of the
// id before ':'. kInvalidArgument naming `where` for a missing id or wrong types.
Result<Principal> PrincipalFromValue(const config::Value& v, std::string_view where);

// Parses "allowed", "denied", "no-allow", "environment-isolation", "invalid-policy".
std::optional<Reason> ParseReason(std::string_view name);

struct PolicyTestResult {
  const PolicyTestCase* test = nullptr;
  bool passed = false;
  Decision decision;
  std::string failure;  // "expected allow, got deny (no-allow)"; "" when passed
};

// Runs every test against `set` (the suite must outlive the results).
std::vector<PolicyTestResult> RunPolicyTests(const PolicySet& set, const PolicyTestSuite& suite);

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_POLICY_TESTS_H_
